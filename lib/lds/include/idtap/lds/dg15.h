// idtap/lds/dg15.h: DG15, the Active Authentication public key (ICAO 9303-10 §4.7.15,
// 9303-11 §6.1): 6F { SubjectPublicKeyInfo } with an RSA or EC key.
#pragma once

#include "idtap/base/bytes.h"
#include "idtap/base/result.h"
#include "idtap/lds/public_key_info.h"

namespace idtap::lds {

// Dg15: the AA public key.
struct Dg15 {
  PublicKeyInfo key;
};

// parse_dg15: decodes DG15 (strict DER). kMalformed on a wrong tag, trailing bytes, or a key that
// does not parse; kNotSupported for a key that is neither RSA nor EC.
Result<Dg15> parse_dg15(ByteView file);

// encode_dg15: 6F { spki_der }; kInvalidArgument when `spki_der` is not an RSA or EC
// SubjectPublicKeyInfo.
Result<Bytes> encode_dg15(ByteView spki_der);

}  // namespace idtap::lds
