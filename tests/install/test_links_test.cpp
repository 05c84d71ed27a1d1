// Each artifact links what it uses: the core's test binaries (every test directory but the
// drivers', see DRIVER_TEST_DIRS in the Makefile) link neither pcsc-lite nor libnfc, so they
// build and run on a machine without either. Checked on the binaries themselves: `readelf -d`
// lists the shared libraries each needs. The drivers' test binaries, which do need them, show the
// check sees what it looks for.
#include <doctest/doctest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include "install/install_support.h"
#include "support/run_shell.h"

namespace fs = std::filesystem;
using idtap::test::quote;
using idtap::test::run_shell;

namespace {

// The binaries of build/.../test-links by kind ("core", "driver"), as paths from the source tree.
std::map<std::string, std::vector<std::string>> test_links() {
  std::map<std::string, std::vector<std::string>> out;
  std::ifstream f(std::string(IDTAP_BUILD_DIR) + "/test-links");
  std::string line;
  while (std::getline(f, line)) {
    std::istringstream words(line);
    std::string kind, path;
    words >> kind;
    while (words >> path) out[kind].push_back(fs::path(path).is_absolute() ? path : std::string(IDTAP_SOURCE_DIR) + "/" + path);
  }
  return out;
}

// The NEEDED entries of `binary`'s dynamic section ("libc.so.6", ...).
std::vector<std::string> needed(const std::string& binary) {
  auto run = run_shell("readelf -d " + quote(binary));
  REQUIRE_MESSAGE(run.exit_code == 0, run.out);
  std::vector<std::string> out;
  static const std::regex entry(R"(\(NEEDED\)\s+Shared library: \[([^\]]+)\])");
  for (std::sregex_iterator it(run.out.begin(), run.out.end(), entry), end; it != end; ++it) out.push_back((*it)[1]);
  return out;
}

bool needs(const std::vector<std::string>& libs, const std::string& prefix) {
  for (const auto& l : libs)
    if (l.rfind(prefix, 0) == 0) return true;
  return false;
}

std::string name_of(const std::string& path) { return fs::path(path).filename().string(); }

}  // namespace

TEST_CASE("the core's test binaries need neither libpcsclite nor libnfc; the drivers' do") {
  auto links = test_links();
  REQUIRE_MESSAGE(!links["core"].empty(), "no core test binaries in " IDTAP_BUILD_DIR "/test-links (run `make tests`)");
  REQUIRE(!links["driver"].empty());
  std::vector<std::string> core_names;
  for (const auto& bin : links["core"]) core_names.push_back(name_of(bin));
  // The core's own directories are core; a driver's is not.
  for (const char* expected : {"base_tests", "crypto_tests", "reader_tests", "sim_tests", "provision_tests", "install_tests"})
    CHECK_MESSAGE(std::find(core_names.begin(), core_names.end(), expected) != core_names.end(), expected);
  for (const char* driver : {"pcsc_tests", "nfc_tests", "select_tests", "integration_tests"})
    CHECK_MESSAGE(std::find(core_names.begin(), core_names.end(), driver) == core_names.end(), driver);

  for (const auto& bin : links["core"]) {
    CAPTURE(bin);
    REQUIRE_MESSAGE(fs::exists(bin), "not built (run `make tests`)");
    const auto libs = needed(bin);
    // The core's own libraries are there (linked --no-as-needed: NEEDED is the link line), so
    // the listing is read and would show libpcsclite had it been linked.
    CHECK(needs(libs, "libcbor"));
    CHECK(needs(libs, "libsqlite3"));
    CHECK_FALSE(needs(libs, "libpcsclite"));
    CHECK_FALSE(needs(libs, "libnfc"));
  }
  for (const auto& bin : links["driver"]) {
    CAPTURE(bin);
    if (name_of(bin) != "pcsc_tests" && name_of(bin) != "nfc_tests") continue;
    REQUIRE_MESSAGE(fs::exists(bin), "not built (run `make tests`)");
    const auto libs = needed(bin);
    CHECK(needs(libs, name_of(bin) == "pcsc_tests" ? "libpcsclite" : "libnfc"));
  }
}
