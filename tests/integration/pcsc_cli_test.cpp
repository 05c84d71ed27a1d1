// idtap readers / apdu / watch through a real pcscd: the private pcscd with its vpcd reader
// (tests/support/pcscd_fixture.h) and the simulated card served by `idtap sim serve`.
#include <doctest/doctest.h>
#include <signal.h>
#include <sys/wait.h>

#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "idtap/base/hex.h"
#include "idtap/sim/card_image.h"
#include "support/pcscd_fixture.h"
#include "support/scratch_dir.h"
#include "support/sim_images.h"

using namespace idtap;
using namespace std::chrono_literals;

namespace {

std::string quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

struct Run {
  int exit_code = -1;
  std::string out;  // stdout
  std::string err;  // stderr
};

std::string slurp(const std::string& path) {
  std::ifstream in(path);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

// run_idtap: runs the built idtap with `args` (each quoted), `input` on stdin, `env` prefixed
// ("NAME=value ..."), and returns its exit code, stdout and stderr.
Run run_idtap(const test::ScratchDir& tmp, const std::vector<std::string>& args, const std::string& input = "",
              const std::string& env = "") {
  const std::string in = tmp.path() + "/stdin", err = tmp.path() + "/stderr";
  std::ofstream(in) << input;
  std::string command = env + (env.empty() ? "" : " ") + quote(test::idtap_binary());
  for (const auto& a : args) command += " " + quote(a);
  command += " <" + quote(in) + " 2>" + quote(err);
  Run r;
  FILE* f = popen(command.c_str(), "r");
  REQUIRE(f != nullptr);
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, f)) > 0) r.out.append(buf, n);
  int status = pclose(f);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  r.err = slurp(err);
  return r;
}

bool has(const std::string& s, const std::string& needle) { return s.find(needle) != std::string::npos; }

std::string write_basic_card(const test::ScratchDir& dir) {
  std::string card = dir.path() + "/card";
  REQUIRE(sim::write_card_image(card, test::basic_card_image()).ok());
  return card;
}

}  // namespace

TEST_CASE("idtap readers and idtap apdu against the simulated card in pcscd") {
  test::ScratchDir tmp("pcsc-cli");
  const std::string card_dir = write_basic_card(tmp);
  const sim::CardImage image = test::basic_card_image();
  test::PcscdFixture pcscd;
  REQUIRE_MESSAGE(pcscd.ok(), pcscd.error());
  test::SimServeProcess serve(card_dir, pcscd.vpcd_port(), {"--quiet"});
  REQUIRE_MESSAGE(serve.ok(), serve.error());
  REQUIRE_MESSAGE(pcscd.wait_card(true, 10000ms), serve.log());
  const std::string reader = pcscd.reader_name(0);

  // readers: both vpcd slots, the card's ATR and UID, and the eMRTD application.
  Run readers = run_idtap(tmp, {"readers", "--json"});
  CAPTURE(readers.out);
  CAPTURE(readers.err);
  CHECK(readers.exit_code == 0);
  CHECK(has(readers.out, "\"spec\": \"pcsc:" + reader + "\""));
  CHECK(has(readers.out, "\"state\": \"card present\""));
  CHECK(has(readers.out, "\"atr\": \"" + to_hex(image.config.atr, true) + "\""));
  CHECK(has(readers.out, "\"uid\": \"" + to_hex(image.config.uid, true) + "\""));
  CHECK(has(readers.out, "\"emrtd\": true"));
  CHECK(has(readers.out, "\"name\": \"" + pcscd.reader_name(1) + "\""));
  CHECK(has(readers.out, "\"state\": \"empty\""));
  CHECK(has(readers.out, "\"problems\": []"));
  CHECK_FALSE(has(readers.out, "\"atr_summary\": null,\n      \"uid\": \"" + to_hex(image.config.uid, true)));
  Run readers_text = run_idtap(tmp, {"readers"});
  CHECK(readers_text.exit_code == 0);
  CHECK(has(readers_text.out, "pcsc:#0  " + reader));
  CHECK(has(readers_text.out, "eMRTD:  yes"));

  // apdu from arguments, without --reader (the only reader holding a card), with the trace. The
  // SFI read of EF.CardAccess works from the MF only: `readers` must have left the card reset.
  Run args = run_idtap(tmp, {"apdu", "-v", "00 B0 9C 00 00", "00A4040C07A0000002471001", "0000000000"});
  CAPTURE(args.out);
  CAPTURE(args.err);
  CHECK(args.exit_code == 0);
  // Human-readable bytes are spaced, as pcsc-tools prints them (JSON below stays compact).
  CHECK(has(args.out, "> 00 A4 04 0C 07 A0 00 00 02 47 10 01\n< 9000  success"));
  CHECK(has(args.out, "< " + to_hex(*image.files.card_access, true, ' ') + " 6282  "));
  CHECK(has(args.out, "< 6D00  instruction"));
  CHECK(has(args.err, "#2 > 00 A4 04 0C A0 00 00 02 47 10 01"));  // the -v trace spaces bytes too
  CHECK(has(args.err, "#1 < "));  // the plain read's data, cut to its prefix
  CHECK(has(args.err, "...(+6 bytes) 6282"));
  CHECK_FALSE(has(args.err, to_hex(*image.files.card_access, true, ' ')));  // cut to its prefix

  // A script on stdin: comments, blank lines, a short and an extended READ BINARY of
  // EF.CardAccess by SFI (the vpcd reader does not say it carries extended APDUs: --length
  // extended says so), JSON out.
  const std::string script =
      "00A4000C023F00   # the MF (the last command left the eMRTD application selected)\n"
      "# EF.CardAccess, short then extended Le = 1024\n"
      "00B09C0000\n"
      "\n"
      "00B09C00000400   # extended\n"
      "00A4040C07A0000002471001  # the eMRTD application\n";
  Run json = run_idtap(tmp, {"apdu", "--reader", "pcsc:#0", "--length", "extended", "--json"}, script);
  CAPTURE(json.out);
  CAPTURE(json.err);
  CHECK(json.exit_code == 0);
  const std::string card_access = "\"response\":\"" + to_hex(*image.files.card_access, true) + "\",\"sw\":\"6282\"";
  CHECK(has(json.out, "{\"command\":\"00B09C0000\"," + card_access));
  CHECK(has(json.out, "{\"command\":\"00B09C00000400\"," + card_access));
  CHECK(has(json.out, "{\"command\":\"00A4040C07A0000002471001\",\"response\":\"\",\"sw\":\"9000\""));
  CHECK_FALSE(has(json.out, "\"error\""));
  // The same extended APDU with short APDUs only: refused before it reaches the card.
  Run short_only = run_idtap(tmp, {"apdu", "--reader", "pcsc:" + reader, "--length", "short", "00B00000000400"});
  CHECK(short_only.exit_code != 0);
  CHECK(has(short_only.err, "short APDUs only"));
  // A malformed APDU is a usage error naming its line, and nothing is sent.
  Run bad = run_idtap(tmp, {"apdu", "--reader", "pcsc:#0"}, "00A4040C07A0000002471001\n00A4 zz\n");
  CHECK(bad.exit_code == 2);
  CHECK(has(bad.err, "line 2"));
  CHECK(bad.out.empty());
  // An unknown reader lists the ones there are.
  Run unknown = run_idtap(tmp, {"apdu", "--reader", "pcsc:no such reader", "00A4040C07A0000002471001"});
  CHECK(unknown.exit_code == 4);
  CHECK(has(unknown.err, reader));
}

TEST_CASE("idtap apdu: the card leaving in the middle of a script is a card-removed error") {
  test::ScratchDir tmp("pcsc-leave");
  const std::string card_dir = write_basic_card(tmp);
  test::PcscdFixture pcscd;
  REQUIRE_MESSAGE(pcscd.ok(), pcscd.error());
  test::SimServeProcess serve(card_dir, pcscd.vpcd_port(), {"--quiet", "--leave-after", "2", "--return-after", "4000"});
  REQUIRE_MESSAGE(serve.ok(), serve.error());
  REQUIRE_MESSAGE(pcscd.wait_card(true, 10000ms), serve.log());
  const std::string script =
      "00A4040C07A0000002471001\n"
      "00A4020C02011E\n"
      "00B0000004\n"  // the card has left by now
      "00B0000004\n";
  Run r = run_idtap(tmp, {"apdu", "--reader", "pcsc:#0", "--json"}, script);
  CAPTURE(r.out);
  CAPTURE(r.err);
  CHECK(r.exit_code == 4);
  CHECK(has(r.out, "\"command\":\"00A4020C02011E\""));
  CHECK_FALSE(has(r.out, "\"command\":\"00B0000004\""));
  CHECK(has(r.out, "\"code\":\"card_removed\""));
  CHECK(has(r.err, "card_removed"));
}

TEST_CASE("idtap watch sees the card come and go as idtap sim serve starts and stops") {
  test::ScratchDir tmp("pcsc-watch");
  const std::string card_dir = write_basic_card(tmp);
  const sim::CardImage image = test::basic_card_image();
  test::PcscdFixture pcscd;
  REQUIRE_MESSAGE(pcscd.ok(), pcscd.error());
  const std::string reader = pcscd.reader_name(0);

  test::ChildProcess watch;
  REQUIRE(watch.start({test::idtap_binary(), "watch", "--json"}, tmp.path() + "/watch.log"));
  auto wait_for = [&](const std::string& needle) { return watch.wait_for_log(needle, 10s); };
  // The initial picture: both slots, no card.
  REQUIRE_MESSAGE(wait_for("\"reader\":\"pcsc:" + pcscd.reader_name(1) + "\""), watch.log());
  {
    test::SimServeProcess serve(card_dir, pcscd.vpcd_port(), {"--quiet"});
    REQUIRE(serve.ok());
    CHECK_MESSAGE(wait_for("\"event\":\"card_inserted\""), watch.log());
    serve.stop();
    CHECK_MESSAGE(wait_for("\"event\":\"card_removed\""), watch.log());
  }
  CHECK(watch.running());
  CHECK_MESSAGE(watch.interrupt(5000ms) == 0, watch.log());

  // One JSON object per line, in order.
  std::vector<std::string> lines;
  std::istringstream log(watch.log());
  for (std::string line; std::getline(log, line);) lines.push_back(line);
  CAPTURE(watch.log());
  std::vector<std::string> events;
  for (const auto& l : lines) {
    CHECK(l.front() == '{');
    CHECK(l.back() == '}');
    auto p = l.find("\"event\":\"");
    REQUIRE(p != std::string::npos);
    events.push_back(l.substr(p + 9, l.find('"', p + 9) - p - 9));
  }
  const std::vector<std::string> expected = {"reader_added", "reader_added", "card_inserted", "card_removed"};
  CHECK(events == expected);
  CHECK(has(watch.log(), "\"event\":\"card_inserted\",\"reader\":\"pcsc:" + reader + "\",\"atr\":\"" +
                             to_hex(image.config.atr, true) + "\""));

  // Ctrl-C cancels a command waiting for a card (SCardCancel from the signal thread).
  test::ChildProcess apdu;
  REQUIRE(apdu.start({test::idtap_binary(), "apdu", "--reader", "pcsc:#1", "--wait", "60", "00A4040C07A0000002471001"},
                     tmp.path() + "/apdu.log"));
  std::this_thread::sleep_for(500ms);
  CHECK(apdu.running());
  CHECK_MESSAGE(apdu.interrupt(5000ms) == 130, apdu.log());  // 128 + SIGINT
  CHECK_MESSAGE(has(apdu.log(), "cancelled"), apdu.log());
}

TEST_CASE("pcscd not running: every command says so and how to start it") {
  test::ScratchDir tmp("pcsc-down");
  // A socket path where no pcscd listens.
  const std::string env = "PCSCLITE_CSOCK_NAME=" + quote(tmp.path() + "/no-pcscd/pcscd.comm");
  const std::vector<std::vector<std::string>> commands = {
      {"readers"},
      {"apdu", "00A4040C07A0000002471001"},
      {"apdu", "--reader", "pcsc:#0", "00A4040C07A0000002471001"},
      {"watch", "--count", "1"},
  };
  for (const auto& c : commands) {
    Run r = run_idtap(tmp, c, "", env);
    CAPTURE(c[0]);
    CAPTURE(r.err);
    CHECK(r.exit_code == 4);
    CHECK(has(r.err, "pcscd is not running"));
    CHECK(has(r.err, "sudo systemctl start pcscd"));
  }
  Run json = run_idtap(tmp, {"readers", "--json"}, "", env);
  CHECK(json.exit_code == 4);
  CHECK(has(json.out, "\"code\": \"service_unavailable\""));
}

TEST_CASE("every command has --help") {
  test::ScratchDir tmp("pcsc-help");
  for (const char* c : {"readers", "watch", "apdu"}) {
    Run r = run_idtap(tmp, {c, "--help"});
    CAPTURE(c);
    CHECK(r.exit_code == 0);
    CHECK(has(r.out, std::string("usage: idtap ") + c));
    CHECK(has(r.out, "exit status"));
  }
  CHECK(run_idtap(tmp, {"apdu", "--bogus"}).exit_code == 2);
}
