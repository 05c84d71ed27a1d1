// idtap/issue/offer_uri.h: the credential offer the clerk hands the phone (a QR code of it), by
// value, as OpenID for Verifiable Credential Issuance 1.0 §4.1 describes it.
#pragma once

#include <string>
#include <vector>

#include "idtap/base/result.h"

namespace idtap::issue {

// CredentialOfferParams: one offer with the pre-authorized code grant (OID4VCI 1.0 §4.1.1).
struct CredentialOfferParams {
  std::string credential_issuer;                          // an https URL (http only on loopback)
  std::vector<std::string> credential_configuration_ids;  // at least one
  std::string pre_authorized_code;
  // The tx_code object (§4.1.1): numeric, tx_code_length digits, and what the wallet shows.
  int tx_code_length = 6;
  std::string tx_code_description = "the 6-digit code the clerk shows you / 창구 직원이 알려 준 6자리 숫자";
};

// credential_offer_json: the credential_offer object (§4.1.1) as compact JSON:
//   {"credential_issuer": ..., "credential_configuration_ids": [...],
//    "grants": {"urn:ietf:params:oauth:grant-type:pre-authorized_code":
//        {"pre-authorized_code": ..., "tx_code": {"input_mode": "numeric", "length": 6,
//         "description": ...}}}}
// kInvalidArgument for an issuer that is not an https URL (§12.2.1; http is accepted only for
// 127.0.0.1, [::1] and localhost), no configuration id, an empty code or a length outside 1..64.
Result<std::string> credential_offer_json(const CredentialOfferParams& params);

// credential_offer_uri: "openid-credential-offer://?credential_offer=" and that JSON,
// percent-encoded (§4.1: the offer passed by value in the credential_offer parameter; RFC 3986
// §2.3 unreserved characters stay, every other byte is %XX). Errors as credential_offer_json.
Result<std::string> credential_offer_uri(const CredentialOfferParams& params);

// percent_encode: every byte of `text` outside RFC 3986 §2.3's unreserved set as %XX (upper case).
std::string percent_encode(std::string_view text);

}  // namespace idtap::issue
