// idtap/lds/mrz.h: the machine readable zone (ICAO 9303-3 §4.9 check digits; 9303-4 TD3,
// 9303-5 TD1, 9303-6 TD2): every field, every check digit reported one by one.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "idtap/base/result.h"
#include "idtap/lds/date.h"

namespace idtap::lds {

// MrzFormat: TD1 (ID card, 3 x 30), TD2 (2 x 36), TD3 (passport, 2 x 44).
enum class MrzFormat { kTd1, kTd2, kTd3 };

// mrz_format_name: "TD1", "TD2", "TD3".
const char* mrz_format_name(MrzFormat f);

// MrzCheckDigit: one check digit as printed and as computed (ICAO 9303-3 §4.9).
struct MrzCheckDigit {
  char read = '<';
  char computed = '0';
  bool valid = false;
};

// MrzDate: a YYMMDD field as printed and, when it is a calendar date, with its century: a date
// of birth is the latest such date not after `today`; a date of expiry lies at most 50 years
// after `today` (ICAO 9303 gives no century: this is the usual reading rule).
struct MrzDate {
  std::string raw;
  std::optional<Date> date;
};

// MrzOptions: the reference date for the century rule (today in UTC when absent).
struct MrzOptions {
  std::optional<Date> today;
};

// Mrz: every field of a parsed MRZ. Text fields have their '<' fillers removed at the end;
// names have '<' turned into spaces.
struct Mrz {
  MrzFormat format = MrzFormat::kTd3;
  std::string text;                  // all lines, concatenated, as printed
  std::string document_code;         // "P", "I", "ID", "AC" ...
  std::string issuing_state;         // "UTO", "D"
  std::string document_number;       // whole, long TD1/TD2 numbers joined (ICAO 9303-5 §4.2.2)
  bool long_document_number = false; // the number continued into the optional data
  std::string optional_data;         // TD1 line 1 / TD2 / TD3 (personal number) optional data
  std::string optional_data_2;       // TD1 line 2 optional data (empty otherwise)
  MrzDate date_of_birth;
  char sex = '<';                    // 'M', 'F', '<' (or 'X') unspecified
  MrzDate date_of_expiry;
  std::string nationality;
  std::string primary_identifier;    // "ERIKSSON"
  std::string secondary_identifier;  // "ANNA MARIA"
  MrzCheckDigit document_number_check;
  MrzCheckDigit date_of_birth_check;
  MrzCheckDigit date_of_expiry_check;
  std::optional<MrzCheckDigit> optional_data_check;  // TD3 personal number only
  MrzCheckDigit composite_check;

  // Mrz::lines: the 2 or 3 lines.
  std::vector<std::string> lines() const;
  // Mrz::invalid_checks: the names of the fields whose check digit failed ("document number",
  // "date of birth", "date of expiry", "optional data", "composite"); empty when all hold.
  std::vector<std::string> invalid_checks() const;
  // Mrz::checks_valid: invalid_checks().empty().
  bool checks_valid() const { return invalid_checks().empty(); }
};

// mrz_check_digit: the 7-3-1 check digit of `field` ('0'..'9'); nullopt when a character is
// not 0-9, A-Z or '<'.
std::optional<char> mrz_check_digit(std::string_view field);

// normalize_mrz: the MRZ lines concatenated: line breaks (\n, \r\n) and surrounding blanks
// removed. kInvalidArgument when the total is not 90, 72 or 88 characters, when given lines
// do not have the length of their format, or on a character outside 0-9 A-Z '<'.
Result<std::string> normalize_mrz(std::string_view text);

// parse_mrz: every field of a TD1/TD2/TD3 MRZ given as its lines (with or without line breaks).
// Fails (kMalformed) only when the shape is wrong (length, characters); wrong check digits and
// dates that are not dates are reported in the result, not as an error.
Result<Mrz> parse_mrz(std::string_view text, const MrzOptions& options = {});

// verify_mrz_checks: ok when every check digit holds; kMalformed naming every failed field
// ("MRZ check digit wrong: date of birth (read 3, computed 2)") otherwise.
Status verify_mrz_checks(const Mrz& mrz);

// MrzFields: what compose_mrz needs to print an MRZ (personalization).
struct MrzFields {
  MrzFormat format = MrzFormat::kTd1;
  std::string document_code = "I";   // 1-2 characters
  std::string issuing_state;         // 1-3 characters
  std::string document_number;       // up to 9 characters; TD1/TD2 allow longer (continued)
  std::string optional_data;         // TD1 line 1 / TD2 / TD3 personal number
  std::string optional_data_2;       // TD1 line 2
  Date date_of_birth;
  char sex = '<';
  Date date_of_expiry;
  std::string nationality;
  std::string primary_identifier;    // spaces become '<'
  std::string secondary_identifier;
};

// compose_mrz: the MRZ text (lines concatenated, no breaks) with every check digit computed.
// kInvalidArgument when a field holds a character outside A-Z 0-9 space '<' or does not fit
// (names are not truncated: a too-long name is an error).
Result<std::string> compose_mrz(const MrzFields& fields);

}  // namespace idtap::lds
