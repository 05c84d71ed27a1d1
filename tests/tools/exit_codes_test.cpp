// The exit codes: the README's table (between <!-- exit-codes:begin --> and <!-- exit-codes:end -->)
// must equal every command's `--help` "exit status" section, and each code it lists is provoked
// by a case below (or named in kElsewhere with the test that provokes it), so help, README and
// behaviour cannot drift apart. Also: --json failures are one JSON document on stdout.
#include <doctest/doctest.h>

#include <sys/wait.h>

#include <csignal>
#include <fstream>
#include <iterator>
#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "support/pcscd_fixture.h"
#include "support/run_shell.h"
#include "support/scratch_dir.h"
#include "tools/json.h"

using idtap::test::idtap_binary;
using idtap::test::run_shell;

namespace {

using Codes = std::map<std::string, std::map<int, std::string>>;  // command -> code -> meaning

std::string read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

// readme_codes: the rows "| `command` | code | meaning |" of the README's exit-code table.
Codes readme_codes() {
  const std::string readme = read_text(std::string(IDTAP_SOURCE_DIR) + "/README.md");
  const auto begin = readme.find("<!-- exit-codes:begin -->");
  const auto end = readme.find("<!-- exit-codes:end -->");
  REQUIRE(begin != std::string::npos);
  REQUIRE(end != std::string::npos);
  std::istringstream table(readme.substr(begin, end - begin));
  const std::regex row(R"(^\| `([a-z -]+)` \| (\d+) \| (.*) \|$)");
  Codes out;
  for (std::string line; std::getline(table, line);) {
    std::smatch m;
    if (std::regex_match(line, m, row)) out[m[1]][std::stoi(m[2])] = m[3];
  }
  return out;
}

// help_codes: the "exit status:" section of `idtap WORDS` (a help command).
std::map<int, std::string> help_codes(const std::string& words) {
  auto r = run_shell(idtap_binary() + " " + words + " 2>/dev/null");
  CAPTURE(words);
  CHECK(r.exit_code == 0);
  const auto at = r.out.find("\nexit status:\n");
  REQUIRE_MESSAGE(at != std::string::npos, r.out);
  std::istringstream section(r.out.substr(at + 14));
  const std::regex line_re(R"(^  (\d+) +(.*)$)");
  std::map<int, std::string> out;
  for (std::string line; std::getline(section, line);) {
    std::smatch m;
    if (!std::regex_match(line, m, line_re)) break;
    out[std::stoi(m[1])] = m[2];
  }
  return out;
}

// help_words: how each table row's command prints its help.
std::string help_words(const std::string& command) { return command == "help" ? "help" : command + " --help"; }

// kElsewhere: codes provoked by other tests (with a full issuer set-up or a vpcd card), not here.
const std::map<std::pair<std::string, int>, const char*> kElsewhere = {
    {{"read", 10}, "no simulated card serves a structure that does not parse after its hash matched; the parsers' "
                   "rejections are tests/lds and the fuzzers"},
    {{"sim serve", 0}, "tests/integration/sim_vpcd_test.cpp: exits cleanly on SIGINT"},
    {{"provision", 0}, "tests/provision/cli_provision_test.cpp: issuance end to end"},
    {{"provision", 3}, "tests/provision/cli_provision_test.cpp: verdict exit codes as `read` gives them"},
    {{"provision", 4}, "tests/provision/cli_provision_test.cpp: verdict exit codes as `read` gives them"},
    {{"provision", 5}, "tests/provision/cli_provision_test.cpp: a tampered card is refused with 5"},
    {{"provision", 6}, "tests/provision/cli_provision_test.cpp: verdict exit codes as `read` gives them"},
    {{"provision", 7}, "tests/provision/cli_provision_test.cpp: verdict exit codes as `read` gives them"},
    {{"provision", 8}, "tests/provision/cli_provision_test.cpp: a replayed proof is refused with 8"},
    {{"provision", 10}, "tests/provision/cli_provision_test.cpp: inputs that do not parse"},
    {{"provision", 11}, "tests/provision/ledger_cli_test.cpp: a ledger another process holds"},
    {{"credential", 11}, "tests/provision/ledger_cli_test.cpp: a ledger another process holds"},
    {{"card", 11}, "tests/provision/ledger_cli_test.cpp: a ledger another process holds"},
    {{"ledger", 11}, "tests/provision/ledger_cli_test.cpp: a ledger another process holds"},
    {{"ledger", 12}, "tests/provision/ledger_anchor_test.cpp: a ledger restored from an older copy, against its anchors"},
    {{"serve", 0}, "tests/serve/serve_test.cpp: SIGTERM ends the server with 0"},
    {{"serve", 1}, "tests/serve/serve_test.cpp: a port already in use"},
    {{"serve", 8}, "tests/serve/serve_test.cpp: an expired issuer certificate"},
    {{"status-list", 0}, "tests/provision/cli_test.cpp: status-list publish with the issuer key"},
    {{"status-list", 1}, "tests/provision/cli_test.cpp: a token from another issuer"},
    {{"console", 0}, "tests/console/console.test.mjs: SIGTERM ends the console with 0"},
    {{"clerk", 11}, "the ledger's busy path is tests/provision/ledger_cli_test.cpp's, shared by every ledger command"},
};

}  // namespace

TEST_CASE("the README's exit-code table is the help texts' exit status sections, command by command") {
  const Codes readme = readme_codes();
  REQUIRE(readme.size() >= 16);
  for (const auto& [command, codes] : readme) {
    CAPTURE(command);
    const std::string words = help_words(command);
    CHECK(help_codes(words) == codes);
  }
  // Every command `idtap help` lists has rows (sim: its two subcommands).
  auto help = run_shell(idtap_binary() + " help");
  const std::regex listed(R"(\n  ([a-z-]+) {2,})");
  for (std::sregex_iterator it(help.out.begin(), help.out.end(), listed), end; it != end; ++it) {
    const std::string name = (*it)[1];
    CAPTURE(name);
    if (name == "sim")
      CHECK((readme.count("sim serve") && readme.count("sim personalize")));
    else
      CHECK(readme.count(name) == 1);
  }
}

TEST_CASE("every exit code in the README is provoked by a case") {
  idtap::test::ScratchDir tmp("exit-codes");
  const std::string t = tmp.path();
  const std::string idtap = idtap_binary();
  auto setup = [&](const std::string& command) {
    auto r = run_shell(command);
    CAPTURE(command);
    REQUIRE_MESSAGE(r.exit_code == 0, r.out);
  };
  setup(idtap + " sim personalize --out " + t + "/card");
  setup(idtap + " sim personalize --out " + t + "/tampered --tamper dg11");
  setup(idtap + " sim personalize --out " + t + "/cloned --cloned --aa none");
  setup(idtap + " demo --out " + t + "/demo");   // a credential, its issuer, a ledger
  setup(idtap + " demo --out " + t + "/demo2");  // one to break
  setup("echo 'not CBOR' > " + t + "/text.txt");
  // A ledger of an older schema (the demo's, copied, its schema_version set back to 2): every
  // command that opens it stops with 13 until `idtap ledger migrate`. And an issuer of our own for
  // the commands that load one before the ledger. (Debian's python3, not whatever python3 PATH finds:
  // tests/deps checks every program a test runs.)
  setup("/usr/bin/python3 -c \"import sqlite3; d = sqlite3.connect('" + t + "/old.db'); sqlite3.connect('" + t + "/demo/ledger.db').backup(d); "
        "d.execute(\\\"UPDATE meta SET value = '2' WHERE key = 'schema_version'\\\"); d.commit()\" && cp " + t +
        "/demo/ledger.db.key " + t + "/old.db.key && chmod 600 " + t + "/old.db.key");
  setup("openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout " + t + "/ik13.pem -out " + t +
        "/ic13.pem -subj /CN=issuer -days 3650 2>/dev/null && chmod 600 " + t + "/ik13.pem");
  const std::string old_ledger = " --ledger " + t + "/old.db";
  const std::string issuer13 = " --issuer-key " + t + "/ik13.pem --issuer-cert " + t + "/ic13.pem";
  const std::string card = " --reader sim:" + t + "/card";
  const std::string trust = " --trust " + t + "/card/pki/csca_cert.pem";
  const std::string ledger = " --ledger " + t + "/demo/ledger.db";
  // The (one) credential id in a ledger, for a shell line.
  auto id_in = [&](const std::string& ledger_option) {
    return "$(" + idtap + " credential list" + ledger_option + " --json | sed -n 's/.*\"id\":\"\\([^\"]*\\)\".*/\\1/p')";
  };
  const std::string id = id_in(ledger);
  const std::string ledger2 = " --ledger " + t + "/demo2/ledger.db";
  const std::string no_pcscd = "PCSCLITE_CSOCK_NAME=" + t + "/no-pcscd/pcscd.comm ";
  // A private pcscd with an empty vpcd reader, for the commands that need a reader to exist.
  idtap::test::PcscdFixture pcscd;
  REQUIRE_MESSAGE(pcscd.ok(), pcscd.error());

  struct Case {
    std::string command;  // the table row
    int code;
    std::string line;       // the shell line after "idtap " (or a whole line starting with '!')
    std::string interrupt;  // for code 130: run it, wait for this in its output, send SIGINT
    const char* why;
  };
  const std::vector<Case> cases = {
      {"help", 0, "help", "", "the command list"},
      {"help", 2, "help nosuch", "", "help for a command that does not exist"},
      {"version", 0, "--version", "", "the version"},
      {"atr", 0, "atr 3B 80 80 01 01", "", "a well-formed contactless ATR"},
      {"atr", 2, "atr 3G", "", "not hex"},
      {"atr", 10, "atr 3B 8F 80 01 80 4F", "", "historical bytes announced but missing"},
      {"readers", 0, "readers --no-probe", "", "the fixture's vpcd reader"},
      {"readers", 2, "readers extra", "", "an argument readers does not take"},
      {"readers", 4, "!" + no_pcscd + idtap + " readers", "", "no pcscd at that socket"},
      {"watch", 0, "watch --count 1", "", "the vpcd reader reported as added, then --count ends it"},
      {"watch", 2, "watch --count x", "", "--count is not a number"},
      {"watch", 4, "!" + no_pcscd + idtap + " watch --count 1", "", "no pcscd (and no libnfc device)"},
      {"apdu", 0, "apdu" + card + " 00A4040C07A0000002471001", "", "SELECT eMRTD answered 9000"},
      {"apdu", 1, "apdu" + card + " --stop-on-error 00B0000004 00B0000004", "", "READ BINARY without a current EF: 6986 stops it"},
      {"apdu", 2, "apdu" + card + " 00A4", "", "two bytes are no command APDU"},
      {"apdu", 4, "apdu --reader sim:" + t + "/no-card 00B0000004", "", "a card image that is not there"},
      {"apdu", 130, "apdu --reader pcsc:#0 --wait 60 00B0000004", "waiting up to", "Ctrl-C while waiting for a card"},
      {"read", 0, "read" + card + " --can 123456" + trust, "", "a genuine card"},
      {"read", 2, "read" + card + " --can 123456 --files 99", "", "no data group 99"},
      {"read", 3, "read" + card + " --can 123457" + trust, "", "a wrong CAN"},
      {"read", 4, "read --reader sim:" + t + "/no-card --can 123456", "", "a card image that is not there"},
      {"read", 5, "read --reader sim:" + t + "/tampered --can 123456 --trust " + t + "/tampered/pki/csca_cert.pem", "",
       "DG11 changed after signing"},
      {"read", 6, "read --reader sim:" + t + "/cloned --can 123456 --trust " + t + "/cloned/pki/csca_cert.pem", "",
       "copied data, its own chip key"},
      {"read", 7, "read" + card + " --can 123456", "", "no --trust"},
      {"read", 9, "read" + card + " --can 123456" + trust + " --out /proc/idtap-cannot-write", "", "--out unwritable"},
      {"read", 130, "read --reader pcsc:#0 --wait 60 --can 123456", "waiting up to", "Ctrl-C while waiting for a card"},
      {"demo", 0, "demo --out " + t + "/demo3", "", "the whole mission"},
      {"demo", 2, "demo --keep", "", "--keep is not an option (the usage no longer lists it)"},
      {"demo", 9, "demo --out /proc/idtap-demo", "", "--out cannot be created"},
      {"sim serve", 2, "sim serve", "", "--card missing"},
      {"sim serve", 4, "sim serve --card " + t + "/no-card", "", "no card image there"},
      {"sim personalize", 0, "sim personalize --out " + t + "/card2", "", "a new card image"},
      {"sim personalize", 2, "sim personalize --out " + t + "/card3 --bogus", "", "an unknown option"},
      {"sim personalize", 9, "sim personalize --out /proc/idtap-card", "", "--out cannot be written"},
      {"provision", 2, "provision", "", "nothing given"},
      {"provision", 9, "provision challenge --ledger /proc/idtap-no/ledger.db", "", "a ledger path that is not there"},
      {"mdoc", 0, "mdoc verify " + t + "/demo/credential.cbor --issuer-cert " + t + "/demo/issuer-cert.pem", "", "valid"},
      {"mdoc", 1, "mdoc verify " + t + "/demo/credential.cbor --issuer-cert " + t + "/demo/issuer-cert.pem --now 2099-01-01T00:00:00Z",
       "", "expired at that time"},
      {"mdoc", 2, "mdoc frob x", "", "no such action"},
      {"mdoc", 7, "mdoc verify " + t + "/demo/credential.cbor --issuer-cert " + t + "/card/pki/csca_cert.pem", "",
       "a CA the issuer does not chain to"},
      {"mdoc", 9, "mdoc verify /nonexistent --issuer-cert " + t + "/demo/issuer-cert.pem", "", "no such file (was 1)"},
      {"mdoc", 10, "mdoc verify " + t + "/text.txt --issuer-cert " + t + "/demo/issuer-cert.pem", "",
       "a corrupt credential (was 1, like a revoked one)"},
      {"credential", 0, "credential list" + ledger, "", "the list"},
      {"credential", 1, "!" + idtap + " credential revoke " + id + ledger + " && " + idtap + " credential resume " + id + ledger,
       "", "resuming a revoked credential"},
      {"credential", 2, "credential list", "", "--ledger missing"},
      {"credential", 8, "!" + idtap + " card report-lost" + ledger2 + " --document-number KR1234567 && " + idtap +
                            " credential resume " + id_in(ledger2) + ledger2,
       "", "resume while the card is reported lost (its loss suspended the credential)"},
      {"credential", 9, "credential show nosuch" + ledger, "", "no such credential"},
      {"card", 0, "card report-lost" + ledger + " --document-number KR1234567", "", "the demo card, reported lost"},
      {"card", 1, "card found --ledger " + t + "/demo3/ledger.db --document-number KR1234567", "", "found, but never reported lost"},
      {"card", 2, "card frob", "", "no such action"},
      {"card", 9, "card found" + ledger + " --document-number NOPE", "", "no such card"},
      {"ledger", 0, "ledger verify" + ledger, "", "consistent"},
      {"ledger", 1, "!rm " + t + "/demo3/credential.cbor && " + idtap + " ledger verify --ledger " + t + "/demo3/ledger.db",
       "", "a recorded credential file is gone"},
      {"ledger", 2, "ledger frob", "", "no such action"},
      {"ledger", 8, "ledger init" + ledger + " --status-uri https://other.example/status", "",
       "init on an existing ledger with another status URI"},
      {"ledger", 9, "!chmod 644 " + t + "/demo3/ledger.db.key && " + idtap + " ledger verify --ledger " + t + "/demo3/ledger.db",
       "", "the ledger key readable by others (was 8, 'refused')"},
      {"serve", 2, "serve --ledger " + t + "/demo/ledger.db --issuer-key x --issuer-cert x --listen 0.0.0.0:8443", "",
       "plain HTTP on a non-loopback address"},
      {"serve", 9, "!printf '%s' 0123456789abcdef0123456789abcdef > " + t + "/token && chmod 644 " + t + "/token && " + idtap +
       " serve --ledger " + t + "/demo/ledger.db --issuer-key x --issuer-cert x --listen 127.0.0.1:0 --admin-token-file " + t + "/token",
       "", "an admin token file readable by others"},
      {"serve", 10, "!openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout " + t + "/ik.pem -out " + t +
       "/ic.pem -subj /CN=issuer -days 3650 2>/dev/null && chmod 600 " + t + "/ik.pem && " + idtap + " serve --ledger " + t +
       "/demo/ledger.db --issuer-key " + t + "/ik.pem --issuer-cert " + t + "/ic.pem --listen 127.0.0.1:0 --tls-cert " + t +
       "/text.txt --tls-key " + t + "/text.txt", "", "a TLS certificate that is not one"},
      {"console", 2, "console --ledger " + t + "/demo/ledger.db --issuer-url http://127.0.0.1:1" + trust + " --listen 0.0.0.0:8780",
       "", "a non-loopback address"},
      {"console", 9, "console --ledger " + t + "/nosuch.db --issuer-url http://127.0.0.1:1" + trust, "", "no ledger there"},
      {"console", 2, "console --ledger " + t + "/demo/ledger.db --issuer-url http://127.0.0.1:1" + trust + " --status-out " + t +
       "/status.cwt --issuer-key " + t + "/text.txt --issuer-cert " + t + "/demo/issuer-cert.pem", "", "an issuer key that is not one"},
      {"clerk", 0, "!printf 'long-password-1\\n' | " + idtap + " clerk add kim" + ledger, "", "a new clerk"},
      {"clerk", 1, "!printf 'long-password-1\\n' | " + idtap + " clerk add kim" + ledger, "", "the same clerk again"},
      {"clerk", 2, "!printf 'short\\n' | " + idtap + " clerk add lee" + ledger, "", "a password too short"},
      {"clerk", 9, "clerk list --ledger " + t + "/nosuch.db", "", "no ledger there"},
      {"provision", 13, "provision challenge" + old_ledger, "", "a ledger of an older schema (was 1)"},
      {"credential", 13, "credential list" + old_ledger, "", "a ledger of an older schema (was 1)"},
      {"card", 13, "card report-lost" + old_ledger + " --document-number KR1234567", "", "a ledger of an older schema (was 1)"},
      {"ledger", 13, "ledger verify" + old_ledger, "", "a ledger of an older schema (was 1)"},
      {"status-list", 13, "status-list publish" + old_ledger + issuer13 + " --out " + t + "/status13.cwt", "",
       "a ledger of an older schema (was 1)"},
      {"serve", 13, "serve" + old_ledger + issuer13 + " --listen 127.0.0.1:0", "", "a ledger of an older schema (was 1)"},
      {"console", 13, "console" + old_ledger + " --issuer-url http://127.0.0.1:1" + trust, "", "a ledger of an older schema (was 1)"},
      {"clerk", 13, "clerk list" + old_ledger, "", "a ledger of an older schema (was 1)"},
      {"status-list", 2, "status-list frob", "", "no such action"},
      {"status-list", 9, "status-list show /nonexistent --issuer-cert " + t + "/demo/issuer-cert.pem", "", "no such file"},
      {"status-list", 10, "status-list show " + t + "/text.txt --issuer-cert " + t + "/demo/issuer-cert.pem", "",
       "not a status list token"},
  };

  // The cases and the table cover each other.
  const Codes readme = readme_codes();
  std::set<std::pair<std::string, int>> provoked;
  for (const Case& c : cases) provoked.insert({c.command, c.code});
  for (const auto& [command, codes] : readme)
    for (const auto& [code, meaning] : codes) {
      CAPTURE(command);
      CAPTURE(code);
      CHECK_MESSAGE((provoked.count({command, code}) + kElsewhere.count({command, code})) == 1,
                    "a README exit code with no case here or in kElsewhere (or with both)");
    }
  for (const Case& c : cases) {
    CAPTURE(c.command);
    CAPTURE(c.code);
    CHECK(readme.count(c.command) == 1);
    CHECK(readme.at(c.command).count(c.code) == 1);
  }

  for (const Case& c : cases) {
    CAPTURE(c.why);
    const std::string line = c.line[0] == '!' ? c.line.substr(1) : idtap + " " + c.line;
    CAPTURE(line);
    if (c.code == 130) {
      idtap::test::ChildProcess child;
      REQUIRE(child.start({"/bin/sh", "-c", "exec " + line}, t + "/interrupted.log"));
      // The signal goes once the command waits (its interrupt handling is in place by then).
      REQUIRE_MESSAGE(child.wait_for_log(c.interrupt), child.log());
      // handled (not killed by the signal), and the code documented
      CHECK_MESSAGE(child.interrupt(std::chrono::milliseconds(10000)) == c.code, child.log());
      continue;
    }
    auto r = run_shell(line);
    CAPTURE(r.out);
    CHECK(r.exit_code == c.code);
  }
}

TEST_CASE("--json: every failure is one JSON document on stdout, with the exit code of the text mode") {
  idtap::test::ScratchDir tmp("json-errors");
  const std::string t = tmp.path();
  const std::string idtap = idtap_binary();
  REQUIRE(run_shell(idtap + " sim personalize --out " + t + "/card").exit_code == 0);
  const struct {
    std::string args;
    int code;
    const char* error_code;  // the "code" of the error object
    const char* sw;          // its "sw", or "" when the error has none
    const char* why;
  } cases[] = {
      {"read --reader sim:" + t + "/card --can 123457", 3, "auth_failed", "63C2", "a wrong CAN (was 0 bytes on stdout)"},
      {"read --reader sim:" + t + "/no-card --can 123456", 4, "no_reader", "", "no card image"},
      {"read --bogus", 2, "invalid_argument", "", "an unknown option"},
      {"atr 3B 8F 80 01 80 4F", 10, "malformed", "", "a malformed ATR (was 0 bytes on stdout)"},
      {"atr 3G", 2, "invalid_argument", "", "bad hex"},
      {"apdu --reader sim:" + t + "/no-card 00B0000004", 4, "no_reader", "", "no card image"},
      {"apdu --reader sim:" + t + "/card --stop-on-error 00B0000004", 1, "card_status", "6986", "stopped at an error SW"},
      {"mdoc verify /nonexistent --issuer-cert " + t + "/card/pki/csca_cert.pem", 9, "not_found", "", "no such file"},
      {"mdoc show /nonexistent", 9, "not_found", "", "no such file"},
      {"credential list --ledger /proc/idtap-no/l.db", 9, "not_found", "", "a ledger path that is not there (only init creates one)"},
      {"readers --bogus", 2, "invalid_argument", "", "an unknown option"},
  };
  for (const auto& c : cases) {
    CAPTURE(c.why);
    // stdout alone (run_shell joins its 2>&1 after the last command).
    auto r = run_shell(idtap + " " + c.args + " --json 2>/dev/null; exit $?");
    CAPTURE(r.out);
    CHECK(r.exit_code == c.code);
    std::string why_not;
    auto doc = idtap::test::parse_json(r.out, &why_not);
    CAPTURE(why_not);
    REQUIRE_MESSAGE(doc.has_value(), "stdout is not one JSON document");
    REQUIRE(doc->contains("error"));
    const auto& error = doc->at("error");
    REQUIRE(error.contains("code"));
    CHECK(error.at("code").get<std::string>() == c.error_code);
    REQUIRE(error.contains("message"));
    CHECK_FALSE(error.at("message").get<std::string>().empty());
    if (*c.sw) {
      REQUIRE(error.contains("sw"));
      CHECK(error.at("sw").get<std::string>() == c.sw);
    } else {
      CHECK_FALSE(error.contains("sw"));
    }
    // The same exit code without --json.
    CHECK(run_shell(idtap + " " + c.args + " >/dev/null 2>&1; exit $?").exit_code == c.code);
  }
}
