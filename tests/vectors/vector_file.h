// tests/vectors/vector_file.h: reads the known-answer vector files in tests/vectors/ (header
// only, for any test binary: #include "vectors/vector_file.h").
//
// Format: '#' starts a comment line; "[name]" starts a section; "key = value" lines fill it
// (value: the rest of the line, trimmed; hex values may contain spaces). A key may repeat a
// line "key += more" to continue a long value.
#pragma once

#include <fstream>
#include <map>
#include <sstream>
#include <stdexcept>
#include <string>

#include "idtap/base/hex.h"

namespace idtap::test {

class VectorFile {
 public:
  // VectorFile::load: parses tests/vectors/`name` from the source tree; throws on a missing
  // file (the test then fails loudly).
  static VectorFile load(const std::string& name) {
    const std::string path = std::string(IDTAP_SOURCE_DIR) + "/tests/vectors/" + name;
    std::ifstream in(path);
    if (!in) throw std::runtime_error("cannot open vector file " + path);
    VectorFile f;
    std::string line, section;
    while (std::getline(in, line)) {
      const std::string t = trim(line);
      if (t.empty() || t[0] == '#') continue;
      if (t.front() == '[' && t.back() == ']') {
        section = t.substr(1, t.size() - 2);
        f.sections_[section];
        continue;
      }
      const size_t eq = t.find('=');
      if (eq == std::string::npos) throw std::runtime_error("bad line in " + name + ": " + t);
      const bool cont = eq > 0 && t[eq - 1] == '+';
      const std::string key = trim(t.substr(0, cont ? eq - 1 : eq));
      const std::string value = trim(t.substr(eq + 1));
      auto& s = f.sections_[section];
      if (cont) s[key] += value;
      else s[key] = value;
    }
    return f;
  }

  // VectorFile::has: whether `section` holds `key`.
  bool has(const std::string& section, const std::string& key) const {
    auto s = sections_.find(section);
    return s != sections_.end() && s->second.count(key) != 0;
  }
  // VectorFile::text: the value of `key` in `section`; throws if absent.
  const std::string& text(const std::string& section, const std::string& key) const {
    auto s = sections_.find(section);
    if (s == sections_.end()) throw std::runtime_error("no section [" + section + "]");
    auto v = s->second.find(key);
    if (v == s->second.end()) throw std::runtime_error("no key " + key + " in [" + section + "]");
    return v->second;
  }
  // VectorFile::hex: the value decoded from hex (spaces allowed).
  Bytes hex(const std::string& section, const std::string& key) const { return hex_or_die(text(section, key)); }
  // VectorFile::sections: the section names in file order is not kept; sorted names.
  std::map<std::string, std::map<std::string, std::string>> const& sections() const { return sections_; }

 private:
  static std::string trim(const std::string& s) {
    const size_t b = s.find_first_not_of(" \t\r\n");
    if (b == std::string::npos) return "";
    const size_t e = s.find_last_not_of(" \t\r\n");
    return s.substr(b, e - b + 1);
  }
  std::map<std::string, std::map<std::string, std::string>> sections_;
};

// crypto_kat: tests/vectors/crypto_kat.txt, the crypto layer's known answers, loaded once.
inline const VectorFile& crypto_kat() {
  static const VectorFile f = VectorFile::load("crypto_kat.txt");
  return f;
}

}  // namespace idtap::test
