// idtap/provision/holder.h: what provisioning takes in (the verified card data) and the rules
// that decide whether a mobile credential may be issued from it.
//
// VerifiedHolder is the one input type of lib/provision. The read layer (lib/reader) fills it
// from a read session with one conversion function; nothing else in this layer knows about
// cards, readers or data groups.
#pragma once

#include <string>

#include "idtap/base/bytes.h"
#include "idtap/base/result.h"
#include "idtap/base/secure_bytes.h"
#include "idtap/provision/date.h"

namespace idtap::provision {

// CardStatus: the card's own status as the read established it.
enum class CardStatus { kValid, kReportedLost };

// Evidence: what established the holder's data. kChip: the card's chip, read and proved genuine
// (passive authentication and a chip check). kClerk: a clerk who checked the holder against the
// resident registry and the (chipless) card, and attested the record (the ledger's policy must
// allow it: Ledger::allow_attested).
enum class Evidence { kChip, kClerk };

// CardIdentity: the card a holder presented: document number and ICAO 3-letter issuing state
// ("KOR"); unique together. The ledger keeps both in their MRZ form (normalize_card_identity).
struct CardIdentity {
  std::string document_number;
  std::string issuing_state;
};

// normalize_document_number: `typed` as the MRZ writes a document number (ICAO 9303-3 §4.2:
// A-Z and 0-9; 9303-4/5 fillers '<' are not part of the number): letters upper-cased, spaces
// and '<' dropped ("kr 123<4567" -> "KR1234567"). kInvalidArgument naming the character when
// another one is left, or when nothing is.
Result<std::string> normalize_document_number(std::string_view typed);
// normalize_issuing_state: the ICAO code as lds::Mrz keeps it: upper-cased, spaces and trailing
// fillers dropped ("kor" -> "KOR", "d<<" -> "D"); kInvalidArgument unless 1-3 letters are left.
Result<std::string> normalize_issuing_state(std::string_view typed);
// normalize_card_identity: both fields normalized (errors as above).
Result<CardIdentity> normalize_card_identity(const CardIdentity& card);

// VerifiedHolder: the data of one card read. `genuine` is true only when passive
// authentication passed (EF.SOD signature, Document Signer chain to a trusted CSCA, every data
// group hash) AND the chip proved itself (Chip Authentication, PACE-CAM or Active
// Authentication); `verdict_reason` says why not otherwise. The resident registration number
// ("YYMMDD-SNNNNNN" or 13 digits, ASCII) is a secret: it is held zeroised-on-free and never
// logged whole (see masked_resident_number()).
struct VerifiedHolder {
  bool genuine = false;
  std::string verdict_reason;

  CardIdentity card;
  CardStatus card_status = CardStatus::kValid;

  std::string family_name;                    // Latin transliteration (DG11 / MRZ)
  std::string given_name;                     // Latin transliteration
  std::string family_name_national;           // Hangul, UTF-8 (DG11)
  std::string given_name_national;            // Hangul, UTF-8 (optional)
  Date birth_date;
  SecureBytes resident_registration_number;   // DG11 personal number
  Bytes portrait_jpeg;                        // JPEG (DG2 re-encoded when it held JPEG 2000)
  std::string resident_address;               // DG11 address, UTF-8
  std::string issuing_authority;              // DG12
  Date issue_date;                            // DG12 date of issue
  Date expiry_date;                           // DG1 / MRZ date of expiry

  Evidence evidence = Evidence::kChip;
  std::string clerk_id;                       // kClerk: who attested (check_clerk_id)

  // VerifiedHolder::evidence_label: what the ledger records: "chip" or "clerk:ID".
  std::string evidence_label() const;
  // VerifiedHolder::verification_method: what the credential says (its element
  // verification_method): "chip" or "clerk" (the clerk's id stays in the ledger).
  const char* verification_method() const;

  // VerifiedHolder::masked_resident_number: "YYMMDD-S******" (never the whole number).
  std::string masked_resident_number() const;
};

// resident_number_digits: the 13 digits of `holder`'s resident number, or kInvalidArgument
// when it is not 13 digits (with one optional '-' after the sixth).
Result<SecureBytes> resident_number_digits(const VerifiedHolder& holder);

// kMinimumAge: provisioning is for holders aged 17 or older on the day of issue.
inline constexpr int kMinimumAge = 17;
// kCredentialValidityYears: a credential is valid three years from issue, then re-issued.
inline constexpr int kCredentialValidityYears = 3;
// credential_valid_until: the validUntil of a credential issued at `issued_at`: the same time
// of day on the issue day's anniversary kCredentialValidityYears later (base/date.h: Civil Act
// Art. 160(3), so a credential issued on 29 February runs to 28 February, as a card's expiry
// does).
UnixSeconds credential_valid_until(UnixSeconds issued_at);

// check_clerk_id: a clerk id is 1-64 characters of A-Z a-z 0-9 '.' '_' '-' (it goes into the
// ledger's event log as "clerk:ID"); kInvalidArgument naming the rule otherwise.
Status check_clerk_id(std::string_view id);

// check_issuance_policy: kRefused (with the reason) unless `holder` may receive a credential
// on `issue_day`: read as genuine (Evidence::kChip) or attested by a clerk with a well-formed
// id (Evidence::kClerk: whether the ledger allows that is the ledger's rule, Ledger::issue); a portrait (DG2); a well-formed resident number that agrees with the date of
// birth; aged kMinimumAge or more; the card not expired and not reported lost. Nothing is
// recorded by this check.
Status check_issuance_policy(const VerifiedHolder& holder, const Date& issue_day);

}  // namespace idtap::provision
