// tests/install/install_support.h: what the install tests share: a `make` of this tree that does
// not inherit the outer `make check`'s jobserver, and small string helpers.
#pragma once

#include <string>

namespace idtap::test {

// quote: `s` in single quotes for /bin/sh (test paths hold no single quote).
inline std::string quote(const std::string& s) { return "'" + s + "'"; }

inline bool contains(const std::string& haystack, const std::string& needle) { return haystack.find(needle) != std::string::npos; }

// make_command: `make TARGET` of this source tree into the tests' build directory, staged under
// `destdir`, without the outer make's MAKEFLAGS, jobserver or variables (SANITIZE passed on).
inline std::string make_command(const std::string& target, const std::string& destdir) {
  std::string cmd = "env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL -u MAKEOVERRIDES make --no-print-directory -C " +
                    quote(IDTAP_SOURCE_DIR) + " BUILD=" IDTAP_TEST_BUILD " DESTDIR=" + quote(destdir);
  if (std::string(IDTAP_TEST_SANITIZE) == "1") cmd += " SANITIZE=1";
  return cmd + " " + target;
}

}  // namespace idtap::test
