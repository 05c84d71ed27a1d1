// tests/capi/install_support.h (header only: a test directory builds its *_test.cpp files): the installed copy of this build the C API's tests use: `make
// install DESTDIR=tmp` once per test process, and programs built against it through pkg-config
// (as tests/install does), with this build's sanitizer flags.
#pragma once

#include <doctest/doctest.h>

#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "install/install_support.h"
#include "support/run_shell.h"
#include "support/scratch_dir.h"

namespace idtap::test {

// Installed: where the staged installation lies.
struct Installed {
  std::string destdir;
  std::string prefix;  // destdir + /usr/local
  std::string libdir;
  std::string pc_env;  // "PKG_CONFIG_PATH='libdir/pkgconfig' "
};

// installed: the staged installation, made on first use (REQUIREs that `make install` worked).
const Installed& installed();

// build_c_program: compiles the C file `source` into `out` with gcc -std=c99 -Wall -Wextra
// -Werror, flags from `pkg-config --define-prefix --cflags --libs idtap` of the staged tree;
// the compiler's output on failure, "" on success.
std::string build_c_program(const std::string& source, const std::string& out, const std::string& extra = "");

// program_env: the environment a program built against the staged library runs with
// (LD_LIBRARY_PATH; for Python under a sanitizer build, the sanitizer runtime preloaded).
std::vector<std::string> program_env(bool python);

namespace detail {

inline std::string trimmed(std::string text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
  return text;
}

}  // namespace detail

inline const Installed& installed() {
  static std::unique_ptr<ScratchDir> dir;
  static Installed where;
  if (dir) return where;
  dir = std::make_unique<ScratchDir>("capi-install");
  where.destdir = dir->path() + "/root";
  where.prefix = where.destdir + "/usr/local";
  where.libdir = where.prefix + "/lib";
  where.pc_env = "PKG_CONFIG_PATH=" + quote(where.libdir + "/pkgconfig") + " ";
  ShellRun install = run_shell(make_command("install", where.destdir));
  INFO(install.out);
  REQUIRE(install.exit_code == 0);
  return where;
}

inline std::string build_c_program(const std::string& source, const std::string& out, const std::string& extra) {
  const Installed& in = installed();
  ShellRun flags = run_shell(in.pc_env + "pkg-config --define-prefix --cflags --libs idtap");
  if (flags.exit_code != 0) return "pkg-config failed: " + flags.out;
  ShellRun build = run_shell("gcc -std=c99 -O1 -Wall -Wextra -Werror " + std::string(IDTAP_TEST_SANLDFLAGS) + " " + extra +
                             " -o " + quote(out) + " " + quote(source) + " " + detail::trimmed(flags.out) + " -lpthread");
  return build.exit_code == 0 ? "" : "build failed: " + build.out;
}

inline std::vector<std::string> program_env(bool python) {
  std::vector<std::string> env = {"LD_LIBRARY_PATH=" + installed().libdir,
                                  "IDTAP_LIBRARY=" + installed().libdir + "/libidtap.so.0"};
  if (python && std::string(IDTAP_TEST_SANITIZE) == "1") {
    // An interpreter not built with ASan loads an instrumented library only with the runtime
    // preloaded first; Python's own allocations are not this test's leaks.
    ShellRun asan = run_shell("gcc -print-file-name=libasan.so");
    ShellRun ubsan = run_shell("gcc -print-file-name=libubsan.so");
    const char* old = std::getenv("LD_PRELOAD");
    env.push_back("LD_PRELOAD=" + detail::trimmed(asan.out) + ":" + detail::trimmed(ubsan.out) + (old && *old ? std::string(":") + old : ""));
    env.push_back("ASAN_OPTIONS=detect_leaks=0:verify_asan_link_order=0");
  }
  return env;
}

// kPython: the interpreter of the Debian python3 package (not whatever python3 PATH finds).
inline constexpr const char* kPython = "/usr/bin/python3";

}  // namespace idtap::test
