// The install layout, end to end: `make install DESTDIR=tmp` from this build, the SONAME,
// pkg-config on the DESTDIR tree, a small program compiled and linked against the installed
// C API (idtap/idtap.h, libidtap.so; this build's sanitizer flags) and run, the installed
// tool, then `make uninstall DESTDIR=tmp` leaving no file behind.
#include <doctest/doctest.h>
#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <string>

#include "install/install_support.h"
#include "support/run_shell.h"

namespace fs = std::filesystem;
using idtap::test::contains;
using idtap::test::make_command;
using idtap::test::quote;
using idtap::test::run_shell;
using idtap::test::ShellRun;

namespace {

// The files (and symlinks) under `root`, relative to it.
std::set<std::string> files_under(const fs::path& root) {
  std::set<std::string> out;
  if (!fs::exists(root)) return out;
  for (const auto& e : fs::recursive_directory_iterator(root))
    if (!e.is_directory() || e.is_symlink()) out.insert(fs::relative(e.path(), root).string());
  return out;
}

// The public headers of the source tree: LAYER_DIR/include/idtap/LAYER/*.h -> idtap/LAYER/NAME.h.
std::set<std::string> source_headers() {
  std::set<std::string> out;
  const fs::path src(IDTAP_SOURCE_DIR);
  for (const char* top : {"lib", "drivers", "."}) {
    if (!fs::exists(src / top)) continue;
    for (const auto& layer : fs::directory_iterator(src / top)) {
      const fs::path inc = layer.path() / "include" / "idtap";
      if (!fs::is_directory(inc)) continue;
      for (const auto& sub : fs::directory_iterator(inc)) {
        if (sub.path().extension() == ".h") {  // the C API's idtap/idtap.h (lib/capi)
          out.insert("idtap/" + sub.path().filename().string());
          continue;
        }
        for (const auto& h : fs::directory_iterator(sub.path()))
          if (h.path().extension() == ".h")
            out.insert("idtap/" + sub.path().filename().string() + "/" + h.path().filename().string());
      }
    }
  }
  return out;
}

constexpr const char* kProgram = R"(/* Uses idtap from its installed header and shared library: the C API. */
#include <stdio.h>

#include <idtap/idtap.h>

int main(void) {
  idtap_context* ctx = NULL;
  if (idtap_context_new(IDTAP_CONTEXT_NO_NFC, &ctx) != IDTAP_OK) return 1;
  idtap_reader* reader = NULL;
  const idtap_status st = idtap_open(ctx, "sim:", 0, &reader);  /* no directory: refused */
  printf("%s %s %s\n", idtap_version(), idtap_status_name(st), idtap_strerror(IDTAP_E_CARD_REMOVED));
  idtap_context_free(ctx);
  return st == IDTAP_E_INVALID_ARGUMENT ? 0 : 2;
}
)";

}  // namespace

TEST_CASE("make install DESTDIR=... gives a library pkg-config finds and a program links; uninstall removes it") {
  char tmpl[] = "/tmp/idtap-install-XXXXXX";
  REQUIRE(mkdtemp(tmpl) != nullptr);
  const fs::path tmp(tmpl);
  const fs::path destdir = tmp / "root";
  const fs::path prefix = destdir / "usr/local";  // the default PREFIX under DESTDIR
  const fs::path libdir = prefix / "lib";

  ShellRun install = run_shell(make_command("install", destdir.string()));
  INFO(install.out);
  REQUIRE(install.exit_code == 0);

  // The layout.
  const std::string so = "libidtap.so." IDTAP_TEST_VERSION;
  const std::string soname = "libidtap.so." IDTAP_TEST_SOVERSION;
  CHECK(fs::is_regular_file(libdir / so));
  REQUIRE(fs::is_symlink(libdir / soname));
  CHECK(fs::read_symlink(libdir / soname) == so);
  REQUIRE(fs::is_symlink(libdir / "libidtap.so"));
  CHECK(fs::read_symlink(libdir / "libidtap.so") == soname);
  CHECK(fs::is_regular_file(libdir / "libidtap_base.a"));
  CHECK(fs::is_regular_file(libdir / "libidtap_apdu.a"));
  CHECK(fs::is_regular_file(libdir / "pkgconfig/idtap.pc"));
  CHECK(fs::is_regular_file(prefix / "bin/idtap"));
  const std::set<std::string> headers = source_headers();
  CHECK(headers.count("idtap/base/hex.h") == 1);
  CHECK(headers.count("idtap/apdu/command.h") == 1);
  CHECK(headers.count("idtap/idtap.h") == 1);
  for (const std::string& h : headers) {
    CAPTURE(h);
    CHECK(fs::is_regular_file(prefix / "include" / h));
  }

  // The SONAME the dynamic linker records in programs.
  ShellRun elf = run_shell("readelf -d " + quote((libdir / so).string()));
  REQUIRE(elf.exit_code == 0);
  CHECK(contains(elf.out, "Library soname: [" + soname + "]"));

  // pkg-config: --define-prefix relocates the ${prefix}-relative pc file to where it lies;
  // PKG_CONFIG_SYSROOT_DIR prefixes the paths with DESTDIR. Both must find our tree.
  const std::string pc_env = "PKG_CONFIG_PATH=" + quote((libdir / "pkgconfig").string()) + " ";
  ShellRun version = run_shell(pc_env + "pkg-config --modversion idtap");
  CHECK(version.exit_code == 0);
  CHECK(version.out == IDTAP_TEST_VERSION "\n");
  ShellRun flags = run_shell(pc_env + "pkg-config --define-prefix --cflags --libs idtap");
  REQUIRE(flags.exit_code == 0);
  CHECK(contains(flags.out, "-I" + (prefix / "include").string()));
  CHECK(contains(flags.out, "-L" + libdir.string()));
  CHECK(contains(flags.out, "-lidtap"));
  CHECK_FALSE(contains(flags.out, "-std=c++20"));  // the C API's flags serve C compilers too
  ShellRun sysroot = run_shell(pc_env + "PKG_CONFIG_SYSROOT_DIR=" + quote(destdir.string()) + " pkg-config --cflags --libs idtap");
  REQUIRE(sysroot.exit_code == 0);
  CHECK(contains(sysroot.out, "-I" + (prefix / "include").string()));
  CHECK(contains(sysroot.out, "-L" + libdir.string()));

  // A program built against the installed copy only (-I/-L from pkg-config), with the
  // sanitizer runtime when this build uses one (the library then needs it loaded first).
  const fs::path work = tmp / "work";
  fs::create_directories(work);
  { std::ofstream(work / "prog.c") << kProgram; }
  std::string flag_text = flags.out;
  while (!flag_text.empty() && (flag_text.back() == '\n' || flag_text.back() == ' ')) flag_text.pop_back();
  ShellRun build = run_shell(std::string("gcc -std=c99 -Wall -Wextra -Werror ") + IDTAP_TEST_SANLDFLAGS + " -o " +
                             quote((work / "prog").string()) + " " + quote((work / "prog.c").string()) + " " + flag_text);
  INFO(build.out);
  REQUIRE(build.exit_code == 0);
  ShellRun needed = run_shell("readelf -d " + quote((work / "prog").string()));
  CHECK(contains(needed.out, "Shared library: [" + soname + "]"));
  CHECK_FALSE(contains(needed.out, "RPATH"));
  CHECK_FALSE(contains(needed.out, "RUNPATH"));
  const std::string ld = "LD_LIBRARY_PATH=" + quote(libdir.string()) + " ";
  ShellRun loaded = run_shell(ld + "ldd " + quote((work / "prog").string()));
  CHECK(contains(loaded.out, soname + " => " + (libdir / soname).string()));
  ShellRun prog = run_shell(ld + quote((work / "prog").string()));
  CHECK(prog.exit_code == 0);
  CHECK(prog.out == IDTAP_TEST_VERSION " invalid_argument the card left the field\n");

  // The installed tool runs and decodes offline.
  ShellRun tool = run_shell(quote((prefix / "bin/idtap").string()) + " atr 3B8F8001804F0CA000000306030001000000006A");
  CHECK(tool.exit_code == 0);
  CHECK(contains(tool.out, "MIFARE Classic 1K"));

  // Uninstall removes every file and link install created.
  const std::set<std::string> installed = files_under(destdir);
  CHECK(installed.size() >= headers.size() + 6);
  ShellRun uninstall = run_shell(make_command("uninstall", destdir.string()));
  INFO(uninstall.out);
  CHECK(uninstall.exit_code == 0);
  const std::set<std::string> left = files_under(destdir);
  for (const std::string& f : left) CHECK_MESSAGE(false, "left behind by uninstall: " << f);

  fs::remove_all(tmp);
}
