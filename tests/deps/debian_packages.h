// deps/debian_packages.h: what the program check (programs_test.cpp) needs to know of Debian's
// package database and of shell command lines. Header-only: it serves that one test binary.
#pragma once

#include <limits.h>
#include <stdlib.h>
#include <unistd.h>

#include <cctype>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "support/run_shell.h"

namespace idtap::test::deb {

// Package: one installed package as far as the closure needs it.
struct Package {
  std::string name;
  bool essential = false;
  std::vector<std::string> provides;
  std::vector<std::string> depends;  // Pre-Depends and Depends, every alternative
};

// dependency_names: the package names of a Depends-style field ("a (>= 1) | b:any, c"), every
// alternative included, without versions or architecture qualifiers.
inline std::vector<std::string> dependency_names(const std::string& field) {
  std::vector<std::string> out;
  std::string cur;
  auto flush = [&] {
    auto s = cur.find_first_not_of(" \t");
    if (s != std::string::npos) {
      auto name = cur.substr(s);
      name = name.substr(0, name.find_first_of(" \t(:"));
      if (!name.empty()) out.push_back(name);
    }
    cur.clear();
  };
  int depth = 0;
  for (char c : field) {
    if (c == '(') ++depth;
    if (depth == 0 && (c == ',' || c == '|')) {
      flush();
      continue;
    }
    if (c == ')') --depth;
    cur += c;
  }
  flush();
  return out;
}

// installed_packages: every installed package, from dpkg-query (empty when it fails).
inline std::vector<Package> installed_packages() {
  auto r = run_shell(
      "dpkg-query -W -f='${db:Status-Abbrev}\\t${Package}\\t${Essential}\\t${Provides}\\t${Pre-Depends}, "
      "${Depends}\\n'");
  std::vector<Package> out;
  if (r.exit_code != 0) return out;
  std::istringstream in(r.out);
  std::string line;
  while (std::getline(in, line)) {
    std::vector<std::string> f;
    std::istringstream ls(line);
    for (std::string part; std::getline(ls, part, '\t');) f.push_back(part);
    if (f.size() < 5 || f[0].rfind("ii", 0) != 0) continue;
    Package p;
    p.name = f[1];
    p.essential = f[2] == "yes";
    p.provides = dependency_names(f[3]);
    p.depends = dependency_names(f[4]);
    out.push_back(std::move(p));
  }
  return out;
}

// closure: the names of `wanted`, every Essential package, and everything they depend on,
// through virtual packages to each installed package that provides them.
inline std::set<std::string> closure(const std::vector<Package>& db, const std::vector<std::string>& wanted) {
  std::map<std::string, const Package*> by_name;
  std::map<std::string, std::vector<std::string>> providers;
  for (const auto& p : db) {
    by_name[p.name] = &p;
    for (const auto& v : p.provides) providers[v].push_back(p.name);
  }
  std::set<std::string> seen;
  std::vector<std::string> todo(wanted.begin(), wanted.end());
  for (const auto& p : db)
    if (p.essential) todo.push_back(p.name);
  while (!todo.empty()) {
    auto name = todo.back();
    todo.pop_back();
    if (!seen.insert(name).second) continue;
    if (auto v = providers.find(name); v != providers.end())
      for (const auto& p : v->second) todo.push_back(p);
    if (auto it = by_name.find(name); it != by_name.end())
      for (const auto& d : it->second->depends) todo.push_back(d);
  }
  return seen;
}

// which: the absolute path the shell would run for `name` ("" when not found in PATH).
inline std::string which(const std::string& name) {
  if (name.find('/') != std::string::npos) return access(name.c_str(), X_OK) == 0 ? name : "";
  const char* path = getenv("PATH");
  std::istringstream ss(path ? path : "/usr/local/bin:/usr/bin:/bin");
  for (std::string dir; std::getline(ss, dir, ':');) {
    auto candidate = (dir.empty() ? std::string(".") : dir) + "/" + name;
    if (access(candidate.c_str(), X_OK) == 0) return candidate;
  }
  return "";
}

// path_spellings: `path` as given, resolved through symlinks (alternatives), and in its other
// /usr-merged spelling: the names dpkg may know the file by.
inline std::vector<std::string> path_spellings(const std::string& path) {
  std::vector<std::string> tries{path};
  char buf[PATH_MAX];
  if (realpath(path.c_str(), buf) != nullptr) tries.emplace_back(buf);
  for (size_t i = 0, n = tries.size(); i < n; ++i) {
    const std::string t = tries[i];  // a copy: push_back below may move the vector
    for (const char* top : {"/bin/", "/sbin/", "/lib/", "/lib64/"}) {
      if (t.rfind(top, 0) == 0) tries.push_back("/usr" + t);
      if (t.rfind(std::string("/usr") + top, 0) == 0) tries.push_back(t.substr(4));
    }
  }
  return tries;
}

// owning_packages: for each of `paths`, the installed package that holds it under one of its
// spellings; a path no package holds is absent from the map. One dpkg-query call for all.
inline std::map<std::string, std::string> owning_packages(const std::set<std::string>& paths) {
  std::map<std::string, std::string> owner_of;  // spelling -> package
  std::string cmd = "dpkg-query -S";
  std::set<std::string> spellings;
  for (const auto& p : paths)
    for (const auto& t : path_spellings(p)) spellings.insert(t);
  for (const auto& t : spellings) cmd += " '" + t + "'";
  auto r = run_shell(cmd + " 2>/dev/null");
  std::istringstream in(r.out);
  for (std::string line; std::getline(in, line);) {
    // "pkg[:arch][, pkg2]: /path"; diversions ("diversion by ...") are skipped.
    auto colon = line.find(": /");
    if (colon == std::string::npos || line.rfind("diversion", 0) == 0) continue;
    auto pkg = line.substr(0, colon);
    pkg = pkg.substr(0, pkg.find(','));
    owner_of[line.substr(colon + 2)] = pkg.substr(0, pkg.find(':'));
  }
  std::map<std::string, std::string> out;
  for (const auto& p : paths)
    for (const auto& t : path_spellings(p))
      if (auto it = owner_of.find(t); it != owner_of.end()) {
        out[p] = it->second;
        break;
      }
  return out;
}

// command_words: the program of each simple command in a shell script (`make -n` output): the
// first word after assignments and redirections, with keywords, builtins, variables and the
// words of a for loop left out. A reader for our own recipes, not a shell.
inline std::vector<std::string> command_words(const std::string& script) {
  static const std::set<std::string> kSkip = {
      "case", "in", "echo", "printf", "test", "[", "[[", "true", "false", "set", "export", "cd", "exit", "local", "read",
      "shift", "eval", "unset", "wait", "trap", "return", "break", "continue", ":", ".", "source", "command",
      "type", "umask", "ulimit", "builtin", "let", "declare", "readonly", "pwd", "kill", "time"};
  std::string s;  // joined continued lines
  for (size_t i = 0; i < script.size(); ++i) {
    if (script[i] == '\\' && i + 1 < script.size() && script[i + 1] == '\n') {
      ++i;
      continue;
    }
    s += script[i];
  }
  std::vector<std::string> out;
  bool at_start = true, in_for = false;
  size_t i = 0;
  while (i < s.size()) {
    char c = s[i];
    if (c == '\n' || c == ';' || c == '|' || c == '&' || c == '(' || c == ')' || c == '{' || c == '}' ||
        c == '`') {
      if (c == ';' || c == '\n') in_for = false;
      at_start = true;
      ++i;
      continue;
    }
    if (std::isspace(static_cast<unsigned char>(c))) {
      ++i;
      continue;
    }
    if (c == '#') {  // a comment, to the end of the line
      while (i < s.size() && s[i] != '\n') ++i;
      continue;
    }
    // one word, quotes kept together
    std::string word;
    char q = 0;
    while (i < s.size()) {
      char d = s[i];
      if ((q == '"' || q == 0) && d == '$' && i + 1 < s.size() && s[i + 1] == '(') {
        // a command substitution (bare or inside double quotes): its commands are read on their
        // own, and the word goes on after it
        size_t j = i + 2;
        for (int depth = 1; j < s.size() && depth > 0; ++j) depth += s[j] == '(' ? 1 : s[j] == ')' ? -1 : 0;
        auto inner = command_words(s.substr(i + 2, j - 1 - (i + 2)));
        out.insert(out.end(), inner.begin(), inner.end());
        word += "$()";
        i = j;
        continue;
      }
      if (q) {
        if (d == q) q = 0;
        word += d;
        ++i;
        continue;
      }
      if (d == '\'' || d == '"') {
        q = d;
        word += d;
        ++i;
        continue;
      }
      if (d == '&' && !word.empty() && (word.back() == '>' || word.back() == '<')) {  // 2>&1
        word += d;
        ++i;
        continue;
      }
      if (std::isspace(static_cast<unsigned char>(d)) || d == ';' || d == '|' || d == '&' || d == '(' ||
          d == ')' || d == '`' || d == '\n')
        break;
      word += d;
      ++i;
    }
    if (word.empty()) continue;
    if (!at_start || in_for) continue;
    // redirections and assignments come before the command
    if (word.find_first_not_of("0123456789") != std::string::npos &&
        (word[word.find_first_not_of("0123456789")] == '>' || word[word.find_first_not_of("0123456789")] == '<'))
      continue;
    auto eq = word.find('=');
    if (eq != std::string::npos && eq > 0 && (std::isalpha(static_cast<unsigned char>(word[0])) || word[0] == '_') &&
        word.substr(0, eq).find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_") ==
            std::string::npos)
      continue;
    if (word == "for") {
      in_for = true;
      at_start = false;
      continue;
    }
    // keywords after which a command follows, and exec, whose argument is the command
    static const std::set<std::string> kLeading = {"if", "then", "else", "elif", "do", "while", "until",
                                                   "!", "exec", "time", "fi", "done", "esac"};
    if (kLeading.count(word)) continue;
    at_start = false;
    if (kSkip.count(word) || word.find('$') != std::string::npos || word[0] == '"' || word[0] == '\'' ||
        word[0] == '-')
      continue;
    out.push_back(word);
  }
  return out;
}

}  // namespace idtap::test::deb
