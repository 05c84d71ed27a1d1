// tests/issue/oid4vci_fixture.h: what the OpenID4VCI protocol tests share: an issuer over an
// in-memory OfferBackend holding one offer, a wallet that signs jwt key proofs, and the check of
// an OAuth-style error response.
#pragma once

#include <doctest/doctest.h>

#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "idtap/issue/jose.h"
#include "idtap/issue/oid4vci.h"
#include "idtap/provision/keys.h"
#include "issue/memory_offer_backend.h"

namespace idtap::issue::testing {

using Json = nlohmann::json;

constexpr UnixSeconds kNow = 1767225600;  // 2026-01-01T00:00:00Z
constexpr const char* kIssuer = "https://id.example.go.kr";
constexpr const char* kConfigId = "kr.go.mois.residentid.1";

// body_of: the response body as JSON (required to parse).
inline Json body_of(const HttpResponse& r) {
  Json j = Json::parse(r.body, nullptr, false);
  REQUIRE_FALSE(j.is_discarded());
  return j;
}

// header_or_empty: the value of header `name`, or "" without one.
inline std::string header_or_empty(const HttpResponse& r, const char* name) {
  const std::string* v = r.header(name);
  return v ? *v : std::string();
}

// check_error: the response is `status` with {"error": error}, uncacheable, and its
// error_description holds only the characters RFC 6749 §5.2 allows.
inline void check_error(const HttpResponse& r, int status, const char* error) {
  CHECK(r.status == status);
  Json j = body_of(r);
  CHECK(j.value("error", "") == error);
  CHECK(header_or_empty(r, "Cache-Control") == "no-store");
  std::string d = j.value("error_description", "");
  for (char c : d) CHECK((c >= 0x20 && c <= 0x7E && c != '"' && c != '\\'));
}

// Wallet: a phone's key and the proofs it signs.
struct Wallet {
  provision::EcPrivateKey key = provision::EcPrivateKey::generate().value();

  Json header() const { return Json{{"typ", kProofTyp}, {"alg", "ES256"}, {"jwk", p256_public_jwk(key.public_key())}}; }
  Json claims(const std::string& nonce, UnixSeconds iat = kNow) const {
    return Json{{"aud", kIssuer}, {"iat", iat}, {"nonce", nonce}};
  }
  std::string sign(const Json& header, const Json& claims) const { return sign_es256(header, claims, key).value(); }
  std::string proof(const std::string& nonce, UnixSeconds iat = kNow) const { return sign(header(), claims(nonce, iat)); }
  Bytes device_key() const {
    Bytes out{0x04};
    append(out, key.public_key().x());
    append(out, key.public_key().y());
    return out;
  }
};

// proofs_body: a credential request body with one jwt proof (§8.2 proofs).
inline std::string proofs_body(const std::string& jwt) {
  return Json{{"credential_configuration_id", kConfigId}, {"proofs", Json{{"jwt", Json::array({jwt})}}}}.dump();
}

// Fixture: an issuer over a backend holding one offer ("code-1", tx_code "493536").
struct Fixture {
  MemoryOfferBackend backend;
  std::unique_ptr<Oid4vciIssuer> issuer;

  explicit Fixture(Oid4vciConfig config = {}) {
    if (config.credential_issuer.empty()) config.credential_issuer = kIssuer;
    issuer = Oid4vciIssuer::create(config, backend).value();
    backend.add_offer("code-1", "493536", kNow + 600);
  }

  std::string token(const std::string& code = "code-1", const std::string& tx = "493536") {
    HttpResponse r = issuer->token({{"grant_type", kPreAuthorizedCodeGrant}, {"pre-authorized_code", code}, {"tx_code", tx}}, kNow);
    REQUIRE(r.status == 200);
    return body_of(r)["access_token"].get<std::string>();
  }
  std::string nonce(UnixSeconds now = kNow) {
    HttpResponse r = issuer->nonce(now);
    REQUIRE(r.status == 200);
    return body_of(r)["c_nonce"].get<std::string>();
  }
  HttpResponse credential(const std::string& token, const std::string& body, UnixSeconds now = kNow) {
    std::string auth = "Bearer " + token;
    return issuer->credential(CredentialRequest{auth, "application/json", body}, now);
  }
};

}  // namespace idtap::issue::testing
