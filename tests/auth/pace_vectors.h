// tests/auth/pace_vectors.h: reads tests/vectors/icao9303_11_pace.txt (the ICAO 9303-11 PACE
// worked examples) for the crypto and auth tests.
#pragma once

#include <doctest/doctest.h>

#include <fstream>
#include <map>
#include <sstream>
#include <string>

#include "idtap/base/bytes.h"
#include "idtap/base/hex.h"

namespace idtap::testing {

// PaceVectors: section name ("G.1") -> value name -> bytes.
class PaceVectors {
 public:
  // PaceVectors::load: parses the vector file once per call; a missing file or a bad line fails
  // the running test.
  static PaceVectors load() {
    PaceVectors v;
    const std::string path = std::string(IDTAP_SOURCE_DIR) + "/tests/vectors/icao9303_11_pace.txt";
    std::ifstream in(path);
    REQUIRE_MESSAGE(in.good(), "cannot open " << path);
    std::string line, section;
    while (std::getline(in, line)) {
      size_t start = line.find_first_not_of(" \t\r");
      if (start == std::string::npos || line[start] == '#') continue;
      line = line.substr(start);
      if (line[0] == '[') {
        section = line.substr(1, line.find(']') - 1);
        continue;
      }
      size_t eq = line.find('=');
      REQUIRE_MESSAGE(eq != std::string::npos, "bad vector line: " << line);
      std::string name = line.substr(0, eq);
      name.erase(name.find_last_not_of(" \t") + 1);
      auto value = from_hex(line.substr(eq + 1));
      REQUIRE_MESSAGE(value.ok(), "bad hex for " << section << "." << name);
      v.values_[section][name] = *value;
    }
    return v;
  }

  // PaceVectors::get: the value, failing the test when it is absent.
  const Bytes& get(const std::string& section, const std::string& name) const {
    auto s = values_.find(section);
    REQUIRE_MESSAGE(s != values_.end(), "no vector section " << section);
    auto v = s->second.find(name);
    REQUIRE_MESSAGE(v != s->second.end(), "no vector " << section << "." << name);
    return v->second;
  }

 private:
  std::map<std::string, std::map<std::string, Bytes>> values_;
};

}  // namespace idtap::testing
