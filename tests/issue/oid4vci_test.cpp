// tests/issue/oid4vci_test.cpp: the OpenID4VCI 1.0 protocol state (lib/issue/oid4vci.h) over an
// in-memory OfferBackend: the metadata documents, the issuer's configuration, the token and nonce
// endpoints, the credential offer URI and sharing between threads. The credential endpoint is
// tested in credential_endpoint_test.cpp.
#include "idtap/issue/oid4vci.h"

#include <doctest/doctest.h>

#include <cctype>
#include <string>
#include <thread>
#include <vector>

#include "idtap/provision/mapping.h"
#include "issue/oid4vci_fixture.h"

using namespace idtap;
using namespace idtap::issue;
using namespace idtap::issue::testing;

TEST_CASE("credential issuer metadata (§12.2.4, Appendix A.2.2) for the one mso_mdoc configuration") {
  Fixture f;
  HttpResponse r = f.issuer->credential_issuer_metadata();
  CHECK(r.status == 200);
  Json m = body_of(r);
  CHECK(m["credential_issuer"] == kIssuer);
  CHECK(m["credential_endpoint"] == std::string(kIssuer) + "/credential");
  CHECK(m["nonce_endpoint"] == std::string(kIssuer) + "/nonce");
  CHECK_FALSE(m.contains("authorization_servers"));  // the issuer is its own AS
  REQUIRE(m["credential_configurations_supported"].size() == 1);
  const Json& c = m["credential_configurations_supported"][kConfigId];
  CHECK(c["format"] == "mso_mdoc");
  CHECK(c["doctype"] == provision::kResidentIdDocType);
  CHECK(c["cryptographic_binding_methods_supported"] == Json::array({"cose_key"}));
  CHECK(c["credential_signing_alg_values_supported"] == Json::array({-7}));
  CHECK(c["proof_types_supported"] == Json{{"jwt", Json{{"proof_signing_alg_values_supported", Json::array({"ES256"})}}}});
  Json display = Json::array({Json{{"name", "모바일 주민등록증"}, {"locale", "ko-KR"}},
                              Json{{"name", "Mobile Resident Registration Card"}, {"locale", "en-US"}}});
  CHECK(c["credential_metadata"]["display"] == display);
  CHECK(c["display"] == display);
}

TEST_CASE("authorization server metadata (RFC 8414 §2, OpenID4VCI §12.3)") {
  Fixture f;
  Json m = body_of(f.issuer->authorization_server_metadata());
  CHECK(m["issuer"] == kIssuer);
  CHECK(m["token_endpoint"] == std::string(kIssuer) + "/token");
  CHECK(m["grant_types_supported"] == Json::array({kPreAuthorizedCodeGrant}));
  CHECK(m["pre-authorized_grant_anonymous_access_supported"] == true);
}

TEST_CASE("endpoint paths: well-known strings go between host and path (§12.2.2, RFC 8414 §3)") {
  MemoryOfferBackend backend;
  Oid4vciConfig config;
  config.credential_issuer = "https://id.example.go.kr/tenant";
  auto issuer = Oid4vciIssuer::create(config, backend);
  REQUIRE(issuer.ok());
  const EndpointPaths& p = (*issuer)->paths();
  CHECK(p.credential_issuer_metadata == "/.well-known/openid-credential-issuer/tenant");
  CHECK(p.authorization_server_metadata == "/.well-known/oauth-authorization-server/tenant");
  CHECK(p.token == "/tenant/token");
  CHECK(p.nonce == "/tenant/nonce");
  CHECK(p.credential == "/tenant/credential");
  Fixture f;
  CHECK(f.issuer->paths().credential_issuer_metadata == "/.well-known/openid-credential-issuer");
  CHECK(f.issuer->paths().credential == "/credential");
}

TEST_CASE("Oid4vciIssuer::create refuses a bad configuration") {
  MemoryOfferBackend backend;
  const std::pair<std::function<void(Oid4vciConfig&)>, const char*> table[] = {
      {[](Oid4vciConfig& c) { c.credential_issuer = ""; }, "empty issuer"},
      {[](Oid4vciConfig& c) { c.credential_issuer = "http://id.example.go.kr"; }, "http on a public host"},
      {[](Oid4vciConfig& c) { c.credential_issuer = "ftp://id.example.go.kr"; }, "another scheme"},
      {[](Oid4vciConfig& c) { c.credential_issuer = "https://id.example.go.kr/"; }, "trailing slash"},
      {[](Oid4vciConfig& c) { c.credential_issuer = "https://id.example.go.kr?x=1"; }, "query"},
      {[](Oid4vciConfig& c) { c.credential_issuer = "https://id.example.go.kr#f"; }, "fragment"},
      {[](Oid4vciConfig& c) { c.credential_issuer = "https://"; }, "no host"},
      {[](Oid4vciConfig& c) { c.credential_issuer = "https://u:p@id.example.go.kr"; }, "user information"},
      {[](Oid4vciConfig& c) { c.credential_issuer = "http://127.0.0.1.evil.example"; }, "loopback look-alike"},
      {[](Oid4vciConfig& c) { c.credential_configuration_id = ""; }, "empty configuration id"},
      {[](Oid4vciConfig& c) { c.doctype = ""; }, "empty doctype"},
      {[](Oid4vciConfig& c) { c.token_ttl_seconds = 0; }, "zero token TTL"},
      {[](Oid4vciConfig& c) { c.nonce_ttl_seconds = -1; }, "negative nonce TTL"},
      {[](Oid4vciConfig& c) { c.max_body_bytes = 0; }, "zero body limit"},
      {[](Oid4vciConfig& c) { c.display = {{"", "ko-KR"}}; }, "display without a name"},
  };
  for (const auto& [mutate, what] : table) {
    CAPTURE(what);
    Oid4vciConfig config;
    config.credential_issuer = kIssuer;
    mutate(config);
    auto r = Oid4vciIssuer::create(config, backend);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code == ErrorCode::kInvalidArgument);
  }
  for (const char* ok : {"http://127.0.0.1:8443", "http://localhost:1234/x", "http://[::1]:80", "https://a.example:8443/p/q"}) {
    CAPTURE(ok);
    Oid4vciConfig config;
    config.credential_issuer = ok;
    CHECK(Oid4vciIssuer::create(config, backend).ok());
  }
}

TEST_CASE("token endpoint: the pre-authorized code and tx_code give a short-lived opaque Bearer token (§6.2)") {
  Fixture f;
  HttpResponse r = f.issuer->token(
      {{"grant_type", kPreAuthorizedCodeGrant}, {"pre-authorized_code", "code-1"}, {"tx_code", "493536"}, {"client_id", "ignored"}}, kNow);
  CHECK(r.status == 200);
  CHECK(header_or_empty(r, "Cache-Control") == "no-store");
  CHECK(header_or_empty(r, "pragma") == "no-cache");
  Json j = body_of(r);
  CHECK(j["token_type"] == "Bearer");
  CHECK(j["expires_in"] == 300);
  std::string token = j["access_token"];
  auto raw = base64url_decode(token);
  REQUIRE(raw.ok());
  CHECK(raw->size() == 32);  // 256 random bits
  CHECK(token.find("code-1") == std::string::npos);
  CHECK(f.issuer->live_tokens() == 1);
  // A second offer gets a different token.
  f.backend.add_offer("code-2", "111111", kNow + 600);
  CHECK(f.token("code-2", "111111") != token);
}

TEST_CASE("token endpoint errors (§6.3, RFC 6749 §5.2)") {
  Fixture f;
  const std::string g = kPreAuthorizedCodeGrant;
  struct Case {
    FormFields form;
    const char* error;
    const char* what;
  };
  const Case table[] = {
      {{}, "invalid_request", "empty form"},
      {{{"pre-authorized_code", "code-1"}, {"tx_code", "493536"}}, "invalid_request", "grant_type missing"},
      {{{"grant_type", "authorization_code"}, {"code", "x"}}, "unsupported_grant_type", "authorization code grant"},
      {{{"grant_type", "client_credentials"}}, "unsupported_grant_type", "client credentials grant"},
      {{{"grant_type", g}, {"tx_code", "493536"}}, "invalid_request", "pre-authorized_code missing"},
      {{{"grant_type", g}, {"pre-authorized_code", ""}, {"tx_code", "493536"}}, "invalid_request", "pre-authorized_code empty"},
      {{{"grant_type", g}, {"pre-authorized_code", "code-1"}}, "invalid_request", "tx_code missing (§6.3)"},
      {{{"grant_type", g}, {"grant_type", g}, {"pre-authorized_code", "code-1"}, {"tx_code", "493536"}}, "invalid_request",
       "grant_type repeated (RFC 6749 §3.2)"},
      {{{"grant_type", g}, {"pre-authorized_code", std::string(2000, 'c')}, {"tx_code", "493536"}}, "invalid_request",
       "oversized code"},
      {{{"grant_type", g}, {"pre-authorized_code", "code-1"}, {"tx_code", "493536"}, {"authorization_details", "[]"}},
       "invalid_request", "authorization_details"},
      {{{"grant_type", g}, {"pre-authorized_code", "no-such-code"}, {"tx_code", "493536"}}, "invalid_grant", "unknown code"},
  };
  for (const auto& c : table) {
    CAPTURE(c.what);
    check_error(f.issuer->token(c.form, kNow), 400, c.error);
  }
  CHECK(f.issuer->live_tokens() == 0);
  // The offer is still redeemable after all that (none of it was a wrong tx_code for it).
  CHECK_FALSE(f.token().empty());
}

TEST_CASE("token endpoint: a wrong tx_code, a replayed code and an expired code are invalid_grant") {
  Fixture f;
  auto token = [&](const char* code, const char* tx, UnixSeconds now = kNow) {
    return f.issuer->token({{"grant_type", kPreAuthorizedCodeGrant}, {"pre-authorized_code", code}, {"tx_code", tx}}, now);
  };
  check_error(token("code-1", "000000"), 400, "invalid_grant");
  CHECK(token("code-1", "493536").status == 200);
  check_error(token("code-1", "493536"), 400, "invalid_grant");  // redeemed once only

  f.backend.add_offer("code-old", "123456", kNow + 10);
  check_error(token("code-old", "123456", kNow + 10), 400, "invalid_grant");  // expired

  // Five wrong tx_codes kill the offer: the right one is refused afterwards.
  f.backend.add_offer("code-5", "222222", kNow + 600);
  for (int i = 0; i < 5; ++i) check_error(token("code-5", "999999"), 400, "invalid_grant");
  check_error(token("code-5", "222222"), 400, "invalid_grant");

  // A backend fault is a 500 with nothing of the fault on the wire.
  f.backend.add_offer("code-f", "333333", kNow + 600);
  f.backend.fail_redeem = true;
  HttpResponse r = token("code-f", "333333");
  check_error(r, 500, "server_error");
  CHECK(r.body.find("ledger") == std::string::npos);
  CHECK(r.body.find("/var") == std::string::npos);
}

TEST_CASE("nonce endpoint: fresh, unpredictable, uncacheable c_nonces (§7.2)") {
  Fixture f;
  HttpResponse a = f.issuer->nonce(kNow);
  HttpResponse b = f.issuer->nonce(kNow);
  CHECK(a.status == 200);
  CHECK(header_or_empty(a, "cache-control") == "no-store");
  std::string na = body_of(a)["c_nonce"], nb = body_of(b)["c_nonce"];
  CHECK(na != nb);
  CHECK(base64url_decode(na).value().size() == 32);
  CHECK(f.issuer->live_nonces() == 2);
  // Expired nonces go.
  f.issuer->nonce(kNow + 301);
  CHECK(f.issuer->live_nonces() == 1);
}

TEST_CASE("nonce and token stores are bounded: the oldest entry goes first") {
  Oid4vciConfig config;
  config.max_live_nonces = 3;
  Fixture f(config);
  std::string first = f.nonce();
  for (int i = 0; i < 5; ++i) f.nonce();
  CHECK(f.issuer->live_nonces() == 3);
  std::string token = f.token();
  Wallet w;
  check_error(f.credential(token, proofs_body(w.proof(first))), 400, "invalid_nonce");
  CHECK(f.backend.issue_calls == 0);
}

TEST_CASE("credential offer URI (§4.1.1): the issuer, the configuration, the code and a numeric tx_code") {
  Fixture f;
  std::string uri = f.issuer->credential_offer_uri("pre+auth/code=1");
  const std::string prefix = "openid-credential-offer://?credential_offer=";
  REQUIRE(uri.starts_with(prefix));
  std::string encoded = uri.substr(prefix.size());
  for (char c : encoded) CHECK((std::isalnum(static_cast<unsigned char>(c)) || std::string_view("-._~%").find(c) != std::string_view::npos));
  std::string decoded;
  for (size_t i = 0; i < encoded.size(); ++i) {
    if (encoded[i] == '%') {
      REQUIRE(i + 2 < encoded.size());
      decoded += static_cast<char>(std::stoi(encoded.substr(i + 1, 2), nullptr, 16));
      i += 2;
    } else {
      decoded += encoded[i];
    }
  }
  Json offer = Json::parse(decoded);
  CHECK(offer["credential_issuer"] == kIssuer);
  CHECK(offer["credential_configuration_ids"] == Json::array({kConfigId}));
  const Json& grant = offer["grants"][kPreAuthorizedCodeGrant];
  CHECK(grant["pre-authorized_code"] == "pre+auth/code=1");
  CHECK(grant["tx_code"] == Json{{"input_mode", "numeric"}, {"length", 6}});
}

TEST_CASE("Oid4vciIssuer is safe to share between threads: concurrent wallets each get their own credential") {
  Fixture f;
  constexpr int kWallets = 8;
  std::vector<std::string> tokens;
  for (int i = 0; i < kWallets; ++i) {
    std::string code = "code-t" + std::to_string(i);
    f.backend.add_offer(code, "654321", kNow + 600);
    tokens.push_back(f.token(code, "654321"));
  }
  std::vector<int> statuses(kWallets, 0);
  std::vector<std::thread> threads;
  for (int i = 0; i < kWallets; ++i) {
    threads.emplace_back([&, i] {
      Wallet w;
      for (int round = 0; round < 3; ++round) {  // a first request and two retries
        HttpResponse n = f.issuer->nonce(kNow);
        std::string nonce = Json::parse(n.body)["c_nonce"];
        HttpResponse r = f.credential(tokens[i], proofs_body(w.proof(nonce)));
        statuses[i] += r.status == 200 ? 1 : 0;
      }
    });
  }
  for (auto& t : threads) t.join();
  for (int s : statuses) CHECK(s == 3);
  CHECK(f.backend.issue_calls == 3 * kWallets);
  CHECK(f.issuer->live_nonces() == 0);
}
