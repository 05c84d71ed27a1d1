#include "idtap/auth/mrz_key.h"

#include <string>

#include "idtap/crypto/hash.h"

namespace idtap::auth {
namespace {

constexpr size_t kDateLength = 6;
constexpr size_t kShortNumberLength = 9;

Error invalid(std::string why) { return make_error(ErrorCode::kInvalidArgument, std::move(why)); }

int char_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'A' && c <= 'Z') return c - 'A' + 10;
  if (c == '<') return 0;
  return -1;
}

bool is_mrz_char(char c) { return char_value(c) >= 0; }

// check_field: compares the check digit `given` with the one computed over `field`.
Status check_field(std::string_view field, char given, const char* name) {
  const char expected = check_digit(field);
  if (given != expected)
    return invalid(std::string(name) + " check digit is " + (given == '<' ? std::string("'<'") : std::string(1, given)) +
                   ", expected " + std::string(1, expected));
  return ok_status();
}

Status check_date(std::string_view date, const char* name, bool allow_unknown) {
  if (date.size() != kDateLength) return invalid(std::string(name) + " must be 6 characters (YYMMDD)");
  for (char c : date)
    if (!((c >= '0' && c <= '9') || (allow_unknown && c == '<')))
      return invalid(std::string(name) + " must be digits (YYMMDD)");
  return ok_status();
}

// The parts of an MRZ holding the access-key fields, as located by each format.
struct Located {
  std::string number;      // the full document number, fill included
  char number_check = 0;   // its check digit
  std::string_view birth;
  char birth_check = 0;
  std::string_view expiry;
  char expiry_check = 0;
};

// long_number: ICAO 9303-5 §4.2.2 (TD1; TD2 alike in 9303-6): when the number is longer than 9
// characters, the check digit position holds '<' and the optional data starts with the
// remaining characters followed by the check digit (then '<' filler).
Result<Located> split_number(std::string_view number_field, char check, std::string_view optional_data) {
  Located l;
  if (check != '<') {
    l.number = std::string(number_field);
    l.number_check = check;
    return l;
  }
  size_t end = optional_data.find('<');
  if (end == std::string_view::npos) end = optional_data.size();
  if (end < 2)
    return invalid("document number check digit position holds '<' but the optional data does not continue the "
                   "number (ICAO 9303-5 §4.2.2)");
  l.number = std::string(number_field) + std::string(optional_data.substr(0, end - 1));
  l.number_check = optional_data[end - 1];
  return l;
}

}  // namespace

char check_digit(std::string_view field) {
  static constexpr int kWeights[3] = {7, 3, 1};
  int sum = 0;
  for (size_t i = 0; i < field.size(); ++i) {
    const int v = char_value(field[i]);
    if (v < 0) return '?';
    sum += v * kWeights[i % 3];
  }
  return static_cast<char>('0' + sum % 10);
}

Result<MrzKey> MrzKey::from_fields(std::string_view document_number, std::string_view date_of_birth,
                                   std::string_view date_of_expiry) {
  std::string number;
  number.reserve(kShortNumberLength);
  for (char c : document_number) {
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
    if (!is_mrz_char(c)) return invalid("document number may hold only 0-9, A-Z and '<'");
    number.push_back(c);
  }
  while (!number.empty() && number.back() == '<' && number.size() > kShortNumberLength) number.pop_back();
  if (number.empty() || number.find_first_not_of('<') == std::string::npos)
    return invalid("document number is empty");
  while (number.size() < kShortNumberLength) number.push_back('<');
  IDTAP_TRY(check_date(date_of_birth, "date of birth", true));
  IDTAP_TRY(check_date(date_of_expiry, "date of expiry", false));
  // ICAO 9303-11 §9.7.2: MRZ_information = number || cd || birth || cd || expiry || cd.
  SecureBytes info;
  info.reserve(number.size() + 1 + 2 * (kDateLength + 1));
  auto put = [&info](std::string_view s) { info.insert(info.end(), s.begin(), s.end()); };
  put(number);
  info.push_back(static_cast<uint8_t>(check_digit(number)));
  put(date_of_birth);
  info.push_back(static_cast<uint8_t>(check_digit(date_of_birth)));
  put(date_of_expiry);
  info.push_back(static_cast<uint8_t>(check_digit(date_of_expiry)));
  const size_t number_length = number.size();
  secure_zero(number.data(), number.size());
  return MrzKey(std::move(info), number_length, MrzFormat::kFields);
}

Result<MrzKey> MrzKey::from_mrz(std::string_view mrz) {
  std::string s;
  s.reserve(mrz.size());
  for (char c : mrz) {
    if (c == '\n' || c == '\r' || c == ' ' || c == '\t') continue;
    if (!is_mrz_char(c)) {
      secure_zero(s.data(), s.size());
      return invalid("MRZ may hold only 0-9, A-Z and '<' (besides line breaks)");
    }
    s.push_back(c);
  }
  const std::string_view z = s;
  auto wipe_s = [&s] { secure_zero(s.data(), s.size()); };
  MrzFormat format;
  Located l;
  std::string composite;
  char composite_check = 0;
  Status extra = ok_status();
  if (z.size() == 90) {
    // TD1 (ICAO 9303-5 §4.2.2): line 1 = code(2) state(3) number(9) cd(1) optional(15);
    // line 2 = birth(6) cd sex expiry(6) cd nationality(3) optional(11) composite cd.
    format = MrzFormat::kTd1;
    const std::string_view l1 = z.substr(0, 30), l2 = z.substr(30, 30);
    auto r = split_number(l1.substr(5, 9), l1[14], l1.substr(15, 15));
    if (!r.ok()) return (wipe_s(), std::move(r).error());
    l = std::move(r).value();
    l.birth = l2.substr(0, 6);
    l.birth_check = l2[6];
    l.expiry = l2.substr(8, 6);
    l.expiry_check = l2[14];
    composite = std::string(l1.substr(5, 25)) + std::string(l2.substr(0, 7)) + std::string(l2.substr(8, 7)) +
                std::string(l2.substr(18, 11));
    composite_check = l2[29];
  } else if (z.size() == 72 || z.size() == 88) {
    // TD2 (9303-6) and TD3 (9303-4): line 2 = number(9) cd nationality(3) birth(6) cd sex
    // expiry(6) cd optional / personal number, then (TD3) its cd, then the composite cd.
    const bool td3 = z.size() == 88;
    format = td3 ? MrzFormat::kTd3 : MrzFormat::kTd2;
    const size_t len = td3 ? 44 : 36;
    const std::string_view l2 = z.substr(len, len);
    const std::string_view optional = l2.substr(28, td3 ? 14 : 7);
    if (td3) {
      l.number = std::string(l2.substr(0, 9));
      l.number_check = l2[9];
      // The personal number check digit may be '<' when the field is all filler (9303-4 §4.2.2).
      const bool empty_personal = optional.find_first_not_of('<') == std::string_view::npos;
      if (!(empty_personal && (l2[42] == '<' || l2[42] == '0')))
        extra = check_field(optional, l2[42], "personal number");
    } else {
      auto r = split_number(l2.substr(0, 9), l2[9], optional);
      if (!r.ok()) return (wipe_s(), std::move(r).error());
      l = std::move(r).value();
    }
    l.birth = l2.substr(13, 6);
    l.birth_check = l2[19];
    l.expiry = l2.substr(21, 6);
    l.expiry_check = l2[27];
    composite = std::string(l2.substr(0, 10)) + std::string(l2.substr(13, 7)) + std::string(l2.substr(21, len - 22));
    composite_check = l2[len - 1];
  } else {
    const size_t n = s.size();
    wipe_s();
    return invalid("MRZ of " + std::to_string(n) +
                   " characters: expected TD1 (3 x 30), TD2 (2 x 36) or TD3 (2 x 44)");
  }
  Status st = check_date(l.birth, "date of birth", true);
  if (st.ok()) st = check_date(l.expiry, "date of expiry", false);
  if (st.ok()) st = check_field(l.number, l.number_check, "document number");
  if (st.ok()) st = check_field(l.birth, l.birth_check, "date of birth");
  if (st.ok()) st = check_field(l.expiry, l.expiry_check, "date of expiry");
  if (st.ok()) st = std::move(extra);
  if (st.ok()) st = check_field(composite, composite_check, "composite");
  Result<MrzKey> key = st.ok() ? from_fields(l.number, l.birth, l.expiry) : Result<MrzKey>(std::move(st).error());
  secure_zero(composite.data(), composite.size());
  secure_zero(l.number.data(), l.number.size());
  wipe_s();
  if (key.ok()) key->format_ = format;
  return key;
}

std::string_view MrzKey::document_number() const {
  return std::string_view(reinterpret_cast<const char*>(info_.data()), number_length_);
}
std::string_view MrzKey::date_of_birth() const {
  return std::string_view(reinterpret_cast<const char*>(info_.data()) + number_length_ + 1, kDateLength);
}
std::string_view MrzKey::date_of_expiry() const {
  return std::string_view(reinterpret_cast<const char*>(info_.data()) + number_length_ + 2 + kDateLength, kDateLength);
}

Result<SecureBytes> MrzKey::key_seed() const {
  IDTAP_ASSIGN_OR_RETURN(SecureBytes seed, crypto::secure_digest(crypto::HashAlg::kSha1, info_));
  secure_zero(seed.data() + 16, seed.size() - 16);
  seed.resize(16);
  return seed;
}

}  // namespace idtap::auth
