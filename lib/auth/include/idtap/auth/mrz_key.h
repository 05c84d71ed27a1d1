// idtap/auth/mrz_key.h: the MRZ information BAC and PACE-with-MRZ are keyed with (document
// number, date of birth, date of expiry and their check digits), and a parser for whole MRZs.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "idtap/base/bytes.h"
#include "idtap/base/result.h"
#include "idtap/base/secure_bytes.h"

namespace idtap::auth {

// MrzFormat: the machine readable zone layouts of ICAO 9303-3/-4/-5: TD1 (ID card, 3 lines of
// 30), TD2 (2 x 36), TD3 (passport, 2 x 44). kFields: built from the three fields directly.
enum class MrzFormat { kFields, kTd1, kTd2, kTd3 };

// check_digit: the ICAO 9303-3 §4.9 check digit of `field` (weights 7 3 1; 0-9 as themselves,
// A-Z as 10-35, '<' as 0) as an ASCII digit; '?' (never a valid check digit) if `field` holds
// a character outside 0-9 A-Z <.
char check_digit(std::string_view field);

// MrzKey: the MRZ information of one document: document number || check digit || date of
// birth || check digit || date of expiry || check digit (ICAO 9303-11 §4.3, the BAC key input;
// 24 characters for a 9-character document number). Held in SecureBytes: the MRZ opens the
// chip, so it is never logged. Copyable value.
class MrzKey {
 public:
  // MrzKey::from_fields: the key for `document_number` (0-9 A-Z <, lower case accepted and
  // folded; shorter than 9 characters is padded with '<'; longer numbers are used whole, ICAO
  // 9303-5 §4.2.2), `date_of_birth` and `date_of_expiry` (YYMMDD; '<' allowed for unknown
  // parts of a birth date). Check digits are computed. kInvalidArgument naming the bad field.
  static Result<MrzKey> from_fields(std::string_view document_number, std::string_view date_of_birth,
                                    std::string_view date_of_expiry);

  // MrzKey::from_mrz: parses a whole MRZ (TD1 3x30, TD2 2x36 or TD3 2x44, as one string with or
  // without line breaks; spaces and surrounding whitespace ignored) and verifies the document
  // number, date of birth, date of expiry and composite check digits (and TD3's personal
  // number check digit). A TD1/TD2 document number longer than 9 characters is read from the
  // optional data as ICAO 9303-5 §4.2.2 lays it out ('<' in the check digit position). Fails
  // with kInvalidArgument naming the field ("date of expiry check digit is 3, expected 6") or
  // the layout problem; the message never repeats the MRZ.
  static Result<MrzKey> from_mrz(std::string_view mrz);

  // MrzKey::mrz_information: the MRZ information as ASCII bytes (the BAC key input).
  ByteView mrz_information() const { return info_; }
  // MrzKey::document_number / date_of_birth / date_of_expiry: the fields (views into this
  // object; the document number with its '<' fill, as in the MRZ).
  std::string_view document_number() const;
  std::string_view date_of_birth() const;
  std::string_view date_of_expiry() const;
  // MrzKey::format: where the key came from.
  MrzFormat format() const { return format_; }

  // MrzKey::key_seed: Kseed = the first 16 bytes of SHA-1(MRZ information) (ICAO 9303-11
  // §4.3.2 / §9.7.2, the BAC key seed). kInternal only if hashing fails.
  Result<SecureBytes> key_seed() const;

 private:
  MrzKey(SecureBytes info, size_t number_length, MrzFormat format)
      : info_(std::move(info)), number_length_(number_length), format_(format) {}
  SecureBytes info_;
  size_t number_length_ = 0;
  MrzFormat format_ = MrzFormat::kFields;
};

}  // namespace idtap::auth
