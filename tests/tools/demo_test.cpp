// `idtap demo` end to end: the whole mission on the simulated card, and its results checked
// independently by `idtap mdoc verify`.
#include <doctest/doctest.h>

#include <filesystem>
#include <string>

#include "support/pcscd_fixture.h"
#include "support/run_shell.h"
#include "support/scratch_dir.h"

using idtap::test::run_shell;

TEST_CASE("idtap demo: personalize, read with PACE-CAN, verify, issue the mdoc, verify it") {
  idtap::test::ScratchDir tmp("demo");
  const std::string out = tmp.path() + "/demo-out";
  auto demo = run_shell(idtap::test::idtap_binary() + " demo --out " + out);
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
  auto verify = run_shell(idtap::test::idtap_binary() + " mdoc verify " + out + "/credential.cbor --issuer-cert " + out + "/issuer-cert.pem");
  CAPTURE(verify.out);
  CHECK(verify.exit_code == 0);
}
