#include "idtap/issue/offer_uri.h"

#include <nlohmann/json.hpp>

namespace idtap::issue {
namespace {

bool starts_with(std::string_view s, std::string_view prefix) { return s.substr(0, prefix.size()) == prefix; }

// is_acceptable_issuer: an https URL, or http on the loopback interface (tests, a desk-local
// server). OID4VCI 1.0 §12.2.1: the Credential Issuer Identifier is an https URL.
bool is_acceptable_issuer(std::string_view url) {
  if (starts_with(url, "https://")) return url.size() > 8;
  for (std::string_view local : {"http://127.0.0.1", "http://[::1]", "http://localhost"}) {
    if (!starts_with(url, local)) continue;
    std::string_view rest = url.substr(local.size());
    if (rest.empty() || rest[0] == ':' || rest[0] == '/') return true;
  }
  return false;
}

}  // namespace

std::string percent_encode(std::string_view text) {
  static const char* kHex = "0123456789ABCDEF";
  std::string out;
  out.reserve(text.size() * 3);
  for (unsigned char c : text) {
    if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 0x0F]);
    }
  }
  return out;
}

Result<std::string> credential_offer_json(const CredentialOfferParams& p) {
  if (!is_acceptable_issuer(p.credential_issuer))
    return make_error(ErrorCode::kInvalidArgument, "credential issuer '" + p.credential_issuer +
                                                       "' is not an https URL (http only on 127.0.0.1, [::1] or localhost)");
  if (p.credential_issuer.find_first_of("?#") != std::string::npos)
    return make_error(ErrorCode::kInvalidArgument, "credential issuer '" + p.credential_issuer + "' has a query or fragment (OID4VCI 1.0 §12.2.1)");
  if (p.credential_configuration_ids.empty()) return make_error(ErrorCode::kInvalidArgument, "credential offer: no configuration id");
  for (const auto& id : p.credential_configuration_ids)
    if (id.empty()) return make_error(ErrorCode::kInvalidArgument, "credential offer: an empty configuration id");
  if (p.pre_authorized_code.empty()) return make_error(ErrorCode::kInvalidArgument, "credential offer: no pre-authorized code");
  if (p.tx_code_length < 1 || p.tx_code_length > 64)
    return make_error(ErrorCode::kInvalidArgument, "credential offer: tx_code length must be 1..64");
  nlohmann::ordered_json offer;
  offer["credential_issuer"] = p.credential_issuer;
  offer["credential_configuration_ids"] = p.credential_configuration_ids;
  nlohmann::ordered_json tx;
  tx["input_mode"] = "numeric";
  tx["length"] = p.tx_code_length;
  if (!p.tx_code_description.empty()) tx["description"] = p.tx_code_description;  // §4.1.1: at most 300 characters
  nlohmann::ordered_json grant;
  grant["pre-authorized_code"] = p.pre_authorized_code;
  grant["tx_code"] = std::move(tx);
  offer["grants"]["urn:ietf:params:oauth:grant-type:pre-authorized_code"] = std::move(grant);
  try {
    return offer.dump();
  } catch (const nlohmann::json::exception& e) {
    // dump() throws only for text that is not UTF-8.
    return make_error(ErrorCode::kInvalidArgument, std::string("credential offer: ") + e.what());
  }
}

Result<std::string> credential_offer_uri(const CredentialOfferParams& params) {
  IDTAP_ASSIGN_OR_RETURN(std::string json, credential_offer_json(params));
  return "openid-credential-offer://?credential_offer=" + percent_encode(json);
}

}  // namespace idtap::issue
