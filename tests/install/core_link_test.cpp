// The core (every layer but the pcsc, nfc and select drivers) builds and links without pcsc-lite
// and libnfc (STYLE: "the core and its tests build without pcsc-lite or libnfc headers"): no core
// source includes their headers, and a program that personalizes a simulated card and reads it
// genuine links against the core archives and the core's own libraries only (no -lpcsclite,
// -lnfc), with no driver include path.
#include <doctest/doctest.h>
#include <stdlib.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <regex>
#include <string>

#include "install/install_support.h"
#include "support/run_shell.h"

namespace fs = std::filesystem;
using idtap::test::contains;
using idtap::test::quote;
using idtap::test::run_shell;

namespace {

constexpr const char* kCoreProgram = R"(// Reads a simulated card with the core layers only.
#include <cstdio>

#include "idtap/auth/trust_store.h"
#include "idtap/reader/session.h"
#include "idtap/sim/personalize.h"
#include "idtap/sim/sim_transport.h"

using namespace idtap;

int main() {
  auto card = sim::personalize_card(sim::PersonalizeOptions{});
  if (!card.ok()) return 1;
  auth::TrustStore trust;
  auto pem = card->image.pki.find("csca_cert.pem");
  if (pem == card->image.pki.end() || !trust.add_certificates(pem->second, "csca").ok()) return 2;
  auto transport = sim::open_sim_card_image(card->image);
  if (!transport.ok()) return 3;
  reader::ReadRequest request;
  request.can = auth::Password::can("123456").value();
  request.trust = &trust;
  auto read = reader::read_card(**transport, request);
  if (!read.ok()) return 4;
  std::printf("genuine %s\n", read->verification.genuine ? "yes" : "no");
  return read->verification.genuine ? 0 : 5;
}
)";

}  // namespace

TEST_CASE("no core source includes a pcsc-lite or libnfc header") {
  const std::regex driver_header(R"(#\s*include\s*[<"](winscard\.h|pcsclite\.h|wintypes\.h|reader\.h|ifdhandler\.h|PCSC/[^>"]*|nfc/[^>"]*)[>"])");
  int files = 0;
  for (const char* dir : {"lib", "apdu", "drivers/sim"}) {
    for (const auto& e : fs::recursive_directory_iterator(fs::path(IDTAP_SOURCE_DIR) / dir)) {
      if (!e.is_regular_file() || (e.path().extension() != ".cpp" && e.path().extension() != ".h")) continue;
      std::ifstream in(e.path());
      std::string line;
      while (std::getline(in, line)) {
        CAPTURE(e.path().string());
        CHECK_FALSE(std::regex_search(line, driver_header));
      }
      ++files;
    }
  }
  CHECK(files > 50);
}

TEST_CASE("a program of the core layers links without pcsc-lite and libnfc and reads a card genuine") {
  const std::string link = IDTAP_TEST_CORE_LINK;
  CHECK_FALSE(contains(link, "pcsclite"));
  CHECK_FALSE(contains(link, "-lnfc"));
  const std::string includes = IDTAP_TEST_CORE_INCLUDES;
  CHECK_FALSE(contains(includes, "PCSC"));
  const char* base = std::getenv("TMPDIR");
  std::string tmpl = std::string(base && *base ? base : "/tmp") + "/idtap-core-XXXXXX";
  REQUIRE(::mkdtemp(tmpl.data()) != nullptr);
  const fs::path dir = tmpl;
  { std::ofstream(dir / "core.cpp") << kCoreProgram; }
  auto built = run_shell(std::string(IDTAP_TEST_CXX) + " -std=c++20 " + IDTAP_TEST_SANLDFLAGS + " " + includes + " -o " +
                         quote((dir / "core").string()) + " " + quote((dir / "core.cpp").string()) + " " + link);
  INFO(built.out);
  REQUIRE(built.exit_code == 0);
  auto needed = run_shell("readelf -d " + quote((dir / "core").string()));
  CHECK_FALSE(contains(needed.out, "libpcsclite"));
  CHECK_FALSE(contains(needed.out, "libnfc"));
  auto ran = run_shell(quote((dir / "core").string()));
  CHECK(ran.exit_code == 0);
  CHECK(contains(ran.out, "genuine yes"));
  std::error_code ec;
  fs::remove_all(dir, ec);
}
