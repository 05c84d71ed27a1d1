// The LDS date forms over the one Date (idtap/lds/date.h): MRZ YYMMDD with its century rule,
// DG11/DG12 YYYYMMDD.
#include "idtap/lds/date.h"

#include <doctest/doctest.h>

using namespace idtap;
using namespace idtap::lds;

TEST_CASE("mrz_date_of: YYMMDD with the century of a birth or an expiry date") {
  const Date kToday{2024, 1, 1};
  struct Case {
    const char* raw;
    MrzDateKind kind;
    std::optional<Date> date;
    const char* why;
  } cases[] = {
      {"231231", MrzDateKind::kBirth, Date{2023, 12, 31}, "birth yesterday: this century"},
      {"240101", MrzDateKind::kBirth, Date{2024, 1, 1}, "birth today: this century"},
      {"240102", MrzDateKind::kBirth, Date{1924, 1, 2}, "birth tomorrow: the last century"},
      {"740812", MrzDateKind::kBirth, Date{1974, 8, 12}, "an ordinary birth date"},
      {"000229", MrzDateKind::kBirth, Date{2000, 2, 29}, "29 February 2000: a leap day"},
      {"960229", MrzDateKind::kBirth, Date{1996, 2, 29}, "29 February 1996 (2096 is after today)"},
      {"250229", MrzDateKind::kBirth, std::nullopt, "29 February 1925: a common year"},
      {"740230", MrzDateKind::kBirth, std::nullopt, "30 February"},
      {"741301", MrzDateKind::kBirth, std::nullopt, "month 13"},
      {"740800", MrzDateKind::kBirth, std::nullopt, "day 0"},
      {"74<812", MrzDateKind::kBirth, std::nullopt, "a filler"},
      {"7408", MrzDateKind::kBirth, std::nullopt, "four digits"},
      {"740101", MrzDateKind::kExpiry, Date{2074, 1, 1}, "expiry within 50 years: this century"},
      {"750601", MrzDateKind::kExpiry, Date{1975, 6, 1}, "2075 is beyond today + 50: 1975"},
      {"340228", MrzDateKind::kExpiry, Date{2034, 2, 28}, "a card issued on 29 February 2024"},
      {"340229", MrzDateKind::kExpiry, std::nullopt, "29 February 2034: a common year"},
  };
  for (const auto& c : cases) {
    INFO(std::string(c.why));
    CHECK(mrz_date_of(c.raw, kToday, c.kind) == c.date);
  }
}

TEST_CASE("format_yymmdd and format_yyyymmdd") {
  CHECK(format_yymmdd(Date{1974, 8, 12}) == "740812");
  CHECK(format_yymmdd(Date{2000, 2, 29}) == "000229");
  CHECK(format_yymmdd(Date{2034, 2, 28}) == "340228");
  CHECK(format_yyyymmdd(Date{1974, 8, 12}) == "19740812");
  CHECK(format_yyyymmdd(Date{5, 1, 2}) == "00050102");
}

TEST_CASE("parse_yyyymmdd: DG11/DG12 dates, kMalformed for anything else") {
  struct Case {
    const char* text;
    std::optional<Date> date;
    const char* why;
  } cases[] = {
      {"19740812", Date{1974, 8, 12}, "an ordinary date"},
      {"20240229", Date{2024, 2, 29}, "a leap day"},
      {"20230229", std::nullopt, "29 February of a common year"},
      {"19000229", std::nullopt, "1900 is a common year"},
      {"20240431", std::nullopt, "31 April"},
      {"1990<<<<", std::nullopt, "a partial date (year only)"},
      {"19900000", std::nullopt, "a partial date written with zeros"},
      {"1974-08-12", std::nullopt, "full-date text is not YYYYMMDD"},
      {"1974081", std::nullopt, "seven digits"},
  };
  for (const auto& c : cases) {
    INFO(std::string(c.why));
    auto r = parse_yyyymmdd(c.text);
    if (!c.date) {
      REQUIRE_FALSE(r.ok());
      CHECK(r.error().code == ErrorCode::kMalformed);
      continue;
    }
    REQUIRE(r.ok());
    CHECK(*r == *c.date);
    CHECK(format_yyyymmdd(*r) == c.text);
  }
}
