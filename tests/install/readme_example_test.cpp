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

#include "support/scratch_dir.h"

namespace fs = std::filesystem;

namespace {

struct Run {
  int status = -1;
  std::string output;  // stdout and stderr
};

// run: `command` through /bin/sh with stderr folded into stdout.
Run run(const std::string& command) {
  Run r;
  FILE* p = popen((command + " 2>&1").c_str(), "r");
  if (p == nullptr) return r;
  std::array<char, 4096> buf{};
  size_t n = 0;
  while ((n = fread(buf.data(), 1, buf.size(), p)) > 0) r.output.append(buf.data(), n);
  const int st = pclose(p);
  r.status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  return r;
}

std::string quote(const std::string& s) { return "'" + s + "'"; }

bool contains(const std::string& haystack, const std::string& needle) { return haystack.find(needle) != std::string::npos; }

// A make that does not inherit the outer `make check`'s jobserver or variables.
std::string make_command(const std::string& target, const std::string& destdir) {
  std::string cmd = "env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL -u MAKEOVERRIDES make --no-print-directory -C " +
                    quote(IDTAP_SOURCE_DIR) + " BUILD=" IDTAP_TEST_BUILD " DESTDIR=" + quote(destdir);
  if (std::string(IDTAP_TEST_SANITIZE) == "1") cmd += " SANITIZE=1";
  return cmd + " " + target;
}

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

  Run install = run(make_command("install", destdir.string()));
  INFO(install.output);
  REQUIRE(install.status == 0);
  auto trimmed = [](std::string text) {
    while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
    return text;
  };
  // The public headers reach <winscard.h> (idtap/select/select.h -> idtap/pcsc): an installed copy
  // gets libpcsclite's flags through idtap.pc's Requires.private. Here the DESTDIR tree needs
  // --define-prefix, which pkgconf also applies to libpcsclite.pc (found in a multiarch directory,
  // it would become /usr/lib/include/PCSC), so libpcsclite's own flags are added as they are.
  const std::string pc_env = "PKG_CONFIG_PATH=" + quote((libdir / "pkgconfig").string()) + " ";
  Run pcsc = run("pkg-config --cflags libpcsclite");
  REQUIRE(pcsc.status == 0);
  Run installed = run(pc_env + "pkg-config --cflags idtap");
  REQUIRE(installed.status == 0);
  CHECK(contains(installed.output, trimmed(pcsc.output)));  // what `pkg-config --cflags idtap` gives where it is installed
  Run flags = run(pc_env + "pkg-config --define-prefix --cflags --libs idtap");
  REQUIRE(flags.status == 0);
  const std::string flag_text = trimmed(flags.output) + " " + trimmed(pcsc.output);
  // -O0: this checks that the example compiles and works, not how fast it runs.
  Run build = run(std::string(IDTAP_TEST_CXX) + " -O0 -Wall -Wextra -Werror " + IDTAP_TEST_SANLDFLAGS + " -o " +
                  quote((tmp / "kiosk").string()) + " " + quote((tmp / "kiosk.cpp").string()) + " " + flag_text);
  INFO(build.output);
  REQUIRE(build.status == 0);

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
    Run made = run(idtap + " sim personalize --out " + quote(card) + " " + c.card_options);
    REQUIRE_MESSAGE(made.status == 0, made.output);
    Run read = run(kiosk + " sim:" + quote(card) + " " + c.can + " " + quote(card + "/pki/csca_cert.pem"));
    CAPTURE(read.output);
    CHECK(read.status == c.status);
    CHECK(contains(read.output, c.says));
    if (c.status != 3) {
      CHECK(contains(read.output, "HONG, GILDONG\n"));
      CHECK(contains(read.output, "홍길동\n"));
      CHECK(contains(read.output, "DG2 "));  // the progress callback ran
    }
  }
  Run usage = run(kiosk);
  CHECK(usage.status == 2);
  CHECK(contains(usage.output, "usage: kiosk READER CAN CSCA_PATH"));
}
