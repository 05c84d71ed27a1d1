// The credential offer by value (OID4VCI 1.0 §4.1), parsed back with a JSON library.
#include "idtap/issue/offer_uri.h"

#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

using namespace idtap;
using namespace idtap::issue;

namespace {

// percent_decode: the inverse of percent_encode (for the test only).
std::string percent_decode(const std::string& s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size() + 0) {
      out.push_back(static_cast<char>(std::stoi(s.substr(i + 1, 2), nullptr, 16)));
      i += 2;
    } else {
      out.push_back(s[i]);
    }
  }
  return out;
}

CredentialOfferParams sample() {
  CredentialOfferParams p;
  p.credential_issuer = "https://id.example.kr";
  p.credential_configuration_ids = {"kr.go.mois.residentid.1"};
  p.pre_authorized_code = "oaKazRN8I0IbtZ0C7JuMn5-_";
  return p;
}

}  // namespace

TEST_CASE("the credential offer URI carries §4.1.1's object by value, percent-encoded") {
  auto uri = credential_offer_uri(sample());
  REQUIRE(uri.ok());
  const std::string prefix = "openid-credential-offer://?credential_offer=";
  REQUIRE(uri->rfind(prefix, 0) == 0);
  const std::string encoded = uri->substr(prefix.size());
  // nothing outside RFC 3986's unreserved set and '%' is left in the parameter
  CHECK(encoded.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~%") == std::string::npos);
  auto offer = nlohmann::json::parse(percent_decode(encoded));
  CHECK(offer.at("credential_issuer") == "https://id.example.kr");
  CHECK(offer.at("credential_configuration_ids") == nlohmann::json::array({"kr.go.mois.residentid.1"}));
  const auto& grant = offer.at("grants").at("urn:ietf:params:oauth:grant-type:pre-authorized_code");
  CHECK(grant.at("pre-authorized_code") == "oaKazRN8I0IbtZ0C7JuMn5-_");
  CHECK(grant.at("tx_code").at("input_mode") == "numeric");
  CHECK(grant.at("tx_code").at("length") == 6);
  CHECK(grant.at("tx_code").at("description").get<std::string>().size() <= 300);  // §4.1.1
  CHECK(grant.size() == 2);
  CHECK(offer.size() == 3);
  // the JSON function gives the same object
  CHECK(nlohmann::json::parse(credential_offer_json(sample()).value()) == offer);
}

TEST_CASE("percent_encode keeps the unreserved characters and encodes every other byte") {
  CHECK(percent_encode("AZaz09-._~") == "AZaz09-._~");
  CHECK(percent_encode("{\"a\": 1}") == "%7B%22a%22%3A%201%7D");
  CHECK(percent_encode("/?#&=+") == "%2F%3F%23%26%3D%2B");
  CHECK(percent_encode("코") == "%EC%BD%94");
}

TEST_CASE("a bad offer is refused, naming what is wrong") {
  struct Case {
    const char* what;
    CredentialOfferParams p;
  };
  std::vector<Case> cases;
  {
    auto p = sample();
    p.credential_issuer = "http://id.example.kr";  // plain http off loopback (§12.2.1: https)
    cases.push_back({"http issuer", p});
  }
  {
    auto p = sample();
    p.credential_issuer = "https://id.example.kr/?x=1";  // a query in the issuer identifier
    cases.push_back({"query", p});
  }
  {
    auto p = sample();
    p.credential_issuer = "http://localhost.evil.example";  // not loopback, only looks like it
    cases.push_back({"fake localhost", p});
  }
  {
    auto p = sample();
    p.credential_configuration_ids.clear();  // nothing offered
    cases.push_back({"no configuration", p});
  }
  {
    auto p = sample();
    p.pre_authorized_code.clear();  // no grant
    cases.push_back({"no code", p});
  }
  {
    auto p = sample();
    p.tx_code_length = 0;
    cases.push_back({"tx_code length 0", p});
  }
  for (const auto& c : cases) {
    CAPTURE(c.what);
    auto r = credential_offer_uri(c.p);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code == ErrorCode::kInvalidArgument);
  }
  // loopback http is fine (a desk-local server, the tests)
  auto local = sample();
  local.credential_issuer = "http://127.0.0.1:8443";
  CHECK(credential_offer_uri(local).ok());
}
