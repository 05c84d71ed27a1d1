#include "idtap/auth/mrz_key.h"

#include <string>

#include "idtap/crypto/hash.h"
#include "idtap/lds/mrz.h"

namespace idtap::auth {
namespace {

constexpr size_t kDateLength = 6;
constexpr size_t kShortNumberLength = 9;

Error invalid(std::string why) { return make_error(ErrorCode::kInvalidArgument, std::move(why)); }

bool is_mrz_char(char c) { return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || c == '<'; }

Status check_date(std::string_view date, const char* name, bool allow_unknown) {
  if (date.size() != kDateLength) return invalid(std::string(name) + " must be 6 characters (YYMMDD)");
  for (char c : date)
    if (!((c >= '0' && c <= '9') || (allow_unknown && c == '<')))
      return invalid(std::string(name) + " must be digits (YYMMDD)");
  return ok_status();
}

// check_field: the message for a check digit that does not hold, or ok.
Status check_field(const lds::MrzCheckDigit& c, const char* name) {
  if (c.valid) return ok_status();
  return invalid(std::string(name) + " check digit is " + (c.read == '<' ? std::string("'<'") : std::string(1, c.read)) +
                 ", expected " + std::string(1, c.computed));
}

// wipe: every text field of a parsed MRZ (it held the access key).
void wipe(lds::Mrz& m) {
  for (std::string* f : {&m.text, &m.document_number, &m.optional_data, &m.optional_data_2, &m.date_of_birth.raw,
                         &m.date_of_expiry.raw, &m.primary_identifier, &m.secondary_identifier, &m.nationality})
    secure_zero(f->data(), f->size());
}

}  // namespace

char check_digit(std::string_view field) { return lds::mrz_check_digit(field).value_or('?'); }

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
  // lds::parse_mrz is the one MRZ parser (layouts, long document numbers, check digits); this
  // turns its findings into the refusal a user reads, and keeps only the key fields.
  auto parsed = lds::parse_mrz(mrz);
  if (!parsed.ok()) return invalid(parsed.error().context);
  lds::Mrz& m = *parsed;
  const bool td1_td2 = m.format != lds::MrzFormat::kTd3;
  Status st = check_date(m.date_of_birth.raw, "date of birth", true);
  if (st.ok()) st = check_date(m.date_of_expiry.raw, "date of expiry", false);
  if (st.ok() && td1_td2 && !m.long_document_number && m.document_number_check.read == '<')
    st = invalid("document number check digit position holds '<' but the optional data does not continue the "
                 "number (ICAO 9303-5 §4.2.2)");
  if (st.ok()) st = check_field(m.document_number_check, "document number");
  if (st.ok()) st = check_field(m.date_of_birth_check, "date of birth");
  if (st.ok()) st = check_field(m.date_of_expiry_check, "date of expiry");
  if (st.ok() && m.optional_data_check) st = check_field(*m.optional_data_check, "personal number");
  if (st.ok()) st = check_field(m.composite_check, "composite");
  Result<MrzKey> key = st.ok() ? from_fields(m.document_number, m.date_of_birth.raw, m.date_of_expiry.raw)
                               : Result<MrzKey>(std::move(st).error());
  if (key.ok())
    key->format_ = m.format == lds::MrzFormat::kTd1 ? MrzFormat::kTd1 : m.format == lds::MrzFormat::kTd2 ? MrzFormat::kTd2 : MrzFormat::kTd3;
  wipe(m);
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
