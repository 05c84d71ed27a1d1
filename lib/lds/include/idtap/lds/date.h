// idtap/lds/date.h: dates as the LDS writes them: YYMMDD in the MRZ (with the century rule a
// reader needs), YYYYMMDD in DG11/DG12. The date itself is idtap's one Date (idtap/base/date.h).
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "idtap/base/date.h"
#include "idtap/base/result.h"

namespace idtap::lds {

// MrzDateKind: which MRZ date a YYMMDD field is; it decides the century.
enum class MrzDateKind { kBirth, kExpiry };

// mrz_date_of: the date of the MRZ field `yymmdd` (6 digits) with its century resolved against
// `today`: a date of birth is the latest such date not after `today`; a date of expiry the
// latest not beyond `today` + 50 years (ICAO 9303-3 gives no century: this is the usual
// reading rule). nullopt when the field is not 6 digits or not a calendar date in that
// century (290223 for a 2023 birth).
std::optional<Date> mrz_date_of(std::string_view yymmdd, const Date& today, MrzDateKind kind);

// format_yymmdd: the MRZ form of `d` ("740812"), the year modulo 100.
std::string format_yymmdd(const Date& d);

// parse_yyyymmdd: "19740812" -> 1974-08-12; kMalformed unless 8 digits forming a valid date.
Result<Date> parse_yyyymmdd(std::string_view text);

// format_yyyymmdd: the DG11/DG12 form of `d` ("19740812").
std::string format_yyyymmdd(const Date& d);

}  // namespace idtap::lds
