#include "serve/wallet.h"

#include <httplib.h>

#include <chrono>

#include "idtap/issue/jose.h"
#include "idtap/issue/oid4vci.h"

namespace idtap::test {

namespace {

Error malformed(std::string what) { return make_error(ErrorCode::kMalformed, "credential offer: " + std::move(what)); }

constexpr std::string_view kOfferPrefix = "openid-credential-offer://?credential_offer=";

Error refused(const std::string& step, const HttpReply& r) {
  return make_error(ErrorCode::kRefused, step + ": HTTP " + std::to_string(r.status) +
                                             (r.error().empty() ? "" : " " + r.error()) +
                                             (r.transport_error.empty() ? "" : " (" + r.transport_error + ")") + " " +
                                             r.body.substr(0, 300));
}

HttpReply reply_of(const httplib::Result& result) {
  HttpReply r;
  if (!result) {
    r.transport_error = httplib::to_string(result.error());
    return r;
  }
  r.status = result->status;
  r.body = result->body;
  r.content_type = result->get_header_value("Content-Type");
  r.cache_control = result->get_header_value("Cache-Control");
  r.www_authenticate = result->get_header_value("WWW-Authenticate");
  r.json = nlohmann::json::parse(r.body, nullptr, false);
  return r;
}

httplib::Headers headers_of(const std::vector<std::pair<std::string, std::string>>& headers) {
  httplib::Headers h;
  for (const auto& [name, value] : headers) h.emplace(name, value);
  return h;
}

}  // namespace

std::string HttpReply::error() const {
  if (json.is_object() && json.contains("error") && json["error"].is_string()) return json["error"].get<std::string>();
  return "";
}

Result<CredentialOffer> parse_credential_offer_uri(const std::string& uri) {
  if (uri.compare(0, kOfferPrefix.size(), kOfferPrefix) != 0) return malformed("not an openid-credential-offer://?credential_offer= URI");
  const std::string json_text = httplib::detail::decode_url(uri.substr(kOfferPrefix.size()), false);
  nlohmann::json offer = nlohmann::json::parse(json_text, nullptr, false);
  if (offer.is_discarded() || !offer.is_object()) return malformed("credential_offer is not a JSON object");
  CredentialOffer out;
  // §4.1.1: credential_issuer, credential_configuration_ids, grants.
  if (!offer.contains("credential_issuer") || !offer["credential_issuer"].is_string()) return malformed("no credential_issuer");
  out.credential_issuer = offer["credential_issuer"];
  if (!offer.contains("credential_configuration_ids") || !offer["credential_configuration_ids"].is_array() ||
      offer["credential_configuration_ids"].empty())
    return malformed("no credential_configuration_ids");
  for (const auto& id : offer["credential_configuration_ids"]) {
    if (!id.is_string()) return malformed("a credential_configuration_id is not a string");
    out.credential_configuration_ids.push_back(id);
  }
  const auto grants = offer.value("grants", nlohmann::json::object());
  if (!grants.contains(issue::kPreAuthorizedCodeGrant)) return malformed("no pre-authorized_code grant");
  const auto& grant = grants[issue::kPreAuthorizedCodeGrant];
  if (!grant.contains("pre-authorized_code") || !grant["pre-authorized_code"].is_string())
    return malformed("no pre-authorized_code");
  out.pre_authorized_code = grant["pre-authorized_code"];
  if (grant.contains("tx_code")) {
    const auto& tx = grant["tx_code"];
    out.tx_code_input_mode = tx.value("input_mode", "numeric");  // §4.1.1: numeric by default
    out.tx_code_length = tx.value("length", 0);
  }
  return out;
}

Wallet::Wallet(const std::string& base_url, WalletOptions options)
    : base_url_(base_url), client_(std::make_unique<httplib::Client>(base_url)), key_(provision::EcPrivateKey::generate().value()) {
  client_->set_keep_alive(true);
  // As phone HTTP stacks do: no Nagle delay between a request's header and body writes (with the
  // peer's delayed ACK it costs 40 ms a request).
  client_->set_tcp_nodelay(true);
  client_->set_connection_timeout(options.timeout_seconds, 0);
  client_->set_read_timeout(options.timeout_seconds, 0);
  client_->set_write_timeout(options.timeout_seconds, 0);
  if (base_url.rfind("https://", 0) == 0) {
    client_->set_ca_cert_path(options.ca_file.c_str());
    client_->enable_server_certificate_verification(true);
  }
}

Wallet::~Wallet() = default;

HttpReply Wallet::get(const std::string& path, const std::vector<std::pair<std::string, std::string>>& headers) {
  return reply_of(client_->Get(path, headers_of(headers)));
}

HttpReply Wallet::post(const std::string& path, const std::string& body, const std::string& content_type,
                       const std::vector<std::pair<std::string, std::string>>& headers) {
  return reply_of(client_->Post(path, headers_of(headers), body, content_type));
}

HttpReply Wallet::issuer_metadata() { return get("/.well-known/openid-credential-issuer"); }
HttpReply Wallet::authorization_server_metadata() { return get("/.well-known/oauth-authorization-server"); }

HttpReply Wallet::token(const std::string& pre_authorized_code, const std::optional<std::string>& tx_code) {
  std::string form = "grant_type=" + httplib::detail::encode_query_param(issue::kPreAuthorizedCodeGrant) +
                     "&pre-authorized_code=" + httplib::detail::encode_query_param(pre_authorized_code);
  if (tx_code) form += "&tx_code=" + httplib::detail::encode_query_param(*tx_code);
  return post("/token", form, "application/x-www-form-urlencoded");
}

HttpReply Wallet::nonce() { return post("/nonce", "", "application/json"); }

HttpReply Wallet::credential(const std::string& access_token, const std::string& configuration_id,
                             const std::string& proof_jwt) {
  nlohmann::json body = {{"credential_configuration_id", configuration_id},
                         {"proofs", {{"jwt", nlohmann::json::array({proof_jwt})}}}};
  return post("/credential", body.dump(), "application/json", {{"Authorization", "Bearer " + access_token}});
}

std::string Wallet::proof(const std::string& audience, const std::string& c_nonce, int64_t iat) const {
  // OpenID4VCI 1.0 Appendix F.1: typ, alg, jwk in the header; aud, iat, nonce in the claims.
  nlohmann::json header = {{"typ", issue::kProofTyp}, {"jwk", issue::p256_public_jwk(key_.public_key())}};
  nlohmann::json payload = {{"aud", audience}, {"iat", iat}, {"nonce", c_nonce}};
  return issue::sign_es256(header, payload, key_).value();
}

Result<Received> Wallet::redeem(const CredentialOffer& offer, const std::string& tx_code) {
  HttpReply meta = issuer_metadata();
  if (meta.status != 200 || !meta.json.is_object()) return refused("issuer metadata", meta);
  // §12.2.4: the issuer names itself as the offer does, and the endpoints.
  if (meta.json.value("credential_issuer", "") != offer.credential_issuer)
    return make_error(ErrorCode::kVerificationFailed, "issuer metadata: credential_issuer is not the offer's");
  if (meta.json.value("credential_endpoint", "") != offer.credential_issuer + "/credential" ||
      meta.json.value("nonce_endpoint", "") != offer.credential_issuer + "/nonce")
    return make_error(ErrorCode::kVerificationFailed, "issuer metadata: unexpected endpoints");
  const std::string config_id = offer.credential_configuration_ids.at(0);
  const auto configs = meta.json.value("credential_configurations_supported", nlohmann::json::object());
  if (!configs.contains(config_id) || configs[config_id].value("format", "") != "mso_mdoc")
    return make_error(ErrorCode::kVerificationFailed, "issuer metadata: no mso_mdoc configuration " + config_id);
  HttpReply as = authorization_server_metadata();
  if (as.status != 200 || !as.json.is_object()) return refused("authorization server metadata", as);
  if (as.json.value("token_endpoint", "") != offer.credential_issuer + "/token")
    return make_error(ErrorCode::kVerificationFailed, "authorization server metadata: unexpected token_endpoint");

  HttpReply tok = token(offer.pre_authorized_code, tx_code);
  if (tok.status != 200 || !tok.json.is_object() || !tok.json.contains("access_token")) return refused("token", tok);
  Received received{Bytes{}, tok.json["access_token"].get<std::string>(), key_.public_key()};
  HttpReply n = nonce();
  if (n.status != 200 || !n.json.is_object() || !n.json.contains("c_nonce")) return refused("nonce", n);
  const int64_t now = std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
  HttpReply cred = credential(received.access_token, config_id, proof(offer.credential_issuer, n.json["c_nonce"], now));
  if (cred.status != 200 || !cred.json.is_object()) return refused("credential", cred);
  // §8.3: {"credentials": [{"credential": ...}]}; Appendix A.2.4: base64url of IssuerSigned.
  const auto& list = cred.json.value("credentials", nlohmann::json::array());
  if (!list.is_array() || list.size() != 1 || !list[0].contains("credential") || !list[0]["credential"].is_string())
    return make_error(ErrorCode::kMalformed, "credential response: not one credential");
  IDTAP_ASSIGN_OR_RETURN(received.issuer_signed, issue::base64url_decode(list[0]["credential"].get<std::string>()));
  return received;
}

Result<provision::VerifiedMdoc> verify_received(const Received& received, const std::string& issuer_ca_pem, int64_t now) {
  provision::MdocVerifyOptions options;
  IDTAP_ASSIGN_OR_RETURN(options.trusted_issuers, provision::Certificate::load_pem_chain(bytes_of(issuer_ca_pem)));
  options.now = now;
  IDTAP_ASSIGN_OR_RETURN(provision::VerifiedMdoc verified, provision::verify_mdoc(received.issuer_signed, options));
  // ISO 18013-5 §9.1.2.4: the MSO's deviceKey is the key the holder proved possession of.
  if (!(verified.mso.device_key == received.device_key))
    return make_error(ErrorCode::kVerificationFailed, "device key: the credential is bound to another key than the wallet's");
  return verified;
}

}  // namespace idtap::test
