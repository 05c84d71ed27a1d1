// card.conf: the grammar of the simulated card's configuration text, parsed and formatted.
#include "idtap/sim/card_conf.h"

#include <array>
#include <map>

#include "idtap/base/hex.h"

namespace idtap::sim {
namespace {

struct CurveName {
  int id;
  const char* name;
};
// ICAO 9303-11 §9.5.1, table "standardized domain parameters" (ECDH entries).
constexpr std::array<CurveName, 11> kCurves = {{
    {8, "secp192r1"},
    {9, "brainpoolP192r1"},
    {10, "secp224r1"},
    {11, "brainpoolP224r1"},
    {12, "secp256r1"},
    {13, "brainpoolP256r1"},
    {14, "brainpoolP320r1"},
    {15, "secp384r1"},
    {16, "brainpoolP384r1"},
    {17, "brainpoolP512r1"},
    {18, "secp521r1"},
}};

struct CipherName {
  crypto::CipherAlg alg;
  const char* name;
};
constexpr std::array<CipherName, 4> kCiphers = {{
    {crypto::CipherAlg::kTdes, "3des"},
    {crypto::CipherAlg::kAes128, "aes128"},
    {crypto::CipherAlg::kAes192, "aes192"},
    {crypto::CipherAlg::kAes256, "aes256"},
}};

struct HashName {
  crypto::HashAlg alg;
  const char* name;
};
constexpr std::array<HashName, 5> kHashes = {{
    {crypto::HashAlg::kSha1, "sha1"},
    {crypto::HashAlg::kSha224, "sha224"},
    {crypto::HashAlg::kSha256, "sha256"},
    {crypto::HashAlg::kSha384, "sha384"},
    {crypto::HashAlg::kSha512, "sha512"},
}};

const char* cipher_name(crypto::CipherAlg alg) {
  for (const auto& c : kCiphers)
    if (c.alg == alg) return c.name;
  return "?";
}

std::optional<crypto::CipherAlg> cipher_from_name(std::string_view s) {
  for (const auto& c : kCiphers)
    if (s == c.name) return c.alg;
  return std::nullopt;
}

const char* hash_label(crypto::HashAlg alg) {
  for (const auto& h : kHashes)
    if (h.alg == alg) return h.name;
  return "?";
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\r')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

// split_list: the comma- (or space-) separated words of `s`, empty words dropped.
std::vector<std::string_view> split_list(std::string_view s) {
  std::vector<std::string_view> out;
  size_t i = 0;
  while (i < s.size()) {
    while (i < s.size() && (s[i] == ',' || s[i] == ' ' || s[i] == '\t')) ++i;
    size_t start = i;
    while (i < s.size() && s[i] != ',' && s[i] != ' ' && s[i] != '\t') ++i;
    if (i > start) out.push_back(s.substr(start, i - start));
  }
  return out;
}

std::optional<bool> parse_bool(std::string_view s) {
  if (s == "yes" || s == "true" || s == "1" || s == "on") return true;
  if (s == "no" || s == "false" || s == "0" || s == "off") return false;
  return std::nullopt;
}

std::optional<uint64_t> parse_uint(std::string_view s) {
  if (s.empty() || s.size() > 9) return std::nullopt;
  uint64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return std::nullopt;
    v = v * 10 + static_cast<uint64_t>(c - '0');
  }
  return v;
}

bool all_digits(std::string_view s) {
  for (char c : s)
    if (c < '0' || c > '9') return false;
  return !s.empty();
}

// ICAO 9303-3 §4.2: the document number is A-Z, 0-9 and the filler '<'.
bool valid_document_number(std::string_view s) {
  if (s.empty() || s.size() > 22) return false;
  for (char c : s)
    if (!((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '<')) return false;
  return true;
}

void put(SecureBytes& out, std::string_view s) { out.insert(out.end(), s.begin(), s.end()); }
void put(SecureBytes& out, ByteView s) { out.insert(out.end(), s.begin(), s.end()); }

Error conf_error(std::string_view origin, size_t line, std::string what) {
  return make_error(ErrorCode::kMalformed, std::string(origin) + ":" + std::to_string(line) + ": " + what);
}

}  // namespace

std::optional<std::string> curve_name_for_parameter_id(int parameter_id) {
  for (const auto& c : kCurves)
    if (c.id == parameter_id) return std::string(c.name);
  return std::nullopt;
}

std::string pace_offer_name(const PaceOffer& offer) {
  std::string out;
  switch (offer.mapping) {
    case PaceMapping::kGeneric: out = "gm"; break;
    case PaceMapping::kIntegrated: out = "im"; break;
    case PaceMapping::kChipAuthentication: out = "cam"; break;
  }
  out += "-";
  out += cipher_name(offer.cipher);
  out += "-";
  auto curve = curve_name_for_parameter_id(offer.parameter_id);
  out += curve ? *curve : std::to_string(offer.parameter_id);
  return out;
}

Result<PaceOffer> parse_pace_offer(std::string_view text) {
  auto bad = [&](const char* why) {
    return make_error(ErrorCode::kInvalidArgument, "PACE offer '" + std::string(text) + "': " + why);
  };
  size_t d1 = text.find('-');
  size_t d2 = d1 == std::string_view::npos ? d1 : text.find('-', d1 + 1);
  if (d2 == std::string_view::npos) return bad("expected MAPPING-CIPHER-CURVE, e.g. gm-aes128-brainpoolP256r1");
  std::string_view mapping = text.substr(0, d1);
  std::string_view cipher = text.substr(d1 + 1, d2 - d1 - 1);
  std::string_view curve = text.substr(d2 + 1);
  PaceOffer offer;
  if (mapping == "gm") {
    offer.mapping = PaceMapping::kGeneric;
  } else if (mapping == "im") {
    offer.mapping = PaceMapping::kIntegrated;
  } else if (mapping == "cam") {
    offer.mapping = PaceMapping::kChipAuthentication;
  } else {
    return bad("mapping must be gm, im or cam");
  }
  auto alg = cipher_from_name(cipher);
  if (!alg) return bad("cipher must be 3des, aes128, aes192 or aes256");
  offer.cipher = *alg;
  // ICAO 9303-11 §4.4.3.5: CAM is defined for AES only.
  if (offer.mapping == PaceMapping::kChipAuthentication && offer.cipher == crypto::CipherAlg::kTdes)
    return bad("chip authentication mapping needs AES");
  std::optional<int> id;
  for (const auto& c : kCurves)
    if (curve == c.name) id = c.id;
  if (!id) {
    auto n = parse_uint(curve);
    if (n && curve_name_for_parameter_id(static_cast<int>(*n))) id = static_cast<int>(*n);
  }
  if (!id) return bad("curve must be a standardized ECDH curve (brainpoolP256r1, secp256r1, ... or its ID 8..18)");
  offer.parameter_id = *id;
  return offer;
}

SecureBytes format_card_conf(const CardConfig& c) {
  SecureBytes out;
  put(out, "# idtap simulated card (see README.md, \"The simulated card image\")\n");
  put(out, "format = " + std::to_string(kCardImageFormat) + "\n");
  put(out, "atr = " + to_hex(c.atr, true) + "\n");
  put(out, "uid = " + to_hex(c.uid, true) + "\n");
  std::string access;
  if (c.bac) access += "bac";
  if (c.pace) access += access.empty() ? "pace" : ", pace";
  put(out, "access = " + (access.empty() ? std::string("none") : access) + "\n");
  if (!c.can.empty()) {
    put(out, "can = ");
    put(out, c.can);
    put(out, "\n");
  }
  if (!c.mrz.empty()) {
    put(out, "mrz.document_number = ");
    put(out, c.mrz.document_number);
    put(out, "\nmrz.date_of_birth = ");
    put(out, c.mrz.date_of_birth);
    put(out, "\nmrz.date_of_expiry = ");
    put(out, c.mrz.date_of_expiry);
    put(out, "\n");
  }
  std::string offers;
  for (const auto& o : c.pace_offers) offers += (offers.empty() ? "" : ", ") + pace_offer_name(o);
  put(out, "pace = " + (offers.empty() ? std::string("none") : offers) + "\n");
  put(out, "pace.retries = " + std::to_string(c.pace_retries) + "\n");
  std::string ca;
  for (auto alg : c.ca_ciphers) ca += (ca.empty() ? "" : ", ") + std::string(cipher_name(alg));
  put(out, "ca = " + (ca.empty() ? std::string("none") : ca) + "\n");
  put(out, std::string("aa.hash = ") + hash_label(c.aa_hash) + "\n");
  const CardQuirks& q = c.quirks;
  put(out, std::string("quirk.extended_length = ") + (q.extended_length ? "yes" : "no") + "\n");
  put(out, "quirk.max_response = " + std::to_string(q.max_response) + "\n");
  put(out, std::string("quirk.mse_rejects_le = ") + (q.mse_rejects_le ? "yes" : "no") + "\n");
  put(out, "quirk.leave_after = " + std::to_string(q.leave_after) + "\n");
  put(out, std::string("quirk.cloned_chip = ") + (q.cloned_chip ? "yes" : "no") + "\n");
  put(out, std::string("quirk.no_sfi = ") + (q.no_sfi ? "yes" : "no") + "\n");
  return out;
}

Result<CardConfig> parse_card_conf(std::string_view text, std::string_view origin) {
  CardConfig c;
  bool saw_format = false;
  std::map<std::string, size_t> seen;
  size_t line_no = 0;
  size_t pos = 0;
  while (pos <= text.size()) {
    size_t eol = text.find('\n', pos);
    if (eol == std::string_view::npos) eol = text.size();
    std::string_view line = text.substr(pos, eol - pos);
    pos = eol + 1;
    ++line_no;
    if (size_t hash = line.find('#'); hash != std::string_view::npos) line = line.substr(0, hash);
    line = trim(line);
    if (line.empty()) {
      if (eol == text.size()) break;
      continue;
    }
    size_t eq = line.find('=');
    if (eq == std::string_view::npos) return conf_error(origin, line_no, "expected `key = value`");
    std::string key(trim(line.substr(0, eq)));
    std::string_view value = trim(line.substr(eq + 1));
    if (key.empty()) return conf_error(origin, line_no, "empty key");
    if (seen.count(key)) return conf_error(origin, line_no, "key '" + key + "' given twice (first on line " + std::to_string(seen[key]) + ")");
    seen[key] = line_no;
    auto bad_value = [&](const std::string& why) { return conf_error(origin, line_no, key + ": " + why); };
    auto flag = [&](bool& out) -> Status {
      auto b = parse_bool(value);
      if (!b) return bad_value("expected yes or no");
      out = *b;
      return ok_status();
    };
    auto count = [&](size_t& out, uint64_t max) -> Status {
      auto n = parse_uint(value);
      if (!n || *n > max) return bad_value("expected a number 0.." + std::to_string(max));
      out = static_cast<size_t>(*n);
      return ok_status();
    };

    if (key == "format") {
      if (value != std::to_string(kCardImageFormat)) return bad_value("unsupported format (this build reads " + std::to_string(kCardImageFormat) + ")");
      saw_format = true;
    } else if (key == "atr" || key == "uid") {
      auto bytes = from_hex(value);
      if (!bytes.ok()) return bad_value("expected hex bytes");
      if (key == "atr") {
        if (bytes->size() < 2 || bytes->size() > 33 || (*bytes)[0] != 0x3B) return bad_value("an ATR is 2..33 bytes starting 3B");
        c.atr = std::move(*bytes);
      } else {
        if (bytes->size() != 4 && bytes->size() != 7 && bytes->size() != 10) return bad_value("a UID is 4, 7 or 10 bytes");
        c.uid = std::move(*bytes);
      }
    } else if (key == "access") {
      c.bac = c.pace = false;
      for (auto word : split_list(value)) {
        if (word == "bac") {
          c.bac = true;
        } else if (word == "pace") {
          c.pace = true;
        } else if (word != "none") {
          return bad_value("unknown protocol '" + std::string(word) + "' (bac, pace, none)");
        }
      }
    } else if (key == "can") {
      if (!all_digits(value) || value.size() > 16) return bad_value("a CAN is 1..16 digits");
      c.can = secure_copy(ByteView(reinterpret_cast<const uint8_t*>(value.data()), value.size()));
    } else if (key == "mrz.document_number") {
      if (!valid_document_number(value)) return bad_value("a document number is 1..22 of A-Z 0-9 <");
      c.mrz.document_number = secure_copy(ByteView(reinterpret_cast<const uint8_t*>(value.data()), value.size()));
    } else if (key == "mrz.date_of_birth" || key == "mrz.date_of_expiry") {
      if (value.size() != 6 || !all_digits(value)) return bad_value("expected YYMMDD");
      SecureBytes v = secure_copy(ByteView(reinterpret_cast<const uint8_t*>(value.data()), value.size()));
      (key == "mrz.date_of_birth" ? c.mrz.date_of_birth : c.mrz.date_of_expiry) = std::move(v);
    } else if (key == "pace") {
      c.pace_offers.clear();
      for (auto word : split_list(value)) {
        if (word == "none") continue;
        auto offer = parse_pace_offer(word);
        if (!offer.ok()) return conf_error(origin, line_no, offer.error().context);
        c.pace_offers.push_back(*offer);
      }
    } else if (key == "pace.retries") {
      auto n = parse_uint(value);
      if (!n || *n < 1 || *n > 15) return bad_value("expected 1..15 (the 63Cx counter)");
      c.pace_retries = static_cast<int>(*n);
    } else if (key == "ca") {
      c.ca_ciphers.clear();
      for (auto word : split_list(value)) {
        if (word == "none") continue;
        auto alg = cipher_from_name(word);
        if (!alg) return bad_value("unknown cipher '" + std::string(word) + "' (3des, aes128, aes192, aes256)");
        c.ca_ciphers.push_back(*alg);
      }
    } else if (key == "aa.hash") {
      bool found = false;
      for (const auto& h : kHashes)
        if (value == h.name) c.aa_hash = h.alg, found = true;
      if (!found) return bad_value("expected sha1, sha224, sha256, sha384 or sha512");
    } else if (key == "quirk.extended_length") {
      IDTAP_TRY(flag(c.quirks.extended_length));
    } else if (key == "quirk.max_response") {
      IDTAP_TRY(count(c.quirks.max_response, 65536));
    } else if (key == "quirk.mse_rejects_le") {
      IDTAP_TRY(flag(c.quirks.mse_rejects_le));
    } else if (key == "quirk.leave_after") {
      IDTAP_TRY(count(c.quirks.leave_after, 100000000));
    } else if (key == "quirk.cloned_chip") {
      IDTAP_TRY(flag(c.quirks.cloned_chip));
    } else if (key == "quirk.no_sfi") {
      IDTAP_TRY(flag(c.quirks.no_sfi));
    } else {
      return conf_error(origin, line_no, "unknown key '" + key + "'");
    }
    if (eol == text.size()) break;
  }
  if (!saw_format) return conf_error(origin, line_no, "missing `format = " + std::to_string(kCardImageFormat) + "`");
  if (c.mrz.empty() != c.mrz.date_of_birth.empty() || c.mrz.empty() != c.mrz.date_of_expiry.empty())
    return conf_error(origin, line_no, "mrz.document_number, mrz.date_of_birth and mrz.date_of_expiry go together");
  return c;
}

}  // namespace idtap::sim
