// idtap/base/date.h: the one calendar date of idtap (birth, issue and expiry dates, a
// credential's validity), its arithmetic over C++20 std::chrono::year_month_day, and the
// conversion to and from whole-second UTC times. The layers keep only their own text forms
// (lds: MRZ YYMMDD and DG11/DG12 YYYYMMDD; provision: ISO/IEC 18013-5 tdate).
//
// The year rules follow the Korean Civil Act (민법), Articles 157-160:
//   Art. 158  age counts the day of birth (만 나이, as amended by Act No. 19098, in force
//             2023-06-28);
//   Art. 160(2) a period of years not starting on 1 January ends on the day before the
//             corresponding day of its last year;
//   Art. 160(3) when the last year has no corresponding day (29 February in a common year),
//             the period ends on the last day of that month (28 February).
#pragma once

#include <chrono>
#include <compare>
#include <cstdint>
#include <string>
#include <string_view>

#include "idtap/base/result.h"

namespace idtap {

// Date: a proleptic Gregorian calendar date as three numbers, so that a parser can build one
// from digits and then ask is_valid_date (a Date may hold a day that does not exist, such as
// 2023-02-30; every function below says what it does with one). Compare with <, ==.
struct Date {
  int year = 0;
  int month = 0;  // 1..12
  int day = 0;    // 1..31
  auto operator<=>(const Date&) const = default;

  // Date::ymd: the same day as a std::chrono::year_month_day (ok() is false when it is not a
  // date).
  std::chrono::year_month_day ymd() const;
};

// date_from_ymd: `ymd` as a Date (its fields as they are, valid or not).
Date date_from_ymd(const std::chrono::year_month_day& ymd);

// is_valid_date: the day exists in that month and year (leap years counted) and the year is
// 1..9999 (the four digits every text form here writes).
bool is_valid_date(const Date& d);

// days_since_epoch: the day number of `d` counted from 1970-01-01 (negative before). `d` must
// be a valid date; an invalid day is counted on from the first of its month (2023-02-30 is
// 2023-03-02), as std::chrono does.
int64_t days_since_epoch(const Date& d);
// date_from_days: the date of day number `days` counted from 1970-01-01.
Date date_from_days(int64_t days);
// add_days: the date `days` days after `d` (before it when negative); `d` as in
// days_since_epoch.
Date add_days(const Date& d, int64_t days);

// anniversary: `d` moved by `years` years: the same month and day, or, when that year has no
// such day (29 February in a common year), the last day of that month, 28 February: the
// fallback Civil Act Art. 160(3) gives a period whose last month has no corresponding day.
// The rule for a card's date of expiry (issue date + 10 years) and a mobile credential's
// validity (issue + 3 years). It is "issue date + N years", not a full Art. 157/160 period
// count (which would start the day after `d` and so end on 29 February for a 28 February start
// before a leap year). `d` must be valid.
Date anniversary(const Date& d, int years);

// age_on: the completed years (만 나이) on the day `on` of someone born on `birth`. The day
// of birth counts (Art. 158), so year N ends at the end of the day before the N-th
// birthday (Art. 160(2)), and the person is N on the birthday itself. For a 29 February
// birth in a common year year N ends at the end of 28 February (Art. 160(3)): the person is a
// year older on 1 March. -1 when `on` is before `birth` or either is not a valid date.
int age_on(const Date& birth, const Date& on);

// format_date: "YYYY-MM-DD" (ISO 8601 / RFC 3339 full-date), each field zero-padded to its
// width (year modulo 10000).
std::string format_date(const Date& d);
// parse_date: "YYYY-MM-DD" (also the compact "YYYYMMDD") as a date; kInvalidArgument for any
// other shape or a day that does not exist (2023-02-29).
Result<Date> parse_date(std::string_view text);

// UnixSeconds: whole seconds since 1970-01-01T00:00:00Z (leap seconds not counted, as POSIX).
using UnixSeconds = int64_t;

// date_of: the UTC calendar date of the instant `t`.
Date date_of(UnixSeconds t);
// start_of_day: `d` at 00:00:00Z; `d` as in days_since_epoch.
UnixSeconds start_of_day(const Date& d);
// today_utc: the current date in UTC.
Date today_utc();

}  // namespace idtap
