// The command line's option parsing, through the idtap binary: clustered short flags (-vv, -vh)
// work on every command, and what is not an option is refused with the usage exit code.
#include <doctest/doctest.h>

#include <sys/wait.h>

#include <chrono>
#include <csignal>
#include <regex>
#include <string>
#include <thread>

#include "support/pcscd_fixture.h"
#include "support/run_shell.h"
#include "support/scratch_dir.h"
#include "tools/json.h"

using idtap::test::idtap_binary;
using idtap::test::run_shell;

TEST_CASE("clustered short flags: -vv counts twice, -vh asks for help, on every command that has -v") {
  for (const char* command : {"readers", "apdu", "read"}) {
    CAPTURE(command);
    auto help = run_shell(idtap_binary() + " " + command + " -vh");
    CAPTURE(help.out);
    CHECK(help.exit_code == 0);
    CHECK(help.out.rfind(std::string("usage: idtap ") + command, 0) == 0);
    auto twice = run_shell(idtap_binary() + " " + command + " -vv --help");
    CHECK(twice.exit_code == 0);
  }
}

TEST_CASE("what is not a flag cluster is an unknown option, exit code 2") {
  const struct {
    const char* args;
    const char* why;
  } cases[] = {
      {"readers -vq", "q is no flag of readers"},
      {"readers -v-", "'-' inside a cluster"},
      {"read -vr sim:x", "r would take a value: it cannot sit in a cluster"},
      {"atr -12", "a negative number"},
  };
  for (const auto& c : cases) {
    CAPTURE(c.why);
    auto r = run_shell(idtap_binary() + " " + c.args);
    CAPTURE(r.out);
    CHECK(r.exit_code == 2);
    CHECK(r.out.find("unknown option") != std::string::npos);
  }
  auto twice = run_shell(idtap_binary() + " readers -hh");
  CHECK(twice.exit_code == 2);
  CHECK(twice.out.find("given twice") != std::string::npos);
}

TEST_CASE("idtap read -vv: the APDU trace never shows the CAN, the resident number or the name") {
  idtap::test::ScratchDir tmp("cli-trace");
  const std::string card = tmp.path() + "/card";
  auto made = run_shell(idtap_binary() + " sim personalize --out " + card + " --can 987650");
  REQUIRE_MESSAGE(made.exit_code == 0, made.out);
  auto read = run_shell(idtap_binary() + " read --reader sim:" + card + " --can 987650 --trust " + card +
                        "/pki/csca_cert.pem -vv 2>" + tmp.path() + "/trace.txt >/dev/null; cat " + tmp.path() + "/trace.txt");
  CHECK(read.exit_code == 0);
  const std::string& trace = read.out;
  REQUIRE(trace.find("#1 > ") != std::string::npos);  // there is a trace
  const std::regex text_can("(^|[^0-9A-Fa-f])987650($|[^0-9A-Fa-f])");
  CHECK_FALSE(std::regex_search(trace, text_can));
  for (const char* hidden : {"393837363530", "39 38 37 36 35 30",  // the CAN as ASCII bytes, compact and spaced
                             "900101-1234567", "1234567",           // the resident number
                             "3930303130312D31323334353637",        // the same as ASCII bytes
                             "31 32 33 34 35 36 37",                // its last digits, spaced as the trace prints bytes
                             "GILDONG", "HONG", "47 49 4C 44 4F 4E 47"}) {
    CAPTURE(hidden);
    CHECK(trace.find(hidden) == std::string::npos);
  }
}

TEST_CASE("idtap read --trust DIR: a card's pki/ directory (CSCA, CRL, keys, Document Signer) just works") {
  idtap::test::ScratchDir tmp("cli-trustdir");
  const std::string card = tmp.path() + "/card";
  auto made = run_shell(idtap_binary() + " sim personalize --out " + card);
  REQUIRE_MESSAGE(made.exit_code == 0, made.out);
  // The keys and the Document Signer are passed over (and said so with -v); the CSCA and its CRL load.
  auto read = run_shell(idtap_binary() + " read --reader sim:" + card + " --can 123456 --trust " + card + "/pki --json -v 2>" +
                        tmp.path() + "/err.txt; echo; cat " + tmp.path() + "/err.txt");
  INFO(read.out);
  CHECK(read.exit_code == 0);
  CHECK(read.out.find("\"genuine\": true") != std::string::npos);
  CHECK(read.out.find("skipped " + card + "/pki/ds_cert.pem") != std::string::npos);
  CHECK(read.out.find("skipped " + card + "/pki/csca_key.pem") != std::string::npos);
  // A directory with nothing to trust is a usage error, not a silent "no trust anchor".
  auto nothing = run_shell(idtap_binary() + " read --reader sim:" + card + " --can 123456 --trust " + card + " 2>&1");
  CHECK(nothing.exit_code == 2);
  CHECK(nothing.out.find("no CSCA certificate") != std::string::npos);
  // A Document Signer's certificate named as the trust anchor is refused with the reason.
  auto ds = run_shell(idtap_binary() + " read --reader sim:" + card + " --can 123456 --trust " + card + "/pki/ds_cert.pem 2>&1");
  CHECK(ds.exit_code == 2);
  CHECK(ds.out.find("not a CA certificate") != std::string::npos);
}

TEST_CASE("idtap read: one exit code per verdict, on simulated cards") {
  idtap::test::ScratchDir tmp("cli-exit");
  auto personalize = [&](const std::string& name, const std::string& options) {
    auto made = run_shell(idtap_binary() + " sim personalize --out " + tmp.path() + "/" + name + " " + options);
    REQUIRE_MESSAGE(made.exit_code == 0, made.out);
    return tmp.path() + "/" + name;
  };
  const std::string good = personalize("good", "");
  const std::string tampered = personalize("tampered", "--tamper dg11");
  const std::string cloned = personalize("cloned", "--cloned --aa none");
  auto read = [&](const std::string& card, const std::string& options) {
    return run_shell(idtap_binary() + " read --reader sim:" + card + " " + options + " --json");
  };
  const std::string trust = " --trust " + good + "/pki/csca_cert.pem";
  const struct {
    std::string card;
    std::string options;
    int exit_code;
    const char* says;
    const char* why;
  } cases[] = {
      {good, "--can 123456" + trust, 0, "\"genuine\": true", "a genuine card"},
      {good, "--can 123457" + trust, 3, "auth", "a wrong CAN"},
      {tampered, "--can 123456 --trust " + tampered + "/pki/csca_cert.pem", 5, "DG11", "a data group changed after signing"},
      {cloned, "--can 123456 --trust " + cloned + "/pki/csca_cert.pem", 6, "\"chip\": \"failed\"", "a clone: copied data, its own chip key"},
      {good, "--can 123456", 7, "no_trust_anchor", "no trusted CSCA given"},
      {good, "--can 123456 --trust " + tampered + "/pki/csca_cert.pem", 7, "no_trust_anchor", "another card's CSCA"},
      {tmp.path() + "/no-such-card", "--can 123456", 4, "", "a card image that is not there"},
      {good, "--can 123456" + trust + " --out /proc/idtap-cannot-write", 9, "", "--out where nothing can be written"},
      {good, "--can 123456 --trust " + tmp.path() + "/no-such-csca.pem", 2, "no such file", "a --trust path that is not there"},
  };
  for (const auto& c : cases) {
    CAPTURE(c.why);
    auto r = read(c.card, c.options);
    CAPTURE(r.out);
    CHECK(r.exit_code == c.exit_code);
    CHECK(r.out.find(c.says) != std::string::npos);
  }
}

TEST_CASE("idtap apdu: Ctrl-C stops a long script on a simulated card too (exit 130, what was sent is reported)") {
  idtap::test::ScratchDir tmp("cli-apdu-int");
  const std::string card = tmp.path() + "/card";
  REQUIRE(run_shell(idtap_binary() + " sim personalize --out " + card).exit_code == 0);
  const std::string script = tmp.path() + "/script.txt";
  REQUIRE(run_shell("yes 00B0000004 | head -n 3000000 > " + script).exit_code == 0);
  idtap::test::ChildProcess apdu;
  // exec: the shell becomes idtap, so the signal reaches it.
  REQUIRE(apdu.start({"/bin/sh", "-c", "exec " + idtap_binary() + " apdu --reader sim:" + card + " < " + script},
                     tmp.path() + "/apdu.log"));
  // Signal once the exchanges are under way (the script is read and parsed first).
  REQUIRE(apdu.wait_for_log("\n< "));
  REQUIRE(apdu.running());  // far from done: 3,000,000 APDUs take many seconds
  // It stopped (before the fix it ran the whole script), with 128 + SIGINT as shells report it
  // (it was 1).
  CHECK(apdu.interrupt(std::chrono::milliseconds(5000)) == 130);
  const std::string log = apdu.log();
  CHECK_MESSAGE(log.find("cancelled: interrupted after") != std::string::npos, log.substr(log.size() > 500 ? log.size() - 500 : 0));
}

TEST_CASE("idtap help COMMAND prints that command's help, for every command; --version and -V") {
  auto list = run_shell(idtap_binary() + " help");
  REQUIRE(list.exit_code == 0);
  const std::regex listed(R"(\n  ([a-z-]+) {2,})");
  int commands = 0;
  for (std::sregex_iterator it(list.out.begin(), list.out.end(), listed), end; it != end; ++it, ++commands) {
    const std::string name = (*it)[1];
    CAPTURE(name);
    auto help = run_shell(idtap_binary() + " help " + name);
    auto own = run_shell(idtap_binary() + " " + name + " --help");
    CHECK(help.exit_code == 0);
    CHECK(help.out == own.out);  // the command's own help, not the general one (it was)
    CHECK(help.out.find("usage: idtap " + name) == 0);
  }
  CHECK(commands >= 14);
  for (const char* flag : {"--version", "-V", "version"}) {
    CAPTURE(flag);
    auto v = run_shell(idtap_binary() + " " + flag);
    CHECK(v.exit_code == 0);  // it was "unknown command", 2
    CHECK(v.out == std::string("idtap ") + IDTAP_TEST_VERSION + "\n");
  }
}

TEST_CASE("every option a usage line lists is accepted by the parser (demo listed --keep it rejected)") {
  const struct {
    const char* command;
    const char* probe;  // the command with each listed option, stopped by --help before it runs
  } cases[] = {
      {"demo", "demo --out x --face jpeg --help"},  // the usage: [--out DIR] [--face jpeg|jp2]
      {"atr", "atr --json --help"},
      {"readers", "readers --json --no-probe --help"},
      {"watch", "watch --json --count 1 --timeout 1 --no-initial --help"},
  };
  for (const auto& c : cases) {
    CAPTURE(c.command);
    auto help = run_shell(idtap_binary() + " " + c.command + " --help");
    const std::string usage = help.out.substr(0, help.out.find('\n'));
    CHECK(usage.find("--keep") == std::string::npos);
    CHECK(run_shell(idtap_binary() + " " + c.probe).exit_code == 0);
  }
}

TEST_CASE("idtap apdu: 'reset' in a script, spaced hex, and the reader's fields apart in --json") {
  idtap::test::ScratchDir tmp("cli-apdu-reset");
  const std::string card = tmp.path() + "/card";
  REQUIRE(run_shell(idtap_binary() + " sim personalize --out " + card).exit_code == 0);
  auto text = run_shell("printf '00A4040C07A0000002471001\\nreset\\n00B0000004\\n' | " + idtap_binary() +
                        " apdu --reader sim:" + card + " 2>/dev/null; exit $?");
  CAPTURE(text.out);
  CHECK(text.exit_code == 0);
  CHECK(text.out.find("> 00 A4 04 0C 07 A0 00 00 02 47 10 01\n< 9000") != std::string::npos);  // spaced (was 00A4040C...)
  CHECK(text.out.find("> reset\n< ATR 3B 80 80 01 01\n") != std::string::npos);
  // After the reset nothing is selected any more: the card says so.
  CHECK(text.out.find("> 00 B0 00 00 04\n< 6986") != std::string::npos);
  auto json = run_shell(idtap_binary() + " apdu --json --reader sim:" + card + " reset 00B0000004 2>/dev/null; exit $?");
  CAPTURE(json.out);
  auto doc = idtap::test::parse_json(json.out);
  REQUIRE(doc.has_value());
  const auto& reader = doc->at("reader");
  REQUIRE(reader.is_object());  // it was one string with "(...)" glued on
  CHECK(reader.at("name").get<std::string>() == "sim:" + card);
  CHECK(reader.at("protocol").is_null());  // the simulated card has no T=0/T=1
  CHECK(reader.at("extended_length").get<bool>());
  CHECK(doc->at("exchanges").at(0).at("command").get<std::string>() == "reset");
  CHECK(doc->at("exchanges").at(0).at("atr").get<std::string>() == "3B80800101");
}

TEST_CASE("libnfc's log lines stay off stderr unless -v") {
  // Without USB access (this test environment) libnfc logs "Unable to find USB busses" at its
  // default level while it scans for devices. The test support turns the scan and the log off
  // for the test process (tests/support/pn532_emulator.cpp); here both are back to libnfc's
  // defaults, as a user has them.
  const struct {
    const char* args;
    bool noise;
    const char* why;
  } cases[] = {
      {"readers --no-probe", false, "the default: silenced (it was printed)"},
      {"readers --no-probe -v", true, "-v: libnfc's own diagnostics are shown"},
  };
  for (const auto& c : cases) {
    const std::string why = c.why;
    CAPTURE(why);
    // stderr alone (run_shell joins its 2>&1 after the last command).
    auto r = run_shell("env -u LIBNFC_LOG_LEVEL -u LIBNFC_AUTO_SCAN " + idtap_binary() + " " + c.args + " 2>&1 >/dev/null; exit $?");
    CAPTURE(r.out);
    CHECK((r.out.find("libnfc") != std::string::npos) == c.noise);
  }
}
