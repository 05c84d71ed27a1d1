// idtap/lds/text_fields.h: what DG11, DG12 (and the read layer showing them) share: UTF-8
// checks, '<'-separated lines, the full dates of ICAO 9303-10 §4.7.11 / §4.7.12.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "idtap/base/bytes.h"
#include "idtap/base/result.h"
#include "idtap/lds/date.h"

namespace idtap::lds {

// is_valid_utf8: `s` is well-formed UTF-8 (no overlong forms, no surrogates, at most U+10FFFF).
bool is_valid_utf8(std::string_view s);

// split_filler_lines: "123 MAPLE RD<ANYTOWN<NY" -> {"123 MAPLE RD", "ANYTOWN", "NY"} (ICAO
// 9303-10 uses '<' to separate the lines and parts of a field).
std::vector<std::string> split_filler_lines(std::string_view s);

// LdsDate: a full date field as stored ("YYYYMMDD", 8 ASCII digits) with the date when it is
// one; `bcd` is set when the field was 4 bytes of packed BCD (a named leniency: older documents
// wrote dates so).
struct LdsDate {
  std::string raw;            // as decoded text: "19900101"
  std::optional<Date> date;   // nullopt for partial dates ("1990<<<<" / "19900000")
  bool bcd = false;
};

// parse_lds_date: decodes 8 ASCII digits (or '<' fillers for unknown parts), or 4 bytes of BCD.
// kMalformed for anything else.
Result<LdsDate> parse_lds_date(ByteView value);

}  // namespace idtap::lds
