// idtap/lds/ef_sod.h: EF.SOD, the Document Security Object (ICAO 9303-10 §4.6.2): 77 { CMS
// ContentInfo SignedData over an LDSSecurityObject }. Parsing does not verify: Passive
// Authentication (lib/auth) verifies the signature, the chain and each data group's hash with
// what this exposes.
#pragma once

#include <vector>

#include "idtap/base/bytes.h"
#include "idtap/base/result.h"
#include "idtap/lds/lds_security_object.h"
#include "idtap/lds/signed_data.h"

namespace idtap::lds {

// EfSod: the decoded file.
struct EfSod {
  SignedData signed_data;          // the CMS structure, certificates, signer infos, raw bytes
  LdsSecurityObject security_object;
  bool id_data_content_type = false;  // eContentType was id-data (the named leniency)

  // EfSod::document_signer_certificates: the certificates carried (usually the one DS cert).
  const std::vector<Bytes>& document_signer_certificates() const { return signed_data.certificates; }
};

// EfSodOptions: allow_ber accepts BER indefinite lengths in the 77 wrapper, the CMS structure
// and the LDSSecurityObject (a named leniency: some issuing states use them); reported in
// EfSod::signed_data.used_ber. allow_id_data_content_type accepts an eContentType of id-data
// (1.2.840.113549.1.7.1) instead of id-icao-mrtd-security-ldsSecurityObject when the content
// still parses as an LDSSecurityObject (a named leniency: some issuing states label it so);
// reported in EfSod::id_data_content_type. The signed contentType attribute must still equal
// the eContentType (Passive Authentication checks it).
struct EfSodOptions {
  bool allow_ber = false;
  bool allow_id_data_content_type = false;
};

// parse_ef_sod: decodes EF.SOD. kMalformed on a wrong outer tag, trailing bytes, a CMS structure
// that does not parse (see parse_signed_data), an eContentType other than
// id-icao-mrtd-security-ldsSecurityObject (or id-data, when allowed), or an LDSSecurityObject
// that does not parse.
Result<EfSod> parse_ef_sod(ByteView file, const EfSodOptions& options = {});

// create_ef_sod: signs `lso` with `signer` and wraps it in 77 (personalization). Errors as
// encode_lds_security_object and create_signed_data.
Result<Bytes> create_ef_sod(const LdsSecurityObject& lso, const CmsSigner& signer);

}  // namespace idtap::lds
