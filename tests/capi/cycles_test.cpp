// 1,000 read cycles through the C API (tests/capi/cycles.c, built against the installed library):
// every cycle makes and frees a context, a reader and a result on a simulated card (sim:, in
// process) and reads it genuine. Built with AddressSanitizer, LeakSanitizer finds no leak at exit
// and the open file descriptors stay the same; built plain (the allocator a kiosk runs with:
// ASan's own allocator grows its resident set by design, as it spreads and tags blocks), the
// resident set after the warm-up and at the end is printed and stays flat.
#include <doctest/doctest.h>

#include <cstdio>
#include <regex>
#include <string>

#include "capi/install_support.h"
#include "install/install_support.h"
#include "support/run_shell.h"
#include "support/scratch_dir.h"

using idtap::test::quote;
using idtap::test::run_shell;
using idtap::test::ShellRun;

TEST_CASE("1,000 read cycles through the C API under ASan: no leak, RSS and file descriptors flat") {
  idtap::test::ScratchDir tmp("capi-cycles");
  const std::string card = tmp.path() + "/card";
  ShellRun made = run_shell(quote(std::string(IDTAP_BUILD_DIR) + "/bin/idtap") + " sim personalize --out " + quote(card));
  REQUIRE_MESSAGE(made.exit_code == 0, made.out);
  const std::string source = std::string(IDTAP_SOURCE_DIR) + "/tests/capi/cycles.c";
  const std::string asan_exe = tmp.path() + "/cycles-asan", plain_exe = tmp.path() + "/cycles";
  // -fsanitize=address: LeakSanitizer sees every allocation of the process, the library's too.
  const bool sanitized = std::string(IDTAP_TEST_SANITIZE) == "1";
  std::string failed = idtap::test::build_c_program(source, asan_exe, sanitized ? "" : "-fsanitize=address -fno-omit-frame-pointer");
  REQUIRE_MESSAGE(failed.empty(), failed);
  failed = idtap::test::build_c_program(source, plain_exe);
  REQUIRE_MESSAGE(failed.empty(), failed);
  std::string env;
  for (const std::string& e : idtap::test::program_env(false)) env += quote(e) + " ";
  const std::string args = " " + quote(card) + " 123456 " + quote(card + "/pki/csca_cert.pem") + " 1000";
  const std::regex summary(R"(cycles 1000 rss_kb (\d+) -> (\d+) fds (\d+) -> (\d+))");

  ShellRun asan = run_shell("env " + env + "ASAN_OPTIONS=detect_leaks=1:verify_asan_link_order=0 LD_PRELOAD= " + quote(asan_exe) + args);
  INFO(asan.out);
  REQUIRE(asan.exit_code == 0);  // LeakSanitizer exits non-zero on a leak
  std::smatch m;
  REQUIRE(std::regex_search(asan.out, m, summary));
  const int fds_warm = std::stoi(m[3]), fds_end = std::stoi(m[4]);
  CHECK(fds_end == fds_warm);

  // In a SANITIZE=1 build the installed library itself carries ASan, whose quarantine holds freed
  // blocks back by design: measure the resident set with the quarantine off.
  const std::string plain_options = sanitized ? "ASAN_OPTIONS=quarantine_size_mb=0:detect_leaks=0:verify_asan_link_order=0 " : "";
  ShellRun plain = run_shell("env " + env + plain_options + quote(plain_exe) + args);
  INFO(plain.out);
  REQUIRE(plain.exit_code == 0);
  REQUIRE(std::regex_search(plain.out, m, summary));
  const long rss_warm = std::stol(m[1]), rss_end = std::stol(m[2]);
  std::printf("capi cycles: no leak (ASan); open fds %d after 100 cycles, %d after 1000; RSS %ld kB after 100, %ld kB after 1000\n",
              fds_warm, fds_end, rss_warm, rss_end);
  CHECK(rss_end - rss_warm < 2048);  // 900 more cycles: under 2 MB (one result kept per cycle would be ~20 MB)
}
