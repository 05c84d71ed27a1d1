// The idtap provisioning commands, run as a user runs them (the built binary): mdoc, credential,
// card, status-list and ledger, end to end and each on its own. `idtap provision` itself:
// cli_provision_test.cpp.
#include <doctest/doctest.h>

#include "provision/cli_fixture.h"

using namespace idtap;
using namespace idtap::provision;
using namespace idtap::provision::testing;
using namespace idtap::provision::testing::cli;

TEST_CASE("idtap mdoc / credential / card / status-list / ledger, end to end") {
  TempDir dir;
  TestIssuer pki = make_test_issuer();
  const std::string pass = "correct horse";
  write(dir.file("issuer.key"), string_of(pki.ds_key.to_pem(bytes_of(pass)).value()));
  write(dir.file("issuer.pem"), pki.ds.to_pem() + pki.ca.to_pem());
  write(dir.file("ca.pem"), pki.ca.to_pem());
  write(dir.file("pass.txt"), pass + "\n");
  const std::string db = dir.file("ledger.db");
  const std::string cred = dir.file("phone.mdoc");
  const std::string id = issue_sample_to_file(db, pki, cred);
  const std::string common = " --ledger " + db;
  const std::string issuer = " --issuer-key " + dir.file("issuer.key") + " --issuer-cert " + dir.file("issuer.pem");
  const std::string status = dir.file("status.cwt");

  auto v = run("mdoc verify " + cred + " --issuer-cert " + dir.file("ca.pem") + " --json");
  CHECK(v.rc == 0);
  CHECK(contains(v.out, "\"valid\":true"));

  auto shown = run("mdoc show " + cred);
  CHECK(shown.rc == 0);
  CHECK(contains(shown.out, "900515-1******"));
  CHECK_MESSAGE(!contains(shown.out, "900515-1234567"), shown.out);
  CHECK(contains(run("mdoc show " + cred + " --reveal").out, "900515-1234567"));
  CHECK(contains(run("mdoc show " + cred + " --json").out, "\"identifier\": \"family_name_national_character\""));

  // The phone is lost: only that credential is suspended; the published list says so.
  auto lost = run("credential report-lost " + id + common + " --json");
  CHECK(lost.rc == 0);
  CHECK(contains(lost.out, "\"state\":\"suspended\""));
  CHECK(contains(lost.out, "\"reason\":\"phone_lost\""));
  auto pub = run("status-list publish" + common + issuer + " --issuer-key-pass-file " + dir.file("pass.txt") + " --out " + status);
  CHECK_MESSAGE(pub.rc == 0, pub.out);
  CHECK(contains(pub.out, "1 suspended or revoked"));
  auto suspended = run("mdoc verify " + cred + " --issuer-cert " + dir.file("ca.pem") + " --status-list " + status);
  CHECK(suspended.rc == 1);
  CHECK(contains(suspended.out, "NOT VALID: status: the credential is suspended or revoked"));

  // Resumed, published again (passphrase from the environment this time): valid again.
  CHECK(run("credential resume " + id + common).rc == 0);
  pub = run("status-list publish" + common + issuer + " --out " + status + " --json");
  CHECK(pub.rc == 2);  // encrypted key, no passphrase given
  CHECK(contains(pub.out, "wrong or missing passphrase"));
  auto env_pub = Run();
  {
    std::string cmd = "IDTAP_ISSUER_KEY_PASSPHRASE='" + pass + "' " + idtap_binary() + " status-list publish" + common + issuer +
                      " --out " + status + " >/dev/null 2>&1";
    env_pub.rc = WEXITSTATUS(std::system(cmd.c_str()));
  }
  CHECK(env_pub.rc == 0);
  auto valid_again = run("mdoc verify " + cred + " --issuer-cert " + dir.file("ca.pem") + " --status-list " + status);
  CHECK_MESSAGE(valid_again.rc == 0, valid_again.out);
  CHECK(contains(valid_again.out, "status list: valid"));

  // The card is lost: the holder's credential is suspended.
  auto card = run("card report-lost" + common + " --document-number M12345678 --json");
  CHECK(card.rc == 0);
  CHECK(contains(card.out, id));
  CHECK(run("credential resume " + id + common).rc == 8);  // refused while the card is lost
  CHECK(run("card found" + common + " --document-number M12345678").rc == 0);
  auto list = run("credential list" + common + " --json");
  CHECK(contains(list.out, "\"state\":\"active\""));

  auto verified = run("ledger verify" + common + " --json");
  CHECK(verified.rc == 0);
  CHECK(contains(verified.out, "\"consistent\":true"));

  // A wrong issuer certificate: exit 7 (no trust anchor).
  TestIssuer other = make_test_issuer("other");
  write(dir.file("other.pem"), other.ca.to_pem());
  auto wrong = run("mdoc verify " + cred + " --issuer-cert " + dir.file("other.pem"));
  CHECK(wrong.rc == 7);
  CHECK(contains(wrong.out, "NOT VALID: issuer:"));
}


TEST_CASE("idtap mdoc show masks the resident number whatever the mapping names it (L2)") {
  TempDir dir;
  TestIssuer pki = make_test_issuer();
  SoftwareIssuer signer = signer_of(pki);
  Ledger ledger = Ledger::create(dir.file("ledger.db"), test_ledger_options()).value();
  auto phone = EcPrivateKey::generate().value();
  VerifiedHolder holder = sample_holder();
  const std::string mapping_text =
      "doctype kr.example.id.1\n"
      "family_name kr.example.id.1 surname\n"
      "resident_registration_number kr.example.id.1 personal_no\n";
  write(dir.file("mapping.txt"), mapping_text);
  IssueRequest r = request_for(ledger, holder, phone, now_seconds());
  r.mapping = DocTypeMapping::parse(mapping_text).value();
  r.file_path = dir.file("renamed.mdoc");
  REQUIRE(issue_to_file(ledger, r, signer).ok());
  struct Case {
    const char* why;
    std::string args;
    bool revealed;
  };
  const Case cases[] = {
      // No mapping given: the element holds a resident number, so it is masked.
      {"by its value", "", false},
      {"by its value, JSON", " --json", false},
      // The mapping says personal_no is the resident number.
      {"by the mapping", " --mapping " + dir.file("mapping.txt"), false},
      // --reveal shows it whole.
      {"revealed", " --reveal", true},
  };
  for (const auto& c : cases) {
    CAPTURE(c.why);
    auto shown = run("mdoc show " + dir.file("renamed.mdoc") + c.args);
    REQUIRE_MESSAGE(shown.rc == 0, shown.out);
    CHECK(contains(shown.out, "personal_no"));
    CHECK(contains(shown.out, "HONG"));
    CHECK_MESSAGE(contains(shown.out, "900515-1234567") == c.revealed, shown.out);
    CHECK_MESSAGE(contains(shown.out, "900515-1******") != c.revealed, shown.out);
  }
}

TEST_CASE("idtap ledger verify says what is wrong instead of crashing or re-keying (H2, L1)") {
  TempDir dir;
  const std::string db = dir.file("ledger.db");
  init_ledger(db);
  REQUIRE(run("ledger verify --ledger " + db).rc == 0);
  SUBCASE("the key file is missing") {
    REQUIRE(::unlink((db + ".key").c_str()) == 0);
    auto v = run("ledger verify --ledger " + db);
    CHECK(v.rc != 0);
    CHECK_MESSAGE(contains(v.out, "ledger key " + db + ".key is missing"), v.out);
    CHECK(!exists(db + ".key"));
  }
  SUBCASE("the status list size is 0") {
    sqlite3* raw = nullptr;
    REQUIRE(sqlite3_open(db.c_str(), &raw) == SQLITE_OK);
    CHECK(sqlite3_exec(raw, "UPDATE meta SET value = '0' WHERE key = 'status_list_size'", nullptr, nullptr, nullptr) == SQLITE_OK);
    sqlite3_close(raw);
    // Before, the first aborted (an uncaught std::invalid_argument) and the others too.
    for (const char* cmd : {"ledger verify", "provision challenge", "credential list", "card report-lost --document-number M1"}) {
      CAPTURE(cmd);
      auto v = run(std::string(cmd) + " --ledger " + db);
      CHECK(v.rc >= 1);
      CHECK(v.rc < 128);
    }
    auto v = run("ledger verify --ledger " + db);
    CHECK_MESSAGE(contains(v.out, "ledger is corrupt: meta 'status_list_size' is '0'"), v.out);
  }
}


TEST_CASE("idtap card report-lost: any spelling of the number finds the card; an unknown card is said plainly (issue 14 item 1)") {
  TempDir dir;
  const std::string db = dir.file("ledger.db");
  std::string id;
  {
    TestIssuer pki = make_test_issuer();
    SoftwareIssuer signer = signer_of(pki);
    Ledger ledger = Ledger::create(db, test_ledger_options()).value();
    auto phone = EcPrivateKey::generate().value();
    VerifiedHolder holder = sample_holder("900515-1234567", Date{1990, 5, 15}, "KR1234567");
    id = ledger.issue(request_for(ledger, holder, phone, now_seconds()), signer).value().credential_id;
  }
  const std::string common = " --ledger " + db;
  // The desk bug: lower case matched nothing, said "0 credential(s) suspended" and exited 0.
  auto lost = run("card report-lost" + common + " --document-number kr1234567");
  CHECK_MESSAGE(lost.rc == 0, lost.out);
  CHECK_MESSAGE(contains(lost.out, "card KOR KR1234567 reported lost; 1 credential(s) suspended"), lost.out);
  CHECK(contains(lost.out, id));
  auto listed = run("credential list" + common + " --document-number 'kr 123 4567' --json");
  CHECK(listed.rc == 0);
  CHECK(contains(listed.out, "\"state\":\"suspended\""));
  CHECK(contains(listed.out, "\"document_number\":\"KR1234567\""));
  CHECK(run("card found" + common + " --document-number 'KR1234567<' --issuing-state kor").rc == 0);

  // Unknown: said plainly, non-zero, nothing recorded.
  auto unknown = run("card report-lost" + common + " --document-number KR7654321");
  CHECK(unknown.rc == 9);  // "no such card in the ledger" (the exit-code table)
  CHECK_MESSAGE(contains(unknown.out, "no card KOR KR7654321 in the ledger: nothing was suspended and nothing recorded"), unknown.out);
  CHECK(!contains(unknown.out, "reported lost;"));
  // On purpose, it can still be recorded.
  auto on_purpose = run("card report-lost" + common + " --document-number KR7654321 --unknown-ok --json");
  CHECK_MESSAGE(on_purpose.rc == 0, on_purpose.out);
  CHECK(contains(on_purpose.out, "\"known\":false"));
  CHECK(contains(run("card report-lost" + common + " --document-number KR7654321").out, "already reported lost"));
  // Not an MRZ document number: a usage error before the ledger is touched.
  struct Bad {
    const char* why;
    const char* args;
  };
  const Bad bads[] = {
      {"a dash", " --document-number KR-1234567"},                    // not an MRZ character
      {"only fillers", " --document-number '<<<'"},                   // nothing left
      {"an issuing state too long", " --document-number KR1234567 --issuing-state KOREA"},  // not 3 letters
      {"--unknown-ok with found", " --document-number KR1234567 --unknown-ok"},              // only for report-lost
  };
  for (const auto& b : bads) {
    CAPTURE(b.why);
    const char* verb = std::string(b.why).find("found") != std::string::npos ? "card found" : "card report-lost";
    auto r = run(std::string(verb) + common + b.args);
    CHECK_MESSAGE(r.rc == 2, r.out);
  }
}


TEST_CASE("idtap ledger verify --repair reports a deleted desk copy and revokes nothing (issue 14 item 4)") {
  TempDir dir;
  const std::string db = dir.file("ledger.db");
  const std::string cred = dir.file("phone.mdoc");
  const std::string id = issue_sample_to_file(db, make_test_issuer(), cred);
  REQUIRE(::unlink(cred.c_str()) == 0);
  auto repaired = run("ledger verify --ledger " + db + " --repair");
  CHECK(repaired.rc == 1);  // a finding left: the clerk decides
  CHECK_MESSAGE(contains(repaired.out, "FOUND:    the desk copy of credential " + id + " is gone (" + cred + ")"), repaired.out);
  CHECK(!contains(repaired.out, "repaired:"));
  auto shown = run("credential show " + id + " --ledger " + db + " --json");
  CHECK_MESSAGE(contains(shown.out, "\"state\":\"active\""), shown.out);
  // Revoking stays the clerk's explicit action; after it nothing is left to report.
  CHECK(run("credential revoke " + id + " --ledger " + db).rc == 0);
  CHECK(run("ledger verify --ledger " + db).rc == 0);
}

TEST_CASE("only `idtap ledger init` creates a ledger; every other command refuses a path that is not one (issue 14 item 5)") {
  TempDir dir;
  write(dir.file("empty.db"), "");
  {
    sqlite3* raw = nullptr;
    REQUIRE(sqlite3_open(dir.file("foreign.db").c_str(), &raw) == SQLITE_OK);
    REQUIRE(sqlite3_exec(raw, "CREATE TABLE photos(id INTEGER)", nullptr, nullptr, nullptr) == SQLITE_OK);
    sqlite3_close(raw);
  }
  struct Target {
    const char* why;
    const char* file;
    const char* says;
  };
  const Target targets[] = {
      {"a mistyped path", "nope.db", "is not an idtap ledger (no such file)"},
      {"an empty file", "empty.db", "is not an idtap ledger (the ledger file is empty: truncated?"},
      {"another program's database", "foreign.db", "is not an idtap ledger (a SQLite database without idtap's tables)"},
  };
  const char* commands[] = {"ledger verify", "ledger verify --repair", "credential list", "credential show 00", "provision challenge",
                            "card report-lost --document-number M1 --unknown-ok", "card found --document-number M1"};
  for (const auto& t : targets) {
    for (const char* cmd : commands) {
      CAPTURE(t.why);
      CAPTURE(cmd);
      const std::string path = dir.file(t.file);
      auto r = run(std::string(cmd) + " --ledger " + path);
      CHECK_MESSAGE(r.rc == 9, r.out);
      CHECK_MESSAGE(contains(r.out, "ledger " + path + " " + t.says), r.out);
      CHECK(!contains(r.out, "consistent:"));
      CHECK(!contains(r.out, "no credentials"));
      CHECK(!exists(path + ".key"));
    }
  }
  CHECK(!exists(dir.file("nope.db")));
  CHECK(read_text_file(dir.file("empty.db")).empty());
  // init: the status URI is required; the same settings again are fine, others refused.
  const std::string db = dir.file("ledger.db");
  auto no_uri = run("ledger init --ledger " + db);
  CHECK(no_uri.rc == 2);
  CHECK(contains(no_uri.out, "--status-uri URI is required"));
  CHECK(!exists(db));
  CHECK(run("ledger init --ledger " + db + " --status-uri " + kStatusUri + " --status-size 0").rc == 2);
  CHECK(run("ledger init --ledger " + db + " --status-uri " + kStatusUri + " --status-size 12x").rc == 2);
  CHECK(!exists(db));
  auto made = run("ledger init --ledger " + db + " --status-uri " + kStatusUri + " --status-size 4096 --json");
  CHECK_MESSAGE(made.rc == 0, made.out);
  CHECK(contains(made.out, "\"status_list_size\":4096"));
  CHECK(run("ledger init --ledger " + db + " --status-uri " + kStatusUri + " --status-size 4096").rc == 0);
  auto other_uri = run("ledger init --ledger " + db + " --status-uri https://status.example.kr/lists/2 --status-size 4096");
  CHECK(other_uri.rc == 8);
  CHECK_MESSAGE(contains(other_uri.out, "already exists with status list URI " + kStatusUri), other_uri.out);
  auto other_size = run("ledger init --ledger " + db + " --status-uri " + kStatusUri + " --status-size 8192");
  CHECK(other_size.rc == 8);
  CHECK_MESSAGE(contains(other_size.out, "already exists with a status list of 4096 entries, not 8192"), other_size.out);
  CHECK(run("ledger init --ledger " + dir.file("foreign.db") + " --status-uri " + kStatusUri).rc == 9);
  // verify takes no creation options.
  CHECK(run("ledger verify --ledger " + db + " --status-uri " + kStatusUri).rc == 2);
}


TEST_CASE("the README's test-issuer recipe makes an issuer that provision issues with and mdoc verify accepts (issue 14, README)") {
  // The recipe is read out of README.md between its markers and run as written, with bash.
  std::ifstream in(std::string(IDTAP_SOURCE_DIR) + "/README.md");
  std::stringstream ss;
  ss << in.rdbuf();
  const std::string readme = ss.str();
  const auto start = readme.find("<!-- test-issuer-recipe -->");
  const auto end = readme.find("<!-- end test-issuer-recipe -->");
  REQUIRE(start != std::string::npos);
  REQUIRE(end != std::string::npos);
  std::string block = readme.substr(start, end - start);
  const auto fence = block.find("```sh\n");
  REQUIRE(fence != std::string::npos);
  block = block.substr(fence + 6);
  block = block.substr(0, block.rfind("```"));
  TempDir dir;
  write(dir.file("recipe.sh"), "set -e\ncd '" + dir.path() + "'\n" + block);
  FILE* p = ::popen(("bash " + dir.file("recipe.sh") + " 2>&1").c_str(), "r");
  REQUIRE(p != nullptr);
  std::string out;
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  const int status = ::pclose(p);
  const bool recipe_ok = WIFEXITED(status) && WEXITSTATUS(status) == 0;
  REQUIRE_MESSAGE(recipe_ok, out);

  auto made = run("sim personalize --out " + dir.file("card"));
  REQUIRE_MESSAGE(made.rc == 0, made.out);
  auto issued = provision_card(dir, dir.file("card"), dir.file("ds.key"), dir.file("issuer-chain.pem"), dir.file("holder.mdoc"));
  REQUIRE_MESSAGE(issued.rc == 0, issued.out);
  auto verified = run("mdoc verify " + dir.file("holder.mdoc") + " --issuer-cert " + dir.file("iaca.pem"));
  CHECK_MESSAGE(verified.rc == 0, verified.out);
}
