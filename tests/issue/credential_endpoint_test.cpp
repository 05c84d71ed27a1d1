// tests/issue/credential_endpoint_test.cpp: the credential endpoint of the OpenID4VCI 1.0
// protocol state (lib/issue/oid4vci.h, key proofs in lib/issue/key_proof.cpp) over an in-memory
// OfferBackend: the happy path, idempotence, the backend's refusals, the access token, and a
// table of hostile requests, each answered with its spec error and none reaching
// OfferBackend::issue.
#include "idtap/issue/oid4vci.h"

#include <doctest/doctest.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>

#include <functional>
#include <map>
#include <string>
#include <utility>

#include "idtap/crypto/ossl_ptr.h"
#include "idtap/crypto/pkey.h"
#include "issue/oid4vci_fixture.h"

using namespace idtap;
using namespace idtap::issue;
using namespace idtap::issue::testing;

TEST_CASE("credential endpoint: a valid request gets the backend's IssuerSigned, base64url, bound to the proof's key (§8.3)") {
  Fixture f;
  Wallet w;
  std::string token = f.token();
  HttpResponse r = f.credential(token, proofs_body(w.proof(f.nonce())));
  REQUIRE(r.status == 200);
  CHECK(header_or_empty(r, "Cache-Control") == "no-store");
  Json j = body_of(r);
  REQUIRE(j["credentials"].size() == 1);
  auto credential = base64url_decode(j["credentials"][0]["credential"].get<std::string>());
  REQUIRE(credential.ok());
  Bytes expected = bytes_of("IssuerSigned(offer-1)");
  append(expected, w.device_key());
  CHECK(*credential == expected);
  CHECK(f.backend.issue_calls == 1);
  CHECK(f.issuer->live_nonces() == 0);  // the c_nonce was used up

  // The HTTP binding may pass "bearer" in any case and a charset on the media type.
  f.backend.add_offer("code-2", "111111", kNow + 600);
  std::string token2 = f.token("code-2", "111111");
  std::string auth = "BEARER " + token2;
  Wallet w2;
  std::string body = proofs_body(w2.proof(f.nonce()));
  HttpResponse r2 = f.issuer->credential(CredentialRequest{auth, "application/json; charset=utf-8", body}, kNow);
  CHECK(r2.status == 200);
}

TEST_CASE("credential endpoint: the single `proof` object of pre-1.0 wallets is accepted") {
  Fixture f;
  Wallet w;
  std::string token = f.token();
  Json body = {{"credential_configuration_id", kConfigId}, {"proof", Json{{"proof_type", "jwt"}, {"jwt", w.proof(f.nonce())}}}};
  HttpResponse r = f.credential(token, body.dump());
  CHECK(r.status == 200);
  CHECK(f.backend.issue_calls == 1);
}

TEST_CASE("credential endpoint: a retry after a lost response (same token, same key) gets the same credential") {
  Fixture f;
  Wallet w;
  std::string token = f.token();
  HttpResponse first = f.credential(token, proofs_body(w.proof(f.nonce())));
  REQUIRE(first.status == 200);
  HttpResponse again = f.credential(token, proofs_body(w.proof(f.nonce())));
  REQUIRE(again.status == 200);
  CHECK(body_of(again)["credentials"] == body_of(first)["credentials"]);
  CHECK(f.backend.issue_calls == 2);
  // Another key with the same token is refused before the backend runs.
  Wallet thief;
  check_error(f.credential(token, proofs_body(thief.proof(f.nonce()))), 400, "credential_request_denied");
  CHECK(f.backend.issue_calls == 2);
}

TEST_CASE("credential endpoint: the backend's refusal is credential_request_denied, its fault a bare server_error") {
  Fixture f;
  Wallet w;
  std::string token = f.token();
  f.backend.refuse_issue = true;
  HttpResponse denied = f.credential(token, proofs_body(w.proof(f.nonce())));
  check_error(denied, 400, "credential_request_denied");
  CHECK(denied.body.find("123456") == std::string::npos);  // the reason stays off the wire
  CHECK(denied.body.find("lost") == std::string::npos);
  f.backend.refuse_issue = false;
  f.backend.fail_issue = true;
  HttpResponse fault = f.credential(token, proofs_body(w.proof(f.nonce())));
  check_error(fault, 500, "server_error");
  CHECK(fault.body.find("SQLITE") == std::string::npos);
  CHECK(fault.body.find("/var") == std::string::npos);
  // Once the backend recovers, the same wallet gets its credential.
  f.backend.fail_issue = false;
  CHECK(f.credential(token, proofs_body(w.proof(f.nonce()))).status == 200);
}

TEST_CASE("credential endpoint: a token for another configuration's offer is insufficient_scope (RFC 6750 §3.1)") {
  Fixture f;
  f.backend.add_offer("code-other", "777777", kNow + 600, "org.iso.18013.5.1.mDL");
  std::string token = f.token("code-other", "777777");
  Wallet w;
  HttpResponse r = f.credential(token, proofs_body(w.proof(f.nonce())));
  check_error(r, 403, "insufficient_scope");
  CHECK(header_or_empty(r, "WWW-Authenticate").starts_with("Bearer error=\"insufficient_scope\""));
  CHECK(f.backend.issue_calls == 0);
}

TEST_CASE("credential endpoint: the access token (RFC 6750 §3.1)") {
  Fixture f;
  Wallet w;
  std::string token = f.token();
  auto request = [&](std::string auth, UnixSeconds now = kNow) {
    std::string body = proofs_body(w.proof(f.nonce(now), now));
    return f.issuer->credential(CredentialRequest{auth, "application/json", body}, now);
  };
  // No authentication information at all: 401 and the bare challenge.
  for (const char* auth : {"", "Basic dXNlcjpwYXNz", "DPoP abc", "Bearer", "Bearer "}) {
    CAPTURE(auth);
    HttpResponse r = request(auth);
    check_error(r, 401, "invalid_token");
    CHECK(header_or_empty(r, "WWW-Authenticate").starts_with("Bearer"));
  }
  // Unknown, malformed, oversized, expired: invalid_token in the challenge.
  const std::pair<std::string, UnixSeconds> table[] = {
      {"Bearer " + base64url_encode(Bytes(32, 7)), kNow},         // unknown token
      {"Bearer " + token + "x", kNow},                            // a token with one more character
      {"Bearer tok en", kNow},                                    // not a b64token
      {"Bearer " + std::string(2000, 'A'), kNow},                 // oversized
  };
  for (const auto& [auth, now] : table) {
    CAPTURE(auth.substr(0, 60));
    HttpResponse r = request(auth, now);
    check_error(r, 401, "invalid_token");
    CHECK(header_or_empty(r, "WWW-Authenticate").starts_with("Bearer error=\"invalid_token\""));
  }
  CHECK(f.backend.issue_calls == 0);
  CHECK(request("Bearer " + token, kNow + 299).status == 200);
  // Expired (TTL 300 s).
  HttpResponse expired = request("Bearer " + token, kNow + 300);
  check_error(expired, 401, "invalid_token");
  CHECK(header_or_empty(expired, "WWW-Authenticate").starts_with("Bearer error=\"invalid_token\""));
  CHECK(f.backend.issue_calls == 1);
}

namespace {

// P384Signer: a real P-384 key and its ES384 signatures (for the "another curve" case).
struct P384Signer {
  crypto::EvpPkeyPtr key{EVP_EC_gen("P-384")};

  Json jwk() const {
    unsigned char point[97];
    size_t n = 0;
    REQUIRE(EVP_PKEY_get_octet_string_param(key.get(), OSSL_PKEY_PARAM_PUB_KEY, point, sizeof point, &n) == 1);
    REQUIRE(n == 97);
    return Json{{"kty", "EC"}, {"crv", "P-384"}, {"x", base64url_encode(ByteView(point + 1, 48))},
                {"y", base64url_encode(ByteView(point + 49, 48))}};
  }
  std::string sign(Json header, const Json& claims) const {
    header["alg"] = "ES384";
    std::string input = base64url_encode(bytes_of(header.dump())) + "." + base64url_encode(bytes_of(claims.dump()));
    crypto::EvpMdCtxPtr ctx(EVP_MD_CTX_new());
    size_t len = 0;
    REQUIRE(EVP_DigestSignInit(ctx.get(), nullptr, EVP_sha384(), nullptr, key.get()) == 1);
    REQUIRE(EVP_DigestSign(ctx.get(), nullptr, &len, reinterpret_cast<const unsigned char*>(input.data()), input.size()) == 1);
    Bytes der(len);
    REQUIRE(EVP_DigestSign(ctx.get(), der.data(), &len, reinterpret_cast<const unsigned char*>(input.data()), input.size()) == 1);
    der.resize(len);
    return input + "." + base64url_encode(crypto::ecdsa_der_to_plain(der, 48).value());
  }
};

std::string unsigned_jwt(const Json& header, const Json& claims, std::string_view signature_b64) {
  return base64url_encode(bytes_of(header.dump())) + "." + base64url_encode(bytes_of(claims.dump())) + "." +
         std::string(signature_b64);
}

}  // namespace

TEST_CASE("credential endpoint: hostile requests each get their spec error and never reach issuance") {
  Fixture f;
  Wallet w;
  P384Signer p384;
  std::string token = f.token();
  std::string consumed = f.nonce();
  REQUIRE(f.credential(token, proofs_body(w.proof(consumed))).status == 200);  // uses `consumed` up
  const int issued_before = f.backend.issue_calls;

  // Each case builds its request body from a live c_nonce `n`.
  using Build = std::function<std::string(const std::string& n)>;
  auto proof_with = [&](std::function<void(Json& header, Json& claims)> mutate) -> Build {
    return [&, mutate](const std::string& n) {
      Json h = w.header(), c = w.claims(n);
      mutate(h, c);
      return proofs_body(w.sign(h, c));
    };
  };
  Json jwk_with_d = p256_public_jwk(w.key.public_key());
  jwk_with_d["d"] = base64url_encode(Bytes(32, 0x5a));
  struct Case {
    const char* what;
    Build body;
    const char* error;
    std::string content_type = "application/json";
  };
  const Case table[] = {
      // Appendix F.1 typ
      {"bad typ", proof_with([](Json& h, Json&) { h["typ"] = "JWT"; }), "invalid_proof"},
      {"missing typ", proof_with([](Json& h, Json&) { h.erase("typ"); }), "invalid_proof"},
      // F.1 aud
      {"wrong aud", proof_with([](Json&, Json& c) { c["aud"] = "https://evil.example"; }), "invalid_proof"},
      {"aud with a trailing slash", proof_with([](Json&, Json& c) { c["aud"] = std::string(kIssuer) + "/"; }), "invalid_proof"},
      {"missing aud", proof_with([](Json&, Json& c) { c.erase("aud"); }), "invalid_proof"},
      // F.1 iat, F.4 window
      {"stale iat", proof_with([](Json&, Json& c) { c["iat"] = kNow - 301; }), "invalid_proof"},
      {"future iat", proof_with([](Json&, Json& c) { c["iat"] = kNow + 61; }), "invalid_proof"},
      {"missing iat", proof_with([](Json&, Json& c) { c.erase("iat"); }), "invalid_proof"},
      {"iat a string", proof_with([](Json&, Json& c) { c["iat"] = std::to_string(kNow); }), "invalid_proof"},
      {"expired exp", proof_with([](Json&, Json& c) { c["exp"] = kNow - 1; }), "invalid_proof"},
      // F.1 nonce / §8.3.1.2
      {"missing nonce", proof_with([](Json&, Json& c) { c.erase("nonce"); }), "invalid_proof"},
      {"nonce a number", proof_with([](Json&, Json& c) { c["nonce"] = 7; }), "invalid_proof"},
      {"reused nonce", [&](const std::string&) { return proofs_body(w.proof(consumed)); }, "invalid_nonce"},
      {"unknown nonce", [&](const std::string&) { return proofs_body(w.proof(base64url_encode(Bytes(32, 1)))); }, "invalid_nonce"},
      // F.4 signature
      {"bad signature",
       [&](const std::string& n) {
         std::string jwt = w.proof(n);
         jwt[jwt.size() - 5] = jwt[jwt.size() - 5] == 'A' ? 'B' : 'A';
         return proofs_body(jwt);
       },
       "invalid_proof"},
      {"signed by another key than the jwk",
       [&](const std::string& n) {
         Wallet other;
         return proofs_body(other.sign(w.header(), w.claims(n)));
       },
       "invalid_proof"},
      // F.1 alg, F.4 alg, the jwk
      {"another curve (P-384, ES384)",
       [&](const std::string& n) {
         Json h = {{"typ", kProofTyp}, {"jwk", p384.jwk()}};
         return proofs_body(p384.sign(h, w.claims(n)));
       },
       "invalid_proof"},
      {"alg none",
       [&](const std::string& n) {
         Json h = w.header();
         h["alg"] = "none";
         return proofs_body(unsigned_jwt(h, w.claims(n), ""));
       },
       "invalid_proof"},
      {"alg none with a signature part",
       [&](const std::string& n) {
         Json h = w.header();
         h["alg"] = "none";
         return proofs_body(unsigned_jwt(h, w.claims(n), "AAAA"));
       },
       "invalid_proof"},
      {"alg HS256",
       [&](const std::string& n) {
         Json h = w.header();
         h["alg"] = "HS256";
         return proofs_body(unsigned_jwt(h, w.claims(n), base64url_encode(Bytes(32, 9))));
       },
       "invalid_proof"},
      {"jwk with d", proof_with([&](Json& h, Json&) { h["jwk"] = jwk_with_d; }), "invalid_proof"},
      {"missing jwk", proof_with([](Json& h, Json&) { h.erase("jwk"); }), "invalid_proof"},
      {"kid beside jwk", proof_with([](Json& h, Json&) { h["kid"] = "did:example:123#0"; }), "invalid_proof"},
      {"x5c beside jwk", proof_with([](Json& h, Json&) { h["x5c"] = Json::array({"MIIB"}); }), "invalid_proof"},
      {"crit header", proof_with([](Json& h, Json&) { h["crit"] = Json::array({"exp"}); }), "invalid_proof"},
      {"not a JWS", [](const std::string&) { return proofs_body("eyJhbGciOiJFUzI1NiJ9.e30"); }, "invalid_proof"},
      {"oversized proof", [](const std::string&) { return proofs_body(std::string(9000, 'A')); }, "invalid_proof"},
      // §8.2 proofs / §8.3.1.2 invalid_proof (1)
      {"missing proof", [](const std::string&) { return Json{{"credential_configuration_id", kConfigId}}.dump(); }, "invalid_proof"},
      {"proofs.jwt empty",
       [](const std::string&) {
         return Json{{"credential_configuration_id", kConfigId}, {"proofs", Json{{"jwt", Json::array()}}}}.dump();
       },
       "invalid_proof"},
      {"two proofs (batch not offered)",
       [&](const std::string& n) {
         return Json{{"credential_configuration_id", kConfigId}, {"proofs", Json{{"jwt", Json::array({w.proof(n), w.proof(n)})}}}}.dump();
       },
       "invalid_proof"},
      {"two proof types",
       [&](const std::string& n) {
         return Json{{"credential_configuration_id", kConfigId},
                     {"proofs", Json{{"jwt", Json::array({w.proof(n)})}, {"attestation", Json::array({"x"})}}}}
             .dump();
       },
       "invalid_proof"},
      {"di_vp proof type",
       [](const std::string&) {
         return Json{{"credential_configuration_id", kConfigId}, {"proofs", Json{{"di_vp", Json::array({Json::object()})}}}}.dump();
       },
       "invalid_proof"},
      {"legacy proof of another type",
       [&](const std::string& n) {
         return Json{{"credential_configuration_id", kConfigId}, {"proof", Json{{"proof_type", "cwt"}, {"jwt", w.proof(n)}}}}.dump();
       },
       "invalid_proof"},
      {"both proof and proofs",
       [&](const std::string& n) {
         return Json{{"credential_configuration_id", kConfigId},
                     {"proofs", Json{{"jwt", Json::array({w.proof(n)})}}},
                     {"proof", Json{{"proof_type", "jwt"}, {"jwt", w.proof(n)}}}}
             .dump();
       },
       "invalid_credential_request"},
      // §8.2 the request itself
      {"malformed JSON", [](const std::string&) { return std::string("{\"credential_configuration_id\": "); }, "invalid_credential_request"},
      {"JSON array body", [](const std::string&) { return std::string("[]"); }, "invalid_credential_request"},
      {"empty body", [](const std::string&) { return std::string(); }, "invalid_credential_request"},
      {"oversized body",
       [&](const std::string& n) {
         Json b = Json::parse(proofs_body(w.proof(n)));
         b["padding"] = std::string(70000, 'p');
         return b.dump();
       },
       "invalid_credential_request"},
      {"deeply nested JSON (30000 levels, under the size limit)",
       [](const std::string&) { return "{\"x\":" + std::string(30000, '[') + std::string(30000, ']') + "}"; },
       "invalid_credential_request"},
      {"missing credential_configuration_id",
       [&](const std::string& n) { return Json{{"proofs", Json{{"jwt", Json::array({w.proof(n)})}}}}.dump(); },
       "invalid_credential_request"},
      {"unknown credential_configuration_id",
       [&](const std::string& n) {
         return Json{{"credential_configuration_id", "org.iso.18013.5.1.mDL"}, {"proofs", Json{{"jwt", Json::array({w.proof(n)})}}}}.dump();
       },
       "unknown_credential_configuration"},
      {"credential_identifier",
       [&](const std::string& n) {
         Json b = Json::parse(proofs_body(w.proof(n)));
         b["credential_identifier"] = "x";
         return b.dump();
       },
       "invalid_credential_request"},
      {"credential_response_encryption",
       [&](const std::string& n) {
         Json b = Json::parse(proofs_body(w.proof(n)));
         b["credential_response_encryption"] = Json{{"enc", "A256GCM"}};
         return b.dump();
       },
       "invalid_encryption_parameters"},
      {"form-encoded body", [&](const std::string& n) { return proofs_body(w.proof(n)); }, "invalid_credential_request",
       "application/x-www-form-urlencoded"},
      {"no content type", [&](const std::string& n) { return proofs_body(w.proof(n)); }, "invalid_credential_request", ""},
  };
  const std::map<std::string, std::string> kReason = {
      {"bad typ", "typ"}, {"missing typ", "typ"}, {"wrong aud", "aud is not"}, {"aud with a trailing slash", "aud is not"},
      {"missing aud", "without an aud"}, {"stale iat", "too old"}, {"future iat", "in the future"},
      {"missing iat", "without iat"}, {"iat a string", "iat is not a number"}, {"expired exp", "exp"},
      {"missing nonce", "without a nonce"}, {"nonce a number", "nonce is not a string"}, {"reused nonce", "c_nonce"},
      {"unknown nonce", "c_nonce"}, {"bad signature", "does not verify"}, {"signed by another key than the jwk", "does not verify"},
      {"another curve (P-384, ES384)", "ES384"}, {"alg none", "empty part"}, {"alg none with a signature part", "alg none"},
      {"alg HS256", "HS256"}, {"jwk with d", "private key"}, {"missing jwk", "without a jwk"}, {"kid beside jwk", "kid"},
      {"x5c beside jwk", "x5c"}, {"crit header", "crit"}, {"not a JWS", "three"}, {"oversized proof", "at most 8192"},
      {"missing proof", "missing"}, {"proofs.jwt empty", "non-empty"}, {"two proofs (batch not offered)", "batch"},
      {"two proof types", "exactly one"}, {"di_vp proof type", "only the jwt"}, {"legacy proof of another type", "only the jwt"},
      {"both proof and proofs", "both"}, {"malformed JSON", "not a JSON object"}, {"JSON array body", "not a JSON object"},
      {"empty body", "not a JSON object"}, {"oversized body", "too large"},
      {"deeply nested JSON (30000 levels, under the size limit)", "credential_configuration_id"},
      {"missing credential_configuration_id", "credential_configuration_id"}, {"unknown credential_configuration_id", "unknown"},
      {"credential_identifier", "credential_identifier"}, {"credential_response_encryption", "encryption"},
      {"form-encoded body", "application/json"}, {"no content type", "application/json"},
  };
  for (const auto& c : table) {
    CAPTURE(c.what);
    std::string n = f.nonce();
    std::string body = c.body(n);
    std::string auth = "Bearer " + token;
    HttpResponse r = f.issuer->credential(CredentialRequest{auth, c.content_type, body}, kNow);
    check_error(r, 400, c.error);
    // ... and for the intended reason, not another one met first.
    CHECK(body_of(r).value("error_description", "").find(kReason.at(c.what)) != std::string::npos);
    CHECK(f.backend.issue_calls == issued_before);
  }

  // The token used twice with two keys: the second key is refused, never issued.
  Wallet second;
  check_error(f.credential(token, proofs_body(second.proof(f.nonce()))), 400, "credential_request_denied");
  CHECK(f.backend.issue_calls == issued_before);
  // The token's own key still works after all that.
  CHECK(f.credential(token, proofs_body(w.proof(f.nonce()))).status == 200);
}

TEST_CASE("credential endpoint: a proof's c_nonce is single use even when the proof is re-sent") {
  Oid4vciConfig config;
  config.nonce_ttl_seconds = 100;
  Fixture f(config);
  Wallet w;
  std::string token = f.token();
  std::string jwt = w.proof(f.nonce());
  CHECK(f.credential(token, proofs_body(jwt)).status == 200);
  check_error(f.credential(token, proofs_body(jwt)), 400, "invalid_nonce");
  // An expired nonce is invalid_nonce too (TTL 100 s), with an otherwise fresh proof.
  std::string old = f.nonce(kNow);
  check_error(f.credential(token, proofs_body(w.proof(old, kNow + 150)), kNow + 150), 400, "invalid_nonce");
  CHECK(f.backend.issue_calls == 1);
}
