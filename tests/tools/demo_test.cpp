// `idtap demo` end to end: the whole mission on the simulated card, and its results checked
// independently by `idtap mdoc verify`.
#include <doctest/doctest.h>
#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <string>

#include "support/pcscd_fixture.h"
#include "support/scratch_dir.h"

namespace {

struct Run {
  int exit_code = -1;
  std::string out;
};

Run run(const std::string& command) {
  Run r;
  FILE* p = popen((command + " 2>&1").c_str(), "r");
  REQUIRE(p != nullptr);
  std::array<char, 4096> buf;
  size_t n;
  while ((n = fread(buf.data(), 1, buf.size(), p)) > 0) r.out.append(buf.data(), n);
  int status = pclose(p);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

}  // namespace

TEST_CASE("idtap demo: personalize, read with PACE-CAN, verify, issue the mdoc, verify it") {
  idtap::test::ScratchDir tmp("demo");
  const std::string out = tmp.path() + "/demo-out";
  Run demo = run(idtap::test::idtap_binary() + " demo --out " + out);
  CAPTURE(demo.out);
  REQUIRE(demo.exit_code == 0);
  CHECK(demo.out.find("Genuine       YES") != std::string::npos);
  CHECK(demo.out.find("PACE-CAN") != std::string::npos);
  CHECK(demo.out.find("900101-1******") != std::string::npos);
  CHECK(demo.out.find("900101-1234567") == std::string::npos);  // the resident number never whole
  for (const char* f : {"credential.cbor", "issuer-cert.pem", "device-key.pem", "ledger.db", "read/photo.png", "card/card.conf"}) {
    CAPTURE(f);
    CHECK(std::filesystem::exists(out + "/" + f));
  }
  Run verify = run(idtap::test::idtap_binary() + " mdoc verify " + out + "/credential.cbor --issuer-cert " + out + "/issuer-cert.pem");
  CAPTURE(verify.out);
  CHECK(verify.exit_code == 0);
}
