// lib/auth/signed_attributes.h (internal): the CMS signed-attribute checks every signed file
// idtap verifies shares: EF.SOD, EF.CardSecurity and CSCA master lists.
#pragma once

#include <string>

#include "idtap/lds/signed_data.h"

namespace idtap::auth {

// check_signed_attributes: one SignerInfo (ICAO 9303-10 §4.6.2), with signed attributes (RFC 5652
// §5.3: required when the content is not id-data) whose contentType is the eContentType (§11.1:
// eContentType itself is not signed, and OpenSSL 3.0's CMS_verify does not compare them) and
// whose messageDigest is the digest of the signed content (§11.2: CMS_verify checks it too, but
// does not say which check failed). The reason, or an empty string when all hold.
std::string check_signed_attributes(const lds::SignedData& sd, const std::string& file);

}  // namespace idtap::auth
