#include "idtap/provision/holder.h"

#include <algorithm>
#include <cctype>

#include "idtap/base/redact.h"

namespace idtap::provision {

std::string VerifiedHolder::masked_resident_number() const {
  std::string_view rrn(reinterpret_cast<const char*>(resident_registration_number.data()), resident_registration_number.size());
  return mask_resident_number(rrn);
}

Result<std::string> normalize_document_number(std::string_view typed) {
  std::string out;
  out.reserve(typed.size());
  for (char c : typed) {
    if (c == ' ' || c == '<') continue;
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
    if (!((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))) {
      const auto u = static_cast<unsigned char>(c);
      std::string shown = u >= 0x21 && u < 0x7F ? "'" + std::string(1, c) + "'" : "byte " + std::to_string(u);
      return make_error(ErrorCode::kInvalidArgument, "document number: " + shown + " is not a letter or digit (the MRZ has A-Z and 0-9)");
    }
    out.push_back(c);
  }
  if (out.empty()) return make_error(ErrorCode::kInvalidArgument, "document number: empty");
  return out;
}

Result<std::string> normalize_issuing_state(std::string_view typed) {
  std::string out;
  for (char c : typed) {
    if (c == ' ') continue;
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
    out.push_back(c);
  }
  while (!out.empty() && out.back() == '<') out.pop_back();  // as lds::Mrz keeps it ("D<<" -> "D")
  bool ok = !out.empty() && out.size() <= 3 &&
            std::all_of(out.begin(), out.end(), [](char c) { return c >= 'A' && c <= 'Z'; });
  if (!ok) return make_error(ErrorCode::kInvalidArgument, "issuing state '" + std::string(typed) + "' is not an ICAO 3-letter code");
  return out;
}

Result<CardIdentity> normalize_card_identity(const CardIdentity& card) {
  CardIdentity out;
  IDTAP_ASSIGN_OR_RETURN(out.document_number, normalize_document_number(card.document_number));
  IDTAP_ASSIGN_OR_RETURN(out.issuing_state, normalize_issuing_state(card.issuing_state));
  return out;
}

Result<SecureBytes> resident_number_digits(const VerifiedHolder& holder) {
  const SecureBytes& rrn = holder.resident_registration_number;
  SecureBytes digits;
  digits.reserve(13);
  for (size_t i = 0; i < rrn.size(); ++i) {
    uint8_t c = rrn[i];
    if (c == '-' && i == 6 && digits.size() == 6) continue;
    if (!std::isdigit(c)) return make_error(ErrorCode::kInvalidArgument, "resident registration number: not digits");
    digits.push_back(c);
  }
  if (digits.size() != 13) return make_error(ErrorCode::kInvalidArgument, "resident registration number: not 13 digits");
  return digits;
}

namespace {

// The century a resident number's 7th digit gives (9/0: 1800s, 1/2/5/6: 1900s, 3/4/7/8: 2000s).
int century_of(uint8_t seventh) {
  switch (seventh) {
    case '9': case '0': return 1800;
    case '1': case '2': case '5': case '6': return 1900;
    default: return 2000;
  }
}

}  // namespace

std::string VerifiedHolder::evidence_label() const {
  return evidence == Evidence::kChip ? std::string("chip") : "clerk:" + clerk_id;
}

const char* VerifiedHolder::verification_method() const { return evidence == Evidence::kChip ? "chip" : "clerk"; }

Status check_clerk_id(std::string_view id) {
  if (id.empty() || id.size() > 64)
    return make_error(ErrorCode::kInvalidArgument, "the clerk id must be 1 to 64 characters");
  for (char c : id)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '_' && c != '-')
      return make_error(ErrorCode::kInvalidArgument, "the clerk id may hold only A-Z, a-z, 0-9, '.', '_' and '-'");
  return ok_status();
}

Status check_issuance_policy(const VerifiedHolder& holder, const Date& issue_day) {
  if (holder.evidence == Evidence::kClerk) {
    if (auto st = check_clerk_id(holder.clerk_id); !st.ok()) return make_error(ErrorCode::kRefused, st.error().context);
  } else if (!holder.genuine) {
    std::string why = holder.verdict_reason.empty() ? "no reason given" : holder.verdict_reason;
    return make_error(ErrorCode::kRefused, "the card was not read as genuine (" + why + ")");
  }
  // The phone shows the portrait for its face check (ISO 18013-5 §7.2.1 makes it mandatory):
  // a card that gave none (DG2 missing, withheld or not asked for) issues nothing.
  if (holder.portrait_jpeg.empty())
    return make_error(ErrorCode::kRefused, "the card gave no portrait (DG2): the mobile ID needs it for the face check");
  if (holder.card.document_number.empty() || holder.card.issuing_state.empty())
    return make_error(ErrorCode::kRefused, "the card's identity (document number, issuing state) is missing");
  if (!is_valid_date(holder.birth_date)) return make_error(ErrorCode::kRefused, "the date of birth is missing or invalid");
  auto digits = resident_number_digits(holder);
  if (!digits.ok()) return make_error(ErrorCode::kRefused, digits.error().context);
  const SecureBytes& d = *digits;
  Date from_number{century_of(d[6]) + (d[0] - '0') * 10 + (d[1] - '0'), (d[2] - '0') * 10 + (d[3] - '0'),
                   (d[4] - '0') * 10 + (d[5] - '0')};
  if (from_number != holder.birth_date)
    return make_error(ErrorCode::kRefused, "the resident registration number does not agree with the date of birth");
  int age = age_on(holder.birth_date, issue_day);
  if (age < kMinimumAge)
    return make_error(ErrorCode::kRefused, "the holder is under " + std::to_string(kMinimumAge) + " on " +
                                               format_date(issue_day) + " (age " + std::to_string(age < 0 ? 0 : age) + ")");
  if (!is_valid_date(holder.expiry_date)) return make_error(ErrorCode::kRefused, "the card's date of expiry is missing");
  if (holder.expiry_date < issue_day)
    return make_error(ErrorCode::kRefused, "the card expired on " + format_date(holder.expiry_date));
  if (holder.card_status == CardStatus::kReportedLost)
    return make_error(ErrorCode::kRefused, "the card is reported lost");
  return ok_status();
}

UnixSeconds credential_valid_until(UnixSeconds issued_at) {
  const Date issue_day = date_of(issued_at);
  return start_of_day(anniversary(issue_day, kCredentialValidityYears)) + (issued_at - start_of_day(issue_day));
}

}  // namespace idtap::provision
