// idtap/lds/dg12.h: DG12, additional document details (ICAO 9303-10 §4.7.12): 6C { 5C tag list,
// then any of 5F19 issuing authority, 5F26 date of issue, A0 { 02 count, 5F1A other person... },
// 5F1B endorsements / observations, 5F1C tax / exit requirements, 5F1D image of front,
// 5F1E image of rear, 5F55 date and time of personalization, 5F56 personalization system
// serial number }.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "idtap/base/bytes.h"
#include "idtap/base/result.h"
#include "idtap/lds/text_fields.h"

namespace idtap::lds {

// Dg12: the decoded data group (text in UTF-8).
struct Dg12 {
  std::optional<std::string> issuing_authority;         // 5F19
  std::optional<LdsDate> date_of_issue;                 // 5F26 YYYYMMDD
  std::vector<std::string> other_persons;               // A0 { 5F1A ... }
  std::optional<std::string> endorsements;              // 5F1B
  std::optional<std::string> tax_exit_requirements;     // 5F1C
  std::optional<Bytes> image_front;                     // 5F1D
  std::optional<Bytes> image_rear;                      // 5F1E
  std::optional<std::string> personalization_time;      // 5F55 YYYYMMDDhhmmss (14 digits)
  std::optional<std::string> personalization_device;    // 5F56 serial number

  // Dg12::tag_list: the tags present, in the order encode_dg12 writes them.
  std::vector<uint32_t> tag_list() const;
};

// Dg12Parsed: the data group and whether its tag list named exactly what is present.
struct Dg12Parsed {
  Dg12 dg12;
  std::vector<uint32_t> declared_tags;
  bool tag_list_consistent = true;
};

// parse_dg12: decodes DG12 in strict DER. kMalformed on a wrong tag, a missing tag list or one
// that is not a list of BER tags (lds/tag_list.h), a repeated or unknown element, text that is not UTF-8, a bad date or personalization time, an
// other-persons count that differs, or trailing bytes.
Result<Dg12Parsed> parse_dg12(ByteView file);

// encode_dg12: DG12 for `dg12`; kInvalidArgument for an empty data group, non-UTF-8 text or a
// personalization time that is not 14 digits.
Result<Bytes> encode_dg12(const Dg12& dg12);

}  // namespace idtap::lds
