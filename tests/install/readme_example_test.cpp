// README.md's kiosk examples, kept honest: the ```c and ```python blocks under "### The C API
// (for kiosks)" are tools/examples/kiosk.c and kiosk.py verbatim. tests/capi/examples_test.cpp
// builds kiosk.c against an installed copy of this build through pkg-config, loads the library
// into kiosk.py through ctypes, and runs both against simulated cards through pcscd.
#include <doctest/doctest.h>

#include <fstream>
#include <iterator>
#include <string>

namespace {

std::string slurp(const std::string& path) {
  std::ifstream in(path);
  REQUIRE(in.good());
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

// readme_block: the first ```LANG block after the C API heading, verbatim.
std::string readme_block(const std::string& lang) {
  const std::string readme = slurp(std::string(IDTAP_SOURCE_DIR) + "/README.md");
  const size_t section = readme.find("### The C API (for kiosks)");
  REQUIRE(section != std::string::npos);
  const std::string fence = "```" + lang + "\n";
  const size_t open = readme.find(fence, section);
  REQUIRE(open != std::string::npos);
  const size_t close = readme.find("\n```", open + fence.size());
  REQUIRE(close != std::string::npos);
  REQUIRE(readme.find("\n## ", section) > close);  // the block belongs to that section
  return readme.substr(open + fence.size(), close - open - fence.size() + 1);
}

}  // namespace

TEST_CASE("README's C kiosk example is tools/examples/kiosk.c, whole") {
  const std::string block = readme_block("c");
  CHECK(block.find("idtap_wait_event(") != std::string::npos);
  CHECK(block == slurp(std::string(IDTAP_SOURCE_DIR) + "/tools/examples/kiosk.c"));
}

TEST_CASE("README's Python kiosk example is tools/examples/kiosk.py, whole") {
  const std::string block = readme_block("python");
  CHECK(block.find("ctypes.CDLL(") != std::string::npos);
  CHECK(block == slurp(std::string(IDTAP_SOURCE_DIR) + "/tools/examples/kiosk.py"));
}

TEST_CASE("README leads integrators to the C API before the C++ layers") {
  const std::string readme = slurp(std::string(IDTAP_SOURCE_DIR) + "/README.md");
  const size_t c_api = readme.find("### The C API (for kiosks)");
  REQUIRE(c_api != std::string::npos);
  const size_t cxx = readme.find("### The C++ layers");
  REQUIRE(cxx != std::string::npos);
  CHECK(c_api < cxx);
  CHECK(readme.find("#include <idtap/select/select.h>") == std::string::npos);  // no C++ kiosk example with <winscard.h>
}
