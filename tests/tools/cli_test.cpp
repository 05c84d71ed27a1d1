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
  for (const char* hidden : {"393837363530",                  // the CAN as ASCII bytes
                             "900101-1234567", "1234567",     // the resident number
                             "3930303130312D31323334353637",  // the same as ASCII bytes
                             "GILDONG", "HONG"}) {
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

TEST_CASE("idtap apdu: Ctrl-C stops a long script on a simulated card too (exit 1, what was sent is reported)") {
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
  apdu.signal(SIGINT);
  const int status = apdu.wait_exit(std::chrono::milliseconds(5000));
  REQUIRE(status != -1);  // it stopped (before the fix it ran the whole script)
  CHECK(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 1);
  const std::string log = apdu.log();
  CHECK_MESSAGE(log.find("cancelled: interrupted after") != std::string::npos, log.substr(log.size() > 500 ? log.size() - 500 : 0));
}
