// `make deps` asks apt only for what is missing: a package is present when it is installed, or
// when an installed package Provides it, as apt itself resolves a dependency. (NodeSource's
// `nodejs` provides `npm` and conflicts with Debian's `npm`: asking apt for `npm` there would
// remove the installed node.)
#include <doctest/doctest.h>

#include <set>
#include <string>

#include "deps/debian_packages.h"
#include "support/run_shell.h"

namespace deb = idtap::test::deb;
using idtap::test::run_shell;

namespace {

const std::string kSourceDir = IDTAP_SOURCE_DIR;

// make_deps: `make deps` with DEB_PACKAGES set to `packages`, in a make of its own.
idtap::test::ShellRun make_deps(const std::string& packages) {
  return run_shell("{ env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -s --no-print-directory -C '" + kSourceDir +
                   "' deps DEB_PACKAGES='" + packages + "'; }");
}

}  // namespace

TEST_CASE("make deps counts a package that an installed package Provides as present") {
  auto db = deb::installed_packages();
  REQUIRE_MESSAGE(!db.empty(), "dpkg-query listed no installed package");
  std::set<std::string> installed;
  for (const auto& p : db) installed.insert(p.name);
  // A virtual name only: provided by an installed package, and no installed package of its own
  // (npm under NodeSource's nodejs here; mawk's `awk` on any Debian).
  std::string virtual_name;
  for (const auto& p : db) {
    for (const auto& v : p.provides)
      if (!installed.count(v) && v.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789+-.") == std::string::npos) {
        virtual_name = v;
        break;
      }
    if (!virtual_name.empty()) break;
  }
  REQUIRE_MESSAGE(!virtual_name.empty(), "no installed package provides a virtual package");
  CAPTURE(virtual_name);
  auto r = make_deps(virtual_name);
  CHECK(r.exit_code == 0);
  CHECK(r.out.find("installing") == std::string::npos);
  // Installed packages of the list are present too: the whole list asks for nothing after
  // `make check`'s own `make deps`.
  auto all = run_shell("{ env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -s --no-print-directory -C '" + kSourceDir + "' deps; }");
  CHECK(all.exit_code == 0);
  CHECK(all.out.find("installing") == std::string::npos);
}
