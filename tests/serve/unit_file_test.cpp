// tools/idtap-serve.service: systemd is not among the build's packages, so its own
// `systemd-analyze verify` cannot run here; this test parses the unit as systemd.syntax(7)
// describes it (sections, Key=Value, backslash continuations, comments) and checks what the
// README promises: the hardening options, the ledger directory as the only writable path, a
// non-root user, SIGTERM to stop, and an ExecStart whose every option `idtap serve` accepts.
#include <doctest/doctest.h>

#include <fstream>
#include <map>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include "serve/site.h"

using namespace idtap::test;

namespace {

using Unit = std::map<std::string, std::multimap<std::string, std::string>>;

// parse_unit: sections of Key=Value lines; kInvalidArgument-like failures are CHECKed here.
Unit parse_unit(const std::string& text) {
  Unit unit;
  std::istringstream in(text);
  std::string section, line, pending;
  int number = 0;
  while (std::getline(in, line)) {
    ++number;
    CAPTURE(number);
    if (!pending.empty()) {
      line = pending + " " + line;
      pending.clear();
    }
    const auto first = line.find_first_not_of(" \t");
    if (first == std::string::npos || line[first] == '#' || line[first] == ';') continue;
    if (line.back() == '\\') {
      pending = line.substr(0, line.size() - 1);
      continue;
    }
    if (line[first] == '[') {
      CHECK(line.back() == ']');
      section = line.substr(first + 1, line.size() - first - 2);
      unit[section];
      continue;
    }
    const auto eq = line.find('=');
    REQUIRE_MESSAGE(eq != std::string::npos, "not Key=Value: " << line);
    REQUIRE_MESSAGE(!section.empty(), "a key before any section");
    std::string key = line.substr(first, eq - first);
    CHECK(std::regex_match(key, std::regex("[A-Za-z][A-Za-z0-9]*")));
    unit[section].emplace(key, line.substr(eq + 1));
  }
  CHECK(pending.empty());
  return unit;
}

std::string one(const Unit& unit, const std::string& section, const std::string& key) {
  auto s = unit.find(section);
  if (s == unit.end()) return "";
  auto range = s->second.equal_range(key);
  if (range.first == range.second) return "";
  CHECK_MESSAGE(std::next(range.first) == range.second, key << " given twice");
  return range.first->second;
}

}  // namespace

TEST_CASE("tools/idtap-serve.service parses and is hardened; its ExecStart is a valid idtap serve line") {
  std::ifstream in(std::string(IDTAP_SOURCE_DIR) + "/tools/idtap-serve.service");
  REQUIRE(in);
  std::stringstream ss;
  ss << in.rdbuf();
  const Unit unit = parse_unit(ss.str());
  CHECK(unit.count("Unit") == 1);
  CHECK(unit.count("Service") == 1);
  CHECK(unit.count("Install") == 1);
  CHECK(one(unit, "Install", "WantedBy") == "multi-user.target");
  CHECK(one(unit, "Service", "NoNewPrivileges") == "yes");
  CHECK(one(unit, "Service", "ProtectSystem") == "strict");
  CHECK(one(unit, "Service", "ReadWritePaths") == "/var/lib/idtap");
  CHECK(one(unit, "Service", "KillSignal") == "SIGTERM");
  const std::string user = one(unit, "Service", "User");
  CHECK((!user.empty() && user != "root"));

  // ExecStart: the tool, "serve", then options each of which `idtap serve --help` documents;
  // the ledger lives in the one writable directory; TLS because it listens off loopback.
  std::istringstream exec(one(unit, "Service", "ExecStart"));
  std::vector<std::string> words;
  for (std::string w; exec >> w;) words.push_back(w);
  REQUIRE(words.size() > 3);
  CHECK(words[0] == "/usr/local/bin/idtap");
  CHECK(words[1] == "serve");
  const std::string help = idtap_run("serve --help").out;
  std::map<std::string, std::string> options;
  for (size_t i = 2; i < words.size(); ++i) {
    CAPTURE(words[i]);
    REQUIRE(words[i].rfind("--", 0) == 0);
    CHECK(help.find("  " + words[i] + " ") != std::string::npos);
    REQUIRE(i + 1 < words.size());
    options[words[i]] = words[i + 1];
    ++i;
  }
  CHECK(options["--ledger"].rfind("/var/lib/idtap/", 0) == 0);
  CHECK(options.count("--tls-cert") == 1);
  CHECK(options.count("--tls-key") == 1);
  CHECK(options.count("--public-url") == 1);
}
