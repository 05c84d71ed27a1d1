// The integrator's view: libidtap.so as installed (`make install DESTDIR=tmp`) exports the C API
// only, and the kiosk examples of tools/examples (kiosk.c built through pkg-config, kiosk.py
// through ctypes) run against simulated cards served through a real pcscd + vpcd
// (tests/support/pcscd_fixture.h): cards read in a loop (one leaving the field mid-read), a
// wrong CAN, idtap_cancel from the signal thread during a wait and during a read, and the
// readers going away (pcscd stopped) while the kiosk waits.
#include <doctest/doctest.h>
#include <signal.h>
#include <sys/wait.h>

#include <string>
#include <thread>
#include <vector>

#include "capi/install_support.h"
#include "install/install_support.h"
#include "support/pcscd_fixture.h"
#include "support/run_shell.h"
#include "support/scratch_dir.h"

using namespace std::chrono_literals;
using idtap::test::contains;
using idtap::test::quote;
using idtap::test::run_shell;
using idtap::test::ShellRun;

namespace {

// Kiosk: one of the two examples, as a command line.
struct Kiosk {
  const char* name;
  std::vector<std::string> argv;
  bool python;
};

// kiosks: kiosk.c (built once against the staged library) and kiosk.py.
const std::vector<Kiosk>& kiosks() {
  static idtap::test::ScratchDir dir("capi-kiosk");
  static std::vector<Kiosk> all;
  if (!all.empty()) return all;
  const std::string exe = dir.path() + "/kiosk";
  const std::string failed = idtap::test::build_c_program(std::string(IDTAP_SOURCE_DIR) + "/tools/examples/kiosk.c", exe);
  REQUIRE_MESSAGE(failed.empty(), failed);
  all.push_back({"kiosk.c", {exe}, false});
  all.push_back({"kiosk.py", {idtap::test::kPython, std::string(IDTAP_SOURCE_DIR) + "/tools/examples/kiosk.py"}, true});
  return all;
}

// A personalized simulated card (`idtap sim personalize`) and its CSCA.
struct Card {
  idtap::test::ScratchDir dir{"capi-card"};
  std::string path = dir.path() + "/card";
  std::string csca = path + "/pki/csca_cert.pem";
  Card() {
    ShellRun made = run_shell(quote(idtap::test::idtap_binary()) + " sim personalize --out " + quote(path));
    REQUIRE_MESSAGE(made.exit_code == 0, made.out);
  }
};

// start: the kiosk with CAN, the card's CSCA and CARDS, output to a log; waits for its banner.
void start(idtap::test::ChildProcess& process, const Kiosk& kiosk, const std::string& log, const char* can,
           const Card& card, const char* cards) {
  std::vector<std::string> argv = kiosk.argv;
  argv.insert(argv.end(), {can, card.csca, cards});
  REQUIRE_MESSAGE(process.start(argv, log, idtap::test::program_env(kiosk.python)), process.error());
  REQUIRE_MESSAGE(process.wait_for_log("waiting for cards", 20000ms), process.log());
}

// exit_code: the exit status of a wait status, -1 when it did not exit normally.
int exit_code(int status) { return status >= 0 && WIFEXITED(status) ? WEXITSTATUS(status) : -1; }

// ended: how the kiosk ended, for the failure messages ("killed by signal 11" once told a crash
// from a hang: tests/capi/cancel_race_test.cpp).
std::string ended(int status) {
  if (status < 0) return "still running";
  if (WIFSIGNALED(status)) return "killed by signal " + std::to_string(WTERMSIG(status));
  return "exit status " + std::to_string(WEXITSTATUS(status));
}

}  // namespace

TEST_CASE("the installed libidtap.so exports the C API and nothing else") {
  const auto& in = idtap::test::installed();
  const std::string so = in.libdir + "/libidtap.so." IDTAP_TEST_VERSION;
  ShellRun symbols = run_shell("nm -D --defined-only " + quote(so));
  REQUIRE(symbols.exit_code == 0);
  int exported = 0;
  size_t at = 0;
  while (at < symbols.out.size()) {
    const size_t end = symbols.out.find('\n', at);
    const std::string line = symbols.out.substr(at, end - at);
    at = end == std::string::npos ? symbols.out.size() : end + 1;
    if (line.empty()) continue;
    const std::string name = line.substr(line.rfind(' ') + 1);
    CAPTURE(name);
    CHECK((name.rfind("idtap_", 0) == 0 || name == "IDTAP_1"));  // no C++ symbol, no std::
    exported += name.rfind("idtap_", 0) == 0;
  }
  CHECK(exported >= 25);
  ShellRun versions = run_shell("objdump -T " + quote(so) + " | grep ' idtap_read$'");
  CHECK(contains(versions.out, "IDTAP_1"));
  // The installed headers: the C API at idtap/idtap.h, which a C99 compiler takes alone.
  ShellRun header = run_shell("echo '#include <idtap/idtap.h>' | gcc -std=c99 -pedantic -Wall -Wextra -Werror -fsyntax-only -I" +
                              quote(in.prefix + "/include") + " -x c -");
  CHECK_MESSAGE(header.exit_code == 0, header.out);
  ShellRun pc = run_shell(in.pc_env + "pkg-config --print-requires-private idtap");
  for (const char* dep : {"libcbor", "sqlite3", "libopenjp2", "libpng", "libjpeg", "zlib", "fmt", "libqrencode", "libpcsclite",
                          "libnfc", "openssl", "nlohmann_json"}) {
    CAPTURE(dep);
    CHECK(contains(pc.out, dep));
  }
}

TEST_CASE("idtap/kiosk.h: the C++ facade pulls in no PC/SC, libnfc or internal header, and reads a card") {
  const auto& in = idtap::test::installed();
  // What the header brings along, as the preprocessor sees it: idtap/idtap.h and the standard
  // library only (the line markers name every file included).
  ShellRun pre = run_shell("echo '#include <idtap/kiosk.h>' | g++ -std=c++17 -E -I" + quote(in.prefix + "/include") + " -x c++ -");
  REQUIRE_MESSAGE(pre.exit_code == 0, pre.out);
  CHECK(contains(pre.out, "idtap/idtap.h"));
  for (const char* banned : {"winscard", "PCSC", "pcsclite", "nfc/nfc.h", "idtap/pcsc/", "idtap/select/", "idtap/nfc/",
                             "idtap/reader/", "idtap/base/", "tests/", "support/"}) {
    CAPTURE(banned);
    CHECK_FALSE(contains(pre.out, banned));
  }
  // tools/examples/read_once.cpp, built through pkg-config against the staged library, on a
  // simulated card: genuine with the right CAN, the chip's refusal with a wrong one.
  idtap::test::ScratchDir dir("capi-facade");
  const std::string exe = dir.path() + "/read_once";
  ShellRun flags = run_shell(in.pc_env + "pkg-config --define-prefix --cflags --libs idtap");
  REQUIRE(flags.exit_code == 0);
  ShellRun build = run_shell("g++ -std=c++17 -Wall -Wextra -Werror " + std::string(IDTAP_TEST_SANLDFLAGS) + " -o " + quote(exe) + " " +
                             quote(std::string(IDTAP_SOURCE_DIR) + "/tools/examples/read_once.cpp") + " " +
                             idtap::test::detail::trimmed(flags.out));
  REQUIRE_MESSAGE(build.exit_code == 0, build.out);
  Card card;
  const std::string env = "LD_LIBRARY_PATH=" + quote(in.libdir) + " ";
  ShellRun good = run_shell(env + quote(exe) + " " + quote("sim:" + card.path) + " 123456 " + quote(card.csca));
  CHECK_MESSAGE(good.exit_code == 0, good.out);
  CHECK(contains(good.out, "HONG, GILDONG\n"));
  CHECK(contains(good.out, "resident number: 900101-1******\n"));
  CHECK(contains(good.out, "genuine: yes\n"));
  ShellRun wrong = run_shell(env + quote(exe) + " " + quote("sim:" + card.path) + " 654321 " + quote(card.csca));
  CHECK_MESSAGE(wrong.exit_code == 2, wrong.out);
  CHECK(contains(wrong.out, "read failed: auth_failed"));
}

TEST_CASE("kiosk examples: cards read in a loop, one leaving mid-read; stopped by a signal while waiting") {
  Card card;
  for (const Kiosk& kiosk : kiosks()) {
    const std::string kiosk_name = kiosk.name;
    CAPTURE(kiosk_name);
    idtap::test::ScratchDir tmp("capi-loop");
    idtap::test::PcscdFixture pcscd;
    REQUIRE_MESSAGE(pcscd.ok(), pcscd.error());
    idtap::test::ChildProcess process;
    start(process, kiosk, tmp.path() + "/kiosk.log", "123456", card, "0");
    {
      idtap::test::SimServeProcess serve(card.path, pcscd.vpcd_port(), {"--quiet"});
      REQUIRE(serve.ok());
      CHECK_MESSAGE(process.wait_for_log("genuine: yes", 30000ms), process.log());
      CHECK_MESSAGE(process.wait_for_log("remove the card", 10000ms), process.log());
    }  // the card leaves
    CHECK_MESSAGE(process.wait_for_log("card out", 10000ms), process.log());
    {
      // The second card leaves the field after 6 APDUs and comes back: the read goes on.
      idtap::test::SimServeProcess serve(card.path, pcscd.vpcd_port(), {"--leave-after", "6", "--return-after", "1500"});
      REQUIRE(serve.ok());
      CHECK_MESSAGE(process.wait_for_log("genuine: yes", 40000ms, 2), std::string(process.log() + "\nserve:\n" + serve.log()));
      CHECK(contains(serve.log(), "card left the field after 6 APDUs"));
    }
    CHECK_MESSAGE(process.wait_for_log("card out", 10000ms, 2), process.log());
    const std::string log = process.log();
    CHECK(contains(log, "HONG, GILDONG\n"));
    CHECK(contains(log, "resident number: 900101-1******\n"));
    CHECK_FALSE(contains(log, "900101-1234567"));
    // Waiting for the third card: SIGTERM, and the signal thread's idtap_cancel ends the wait.
    process.signal(SIGTERM);
    const int status = process.wait_exit(15000ms);
    CHECK_MESSAGE(exit_code(status) == 0, std::string(ended(status) + "\n" + process.log()));
    CHECK_MESSAGE(contains(process.log(), "stopped after 2 card(s)"), process.log());
  }
}

TEST_CASE("kiosk examples: a wrong CAN is reported and the kiosk goes on") {
  Card card;
  for (const Kiosk& kiosk : kiosks()) {
    const std::string kiosk_name = kiosk.name;
    CAPTURE(kiosk_name);
    idtap::test::ScratchDir tmp("capi-can");
    idtap::test::PcscdFixture pcscd;
    REQUIRE_MESSAGE(pcscd.ok(), pcscd.error());
    idtap::test::ChildProcess process;
    start(process, kiosk, tmp.path() + "/kiosk.log", "654321", card, "1");
    {
      idtap::test::SimServeProcess serve(card.path, pcscd.vpcd_port(), {"--quiet"});
      REQUIRE(serve.ok());
      CHECK_MESSAGE(process.wait_for_log("read failed: auth_failed", 30000ms), process.log());
      CHECK_MESSAGE(process.wait_for_log("remove the card", 10000ms), process.log());
    }
    const int status = process.wait_exit(15000ms);
    CHECK_MESSAGE(exit_code(status) == 0, std::string(ended(status) + "\n" + process.log()));
    CHECK(contains(process.log(), "stopped after 1 card(s)"));
    CHECK_FALSE(contains(process.log(), "genuine"));
    CHECK_FALSE(contains(process.log(), "654321\n"));  // the detail never repeats the CAN
  }
}

TEST_CASE("kiosk examples: idtap_cancel from the signal thread stops a read waiting for its card") {
  Card card;
  for (const Kiosk& kiosk : kiosks()) {
    const std::string kiosk_name = kiosk.name;
    CAPTURE(kiosk_name);
    idtap::test::ScratchDir tmp("capi-cancel");
    idtap::test::PcscdFixture pcscd;
    REQUIRE_MESSAGE(pcscd.ok(), pcscd.error());
    idtap::test::ChildProcess process;
    start(process, kiosk, tmp.path() + "/kiosk.log", "123456", card, "0");
    // The card leaves mid-read and stays away for a minute: the read waits for it to return.
    idtap::test::SimServeProcess serve(card.path, pcscd.vpcd_port(), {"--leave-after", "6", "--return-after", "60000"});
    REQUIRE(serve.ok());
    REQUIRE_MESSAGE(process.wait_for_log("card in ", 30000ms), process.log());
    bool left = false;
    for (int i = 0; i < 200 && !left; ++i) {  // bounded: 20 s
      left = contains(serve.log(), "card left the field");
      if (!left) std::this_thread::sleep_for(100ms);
    }
    REQUIRE_MESSAGE(left, serve.log());
    process.signal(SIGTERM);
    const int status = process.wait_exit(15000ms);
    CHECK_MESSAGE(exit_code(status) == 0, std::string(ended(status) + "\n" + process.log()));
    CHECK(contains(process.log(), "stopped after 1 card(s)"));
    CHECK_FALSE(contains(process.log(), "genuine"));
  }
}

TEST_CASE("kiosk examples: the readers go away while the kiosk waits (pcscd stopped)") {
  Card card;
  for (const Kiosk& kiosk : kiosks()) {
    const std::string kiosk_name = kiosk.name;
    CAPTURE(kiosk_name);
    idtap::test::ScratchDir tmp("capi-unplug");
    idtap::test::PcscdFixture pcscd;
    REQUIRE_MESSAGE(pcscd.ok(), pcscd.error());
    idtap::test::ChildProcess process;
    start(process, kiosk, tmp.path() + "/kiosk.log", "123456", card, "0");
    pcscd.stop();
    const int status = process.wait_exit(20000ms);
    CHECK_MESSAGE(exit_code(status) == 3, std::string(ended(status) + "\n" + process.log()));
    CHECK(contains(process.log(), "wait: "));
  }
}
