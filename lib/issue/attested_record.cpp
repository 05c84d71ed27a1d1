#include "idtap/issue/attested_record.h"

#include <nlohmann/json.hpp>

#include <set>

#include "idtap/base/date.h"
#include "idtap/base/file_io.h"

namespace idtap::issue {
namespace {

using provision::VerifiedHolder;
using json = nlohmann::json;

Error bad(const std::string& key, const std::string& why) {
  return make_error(ErrorCode::kInvalidArgument, "attested record: \"" + key + "\" " + why);
}

// is_latin_name: A-Z and single spaces inside (ICAO 9303-3 §4.6 transliteration), 1..39.
bool is_latin_name(const std::string& s) {
  if (s.empty() || s.size() > 39 || s.front() == ' ' || s.back() == ' ') return false;
  for (char c : s)
    if (!((c >= 'A' && c <= 'Z') || c == ' ')) return false;
  return true;
}

// has_only_hangul: every code point a Hangul syllable (U+AC00..U+D7A3), UTF-8.
bool has_only_hangul(const std::string& s) {
  if (s.empty()) return false;
  for (size_t i = 0; i < s.size();) {
    auto b = [&](size_t k) { return static_cast<unsigned char>(s[k]); };
    if (i + 3 > s.size() || (b(i) & 0xF0) != 0xE0 || (b(i + 1) & 0xC0) != 0x80 || (b(i + 2) & 0xC0) != 0x80) return false;
    uint32_t cp = (uint32_t(b(i) & 0x0F) << 12) | (uint32_t(b(i + 1) & 0x3F) << 6) | (b(i + 2) & 0x3F);
    if (cp < 0xAC00 || cp > 0xD7A3) return false;
    i += 3;
  }
  return true;
}

}  // namespace

Result<VerifiedHolder> parse_attested_holder(std::string_view text, const std::string& base_dir, std::string_view clerk_id) {
  IDTAP_TRY(provision::check_clerk_id(clerk_id));
  json doc = json::parse(text.begin(), text.end(), nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded()) return make_error(ErrorCode::kInvalidArgument, "attested record: not JSON");
  if (!doc.is_object()) return make_error(ErrorCode::kInvalidArgument, "attested record: not a JSON object");
  static const std::set<std::string> kRequired = {"family_name",   "given_name",  "family_name_national", "given_name_national",
                                                  "birth_date",    "resident_registration_number",       "document_number",
                                                  "issue_date",    "expiry_date", "resident_address",     "portrait"};
  static const std::set<std::string> kOptional = {"issuing_state", "issuing_authority"};
  for (const auto& [key, value] : doc.items())
    if (!kRequired.count(key) && !kOptional.count(key)) return bad(key, "is not a field of the record (see README)");
  for (const auto& key : kRequired)
    if (!doc.contains(key)) return bad(key, "is missing");
  auto text_of = [&](const char* key) -> Result<std::string> {
    const json& v = doc.at(key);
    if (!v.is_string()) return bad(key, "must be a string");
    std::string s = v.get<std::string>();
    if (s.empty()) return bad(key, "is empty");
    return s;
  };
  auto date_of = [&](const char* key) -> Result<Date> {
    IDTAP_ASSIGN_OR_RETURN(std::string s, text_of(key));
    if (s.size() != 10) return bad(key, "must be a date YYYY-MM-DD");
    auto d = parse_date(s);
    if (!d.ok()) return bad(key, "must be a date YYYY-MM-DD");
    return *d;
  };

  VerifiedHolder h;
  h.evidence = provision::Evidence::kClerk;
  h.clerk_id = std::string(clerk_id);
  h.genuine = false;  // no chip proved anything: the clerk's attestation is the evidence
  h.verdict_reason = "attested by clerk " + h.clerk_id + " (no chip)";
  IDTAP_ASSIGN_OR_RETURN(h.family_name, text_of("family_name"));
  if (!is_latin_name(h.family_name)) return bad("family_name", "must be A-Z and spaces (as the card's Latin name)");
  IDTAP_ASSIGN_OR_RETURN(h.given_name, text_of("given_name"));
  if (!is_latin_name(h.given_name)) return bad("given_name", "must be A-Z and spaces (as the card's Latin name)");
  IDTAP_ASSIGN_OR_RETURN(h.family_name_national, text_of("family_name_national"));
  if (!has_only_hangul(h.family_name_national)) return bad("family_name_national", "must be Hangul syllables");
  IDTAP_ASSIGN_OR_RETURN(h.given_name_national, text_of("given_name_national"));
  if (!has_only_hangul(h.given_name_national)) return bad("given_name_national", "must be Hangul syllables");
  IDTAP_ASSIGN_OR_RETURN(h.birth_date, date_of("birth_date"));
  {
    IDTAP_ASSIGN_OR_RETURN(std::string rrn, text_of("resident_registration_number"));
    h.resident_registration_number.assign(rrn.begin(), rrn.end());
    secure_zero(rrn.data(), rrn.size());
    // never echoed: the error names the key, not the value
    if (!provision::resident_number_digits(h).ok())
      return bad("resident_registration_number", "must be 13 digits (YYMMDD-SNNNNNN)");
  }
  {
    IDTAP_ASSIGN_OR_RETURN(std::string number, text_of("document_number"));
    auto normalized = provision::normalize_document_number(number);
    if (!normalized.ok()) return bad("document_number", normalized.error().context);
    h.card.document_number = *normalized;
  }
  h.card.issuing_state = "KOR";
  if (doc.contains("issuing_state")) {
    IDTAP_ASSIGN_OR_RETURN(std::string state, text_of("issuing_state"));
    auto normalized = provision::normalize_issuing_state(state);
    if (!normalized.ok()) return bad("issuing_state", normalized.error().context);
    h.card.issuing_state = *normalized;
  }
  if (doc.contains("issuing_authority")) {
    IDTAP_ASSIGN_OR_RETURN(h.issuing_authority, text_of("issuing_authority"));
  }
  IDTAP_ASSIGN_OR_RETURN(h.issue_date, date_of("issue_date"));
  IDTAP_ASSIGN_OR_RETURN(h.expiry_date, date_of("expiry_date"));
  if (h.expiry_date < h.issue_date) return bad("expiry_date", "is before issue_date");
  IDTAP_ASSIGN_OR_RETURN(h.resident_address, text_of("resident_address"));
  {
    IDTAP_ASSIGN_OR_RETURN(std::string portrait, text_of("portrait"));
    const std::string path = portrait.front() == '/' || base_dir.empty() ? portrait : base_dir + "/" + portrait;
    auto bytes = read_file(path, kMaxPortraitBytes + 1);
    if (!bytes.ok()) return bytes.error().with_context("attested record: \"portrait\" " + path);
    if (bytes->size() > kMaxPortraitBytes) return bad("portrait", path + " is larger than 1 MiB");
    // JPEG: SOI (FF D8) then a marker (ITU-T T.81 §B.1.1.3).
    if (bytes->size() < 4 || (*bytes)[0] != 0xFF || (*bytes)[1] != 0xD8 || (*bytes)[2] != 0xFF)
      return bad("portrait", path + " is not a JPEG file");
    h.portrait_jpeg = std::move(bytes).value();
  }
  return h;
}

}  // namespace idtap::issue
