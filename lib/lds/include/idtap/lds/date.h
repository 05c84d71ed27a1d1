// idtap/lds/date.h: calendar dates as the LDS writes them (YYMMDD in the MRZ, YYYYMMDD in
// DG11/DG12).
#pragma once

#include <compare>
#include <string>
#include <string_view>

#include "idtap/base/result.h"

namespace idtap::lds {

// Date: a proleptic Gregorian calendar date. Compare with <, ==.
struct Date {
  int year = 0;
  int month = 0;
  int day = 0;
  auto operator<=>(const Date&) const = default;

  // Date::iso: "1974-08-12".
  std::string iso() const;
  // Date::yyyymmdd: "19740812".
  std::string yyyymmdd() const;
};

// is_valid_date: month 1..12 and day within that month (leap years counted), year 1..9999.
bool is_valid_date(const Date& d);

// parse_yyyymmdd: "19740812" -> 1974-08-12; kMalformed unless 8 digits forming a valid date.
Result<Date> parse_yyyymmdd(std::string_view text);

// today_utc: the current date in UTC (the reference for MRZ century resolution).
Date today_utc();

}  // namespace idtap::lds
