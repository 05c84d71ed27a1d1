// The udev rules and the modprobe blacklist in udev/: syntax (our own checker, and
// `udevadm verify` where the installed udev has it: udev 252 in Debian 12 does not), every
// VID:PID once, exactly the readers idtap opens through libnfc (no CCID-only reader), the same
// PN53x pairs as the pcscd driver's Info.plist, and `make install` placing both
// where udev and modprobe read them.
#include <doctest/doctest.h>

#include <cctype>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

namespace fs = std::filesystem;

namespace {

const fs::path kUdevDir = fs::path(IDTAP_SOURCE_DIR) / "udev";

std::string read_file(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string run(const std::string& command, int* status) {
  std::string out;
  FILE* f = popen(command.c_str(), "r");
  if (!f) {
    *status = -1;
    return out;
  }
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, f)) > 0) out.append(buf, n);
  *status = pclose(f);
  return out;
}

struct Assignment {
  std::string key;   // "ATTR"
  std::string attr;  // "idVendor" (inside the braces), or ""
  std::string op;    // "==", "!=", "=", "+=", "-=", ":="
  std::string value;
};

struct Rule {
  int line = 0;
  std::vector<Assignment> parts;
};

// Parses one rule line the way udev does (udev(7) "Rules files"): comma-separated
// KEY[{attr}] OP "value" items. Returns an error text, or "" when the line is well formed.
std::string parse_rule(const std::string& text, Rule* rule) {
  static const std::set<std::string> kMatchOnly = {"ACTION", "DEVPATH", "KERNEL", "SUBSYSTEM", "DRIVER", "KERNELS",
                                                   "SUBSYSTEMS", "DRIVERS", "ATTRS", "TAGS", "TEST", "PROGRAM",
                                                   "RESULT", "CONST", "SYSCTL"};
  static const std::set<std::string> kAssignOnly = {"OWNER", "GROUP", "MODE", "SECLABEL", "RUN", "LABEL", "GOTO",
                                                    "IMPORT", "OPTIONS"};
  static const std::set<std::string> kBoth = {"NAME", "SYMLINK", "ATTR", "ENV", "TAG"};
  static const std::set<std::string> kWithAttr = {"ATTR", "ATTRS", "ENV", "SYSCTL", "CONST", "TEST", "SECLABEL",
                                                  "RUN", "IMPORT"};
  size_t i = 0;
  auto skip_space = [&] {
    while (i < text.size() && (text[i] == ' ' || text[i] == '\t')) ++i;
  };
  while (true) {
    skip_space();
    Assignment a;
    while (i < text.size() && (std::isupper(static_cast<unsigned char>(text[i])) || text[i] == '_')) a.key += text[i++];
    if (a.key.empty()) return "expected a key";
    if (i < text.size() && text[i] == '{') {
      size_t close = text.find('}', i);
      if (close == std::string::npos) return "unclosed {";
      a.attr = text.substr(i + 1, close - i - 1);
      if (a.attr.empty()) return "empty {}";
      i = close + 1;
    }
    bool known = kMatchOnly.count(a.key) || kAssignOnly.count(a.key) || kBoth.count(a.key);
    if (!known) return "unknown key " + a.key;
    if (!a.attr.empty() && !kWithAttr.count(a.key)) return a.key + " takes no {attribute}";
    if (a.attr.empty() && (a.key == "ATTR" || a.key == "ATTRS" || a.key == "ENV")) return a.key + " needs {attribute}";
    skip_space();
    for (const char* op : {"==", "!=", "+=", "-=", ":=", "="}) {
      if (text.compare(i, std::string(op).size(), op) == 0) {
        a.op = op;
        i += a.op.size();
        break;
      }
    }
    if (a.op.empty()) return "expected an operator after " + a.key;
    bool is_match = a.op == "==" || a.op == "!=";
    if (is_match && kAssignOnly.count(a.key)) return a.key + " cannot be matched";
    if (!is_match && kMatchOnly.count(a.key)) return a.key + " cannot be assigned";
    skip_space();
    if (i >= text.size() || text[i] != '"') return "value of " + a.key + " is not quoted";
    size_t close = text.find('"', i + 1);
    if (close == std::string::npos) return "unterminated value";
    a.value = text.substr(i + 1, close - i - 1);
    i = close + 1;
    rule->parts.push_back(a);
    skip_space();
    if (i == text.size()) return "";
    if (text[i] != ',') return "expected ',' between items";
    ++i;
  }
}

std::vector<Rule> parse_rules_file(const fs::path& p, std::vector<std::string>* errors) {
  std::vector<Rule> rules;
  std::istringstream in(read_file(p));
  std::string line;
  int number = 0;
  while (std::getline(in, line)) {
    ++number;
    size_t b = line.find_first_not_of(" \t");
    if (b == std::string::npos || line[b] == '#') continue;
    if (line.back() == '\\') {
      errors->push_back(p.filename().string() + ":" + std::to_string(number) + ": no continuation lines here");
      continue;
    }
    Rule r;
    r.line = number;
    std::string err = parse_rule(line.substr(b), &r);
    if (!err.empty()) errors->push_back(p.filename().string() + ":" + std::to_string(number) + ": " + err);
    rules.push_back(r);
  }
  return rules;
}

bool is_lower_hex4(const std::string& s) {
  if (s.size() != 4) return false;
  for (char c : s)
    if (!std::isdigit(static_cast<unsigned char>(c)) && !(c >= 'a' && c <= 'f')) return false;
  return true;
}

std::vector<fs::path> files_with(const std::string& extension) {
  std::vector<fs::path> out;
  for (const auto& e : fs::directory_iterator(kUdevDir))
    if (e.path().extension() == extension) out.push_back(e.path());
  return out;
}

// kPn53xUsbTable: the device table of libnfc 1.8's pn53x_usb driver (libnfc
// libnfc/drivers/pn53x_usb.c, pn53x_usb_supported_devices; the same pairs as the PN531 and PN533
// entries of libnfc's 93-pn53x.rules): Philips PN531, NXP PN533, SCM SCL3711, SCM SCL3712,
// Sony PN531, ASK LoGO, Sony RC-S360.
const std::set<std::string> kPn53xUsbTable = {"04cc:0531", "04cc:2533", "04e6:5591", "04e6:5594",
                                              "054c:0193", "1fd3:0608", "054c:02e1"};

// rules_pairs: every "vid:pid" the reader rules match.
std::set<std::string> rules_pairs() {
  std::set<std::string> out;
  std::vector<std::string> errors;
  for (const auto& f : files_with(".rules")) {
    for (const auto& r : parse_rules_file(f, &errors)) {
      std::string vid, pid;
      for (const auto& a : r.parts) {
        if (a.key == "ATTR" && a.attr == "idVendor") vid = a.value;
        if (a.key == "ATTR" && a.attr == "idProduct") pid = a.value;
      }
      if (!vid.empty() || !pid.empty()) out.insert(vid + ":" + pid);
    }
  }
  return out;
}

// plist_array: the <string> items of the <array> after <key>KEY</key> in an Info.plist.
std::vector<std::string> plist_array(const std::string& plist, const std::string& key) {
  std::vector<std::string> out;
  const size_t at = plist.find("<key>" + key + "</key>");
  if (at == std::string::npos) return out;
  const size_t begin = plist.find("<array>", at), end = plist.find("</array>", at);
  if (begin == std::string::npos || end == std::string::npos || end < begin) return out;
  for (size_t pos = plist.find("<string>", begin); pos != std::string::npos && pos < end;
       pos = plist.find("<string>", pos + 1)) {
    const size_t close = plist.find("</string>", pos);
    if (close == std::string::npos || close > end) break;
    out.push_back(plist.substr(pos + 8, close - pos - 8));
  }
  return out;
}

}  // namespace

TEST_CASE("our rule checker rejects what udev rejects") {
  struct Row {
    const char* why;
    const char* line;
    bool ok;
  };
  const Row rows[] = {
      {"a well-formed rule", "ATTR{idVendor}==\"072f\", TAG+=\"uaccess\", MODE=\"0660\"", true},
      {"a label", "LABEL=\"end\"", true},
      {"unquoted value", "ATTR{idVendor}==072f", false},
      {"unknown key", "VENDOR==\"072f\"", false},
      {"matching an assign-only key", "GROUP==\"plugdev\"", false},
      {"assigning a match-only key", "SUBSYSTEM=\"usb\"", false},
      {"missing comma", "ATTR{idVendor}==\"072f\" MODE=\"0660\"", false},
      {"ATTR without attribute", "ATTR==\"x\"", false},
      {"no operator", "MODE \"0660\"", false},
      {"unterminated value", "MODE=\"0660", false},
  };
  for (const auto& row : rows) {
    CAPTURE(std::string(row.why));
    Rule r;
    CHECK(parse_rule(row.line, &r).empty() == row.ok);
  }
}

TEST_CASE("the reader rules parse, and every VID:PID appears once") {
  auto files = files_with(".rules");
  REQUIRE_FALSE(files.empty());
  std::map<std::string, std::string> seen;  // "vid:pid" -> where
  std::vector<std::string> errors;
  for (const auto& f : files) {
    CAPTURE(f.string());
    // udev orders by file name; uaccess must be tagged before 73-seat-late.rules applies it.
    CHECK(f.filename().string() < "73");
    auto rules = parse_rules_file(f, &errors);
    std::set<std::string> labels, gotos;
    for (const auto& r : rules) {
      std::string vid, pid;
      bool uaccess = false;
      for (const auto& a : r.parts) {
        if (a.key == "LABEL") labels.insert(a.value);
        if (a.key == "GOTO") gotos.insert(a.value);
        if (a.key == "ATTR" && a.attr == "idVendor") vid = a.value;
        if (a.key == "ATTR" && a.attr == "idProduct") pid = a.value;
        if (a.key == "TAG" && a.op == "+=" && a.value == "uaccess") uaccess = true;
        if (a.key == "MODE") CHECK(a.value == "0660");
      }
      if (vid.empty() && pid.empty()) continue;
      std::string where = f.filename().string() + ":" + std::to_string(r.line);
      CAPTURE(where);
      CHECK(is_lower_hex4(vid));
      CHECK(is_lower_hex4(pid));
      CHECK(uaccess);
      std::string key = vid + ":" + pid;
      CHECK_MESSAGE(seen.count(key) == 0, key << " appears twice: " << seen[key] << " and " << where);
      seen[key] = where;
    }
    for (const auto& g : gotos) CHECK_MESSAGE(labels.count(g), "GOTO without LABEL: " << g);
  }
  for (const auto& e : errors) FAIL_CHECK(e);
  // Exactly the readers idtap opens itself through libnfc: libnfc 1.8's pn53x_usb table and the
  // ACR122U (acr122_usb).
  std::set<std::string> listed;
  for (const auto& [key, where] : seen) listed.insert(key);
  std::set<std::string> expected = kPn53xUsbTable;
  expected.insert("072f:2200");
  CHECK(listed == expected);
}

TEST_CASE("no CCID-only reader gets uaccess or plugdev: pcscd (root) opens those, idtap never does") {
  // Each one a CCID reader of libccid's supported list that idtap reaches only as pcsc:.
  const char* ccid_only[] = {
      "072f:223b",  // ACS ACR1252U
      "072f:223e",  // ACS ACR1252U single slot
      "072f:2224",  // ACS ACR1281U
      "04e6:5790",  // Identiv uTrust 3700 F
      "076b:5022",  // HID OMNIKEY 5022
      "076b:5422",  // HID OMNIKEY 5422
      "076b:5427",  // HID OMNIKEY 5427 CK
      "1c34:7141",  // SpringCard Prox'N'Roll
  };
  const std::set<std::string> listed = rules_pairs();
  for (const char* pair : ccid_only) CHECK_MESSAGE(listed.count(pair) == 0, pair << " is a CCID reader: not ours to open");
}

TEST_CASE("the pcscd driver's Info.plist and the udev rules list the same PN53x readers: libnfc's pn53x_usb table") {
  const std::string plist = read_file(fs::path(IDTAP_SOURCE_DIR) / "drivers/ifd/Info.plist");
  const auto vendors = plist_array(plist, "ifdVendorID");
  const auto products = plist_array(plist, "ifdProductID");
  const auto names = plist_array(plist, "ifdFriendlyName");
  REQUIRE(vendors.size() == products.size());
  CHECK(names.size() == vendors.size());
  std::set<std::string> plist_pairs;
  for (size_t i = 0; i < vendors.size(); ++i) {
    std::string v = vendors[i], p = products[i];
    REQUIRE(v.rfind("0x", 0) == 0);
    REQUIRE(p.rfind("0x", 0) == 0);
    std::string pair = v.substr(2) + ":" + p.substr(2);
    for (char& c : pair) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    CHECK_MESSAGE(plist_pairs.insert(pair).second, pair << " twice in Info.plist");
  }
  CHECK(plist_pairs == kPn53xUsbTable);
  std::set<std::string> rules_pn53x = rules_pairs();
  rules_pn53x.erase("072f:2200");  // the ACR122U: libnfc's acr122_usb; under pcscd the CCID driver serves it
  CHECK(rules_pn53x == plist_pairs);
}

TEST_CASE("udevadm verify accepts the rules, where udevadm has it") {
  int status = 0;
  run("udevadm verify --help >/dev/null 2>&1", &status);
  if (status != 0) {
    MESSAGE("udevadm verify not available (udev < 253): our own checker above stands in");
    return;
  }
  for (const auto& f : files_with(".rules")) {
    std::string out = run("udevadm verify --no-summary '" + f.string() + "' 2>&1", &status);
    CHECK_MESSAGE(status == 0, out);
  }
}

TEST_CASE("the modprobe blacklist keeps the kernel NFC stack off PN533 readers") {
  auto files = files_with(".conf");
  REQUIRE(files.size() == 1);
  CHECK(files[0].filename() == "idtap-blacklist-pn533.conf");
  std::istringstream in(read_file(files[0]));
  std::set<std::string> modules;
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    std::istringstream words(line);
    std::string verb, module, extra;
    words >> verb >> module;
    CHECK_MESSAGE(verb == "blacklist", line);
    CHECK_FALSE(static_cast<bool>(words >> extra));
    modules.insert(module);
  }
  CHECK(modules == std::set<std::string>{"pn533_usb", "pn533", "nfc"});
}

TEST_CASE("make install puts the rules where udev reads them and the blacklist in modprobe.d") {
  int status = 0;
  std::string out = run("env -u MAKEFLAGS -u MAKELEVEL -u MFLAGS make -s -n -C '" IDTAP_SOURCE_DIR "' install DESTDIR=/dest PREFIX=/usr/local 2>/dev/null", &status);
  REQUIRE(status == 0);
  CHECK(out.find("install -m 0644 udev/*.rules /dest/etc/udev/rules.d/") != std::string::npos);
  CHECK(out.find("install -m 0644 udev/*.conf /dest/etc/modprobe.d/") != std::string::npos);
  out = run("env -u MAKEFLAGS -u MAKELEVEL -u MFLAGS make -s -n -C '" IDTAP_SOURCE_DIR "' install DESTDIR=/dest PREFIX=/usr 2>/dev/null", &status);
  CHECK(out.find("udev/*.rules /dest/usr/lib/udev/rules.d/") != std::string::npos);
}
