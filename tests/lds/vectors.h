// tests/lds/vectors.h: reads the "key = value" vector files under tests/vectors/lds/ (blocks
// separated by blank lines, '#' comments).
#pragma once

#include <fstream>
#include <map>
#include <string>
#include <vector>

namespace idtap::lds_test {

using VectorBlock = std::map<std::string, std::string>;

// load_vectors: the blocks of tests/vectors/<relative>; empty when the file is missing (the test
// then fails on its own REQUIRE of a non-empty list).
inline std::vector<VectorBlock> load_vectors(const std::string& relative) {
  std::ifstream in(std::string(IDTAP_SOURCE_DIR) + "/tests/vectors/" + relative);
  std::vector<VectorBlock> out;
  VectorBlock cur;
  std::string line;
  auto flush = [&] {
    if (!cur.empty()) out.push_back(cur);
    cur.clear();
  };
  while (std::getline(in, line)) {
    if (!line.empty() && line[0] == '#') continue;
    size_t eq = line.find(" = ");
    if (eq == std::string::npos) {
      if (line.find_first_not_of(" \t\r") == std::string::npos) flush();
      continue;
    }
    cur[line.substr(0, eq)] = line.substr(eq + 3);
  }
  flush();
  return out;
}

}  // namespace idtap::lds_test
