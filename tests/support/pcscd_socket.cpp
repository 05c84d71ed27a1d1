// This test process's private pcscd socket, named in PCSCLITE_CSOCK_NAME before main(). Apart from
// pcscd_fixture.cpp (which needs libpcsclite) so that every test binary, the core's too, sets it:
// no test, nor any `idtap` it runs, can reach the system pcscd by accident.
#include <stdlib.h>
#include <unistd.h>

#include <cstdlib>
#include <string>

#include "support/pcscd_fixture.h"

namespace idtap::test {
namespace {

// Set before main(), hence before any PC/SC call (libpcsclite reads it once).
[[maybe_unused]] const bool kSocketNameSet = [] {
  ::setenv("PCSCLITE_CSOCK_NAME", test_pcscd_socket_path().c_str(), 0);
  return true;
}();

}  // namespace

const std::string& test_pcscd_socket_path() {
  static const std::string path = [] {
    const char* t = std::getenv("TMPDIR");
    return std::string(t && *t ? t : "/tmp") + "/idtap-pcscd-" + std::to_string(::getpid()) + "/run/pcscd.comm";
  }();
  return path;
}

}  // namespace idtap::test
