// idtap/lds/dg14.h: DG14, security options (ICAO 9303-10 §4.7.14): 6E { SecurityInfos }.
#pragma once

#include "idtap/base/bytes.h"
#include "idtap/base/result.h"
#include "idtap/lds/security_infos.h"

namespace idtap::lds {

// parse_dg14: the SecurityInfos of DG14 (strict DER). kMalformed on a wrong tag, bad
// SecurityInfos, or trailing bytes.
Result<SecurityInfos> parse_dg14(ByteView file);

// encode_dg14: 6E { DER SET OF SecurityInfo }; kInvalidArgument as encode_security_infos.
Result<Bytes> encode_dg14(const SecurityInfos& infos);

}  // namespace idtap::lds
