#include "idtap/lds/date.h"

#include <cstdio>
#include <ctime>

namespace idtap::lds {

std::string Date::iso() const {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02d", year % 10000, month % 100, day % 100);
  return buf;
}

std::string Date::yyyymmdd() const {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%04d%02d%02d", year % 10000, month % 100, day % 100);
  return buf;
}

bool is_valid_date(const Date& d) {
  if (d.year < 1 || d.year > 9999 || d.month < 1 || d.month > 12 || d.day < 1) return false;
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  int days = kDays[d.month - 1];
  const bool leap = (d.year % 4 == 0 && d.year % 100 != 0) || d.year % 400 == 0;
  if (d.month == 2 && leap) days = 29;
  return d.day <= days;
}

Result<Date> parse_yyyymmdd(std::string_view t) {
  if (t.size() != 8) return make_error(ErrorCode::kMalformed, "date: expected YYYYMMDD");
  int v[8];
  for (size_t i = 0; i < 8; ++i) {
    if (t[i] < '0' || t[i] > '9') return make_error(ErrorCode::kMalformed, "date: non-digit in YYYYMMDD");
    v[i] = t[i] - '0';
  }
  Date d{v[0] * 1000 + v[1] * 100 + v[2] * 10 + v[3], v[4] * 10 + v[5], v[6] * 10 + v[7]};
  if (!is_valid_date(d)) return make_error(ErrorCode::kMalformed, "date: " + d.iso() + " is not a calendar date");
  return d;
}

Date today_utc() {
  std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  return Date{tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday};
}

}  // namespace idtap::lds
