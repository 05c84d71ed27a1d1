// idtap/provision/date.h: calendar dates and whole-second UTC times, as ISO/IEC 18013-5 writes
// them (full-date "YYYY-MM-DD", tag 1004; tdate "YYYY-MM-DDTHH:MM:SSZ", tag 0).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "idtap/base/result.h"

namespace idtap::provision {

// Date: a proleptic Gregorian calendar date.
struct Date {
  int year = 0;
  int month = 0;  // 1..12
  int day = 0;    // 1..31

  friend bool operator==(const Date&, const Date&) = default;
  friend auto operator<=>(const Date&, const Date&) = default;
};

// UnixSeconds: whole seconds since 1970-01-01T00:00:00Z.
using UnixSeconds = int64_t;

// parse_date: "YYYY-MM-DD" (also "YYYYMMDD"); kInvalidArgument for anything else or an
// impossible day (2023-02-29).
Result<Date> parse_date(std::string_view text);
// format_date: "YYYY-MM-DD".
std::string format_date(const Date& d);
// is_valid_date: the day exists in that month and year (1 <= year <= 9999).
bool is_valid_date(const Date& d);

// days_from_civil / civil_from_days: the day number since 1970-01-01 and back.
int64_t days_from_civil(const Date& d);
Date civil_from_days(int64_t days);

// date_of: the UTC calendar date of `t`.
Date date_of(UnixSeconds t);
// start_of_day: `d` at 00:00:00Z.
UnixSeconds start_of_day(const Date& d);
// add_years: `d` plus `years`; 29 February becomes 1 March in a common year.
Date add_years(const Date& d, int years);

// age_on: the completed years of someone born on `birth` on the day `on`. A person born on
// 29 February completes a year on 1 March in common years (never early). -1 if `on` < `birth`.
int age_on(const Date& birth, const Date& on);

// parse_tdate: RFC 3339 "YYYY-MM-DDTHH:MM:SSZ" with an optional fraction, which is rejected
// unless `allow_fraction` (ISO/IEC 18013-5 §9.1.2.4: no fractional seconds); kInvalidArgument.
Result<UnixSeconds> parse_tdate(std::string_view text, bool allow_fraction = false);
// format_tdate: "YYYY-MM-DDTHH:MM:SSZ".
std::string format_tdate(UnixSeconds t);

// now_seconds: the current time, whole seconds.
UnixSeconds now_seconds();

}  // namespace idtap::provision
