// The OpenID4VCI 1.0 protocol state of idtap's credential issuer (see oid4vci.h); the checks of
// one jwt key proof are in key_proof.cpp.
#include "idtap/issue/oid4vci.h"

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <string>
#include <utility>

#include <nlohmann/json.hpp>

#include "idtap/crypto/hash.h"
#include "idtap/crypto/random.h"
#include "idtap/issue/jose.h"
#include "idtap/provision/cose.h"
#include "oid4vci_internal.h"

namespace idtap::issue {

namespace {

using Json = nlohmann::json;
using internal::device_key_bytes;
using internal::iequals;
using internal::verify_proof_jwt;

// kSecretBytes: the entropy of an access token and of a c_nonce (256 bits; RFC 6749 §10.10 asks
// for at most 2^-128 odds of guessing a token, RFC 6750 §5.2).
constexpr size_t kSecretBytes = 32;

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// description: `text` restricted to the characters an error_description may hold
// (RFC 6749 §5.2, OpenID4VCI §8.3.1.2: %x20-21 / %x23-5B / %x5D-7E); others become '?'.
std::string description(std::string_view text) {
  std::string out(text.substr(0, 200));
  for (char& c : out) {
    auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u > 0x7E || c == '"' || c == '\\') c = '?';
  }
  return out;
}

HttpResponse json_response(int status, const Json& body) {
  HttpResponse r;
  r.status = status;
  r.body = body.dump();
  return r;
}

// no_store: the response must not be cached (RFC 6749 §5.1 for token responses and errors;
// OpenID4VCI §7.2 for nonces; every credential response carries a secret too).
HttpResponse no_store(HttpResponse r) {
  r.headers.emplace_back("Cache-Control", "no-store");
  return r;
}

// error_response: an OAuth-style error body {"error", "error_description"} (RFC 6749 §5.2,
// OpenID4VCI §6.3 and §8.3.1.2), uncacheable.
HttpResponse error_response(int status, const char* error, std::string_view text) {
  return no_store(json_response(status, Json{{"error", error}, {"error_description", description(text)}}));
}

// bearer_error: an RFC 6750 §3 error of the protected credential endpoint, with its
// WWW-Authenticate challenge.
HttpResponse bearer_error(int status, const char* error, std::string_view text) {
  HttpResponse r = error_response(status, error, text);
  r.headers.emplace_back("WWW-Authenticate",
                         std::string("Bearer error=\"") + error + "\", error_description=\"" + description(text) + "\"");
  return r;
}

HttpResponse server_error() { return error_response(500, "server_error", "the issuer could not complete the request"); }

// is_b64token: RFC 6750 §2.1 b64token = 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"="
bool is_b64token(std::string_view s) {
  size_t i = 0;
  while (i < s.size() && (std::isalnum(static_cast<unsigned char>(s[i])) || s[i] == '-' || s[i] == '.' || s[i] == '_' ||
                          s[i] == '~' || s[i] == '+' || s[i] == '/'))
    ++i;
  if (i == 0) return false;
  while (i < s.size() && s[i] == '=') ++i;
  return i == s.size();
}

// token_key: the map key of an access token: its SHA-256, so the token itself is not held and
// lookups do not compare the secret byte by byte.
Result<std::string> token_key(std::string_view token) {
  IDTAP_ASSIGN_OR_RETURN(Bytes d, crypto::digest(crypto::HashAlg::kSha256, bytes_of(token)));
  return string_of(d);
}

Result<std::string> fresh_secret() {
  IDTAP_ASSIGN_OR_RETURN(Bytes b, crypto::random_bytes(kSecretBytes));
  return base64url_encode(b);
}

// IssuerUrl: the parts of the Credential Issuer Identifier that matter here.
struct IssuerUrl {
  std::string path;  // "" or "/tenant"
};

// parse_issuer_url: §12.2.1: "a case sensitive URL using the https scheme that contains scheme,
// host and, optionally, port number and path components, but no query or fragment components".
// Named leniency: http for a loopback host (tests, `idtap serve` on loopback).
Result<IssuerUrl> parse_issuer_url(std::string_view url) {
  auto bad = [&](const char* why) {
    return make_error(ErrorCode::kInvalidArgument, std::string("credential_issuer ") + why);
  };
  bool https = url.starts_with("https://");
  bool http = url.starts_with("http://");
  if (!https && !http) return bad("must be an https URL");
  std::string_view rest = url.substr(https ? 8 : 7);
  if (rest.find_first_of("?#") != std::string_view::npos) return bad("must have no query or fragment");
  if (rest.find_first_of(" \t\r\n\\") != std::string_view::npos) return bad("holds whitespace or a backslash");
  size_t slash = rest.find('/');
  std::string_view authority = rest.substr(0, slash);
  std::string path = slash == std::string_view::npos ? std::string() : std::string(rest.substr(slash));
  if (authority.empty()) return bad("has no host");
  if (authority.find('@') != std::string_view::npos) return bad("must not hold user information");
  if (!path.empty() && path.back() == '/') return bad("must not end with '/'");
  if (http) {
    std::string_view host = authority;
    if (host.starts_with("[")) {
      host = host.substr(0, host.find(']') == std::string_view::npos ? host.size() : host.find(']') + 1);
    } else {
      host = host.substr(0, host.find(':'));
    }
    if (host != "127.0.0.1" && host != "localhost" && host != "[::1]")
      return bad("must use https (plain http only on a loopback host)");
  }
  return IssuerUrl{path};
}

// percent_encode: RFC 3986 §2.1 for a query component value: every byte but the unreserved
// characters (§2.3) as %XX.
std::string percent_encode(std::string_view s) {
  static const char* kHex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

}  // namespace

const std::string* HttpResponse::header(std::string_view name) const {
  for (const auto& [n, v] : headers)
    if (iequals(n, name)) return &v;
  return nullptr;
}

Result<std::unique_ptr<Oid4vciIssuer>> Oid4vciIssuer::create(Oid4vciConfig config, OfferBackend& backend) {
  IDTAP_ASSIGN_OR_RETURN(IssuerUrl url, parse_issuer_url(config.credential_issuer));
  auto bad = [](const char* what) { return make_error(ErrorCode::kInvalidArgument, what); };
  if (config.credential_configuration_id.empty()) return bad("credential_configuration_id is empty");
  if (config.doctype.empty()) return bad("doctype is empty");
  for (const auto& d : config.display)
    if (d.name.empty() || d.locale.empty()) return bad("a display entry without a name or locale");
  if (config.token_ttl_seconds <= 0 || config.nonce_ttl_seconds <= 0 || config.iat_max_age_seconds <= 0 ||
      config.iat_max_skew_seconds < 0)
    return bad("a TTL or the iat window is not positive");
  if (config.max_live_tokens == 0 || config.max_live_nonces == 0 || config.max_body_bytes == 0 ||
      config.max_jwt_bytes == 0 || config.max_field_bytes == 0)
    return bad("a size limit is zero");
  EndpointPaths paths;
  // §12.2.2: the well-known string goes between the host and the path component; RFC 8414 §3
  // does the same for the authorization server metadata.
  paths.credential_issuer_metadata = "/.well-known/openid-credential-issuer" + url.path;
  paths.authorization_server_metadata = "/.well-known/oauth-authorization-server" + url.path;
  paths.token = url.path + "/token";
  paths.nonce = url.path + "/nonce";
  paths.credential = url.path + "/credential";
  return std::unique_ptr<Oid4vciIssuer>(new Oid4vciIssuer(std::move(config), std::move(paths), backend));
}

Oid4vciIssuer::Oid4vciIssuer(Oid4vciConfig config, EndpointPaths paths, OfferBackend& backend)
    : config_(std::move(config)), paths_(std::move(paths)), backend_(backend) {
  const std::string& issuer = config_.credential_issuer;
  Json display = Json::array();
  for (const auto& d : config_.display) display.push_back(Json{{"name", d.name}, {"locale", d.locale}});
  Json configuration = {
      // Appendix A.2.1: the format identifier; A.2.2: doctype REQUIRED.
      {"format", "mso_mdoc"},
      {"doctype", config_.doctype},
      // §12.2.4: the credential is bound to a COSE_Key (ISO 18013-5 DeviceKey).
      {"cryptographic_binding_methods_supported", Json::array({"cose_key"})},
      // Appendix A.2.2: numeric COSE algorithm identifiers of IssuerAuth; it is signed with
      // ES256 (-7) under a P-256 key (lib/provision/cose.h).
      {"credential_signing_alg_values_supported", Json::array({provision::kCoseAlgEs256})},
      // §12.2.4 proof_types_supported: jwt proofs signed with ES256 (Appendix F.1).
      {"proof_types_supported", Json{{"jwt", Json{{"proof_signing_alg_values_supported", Json::array({"ES256"})}}}}},
      // §12.2.4 credential_metadata.display: name and locale per language.
      {"credential_metadata", Json{{"display", display}}},
      // Named leniency: wallets built on the drafts before 1.0 read display at this level;
      // 1.0 wallets ignore the unknown member (§12.2.4 "MUST ignore any unrecognized").
      {"display", display},
  };
  Json metadata = {
      {"credential_issuer", issuer},
      {"credential_endpoint", issuer + "/credential"},
      {"nonce_endpoint", issuer + "/nonce"},
      {"credential_configurations_supported", Json{{config_.credential_configuration_id, configuration}}},
  };
  metadata_body_ = metadata.dump();
  // RFC 8414 §2; without authorization_servers in the issuer metadata, the credential issuer is
  // its own authorization server (§12.2.4), so its identifier is the issuer's.
  Json as = {
      {"issuer", issuer},
      {"token_endpoint", issuer + "/token"},
      {"grant_types_supported", Json::array({kPreAuthorizedCodeGrant})},
      // RFC 8414 §2 / RFC 7591 §2: "none": the wallet is a public client.
      {"token_endpoint_auth_methods_supported", Json::array({"none"})},
      // §12.3: a Token Request with a pre-authorized code needs no client_id. (§12.2.4: an AS
      // with only this grant type may omit response_types_supported.)
      {"pre-authorized_grant_anonymous_access_supported", true},
  };
  as_metadata_body_ = as.dump();
}

HttpResponse Oid4vciIssuer::credential_issuer_metadata() const {
  HttpResponse r;
  r.body = metadata_body_;
  return r;
}

HttpResponse Oid4vciIssuer::authorization_server_metadata() const {
  HttpResponse r;
  r.body = as_metadata_body_;
  return r;
}

void Oid4vciIssuer::prune_locked(UnixSeconds now) {
  // Entries go in expiry order (one TTL each), so the fronts expire first; a full store drops
  // its oldest entry (bounded memory against a flood of anonymous nonce requests).
  while (!token_order_.empty() && (token_order_.front().first <= now || token_order_.size() > config_.max_live_tokens)) {
    auto it = tokens_.find(token_order_.front().second);
    if (it != tokens_.end() && it->second.expires_at == token_order_.front().first) tokens_.erase(it);
    token_order_.pop_front();
  }
  while (!nonce_order_.empty() && (nonce_order_.front().first <= now || nonce_order_.size() > config_.max_live_nonces)) {
    auto it = nonces_.find(nonce_order_.front().second);
    if (it != nonces_.end() && it->second == nonce_order_.front().first) nonces_.erase(it);
    nonce_order_.pop_front();
  }
}

size_t Oid4vciIssuer::live_tokens() const {
  std::lock_guard lock(mutex_);
  return tokens_.size();
}

size_t Oid4vciIssuer::live_nonces() const {
  std::lock_guard lock(mutex_);
  return nonces_.size();
}

HttpResponse Oid4vciIssuer::token(const FormFields& form, UnixSeconds now) {
  // RFC 6749 §3.2: "Request and response parameters MUST NOT be included more than once";
  // RFC 6749 §5.2 invalid_request covers a repeated or malformed parameter.
  const std::string* grant_type = nullptr;
  const std::string* code = nullptr;
  const std::string* tx_code = nullptr;
  bool authorization_details = false;
  for (size_t i = 0; i < form.size(); ++i) {
    const auto& [name, value] = form[i];
    for (size_t j = 0; j < i; ++j)
      if (form[j].first == name) return error_response(400, "invalid_request", "parameter " + name + " is repeated");
    if (value.size() > config_.max_field_bytes) return error_response(400, "invalid_request", "parameter " + name + " is too long");
    if (name == "grant_type") grant_type = &value;
    else if (name == "pre-authorized_code") code = &value;
    else if (name == "tx_code") tx_code = &value;
    else if (name == "authorization_details") authorization_details = true;
    // §6.1: "The Authorization Server MUST ignore any unrecognized parameters."
  }
  if (grant_type == nullptr || grant_type->empty()) return error_response(400, "invalid_request", "grant_type is missing");
  // RFC 6749 §5.2: a grant type this server does not support.
  if (*grant_type != kPreAuthorizedCodeGrant)
    return error_response(400, "unsupported_grant_type", "only the pre-authorized_code grant is supported");
  // §6.1: pre-authorized_code "MUST be present if the grant_type is ...pre-authorized_code".
  if (code == nullptr || code->empty()) return error_response(400, "invalid_request", "pre-authorized_code is missing");
  // §6.3 invalid_request: "The Authorization Server expects a Transaction Code in the
  // Pre-Authorized Code Flow but the Client does not provide a Transaction Code" (every idtap
  // offer carries a tx_code object).
  if (tx_code == nullptr) return error_response(400, "invalid_request", "tx_code is missing");
  // §6.2: authorization_details in the Token Request would require credential_identifiers in
  // the response; this issuer has one configuration per offer and does not implement them.
  if (authorization_details)
    return error_response(400, "invalid_request", "authorization_details is not supported: the offer names the credential");

  // The token first: once the backend has redeemed the code, nothing may fail before the
  // wallet holds its token (the code cannot be redeemed twice).
  auto token = fresh_secret();
  if (!token.ok()) return server_error();
  auto key = token_key(*token);
  if (!key.ok()) return server_error();
  auto redeemed = backend_.redeem(*code, *tx_code, now);
  if (!redeemed.ok()) {
    switch (redeemed.error().code) {
      // §6.3 invalid_grant: a wrong Transaction Code, a wrong or expired Pre-Authorized Code
      // (offer_backend.h: unknown, used or expired; wrong tx_code; offer killed by wrong codes).
      case ErrorCode::kNotFound:
      case ErrorCode::kAuthFailed:
      case ErrorCode::kRefused:
        return error_response(400, "invalid_grant", "the pre-authorized code or the transaction code is not valid");
      default:
        return server_error();
    }
  }
  {
    std::lock_guard lock(mutex_);
    prune_locked(now);
    Token t;
    t.offer = std::move(redeemed).value();
    t.expires_at = now + config_.token_ttl_seconds;
    tokens_[*key] = std::move(t);
    token_order_.emplace_back(now + config_.token_ttl_seconds, *key);
    prune_locked(now);
  }
  // §6.2 / RFC 6749 §5.1: access_token, token_type, expires_in; no-store and no-cache.
  HttpResponse r = no_store(json_response(
      200, Json{{"access_token", *token}, {"token_type", "Bearer"}, {"expires_in", config_.token_ttl_seconds}}));
  r.headers.emplace_back("Pragma", "no-cache");
  return r;
}

HttpResponse Oid4vciIssuer::nonce(UnixSeconds now) {
  // §7.2: c_nonce REQUIRED; "New challenge values MUST be unpredictable" (256 random bits).
  auto nonce = fresh_secret();
  if (!nonce.ok()) return server_error();
  {
    std::lock_guard lock(mutex_);
    prune_locked(now);
    nonces_[*nonce] = now + config_.nonce_ttl_seconds;
    nonce_order_.emplace_back(now + config_.nonce_ttl_seconds, *nonce);
    prune_locked(now);
  }
  // §7.2: "the Credential Issuer MUST make the response uncacheable by adding a Cache-Control
  // header field including the value no-store".
  return no_store(json_response(200, Json{{"c_nonce", *nonce}}));
}

HttpResponse Oid4vciIssuer::credential(const CredentialRequest& request, UnixSeconds now) {
  // ---- The access token (§8.3.1.1: RFC 6750 §3) ----------------------------------------------
  std::string_view auth = trim(request.authorization);
  size_t space = auth.find(' ');
  // RFC 6750 §2.1: "Bearer" (an auth-scheme, case-insensitive: RFC 9110 §11.1) SP b64token.
  if (auth.empty() || space == std::string_view::npos || !iequals(auth.substr(0, space), "Bearer")) {
    // RFC 6750 §3.1: a request that "lacks any authentication information" gets the bare
    // challenge, with no error code in it.
    HttpResponse r = error_response(401, "invalid_token", "a Bearer access token is required");
    r.headers.emplace_back("WWW-Authenticate", "Bearer");
    return r;
  }
  std::string_view token = trim(auth.substr(space + 1));
  if (token.size() > config_.max_field_bytes || !is_b64token(token))
    return bearer_error(401, "invalid_token", "the access token is malformed");
  auto key = token_key(token);
  if (!key.ok()) return server_error();
  RedeemedOffer offer;
  {
    std::lock_guard lock(mutex_);
    prune_locked(now);
    auto it = tokens_.find(*key);
    // RFC 6750 §3.1 invalid_token: "expired, revoked, malformed, or invalid".
    if (it == tokens_.end() || it->second.expires_at <= now)
      return bearer_error(401, "invalid_token", "the access token is unknown or has expired");
    offer = it->second.offer;
  }

  // ---- The request (§8.2) --------------------------------------------------------------------
  // §8.2: an unencrypted Credential Request "MUST be set to application/json".
  std::string_view media = trim(request.content_type.substr(0, request.content_type.find(';')));
  if (!iequals(media, "application/json"))
    return error_response(400, "invalid_credential_request", "the request must be application/json");
  if (request.body.size() > config_.max_body_bytes)
    return error_response(400, "invalid_credential_request", "the request body is too large");
  Json body = Json::parse(request.body.begin(), request.body.end(), nullptr, /*allow_exceptions=*/false);
  if (body.is_discarded() || !body.is_object())
    return error_response(400, "invalid_credential_request", "the request body is not a JSON object");
  // §8.3.1.2 invalid_encryption_parameters: this issuer publishes no
  // credential_response_encryption (§12.2.4), so it cannot honour one.
  if (body.contains("credential_response_encryption"))
    return error_response(400, "invalid_encryption_parameters", "response encryption is not supported");
  // §8.2 credential_identifier: only after a Token Response with authorization_details, which
  // this issuer never returns ("It MUST NOT be used otherwise").
  if (body.contains("credential_identifier"))
    return error_response(400, "invalid_credential_request", "credential_identifier is not used by this issuer");
  auto config_id = body.find("credential_configuration_id");
  if (config_id == body.end() || !config_id->is_string())
    return error_response(400, "invalid_credential_request", "credential_configuration_id is missing");
  // §8.3.1.2 unknown_credential_configuration.
  if (*config_id != config_.credential_configuration_id)
    return error_response(400, "unknown_credential_configuration", "unknown credential configuration");
  // §6.1: the token is valid only for the credentials of its offer; RFC 6750 §3.1
  // insufficient_scope otherwise.
  if (offer.credential_configuration_id != config_.credential_configuration_id)
    return bearer_error(403, "insufficient_scope", "the access token is not valid for this credential");

  // ---- The key proof (§8.2 proofs; Appendix F) -----------------------------------------------
  auto proofs = body.find("proofs");
  auto proof = body.find("proof");
  std::string jwt;
  if (proofs != body.end() && proof != body.end())
    return error_response(400, "invalid_credential_request", "both proof and proofs are present");
  if (proofs != body.end()) {
    // §8.2: proofs "contains exactly one parameter named as the proof type", its value "a
    // non-empty array"; Appendix F: `jwt` is an array of JWTs.
    if (!proofs->is_object() || proofs->size() != 1) return error_response(400, "invalid_proof", "proofs must hold exactly one proof type");
    auto jwts = proofs->find("jwt");
    if (jwts == proofs->end()) return error_response(400, "invalid_proof", "only the jwt proof type is supported");
    if (!jwts->is_array() || jwts->empty()) return error_response(400, "invalid_proof", "proofs.jwt must be a non-empty array");
    // §12.2.4 batch_credential_issuance is not published: one key, one credential (and one phone
    // per holder).
    if (jwts->size() != 1) return error_response(400, "invalid_proof", "batch issuance is not supported: send one proof");
    if (!(*jwts)[0].is_string()) return error_response(400, "invalid_proof", "proofs.jwt holds a non-string");
    jwt = (*jwts)[0].get<std::string>();
  } else if (proof != body.end()) {
    // Named leniency: the single `proof` object of the drafts before 1.0
    // ({"proof_type": "jwt", "jwt": "..."}), which wallets in the field still send.
    if (!proof->is_object()) return error_response(400, "invalid_proof", "proof must be an object");
    auto type = proof->find("proof_type");
    auto value = proof->find("jwt");
    if (type == proof->end() || *type != "jwt") return error_response(400, "invalid_proof", "only the jwt proof type is supported");
    if (value == proof->end() || !value->is_string()) return error_response(400, "invalid_proof", "proof.jwt is missing");
    jwt = value->get<std::string>();
  } else {
    // §8.3.1.2 invalid_proof (1): "if the field is missing" (proof_types_supported is published,
    // so proofs MUST be present, §8.2).
    return error_response(400, "invalid_proof", "the key proof is missing");
  }
  auto verified = verify_proof_jwt(jwt, config_, now);
  if (!verified.ok()) return error_response(400, "invalid_proof", verified.error().context);
  Bytes device_key = device_key_bytes(verified->key);

  {
    std::lock_guard lock(mutex_);
    prune_locked(now);
    // F.4: "the nonce in the key proof matches the server-provided c_nonce value"; single use:
    // the nonce goes now, whatever follows (§13.8: replay of a key proof). §8.3.1.2
    // invalid_nonce: the wallet fetches a new c_nonce from the nonce endpoint (1.0 returns no
    // nonce in the error body; §7 is the one source of c_nonces).
    auto n = nonces_.find(verified->nonce);
    if (n == nonces_.end() || n->second <= now)
      return error_response(400, "invalid_nonce", "the c_nonce is unknown, used or expired: get a new one from the nonce endpoint");
    nonces_.erase(n);
    // The token may have expired while the proof was checked.
    auto t = tokens_.find(*key);
    if (t == tokens_.end() || t->second.expires_at <= now)
      return bearer_error(401, "invalid_token", "the access token is unknown or has expired");
    // One token, one device key (offer_backend.h): a retry with the same key goes on (the
    // backend returns the same credential); another key is refused before the backend runs.
    if (t->second.bound_key && !equal_bytes(*t->second.bound_key, device_key))
      return error_response(400, "credential_request_denied", "this access token was already used with another key");
    t->second.bound_key = device_key;
  }

  auto credential = backend_.issue(offer, device_key, now);
  if (!credential.ok()) {
    // §8.3.1.2 credential_request_denied: a rule refuses it now (card lost, expired, ...). The
    // reason stays in the server's records, not on the wire.
    if (credential.error().code == ErrorCode::kRefused)
      return error_response(400, "credential_request_denied", "the credential request was refused");
    return server_error();
  }
  // §8.3 and Appendix A.2.4: 200, credentials[].credential = base64url(CBOR IssuerSigned).
  return no_store(json_response(200, Json{{"credentials", Json::array({Json{{"credential", base64url_encode(*credential)}}})}}));
}

std::string Oid4vciIssuer::credential_offer_uri(std::string_view pre_authorized_code, int tx_code_length) const {
  // §4.1.1 Credential Offer Parameters; tx_code with input_mode numeric and its length.
  Json offer = {
      {"credential_issuer", config_.credential_issuer},
      {"credential_configuration_ids", Json::array({config_.credential_configuration_id})},
      {"grants",
       Json{{kPreAuthorizedCodeGrant,
             Json{{"pre-authorized_code", std::string(pre_authorized_code)},
                  {"tx_code", Json{{"input_mode", "numeric"}, {"length", tx_code_length}}}}}}},
  };
  // §4.1 and §12.1.1: the wallet's custom scheme, the offer by value in credential_offer.
  return "openid-credential-offer://?credential_offer=" + percent_encode(offer.dump());
}

}  // namespace idtap::issue
