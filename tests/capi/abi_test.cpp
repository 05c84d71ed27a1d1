// The ABI promise of libidtap.so (README, "The ABI promise"): the library as built is compared
// with the baseline committed for its SONAME (lib/capi/abi/, written by `make abi-baseline` with
// abidw) by abidiff, and an incompatible change fails. The check itself is shown to work: a
// library built from a modified copy of idtap.h (a field inserted into idtap_read_options, a
// function removed) is reported incompatible; one that only adds a function is not.
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <regex>
#include <string>

#include "install/install_support.h"
#include "support/run_shell.h"
#include "support/scratch_dir.h"

namespace fs = std::filesystem;
using idtap::test::contains;
using idtap::test::quote;
using idtap::test::run_shell;
using idtap::test::ShellRun;

namespace {

// abidiff's exit status bits (abidiff(1)): an error, a usage error, an ABI change, an
// incompatible ABI change.
constexpr int kAbidiffError = 1, kAbidiffUsage = 2, kAbidiffChange = 4, kAbidiffIncompatible = 8;

const std::string kHeaders = std::string(IDTAP_SOURCE_DIR) + "/lib/capi/include/idtap";

// abidiff: compares `old_abi` (an abidw file) with `new_so` built from the headers in `headers`.
ShellRun abidiff(const std::string& old_abi, const std::string& new_so, const std::string& headers) {
  return run_shell("abidiff --exported-interfaces-only --drop-private-types --headers-dir2 " + quote(headers) + " " +
                   quote(old_abi) + " " + quote(new_so));
}

// Stub: a small shared library implementing two functions of a copy of idtap.h, exported as
// libidtap.so is (version script, hidden visibility), with debug information for abidw.
std::string build_stub(const fs::path& dir, const std::string& header_text, bool with_cancel) {
  fs::create_directories(dir / "idtap");
  { std::ofstream(dir / "idtap/idtap.h") << header_text; }
  { std::ofstream(dir / "stub.c") << "#include <string.h>\n#include <idtap/idtap.h>\n"
                                    "IDTAP_API void idtap_read_options_init(idtap_read_options* o) { memset(o, 0, sizeof *o); "
                                    "o->struct_size = sizeof *o; }\n"
                                 << (with_cancel ? "IDTAP_API idtap_status idtap_cancel(idtap_context* c) { return c ? IDTAP_OK : "
                                                   "IDTAP_E_INVALID_ARGUMENT; }\n"
                                                 : ""); }
  const std::string so = (dir / "libstub.so").string();
  ShellRun built = run_shell("gcc -std=c99 -g -shared -fPIC -fvisibility=hidden -DIDTAP_BUILDING_CAPI -I" + quote(dir.string()) +
                             " -Wl,-soname,libidtap.so.0 -Wl,--version-script=" + quote(std::string(IDTAP_SOURCE_DIR) +
                             "/lib/capi/libidtap.map") + " -o " + quote(so) + " " + quote((dir / "stub.c").string()));
  INFO(built.out);
  REQUIRE(built.exit_code == 0);
  return so;
}

std::string slurp(const std::string& path) {
  std::ifstream in(path);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

}  // namespace

TEST_CASE("libidtap.so as built keeps the ABI of the baseline committed for its SONAME") {
  const std::string baseline = IDTAP_TEST_ABI_BASELINE;
  INFO("no ABI baseline for SONAME libidtap.so." IDTAP_TEST_SOVERSION ": after a SONAME bump, commit one (make abi-baseline)");
  REQUIRE(fs::is_regular_file(baseline));
  CHECK(contains(slurp(baseline), "soname='libidtap.so." IDTAP_TEST_SOVERSION "'"));
  const std::string so = std::string(IDTAP_BUILD_DIR) + "/lib/libidtap.so." IDTAP_TEST_VERSION;
  ShellRun diff = abidiff(baseline, so, kHeaders);
  INFO(diff.out);
  CHECK((diff.exit_code & (kAbidiffError | kAbidiffUsage)) == 0);
  CHECK((diff.exit_code & kAbidiffIncompatible) == 0);
  // A change abidiff does not call incompatible but that alters what a caller passes or gets (a
  // changed function or type) breaks callers too: only added functions are allowed.
  CHECK_FALSE(std::regex_search(diff.out, std::regex(R"([1-9][0-9]* Changed)")));
  CHECK_FALSE(std::regex_search(diff.out, std::regex(R"([1-9][0-9]* Removed)")));
}

TEST_CASE("abidiff reports an incompatible change of idtap.h and lets an added function pass") {
  idtap::test::ScratchDir tmp("capi-abi");
  const fs::path dir(tmp.path());
  const std::string header = slurp(kHeaders + "/idtap.h");
  const std::string old_so = build_stub(dir / "old", header, true);
  const std::string old_abi = (dir / "old.abi").string();
  ShellRun dumped = run_shell("abidw " IDTAP_TEST_ABIDW_FLAGS " --out-file " + quote(old_abi) + " " + quote(old_so));
  REQUIRE_MESSAGE(dumped.exit_code == 0, dumped.out);
  const std::string field = "  size_t struct_size;";
  REQUIRE(contains(header, field));

  // Each case: a modified header (and stub) and what abidiff must say.
  SUBCASE("a field inserted at the front of idtap_read_options: a changed type") {
    std::string changed = header;
    changed.replace(changed.find(field), field.size(), "  int flags;\n" + field);
    const std::string new_so = build_stub(dir / "new", changed, true);
    ShellRun diff = abidiff(old_abi, new_so, (dir / "new/idtap").string());
    INFO(diff.out);
    CHECK((diff.exit_code & kAbidiffChange) != 0);
    CHECK(contains(diff.out, "idtap_read_options"));
    CHECK(std::regex_search(diff.out, std::regex(R"([1-9][0-9]* Changed)")));
  }
  SUBCASE("a function removed: incompatible") {
    const std::string new_so = build_stub(dir / "new", header, false);
    ShellRun diff = abidiff(old_abi, new_so, (dir / "new/idtap").string());
    INFO(diff.out);
    CHECK((diff.exit_code & kAbidiffIncompatible) != 0);
    CHECK(contains(diff.out, "idtap_cancel"));
  }
  SUBCASE("a function added: compatible") {
    std::string added = header;
    added.replace(added.find("#ifdef __cplusplus\n}"), 0, "IDTAP_API int idtap_new_thing(void);\n\n");
    fs::create_directories(dir / "new");
    const std::string new_so = build_stub(dir / "new", added, true);
    // The stub does not define idtap_new_thing: add it.
    { std::ofstream(dir / "new/more.c") << "#include <idtap/idtap.h>\nIDTAP_API int idtap_new_thing(void) { return 1; }\n"; }
    ShellRun rebuilt = run_shell("gcc -std=c99 -g -shared -fPIC -fvisibility=hidden -DIDTAP_BUILDING_CAPI -I" + quote((dir / "new").string()) +
                                 " -Wl,-soname,libidtap.so.0 -Wl,--version-script=" + quote(std::string(IDTAP_SOURCE_DIR) + "/lib/capi/libidtap.map") +
                                 " -o " + quote(new_so) + " " + quote((dir / "new/stub.c").string()) + " " + quote((dir / "new/more.c").string()));
    REQUIRE_MESSAGE(rebuilt.exit_code == 0, rebuilt.out);
    ShellRun diff = abidiff(old_abi, new_so, (dir / "new/idtap").string());
    INFO(diff.out);
    CHECK((diff.exit_code & (kAbidiffError | kAbidiffUsage | kAbidiffIncompatible)) == 0);
    CHECK_FALSE(std::regex_search(diff.out, std::regex(R"([1-9][0-9]* Changed)")));
    CHECK_FALSE(std::regex_search(diff.out, std::regex(R"([1-9][0-9]* Removed)")));
  }
}
