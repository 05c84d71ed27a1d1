// idtap/issue/oid4vci.h: the OpenID for Verifiable Credential Issuance 1.0 (final) protocol
// state of idtap's credential issuer, without sockets: the metadata documents, the token
// endpoint (Pre-Authorized Code grant), the nonce endpoint and the credential endpoint with its
// `jwt` key proofs, for one `mso_mdoc` credential configuration. Each method takes the parsed
// parts of one HTTP request and returns the whole HTTP response (status, JSON body, headers), so
// the HTTP binding (`idtap serve`) only moves bytes.
//
// The object holds only short-lived state (access tokens, c_nonces) in memory; pending offers and
// issuance go through an OfferBackend (idtap/issue/offer_backend.h). Thread-safe: the server
// calls it from many threads at once; no lock is held while the backend runs.
//
// Clause numbers are those of OpenID4VCI 1.0 (final, 2025): §6 Token Endpoint, §7 Nonce
// Endpoint, §8 Credential Endpoint, §12.2.4 Credential Issuer Metadata Parameters, §12.3
// Authorization Server Metadata, Appendix A.2 (mso_mdoc), Appendix F.1 / F.4 (jwt proofs).
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "idtap/base/bytes.h"
#include "idtap/base/date.h"
#include "idtap/base/result.h"
#include "idtap/issue/offer_backend.h"
#include "idtap/provision/mapping.h"

namespace idtap::issue {

// kPreAuthorizedCodeGrant: the grant type of OpenID4VCI 1.0 §4.1.1 / §6.1.
inline constexpr const char* kPreAuthorizedCodeGrant = "urn:ietf:params:oauth:grant-type:pre-authorized_code";
// kProofTyp: the explicit type of a jwt key proof (Appendix F.1, RFC 8725 §3.11).
inline constexpr const char* kProofTyp = "openid4vci-proof+jwt";

// CredentialDisplay: one display entry of the credential configuration (§12.2.4 display).
struct CredentialDisplay {
  std::string name;
  std::string locale;  // a BCP 47 tag, "ko-KR"
};

// Oid4vciConfig: what the issuer publishes and how long its state lives.
struct Oid4vciConfig {
  // credential_issuer: the Credential Issuer Identifier (§12.2.1): an https URL with no query
  // or fragment and no trailing '/'; http is accepted for a loopback host only (127.0.0.1,
  // [::1], localhost), for tests and `idtap serve` on loopback. The endpoints are this URL plus
  // "/token", "/nonce", "/credential".
  std::string credential_issuer;
  // credential_configuration_id: the key of the one credential_configurations_supported entry.
  std::string credential_configuration_id = "kr.go.mois.residentid.1";
  // doctype: the ISO 18013-5 doc type of the mso_mdoc configuration (Appendix A.2.2); the
  // default is lib/provision's resident ID mapping.
  std::string doctype = provision::kResidentIdDocType;
  std::vector<CredentialDisplay> display = {{"모바일 주민등록증", "ko-KR"},
                                            {"Mobile Resident Registration Card", "en-US"}};
  int64_t token_ttl_seconds = 300;   // access tokens
  int64_t nonce_ttl_seconds = 300;   // c_nonces
  int64_t iat_max_age_seconds = 300; // a proof's iat may be at most this old ...
  int64_t iat_max_skew_seconds = 60; // ... and at most this far in the future (clock skew)
  size_t max_live_tokens = 100000;   // memory bounds: the oldest entry goes first when full
  size_t max_live_nonces = 100000;
  size_t max_body_bytes = 65536;     // a credential request body
  size_t max_jwt_bytes = 8192;       // one key proof
  size_t max_field_bytes = 1024;     // one token-request field, one bearer token
};

// HttpResponse: what the binding sends. `body` is JSON (application/json;charset=UTF-8 is the
// content type of every response here); `headers` come in addition to Content-Type.
struct HttpResponse {
  int status = 200;
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;

  // HttpResponse::header: the value of header `name` (case-insensitive), nullptr if absent.
  const std::string* header(std::string_view name) const;
};

// kJsonContentType: the Content-Type of every response body here.
inline constexpr const char* kJsonContentType = "application/json;charset=UTF-8";

// FormFields: a decoded application/x-www-form-urlencoded body, in order, repeats kept (so a
// repeated parameter can be refused, RFC 6749 §3.2).
using FormFields = std::vector<std::pair<std::string, std::string>>;

// CredentialRequest: the parts of a POST to the credential endpoint the protocol reads.
struct CredentialRequest {
  std::string_view authorization;  // the Authorization header value ("" when absent)
  std::string_view content_type;   // the Content-Type header value ("" when absent)
  std::string_view body;
};

// EndpointPaths: the request paths (the issuer URL's path prefix included) the binding routes.
struct EndpointPaths {
  std::string credential_issuer_metadata;    // "/.well-known/openid-credential-issuer[/path]"
  std::string authorization_server_metadata; // "/.well-known/oauth-authorization-server[/path]"
  std::string token;
  std::string nonce;
  std::string credential;
};

// Oid4vciIssuer: the protocol state. Not copyable or movable (it owns a mutex and is shared by
// the server's threads); the backend must outlive it.
class Oid4vciIssuer {
 public:
  // Oid4vciIssuer::create: kInvalidArgument naming the field for a bad configuration (an issuer
  // URL that is not https, or http on a non-loopback host, with a query, fragment or trailing
  // '/'; an empty id or doc type; a TTL or limit of zero or less).
  static Result<std::unique_ptr<Oid4vciIssuer>> create(Oid4vciConfig config, OfferBackend& backend);

  Oid4vciIssuer(const Oid4vciIssuer&) = delete;
  Oid4vciIssuer& operator=(const Oid4vciIssuer&) = delete;

  const Oid4vciConfig& config() const { return config_; }
  // Oid4vciIssuer::paths: where each endpoint lives (§12.2.2 well-known insertion, RFC 8414 §3).
  const EndpointPaths& paths() const { return paths_; }

  // Oid4vciIssuer::credential_issuer_metadata: GET /.well-known/openid-credential-issuer
  // (§12.2.2, §12.2.4, Appendix A.2.2). Always 200.
  HttpResponse credential_issuer_metadata() const;
  // Oid4vciIssuer::authorization_server_metadata: GET /.well-known/oauth-authorization-server
  // (RFC 8414 §2-3, OpenID4VCI §12.3). Always 200.
  HttpResponse authorization_server_metadata() const;

  // Oid4vciIssuer::token: POST /token with the decoded form (§6, RFC 6749 §4.1.3 / §5). 200 with
  // a fresh opaque Bearer token bound to the redeemed offer; 400 invalid_request /
  // unsupported_grant_type / invalid_grant; 500 server_error when the backend fails.
  HttpResponse token(const FormFields& form, UnixSeconds now);

  // Oid4vciIssuer::nonce: POST /nonce (§7): 200 with a fresh single-use c_nonce, no-store.
  HttpResponse nonce(UnixSeconds now);

  // Oid4vciIssuer::credential: POST /credential (§8): checks the Bearer token (RFC 6750), the
  // request and its one jwt key proof (Appendix F.1, F.4), then runs OfferBackend::issue with
  // the proof's key. 200 {"credentials":[{"credential":"<base64url IssuerSigned>"}]}; 401
  // invalid_token; 403 insufficient_scope; 400 invalid_credential_request /
  // unknown_credential_configuration / invalid_proof / invalid_nonce /
  // invalid_encryption_parameters / credential_request_denied; 500 server_error. The backend is
  // called only for a request that passed every check.
  HttpResponse credential(const CredentialRequest& request, UnixSeconds now);

  // Oid4vciIssuer::credential_offer_uri: the openid-credential-offer:// URI of an offer by value
  // (§4.1, §4.1.1): this issuer, this configuration, the pre-authorized code and a tx_code
  // object (input_mode numeric, `tx_code_length` digits).
  std::string credential_offer_uri(std::string_view pre_authorized_code, int tx_code_length = 6) const;

  // Oid4vciIssuer::live_tokens / live_nonces: the entries held now (for tests and metrics).
  size_t live_tokens() const;
  size_t live_nonces() const;

 private:
  Oid4vciIssuer(Oid4vciConfig config, EndpointPaths paths, OfferBackend& backend);

  // Token: the state behind one access token (stored under the token's SHA-256, never the
  // token itself).
  struct Token {
    RedeemedOffer offer;
    UnixSeconds expires_at = 0;
    std::optional<Bytes> bound_key;  // the device key of the first accepted proof
  };
  // prune_locked: drops expired tokens and nonces (mutex_ held).
  void prune_locked(UnixSeconds now);

  const Oid4vciConfig config_;
  const EndpointPaths paths_;
  OfferBackend& backend_;
  std::string metadata_body_;
  std::string as_metadata_body_;

  mutable std::mutex mutex_;
  std::unordered_map<std::string, Token> tokens_;        // key: SHA-256(token), raw bytes
  std::deque<std::pair<UnixSeconds, std::string>> token_order_;
  std::unordered_map<std::string, UnixSeconds> nonces_;  // c_nonce -> expiry
  std::deque<std::pair<UnixSeconds, std::string>> nonce_order_;
};

}  // namespace idtap::issue
