// `idtap read --json` against what others rely on: the README's example key for key, strict JSON
// parsing in the tests, and the Active Authentication challenge and signature a server checks.
#include <doctest/doctest.h>

#include "tools/read_cli_fixture.h"

using namespace idtap;
using namespace idtap::test::read_cli;
using test::idtap_binary;
using test::Json;
using test::run_shell;

namespace {

// readme_json_example: the ```json block under README.md's "### `idtap read --json`".
std::string readme_json_example() {
  const std::string readme = read_text(std::string(IDTAP_SOURCE_DIR) + "/README.md");
  const size_t section = readme.find("### `idtap read --json`");
  REQUIRE(section != std::string::npos);
  const size_t open = readme.find("```json\n", section);
  REQUIRE(open != std::string::npos);
  const size_t close = readme.find("\n```", open + 8);
  REQUIRE(close != std::string::npos);
  return readme.substr(open + 8, close - open - 8);
}

// compare_schema: the README's example `doc` against the real output `real` at `path`: the same
// kind everywhere; objects with the same keys in the same order (data_groups: the README shows
// some of the real ones); booleans equal; strings equal unless the README elides them ("…",
// "...") or they are a path of this run; numbers only by kind; arrays by their first element.
void compare_schema(const Json& doc, const Json& real, const std::string& path) {
  CAPTURE(path);
  REQUIRE(std::string(doc.type_name()) == real.type_name());
  if (doc.is_object()) {
    if (path == "/data_groups") {
      for (const auto& [k, v] : doc.items()) {
        REQUIRE(real.contains(k));
        compare_schema(v, real.at(k), path + "/" + k);
      }
    } else {
      CHECK(test::keys_of(doc) == test::keys_of(real));
      for (const auto& [k, v] : doc.items())
        if (real.contains(k)) compare_schema(v, real.at(k), path + "/" + k);
    }
  } else if (doc.is_array()) {
    if (!doc.empty() && !real.empty()) compare_schema(doc.front(), real.front(), path + "/0");
  } else if (doc.is_boolean()) {
    CHECK(doc.get<bool>() == real.get<bool>());
  } else if (doc.is_string()) {
    const std::string text = doc.get<std::string>();
    if (!contains(text, "…") && !contains(text, "...") && path != "/out/dir") CHECK(text == real.get<std::string>());
  }
}

}  // namespace

TEST_CASE("README's idtap read --json example is the real output's schema, key for key") {
  test::ScratchDir tmp("read-readme");
  // The README's example card: the sample holder, M12345678, issued 2025-01-02, expiring 2030-12-31.
  const std::string card =
      personalize(tmp, "card", "--document-number M12345678 --issue-date 2025-01-02 --expiry-date 2030-12-31");
  auto r = run_split(read_command(card, "--can 123456 --trust " + card + "/pki/csca_cert.pem --crl " + card +
                                            "/pki/csca_crl.pem --aa-challenge 0102030405060708 --json --out " + tmp.path() + "/out"),
                     tmp);
  REQUIRE(r.exit_code == 0);
  const Json real = parse_or_fail(r.out);
  const Json doc = parse_or_fail(readme_json_example());
  compare_schema(doc, real, "");
}

TEST_CASE("tests' JSON parsing (nlohmann-json, strict): what RFC 8259 allows, and what it does not") {
  auto v = test::parse_json(R"( {"a": [1, -2.5e3, true, false, null], "b": {"c": "x\"\\\/\n\u00e9\ud83d\ude00"}, "d": 0} )");
  REQUIRE(v.has_value());
  CHECK(test::keys_of(*v) == std::vector<std::string>{"a", "b", "d"});
  CHECK(v->at("a").size() == 5);
  CHECK(v->at("a").at(0).is_number_unsigned());
  CHECK(v->at("a").at(0).get<uint64_t>() == 1);
  CHECK_FALSE(v->at("a").at(1).is_number_unsigned());
  CHECK(v->at("a").at(1).get<double>() == -2500.0);
  CHECK(v->at("a").at(4).is_null());
  CHECK(v->at("b").at("c").get<std::string>() == "x\"\\/\n\xC3\xA9\xF0\x9F\x98\x80");
  CHECK(v->at("d").is_number_unsigned());
  CHECK_FALSE(v->contains("missing"));
  const struct {
    const char* text;
    const char* why;
  } bad[] = {
      {"", "nothing"},
      {"{", "unterminated object"},
      {"{\"a\" 1}", "no colon"},
      {"{\"a\": 1,}", "trailing comma"},
      {"[1 2]", "no comma"},
      {"{\"a\": 1, \"a\": 2}", "a repeated key"},
      {"01", "a leading zero"},
      {"1.", "a fraction without digits"},
      {"\"a\nb\"", "a raw newline in a string"},
      {"\"\\x\"", "an unknown escape"},
      {"\"\\ud83d\"", "a lone surrogate"},
      {"tru", "a cut literal"},
      {"{} {}", "two documents"},
  };
  for (const auto& b : bad) {
    CAPTURE(b.why);
    std::string error;
    CHECK_FALSE(test::parse_json(b.text, &error).has_value());
    CHECK_FALSE(error.empty());
  }
}

TEST_CASE("idtap read --json: the AA challenge and signature, which a server checks itself with DG15's key") {
  test::ScratchDir tmp("read-aa-json");
  const struct {
    const char* card_options;
    const char* read_options;
    bool present;
    const char* why;
  } cases[] = {
      {"", " --aa-challenge 0102030405060708", true, "ECDSA AA with the server's challenge"},
      {"--aa rsa", " --aa-challenge 0102030405060708", true, "RSA AA (ISO/IEC 9796-2) with the server's challenge"},
      {"", "", true, "ECDSA AA with a random challenge"},
      {"", " --aa-challenge 0102030405060708 --no-active-auth", false, "AA not run"},
      {"--aa none", " --aa-challenge 0102030405060708", false, "a card without AA"},
      {"--cloned", " --aa-challenge 0102030405060708", false, "a clone: AA ran and failed"},
  };
  int n = 0;
  for (const auto& c : cases) {
    CAPTURE(c.why);
    const std::string card = personalize(tmp, "card" + std::to_string(n), c.card_options);
    const std::string out = tmp.path() + "/out" + std::to_string(n++);
    auto r = run_split(read_command(card, "--can 123456 --json --trust " + card + "/pki/csca_cert.pem --out " + out + c.read_options), tmp);
    CAPTURE(r.out);
    const Json doc = parse_or_fail(r.out);
    const Json& v = doc.at("verification");
    CHECK((v.contains("active_challenge")) == c.present);
    CHECK((v.contains("active_signature")) == c.present);
    if (!c.present) continue;
    CHECK(v.at("active").get<std::string>() == "passed");
    const std::string challenge_hex = v.at("active_challenge").get<std::string>();
    CHECK(std::regex_match(challenge_hex, std::regex("^[0-9A-F]{16}$")));  // JSON bytes: upper-case hex
    if (contains(c.read_options, "--aa-challenge")) CHECK(challenge_hex == "0102030405060708");
    const std::string signature_hex = v.at("active_signature").get<std::string>();
    CHECK(std::regex_match(signature_hex, std::regex("^([0-9A-F]{2})+$")));
    // The server's side: DG15's key (from the signed dg15.bin) verifies the signature over its challenge.
    auto dg15 = lds::parse_dg15(read_bytes(out + "/dg15.bin"));
    REQUIRE(dg15.ok());
    auto dg14 = lds::parse_dg14(read_bytes(out + "/dg14.bin"));
    REQUIRE(dg14.ok());
    std::optional<std::string> ecdsa_oid;
    if (!dg14->active_authentication.empty())
      ecdsa_oid = lds::oid_to_string(dg14->active_authentication.front().signature_algorithm).value();
    const Bytes challenge = from_hex(challenge_hex).value();
    Bytes signature = from_hex(signature_hex).value();
    auto verified = auth::verify_aa_signature(dg15->key.der, challenge, signature, ecdsa_oid);
    CHECK_MESSAGE(verified.ok(), (verified.ok() ? "" : verified.error().message()));
    signature.back() ^= 0x01;  // and it is that signature: one bit off does not verify
    CHECK_FALSE(auth::verify_aa_signature(dg15->key.der, challenge, signature, ecdsa_oid).ok());
  }
}
