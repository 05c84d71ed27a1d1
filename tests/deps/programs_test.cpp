// Every external program that `make check` starts, and every program the other make targets
// name, comes from a Debian package that `make deps` installs (DEB_PACKAGES) or from a package
// those depend on (Depends, Pre-Depends, through Provides), or from an Essential package.
//
// The list is taken from what runs, not typed twice: `make check` runs the build and every test
// binary under tests/exec_trace (LD_PRELOAD), which logs each exec to IDTAP_EXEC_LOG; the
// recipes of demo, bench, fuzz, install, uninstall and deps are read from `make -n`. A program
// that passes here only because it was installed by hand (a package outside the list, or
// /usr/local, or a language manager's shim) fails this test on the machine that has it, instead
// of failing a fresh machine later. This binary runs last in `make check`.
#include <doctest/doctest.h>
#include <limits.h>
#include <stdlib.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "deps/debian_packages.h"
#include "support/run_shell.h"

namespace fs = std::filesystem;
using idtap::test::run_shell;
namespace deb = idtap::test::deb;

namespace {

const std::string kSourceDir = IDTAP_SOURCE_DIR;

std::string quote(const std::string& s) {
  std::string q = "'";
  for (char c : s) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

// under_source: the program is one the project builds or ships itself.
bool under_source(const std::string& path) {
  std::error_code ec;
  auto canon = fs::weakly_canonical(path, ec);
  const std::string p = ec ? path : canon.string();
  auto src = fs::weakly_canonical(kSourceDir, ec).string();
  return p.rfind(src + "/", 0) == 0;
}

// made_by_a_test: the program lives in the system's temporary directory, where tests build and
// install the project (tests/install's DESTDIR, the README example's kiosk program).
bool made_by_a_test(const std::string& path) {
  const char* tmp = std::getenv("TMPDIR");
  std::string dir = tmp && *tmp ? tmp : "/tmp";
  if (dir.back() != '/') dir += '/';
  return path.rfind(dir, 0) == 0;
}

// probed_loader: a dynamic loader `ldd` runs to ask it about a binary; ldd tries every loader of
// the architectures it knows (i386, x32 too) and uses those present, so none is a requirement.
bool probed_loader(const std::string& path) {
  return path.find("/ld-linux") != std::string::npos && path.find(".so") != std::string::npos;
}

// kBootstrap: the installer `make deps` itself runs, present before anything is installed.
const std::set<std::string> kBootstrap = {"apt", "dpkg"};

// traced_programs: the executable paths in the exec log that were found (existed) when run.
std::set<std::string> traced_programs(const std::string& log_path) {
  std::set<std::string> out;
  std::ifstream in(log_path);
  std::string line;
  while (std::getline(in, line)) {
    auto tab = line.find('\t');
    if (tab == std::string::npos || line.substr(0, tab) != "1") continue;
    out.insert(line.substr(tab + 1));
  }
  return out;
}

// recipe_programs: the programs `make -n` prints for the make targets other than check.
std::set<std::string> recipe_programs() {
  // A make of its own (no jobserver or flags inherited from a `make -jN check` around this test),
  // and only its stdout: make's own warnings on stderr are not recipe lines.
  auto r = run_shell("{ env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -s -n -B --no-print-directory -C " + quote(kSourceDir) +
                     " BUILD=build/deps-dry demo bench fuzz install uninstall deps DESTDIR=/nonexistent-dry-run 2>/dev/null; }");
  REQUIRE_MESSAGE(r.exit_code == 0, r.out);
  std::set<std::string> out;
  std::vector<std::string> words = deb::command_words(r.out);
  for (size_t i = 0; i < words.size(); ++i) {
    const std::string word = words[i];
    if (word.find('/') != std::string::npos && word[0] != '/') {
      out.insert(kSourceDir + "/" + word);  // built or shipped by the project (build/..., tests/...)
      // A script of the project's (tests/fuzz/run.sh): the programs it starts count too.
      if (word.size() > 3 && word.ends_with(".sh")) {
        std::ifstream script(kSourceDir + "/" + word);
        std::stringstream text;
        text << script.rdbuf();
        for (auto& inner : deb::command_words(text.str())) words.push_back(inner);
      }
      continue;
    }
    auto path = deb::which(word);
    if (path.empty()) {
      out.insert("missing:" + word);
    } else {
      out.insert(path);
    }
  }
  return out;
}

}  // namespace

TEST_CASE("the shell-command reader finds the program of every simple command") {
  struct Case {
    const char* script;
    std::vector<std::string> words;
  } cases[] = {
      // a plain pipeline and a list
      {"ls -l | grep x; sort a && uniq b || tail c", {"ls", "grep", "sort", "uniq", "tail"}},
      // assignments before a command, and a command substitution inside an argument
      {"FOO=1 BAR=\"x y\" pcscd -f -a $(id -u)", {"pcscd", "id"}},
      // a substitution inside a word, and one that is the command's first word
      {"make -j$(nproc) all; $(which cc) -v", {"make", "nproc", "which"}},
      // comments are not commands
      {"# runs every target, or exits\nsed -n p f  # and a trailing one, seeded", {"sed"}},
      // a substitution inside double quotes
      {"if [ \"$(id -u)\" != 0 ]; then exit 1; fi", {"id"}},
      // shell keywords and builtins are not programs; a for loop's words are not commands
      {"for f in a b; do echo $f; done; if [ -n x ]; then true; fi", {}},
      // a continued line, a subshell and a brace group
      {"install -d a \\\n  b && (cd x && tar cf y) ; { sed s/a/b/ f; }", {"install", "tar", "sed"}},
      // redirections are not words; exec runs its argument
      {">/dev/null 2>&1 exec dpkg-query -W", {"dpkg-query"}},
      // make's own echo of a recursive call, a variable as the command (not knowable: skipped)
      {"$$f -max_total_time=1; \"$b\" x", {}},
  };
  for (const auto& c : cases) {
    CAPTURE(c.script);
    CHECK(deb::command_words(c.script) == c.words);
  }
}

TEST_CASE("Depends fields are read with alternatives, versions and architecture qualifiers") {
  // one alternative group, a version constraint, an :any qualifier, and an empty field
  CHECK(deb::dependency_names("libc6 (>= 2.34), python3:any | perl, , libssl3 (= 3.0.1-1)") ==
        std::vector<std::string>{"libc6", "python3", "perl", "libssl3"});
  CHECK(deb::dependency_names("").empty());
}

TEST_CASE("the closure of the package list follows Depends, Pre-Depends and Provides") {
  std::vector<deb::Package> db = {
      {"top", false, {}, {"mid", "virtual-thing"}},
      {"mid", false, {}, {"leaf"}},
      {"leaf", false, {}, {}},
      {"provider", false, {"virtual-thing"}, {}},
      {"essential-pkg", true, {}, {"essential-dep"}},
      {"essential-dep", false, {}, {}},
      {"outsider", false, {}, {}},
  };
  auto closure = deb::closure(db, {"top"});
  for (const char* in : {"top", "mid", "leaf", "provider", "essential-pkg", "essential-dep"}) {
    CAPTURE(in);
    CHECK(closure.count(in) == 1);
  }
  CHECK(closure.count("outsider") == 0);  // installed, but nothing in the list needs it
}

TEST_CASE("programs the project makes and loaders ldd probes are not asked of Debian") {
  CHECK(under_source(kSourceDir + "/build/rel/bin/idtap"));
  CHECK_FALSE(under_source("/usr/bin/pcscd"));
  CHECK(made_by_a_test("/tmp/idtap-install-x/root/usr/local/bin/idtap"));
  CHECK_FALSE(made_by_a_test("/usr/local/bin/pcscd"));  // installed by hand: asked, and refused
  CHECK(probed_loader("/lib/ld-linux.so.2"));
  CHECK_FALSE(probed_loader("/usr/bin/ldd"));
}

TEST_CASE("the exec trace records the programs that tests start") {
  const char* log = std::getenv("IDTAP_EXEC_LOG");
  REQUIRE_MESSAGE(log != nullptr, "run through `make check`, which traces every program under IDTAP_EXEC_LOG");
  auto before = traced_programs(log);
  // A program run now, through a shell as the tests run theirs, lands in the log.
  auto r = run_shell("env true");
  REQUIRE(r.exit_code == 0);
  auto after = traced_programs(log);
  CHECK(after.count(deb::which("env")) == 1);
  // The daemons the integration tests start were seen: the trace covered the whole run.
  CHECK(before.count(deb::which("pcscd")) == 1);
}

TEST_CASE("every program make check and the make targets start comes from a package make deps installs") {
  const char* log = std::getenv("IDTAP_EXEC_LOG");
  REQUIRE_MESSAGE(log != nullptr, "run through `make check`, which traces every program under IDTAP_EXEC_LOG");
  // (MAKEFLAGS is kept: a `make check DEB_PACKAGES=...` override reaches this list; stderr is not.)
  auto listed = run_shell("{ make -s --no-print-directory -C " + quote(kSourceDir) + " print-deb-packages 2>/dev/null; }");
  REQUIRE(listed.exit_code == 0);
  std::vector<std::string> wanted;
  std::istringstream ws(listed.out);
  for (std::string w; ws >> w;) wanted.push_back(w);
  REQUIRE(wanted.size() > 5);

  auto db = deb::installed_packages();
  REQUIRE_MESSAGE(!db.empty(), "dpkg-query listed no installed package");
  auto allowed = deb::closure(db, wanted);

  auto programs = traced_programs(log);
  REQUIRE_MESSAGE(programs.size() > 10, "the exec log holds too few programs: was the trace loaded?");
  for (const auto& p : recipe_programs()) programs.insert(p);

  std::vector<std::string> problems;
  std::map<std::string, std::string> seen;  // program -> package, for the report
  std::set<std::string> external;
  for (const auto& program : programs)
    if (program.rfind("missing:", 0) != 0 && !under_source(program) && !made_by_a_test(program) &&
        !probed_loader(program))
      external.insert(program);
  const auto owners = deb::owning_packages(external);
  for (const auto& program : programs) {
    if (program.rfind("missing:", 0) == 0) {
      problems.push_back("`" + program.substr(8) + "` (run by a make target) is not installed");
      continue;
    }
    if (!external.count(program)) continue;  // the project's own, or a loader ldd probes
    auto it = owners.find(program);
    const std::string owner = it == owners.end() ? "" : it->second;
    if (owner.empty()) {
      problems.push_back(program + " belongs to no Debian package (installed by hand?)");
      continue;
    }
    seen[program] = owner;
    if (allowed.count(owner) == 0 && kBootstrap.count(owner) == 0) {
      problems.push_back(program + " comes from package " + owner + ", which `make deps` does not install");
    }
  }
  std::string report;
  for (const auto& [program, owner] : seen) report += "  " + program + " <- " + owner + "\n";
  MESSAGE("programs started, with their packages:\n" << report);
  std::string all;
  for (const auto& p : problems) all += "  " + p + "\n";
  CHECK_MESSAGE(problems.empty(), "programs a fresh machine would not have:\n" << all);
}
