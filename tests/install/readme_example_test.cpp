// README.md's C++ example for kiosks, kept honest: the ```cpp block under "### The C++ API (for
// kiosks)" is taken from the README as it is, compiled against an installed copy of this build
// (`make install DESTDIR=tmp`, flags from `pkg-config --cflags --libs idtap`, as the README says)
// and run against simulated cards: a genuine one, a wrong CAN, a cloned chip.
#include <doctest/doctest.h>
#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

#include "install/install_support.h"
#include "support/run_shell.h"

#include "support/scratch_dir.h"

namespace fs = std::filesystem;
using idtap::test::contains;
using idtap::test::make_command;
using idtap::test::quote;
using idtap::test::run_shell;
using idtap::test::ShellRun;

namespace {

// readme_kiosk_example: the first ```cpp block after the C++ API heading, verbatim.
std::string readme_kiosk_example() {
  std::ifstream in(std::string(IDTAP_SOURCE_DIR) + "/README.md");
  const std::string readme((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const size_t section = readme.find("### The C++ API (for kiosks)");
  REQUIRE(section != std::string::npos);
  const size_t open = readme.find("```cpp\n", section);
  REQUIRE(open != std::string::npos);
  const size_t close = readme.find("\n```", open + 7);
  REQUIRE(close != std::string::npos);
  REQUIRE(readme.find("\n## ", section) > close);  // the block belongs to that section
  return readme.substr(open + 7, close - open - 7 + 1);
}

}  // namespace

TEST_CASE("README's kiosk example compiles against the installed library and reads simulated cards") {
  idtap::test::ScratchDir scratch("readme");  // removed with everything in it, even when a check fails
  const fs::path tmp(scratch.path());
  const fs::path destdir = tmp / "root";
  const fs::path prefix = destdir / "usr/local";
  const fs::path libdir = prefix / "lib";

  const std::string program = readme_kiosk_example();
  CHECK(contains(program, "int main("));
  CHECK(contains(program, "idtap::reader::read_card("));
  { std::ofstream(tmp / "kiosk.cpp") << program; }

  ShellRun install = run_shell(make_command("install", destdir.string()));
  INFO(install.out);
  REQUIRE(install.exit_code == 0);
  auto trimmed = [](std::string text) {
    while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
    return text;
  };
  // The public headers reach <winscard.h> (idtap/select/select.h -> idtap/pcsc): an installed copy
  // gets libpcsclite's flags through idtap.pc's Requires.private. Here the DESTDIR tree needs
  // --define-prefix, which pkgconf also applies to libpcsclite.pc (found in a multiarch directory,
  // it would become /usr/lib/include/PCSC), so libpcsclite's own flags are added as they are.
  const std::string pc_env = "PKG_CONFIG_PATH=" + quote((libdir / "pkgconfig").string()) + " ";
  ShellRun pcsc = run_shell("pkg-config --cflags libpcsclite");
  REQUIRE(pcsc.exit_code == 0);
  ShellRun installed = run_shell(pc_env + "pkg-config --cflags idtap");
  REQUIRE(installed.exit_code == 0);
  CHECK(contains(installed.out, trimmed(pcsc.out)));  // what `pkg-config --cflags idtap` gives where it is installed
  ShellRun flags = run_shell(pc_env + "pkg-config --define-prefix --cflags --libs idtap");
  REQUIRE(flags.exit_code == 0);
  const std::string flag_text = trimmed(flags.out) + " " + trimmed(pcsc.out);
  // -O0: this checks that the example compiles and works, not how fast it runs.
  ShellRun build = run_shell(std::string(IDTAP_TEST_CXX) + " -O0 -Wall -Wextra -Werror " + IDTAP_TEST_SANLDFLAGS + " -o " +
                  quote((tmp / "kiosk").string()) + " " + quote((tmp / "kiosk.cpp").string()) + " " + flag_text);
  INFO(build.out);
  REQUIRE(build.exit_code == 0);

  const std::string idtap = quote((prefix / "bin/idtap").string());
  const std::string kiosk = "LD_LIBRARY_PATH=" + quote(libdir.string()) + " " + quote((tmp / "kiosk").string());
  const struct {
    const char* card_options;
    const char* can;
    int status;
    const char* says;
    const char* why;
  } cases[] = {
      {"", "123456", 0, "genuine: yes", "a genuine card"},
      {"", "123457", 3, "auth", "a wrong CAN"},
      {"--cloned", "123456", 1, "genuine: no: the chip did not prove", "a cloned chip"},
  };
  int n = 0;
  for (const auto& c : cases) {
    CAPTURE(c.why);
    const std::string card = (tmp / ("card" + std::to_string(n++))).string();
    ShellRun made = run_shell(idtap + " sim personalize --out " + quote(card) + " " + c.card_options);
    REQUIRE_MESSAGE(made.exit_code == 0, made.out);
    ShellRun read = run_shell(kiosk + " sim:" + quote(card) + " " + c.can + " " + quote(card + "/pki/csca_cert.pem"));
    CAPTURE(read.out);
    CHECK(read.exit_code == c.status);
    CHECK(contains(read.out, c.says));
    if (c.status != 3) {
      CHECK(contains(read.out, "HONG, GILDONG\n"));
      CHECK(contains(read.out, "홍<<길동\n"));
      CHECK(contains(read.out, "DG2 "));  // the progress callback ran
    }
  }
  ShellRun usage = run_shell(kiosk);
  CHECK(usage.exit_code == 2);
  CHECK(contains(usage.out, "usage: kiosk READER CAN CSCA_PATH"));
}
