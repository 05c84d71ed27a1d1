// The one Date (idtap/base/date.h): validity, day numbers, the year rules (card expiry and
// credential validity: anniversary; age: age_on, Korean Civil Act Arts. 158 and 160), the
// full-date text and the UTC conversions. Day numbers are checked against Python's
// datetime.date.toordinal() - 719163 (an independent implementation).
#include "idtap/base/date.h"

#include <doctest/doctest.h>

using namespace idtap;

TEST_CASE("is_valid_date: leap years, month ends, out-of-range fields") {
  struct Case {
    Date d;
    bool valid;
    const char* why;
  } cases[] = {
      {{2024, 2, 29}, true, "2024 is divisible by 4: a leap year"},
      {{2023, 2, 29}, false, "2023 is a common year"},
      {{2000, 2, 29}, true, "2000 is divisible by 400: a leap year"},
      {{1900, 2, 29}, false, "1900 is divisible by 100, not 400: a common year"},
      {{2100, 2, 29}, false, "2100: a common year"},
      {{2023, 2, 28}, true, "February's last day in a common year"},
      {{2024, 2, 30}, false, "no 30 February even in a leap year"},
      {{2024, 4, 30}, true, "April has 30 days"},
      {{2024, 4, 31}, false, "... not 31"},
      {{2024, 6, 31}, false, "June has 30 days"},
      {{2024, 9, 31}, false, "September has 30 days"},
      {{2024, 11, 31}, false, "November has 30 days"},
      {{2024, 1, 31}, true, "January has 31 days"},
      {{2024, 12, 31}, true, "the year's last day"},
      {{2024, 1, 32}, false, "no month has 32 days"},
      {{2024, 0, 10}, false, "month 0"},
      {{2024, 13, 10}, false, "month 13"},
      {{2024, 5, 0}, false, "day 0"},
      {{2024, -1, 5}, false, "a negative month"},
      {{2024, 5, -1}, false, "a negative day"},
      {{0, 1, 1}, false, "year 0: outside the four digits"},
      {{1, 1, 1}, true, "the first year"},
      {{9999, 12, 31}, true, "the last four-digit year"},
      {{10000, 1, 1}, false, "five digits"},
      {{40000, 1, 1}, false, "beyond std::chrono::year's range: not ok() either"},
  };
  for (const auto& c : cases) {
    INFO(std::string(c.why));
    CHECK(is_valid_date(c.d) == c.valid);
    // ymd() is ok() for every real day; years 0 and 10000 are days to chrono, not four digits.
    CHECK(c.d.ymd().ok() == (c.valid || c.d.year == 0 || c.d.year == 10000));
  }
}

TEST_CASE("days_since_epoch, date_from_days, start_of_day and date_of agree") {
  struct Case {
    Date d;
    int64_t days;
    const char* why;
  } cases[] = {
      {{1970, 1, 1}, 0, "the epoch"},
      {{1969, 12, 31}, -1, "the day before"},
      {{1900, 3, 1}, -25508, "after 1900's 28 February (no 29th)"},
      {{2000, 3, 1}, 11017, "after 2000's 29 February"},
      {{2024, 2, 29}, 19782, "a leap day"},
      {{1, 1, 1}, -719162, "the first day of year 1"},
      {{9999, 12, 31}, 2932896, "the last four-digit day"},
  };
  for (const auto& c : cases) {
    INFO(std::string(c.why));
    CHECK(days_since_epoch(c.d) == c.days);
    CHECK(date_from_days(c.days) == c.d);
    CHECK(start_of_day(c.d) == c.days * 86400);
    CHECK(date_of(c.days * 86400) == c.d);              // midnight
    CHECK(date_of(c.days * 86400 + 86399) == c.d);      // the day's last second
    CHECK(date_of(c.days * 86400 - 1) == add_days(c.d, -1));  // the last second before
  }
}

TEST_CASE("add_days crosses month and year ends") {
  struct Case {
    Date from;
    int64_t days;
    Date to;
    const char* why;
  } cases[] = {
      {{2024, 2, 28}, 1, {2024, 2, 29}, "into a leap day"},
      {{2023, 2, 28}, 1, {2023, 3, 1}, "common year: 28 February to 1 March"},
      {{1900, 2, 28}, 1, {1900, 3, 1}, "1900 has no 29 February"},
      {{2024, 3, 1}, -1, {2024, 2, 29}, "back into a leap day"},
      {{2024, 12, 31}, 1, {2025, 1, 1}, "into the next year"},
      {{2024, 4, 30}, 1, {2024, 5, 1}, "a 30-day month's end"},
      {{2024, 1, 1}, 366, {2025, 1, 1}, "a leap year's length"},
      {{2023, 1, 1}, 365, {2024, 1, 1}, "a common year's length"},
  };
  for (const auto& c : cases) {
    INFO(std::string(c.why));
    CHECK(add_days(c.from, c.days) == c.to);
  }
}

TEST_CASE("anniversary: the rule for a card's expiry and a credential's validity (Civil Act Art. 160(3))") {
  struct Case {
    Date from;
    int years;
    Date to;
    const char* why;
  } cases[] = {
      {{2024, 3, 15}, 10, {2034, 3, 15}, "an ordinary day: the same day"},
      {{2024, 1, 31}, 1, {2025, 1, 31}, "a month's end that exists every year"},
      {{2024, 2, 28}, 1, {2025, 2, 28}, "28 February stays 28 February"},
      {{2024, 2, 29}, 1, {2025, 2, 28}, "29 February, common year: the month's last day (not 1 March)"},
      {{2024, 2, 29}, 3, {2027, 2, 28}, "a credential issued on 29 February runs to 28 February"},
      {{2024, 2, 29}, 10, {2034, 2, 28}, "a card issued on 29 February expires on 28 February"},
      {{2024, 2, 29}, 4, {2028, 2, 29}, "29 February in a leap year stays"},
      {{2000, 2, 29}, 100, {2100, 2, 28}, "2100 is a common year"},
      {{2024, 2, 29}, -1, {2023, 2, 28}, "backwards the same rule"},
      {{2024, 12, 31}, 0, {2024, 12, 31}, "zero years: the day itself"},
  };
  for (const auto& c : cases) {
    INFO(std::string(c.why));
    CHECK(anniversary(c.from, c.years) == c.to);
  }
}

TEST_CASE("age_on: completed years, birth day counted (Civil Act Arts. 158, 160)") {
  struct Case {
    Date birth;
    Date on;
    int age;
    const char* why;
  } cases[] = {
      {{2009, 3, 3}, {2026, 3, 2}, 16, "the day before the 17th birthday"},
      {{2009, 3, 3}, {2026, 3, 3}, 17, "on the birthday: the year ended at the end of the day before"},
      {{2009, 3, 3}, {2009, 3, 3}, 0, "the day of birth"},
      {{2009, 3, 3}, {2010, 3, 2}, 0, "the first year ends at the end of 2 March"},
      {{2009, 3, 3}, {2010, 3, 3}, 1, "one on the first birthday"},
      {{2009, 12, 31}, {2010, 1, 1}, 0, "a new calendar year is no birthday"},
      {{2008, 2, 29}, {2025, 2, 28}, 16, "born 29 February: year 17 ends at the end of 28 February (Art. 160(3))"},
      {{2008, 2, 29}, {2025, 3, 1}, 17, "... so 17 on 1 March of a common year"},
      {{2008, 2, 29}, {2028, 2, 28}, 19, "in a leap year the birthday is 29 February"},
      {{2008, 2, 29}, {2028, 2, 29}, 20, "... and the year ends the day before it"},
      {{2008, 2, 29}, {2009, 2, 28}, 0, "the first year, common: not yet one on 28 February"},
      {{2008, 2, 29}, {2009, 3, 1}, 1, "one on 1 March"},
      {{2008, 2, 28}, {2009, 2, 28}, 1, "born 28 February: one on 28 February"},
      {{2008, 3, 1}, {2009, 2, 28}, 0, "born 1 March, leap year: not one on 28 February"},
      {{2010, 1, 1}, {2009, 1, 1}, -1, "a day before the birth"},
      {{2023, 2, 29}, {2030, 1, 1}, -1, "the birth date is no date"},
      {{2000, 1, 1}, {2030, 2, 30}, -1, "the day is no date"},
  };
  for (const auto& c : cases) {
    INFO(std::string(c.why));
    CHECK(age_on(c.birth, c.on) == c.age);
  }
}

TEST_CASE("format_date and parse_date: full-date YYYY-MM-DD") {
  struct Case {
    const char* text;
    bool ok;
    Date d;
    const char* why;
  } cases[] = {
      {"2024-02-29", true, {2024, 2, 29}, "a leap day"},
      {"19900515", true, {1990, 5, 15}, "the compact form"},
      {"0001-01-01", true, {1, 1, 1}, "the first day"},
      {"9999-12-31", true, {9999, 12, 31}, "the last day"},
      {"2023-02-29", false, {}, "not a day: a common year"},
      {"2024-04-31", false, {}, "not a day: April"},
      {"2024-13-01", false, {}, "month 13"},
      {"0000-01-01", false, {}, "year 0"},
      {"2024-2-29", false, {}, "a month of one digit"},
      {"2024/02/29", false, {}, "slashes"},
      {"2024-02-29T00:00:00Z", false, {}, "a tdate is not a full-date"},
      {"2024-0a-01", false, {}, "a letter"},
      {"", false, {}, "empty"},
      {"1990051", false, {}, "seven digits"},
  };
  for (const auto& c : cases) {
    INFO(std::string(c.why));
    auto r = parse_date(c.text);
    if (!c.ok) {
      REQUIRE_FALSE(r.ok());
      CHECK(r.error().code == ErrorCode::kInvalidArgument);
      continue;
    }
    REQUIRE(r.ok());
    CHECK(*r == c.d);
    CHECK(parse_date(format_date(*r)).value() == c.d);  // round trip
  }
  CHECK(format_date(Date{1974, 8, 12}) == "1974-08-12");
  CHECK(format_date(Date{5, 1, 2}) == "0005-01-02");
}

TEST_CASE("today_utc is the date of now") {
  // Read the clock on both sides: the date can only change between them at midnight.
  const Date before = date_of(static_cast<UnixSeconds>(std::time(nullptr)));
  const Date today = today_utc();
  const Date after = date_of(static_cast<UnixSeconds>(std::time(nullptr)));
  CHECK(is_valid_date(today));
  CHECK(before <= today);
  CHECK(today <= after);
}
