// idtap/lds/dg11.h: DG11, additional personal details (ICAO 9303-10 §4.7.11): 6B { 5C tag list,
// then any of 5F0E full name, A0 { 02 count, 5F0F other name... }, 5F10 personal number,
// 5F2B full date of birth, 5F11 place of birth, 5F42 address, 5F12 telephone, 5F13 profession,
// 5F14 title, 5F15 personal summary, 5F16 proof of citizenship, 5F17 other valid TD numbers,
// 5F18 custody information }.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "idtap/base/bytes.h"
#include "idtap/base/result.h"
#include "idtap/lds/personal_number.h"
#include "idtap/lds/text_fields.h"

namespace idtap::lds {

// Dg11: the decoded data group. Text is UTF-8 as stored (Hangul allowed); the 9303 conventions
// are kept: '<<' between primary and secondary identifier in names, '<' between address lines
// (split_filler_lines).
struct Dg11 {
  std::optional<std::string> full_name;            // 5F0E
  std::vector<std::string> other_names;            // A0 { 5F0F ... }
  std::optional<PersonalNumber> personal_number;   // 5F10 (masked when printed)
  std::optional<LdsDate> full_date_of_birth;       // 5F2B
  std::optional<std::string> place_of_birth;       // 5F11
  std::optional<std::string> address;              // 5F42
  std::optional<std::string> telephone;            // 5F12
  std::optional<std::string> profession;           // 5F13
  std::optional<std::string> title;                // 5F14
  std::optional<std::string> personal_summary;     // 5F15
  std::optional<Bytes> proof_of_citizenship;       // 5F16 (an image)
  std::optional<std::string> other_td_numbers;     // 5F17
  std::optional<std::string> custody_information;  // 5F18

  // Dg11::tag_list: the tags present, in the order encode_dg11 writes them (what 5C holds).
  std::vector<uint32_t> tag_list() const;
};

// Dg11Parsed: the data group, and whether its 5C tag list named exactly the elements present
// (reported, not enforced: a reader shows the data either way).
struct Dg11Parsed {
  Dg11 dg11;
  std::vector<uint32_t> declared_tags;
  bool tag_list_consistent = true;
};

// parse_dg11: decodes DG11 in strict DER. kMalformed on a wrong tag, a missing tag list or one
// that is not a list of BER tags (lds/tag_list.h), an element repeated, text that is not UTF-8, a bad date, an other-names count that differs from
// the names, an unknown element, or trailing bytes.
Result<Dg11Parsed> parse_dg11(ByteView file);

// encode_dg11: DG11 for `dg11` with its tag list; kInvalidArgument for text that is not UTF-8 or
// an empty data group.
Result<Bytes> encode_dg11(const Dg11& dg11);

}  // namespace idtap::lds
