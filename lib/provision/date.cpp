#include "idtap/provision/date.h"

#include <cctype>
#include <chrono>
#include <cstdio>

namespace idtap::provision {
namespace {

bool is_leap(int y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

int days_in_month(int y, int m) {
  static const int kDays[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && is_leap(y) ? 29 : kDays[m - 1];
}

bool digits(std::string_view s, size_t pos, size_t n, int& out) {
  if (pos + n > s.size()) return false;
  int v = 0;
  for (size_t i = pos; i < pos + n; ++i) {
    if (!std::isdigit(static_cast<unsigned char>(s[i]))) return false;
    v = v * 10 + (s[i] - '0');
  }
  out = v;
  return true;
}

}  // namespace

bool is_valid_date(const Date& d) {
  return d.year >= 1 && d.year <= 9999 && d.month >= 1 && d.month <= 12 && d.day >= 1 &&
         d.day <= days_in_month(d.year, d.month);
}

Result<Date> parse_date(std::string_view text) {
  Date d;
  bool ok = false;
  if (text.size() == 10 && text[4] == '-' && text[7] == '-')
    ok = digits(text, 0, 4, d.year) && digits(text, 5, 2, d.month) && digits(text, 8, 2, d.day);
  else if (text.size() == 8)
    ok = digits(text, 0, 4, d.year) && digits(text, 4, 2, d.month) && digits(text, 6, 2, d.day);
  if (!ok || !is_valid_date(d))
    return make_error(ErrorCode::kInvalidArgument, "not a date (YYYY-MM-DD): '" + std::string(text) + "'");
  return d;
}

namespace {

// put_digits: `value` as `width` decimal digits at `out` (no snprintf: issuance formats several
// dates per credential).
void put_digits(char* out, int value, int width) {
  for (int i = width - 1; i >= 0; --i) {
    out[i] = static_cast<char>('0' + value % 10);
    value /= 10;
  }
}

}  // namespace

std::string format_date(const Date& d) {
  std::string out(10, '-');
  put_digits(out.data(), d.year, 4);
  put_digits(out.data() + 5, d.month, 2);
  put_digits(out.data() + 8, d.day, 2);
  return out;
}

// Howard Hinnant's days_from_civil / civil_from_days (public-domain calendar arithmetic).
int64_t days_from_civil(const Date& d) {
  int64_t y = d.year - (d.month <= 2 ? 1 : 0);
  int64_t era = (y >= 0 ? y : y - 399) / 400;
  int64_t yoe = y - era * 400;
  int64_t mp = (d.month + 9) % 12;
  int64_t doy = (153 * mp + 2) / 5 + d.day - 1;
  int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

Date civil_from_days(int64_t z) {
  z += 719468;
  int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  int64_t doe = z - era * 146097;
  int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  int64_t y = yoe + era * 400;
  int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  int64_t mp = (5 * doy + 2) / 153;
  int d = static_cast<int>(doy - (153 * mp + 2) / 5 + 1);
  int m = static_cast<int>(mp < 10 ? mp + 3 : mp - 9);
  return Date{static_cast<int>(y + (m <= 2 ? 1 : 0)), m, d};
}

Date date_of(UnixSeconds t) {
  int64_t days = t >= 0 ? t / 86400 : -((-t + 86399) / 86400);
  return civil_from_days(days);
}

UnixSeconds start_of_day(const Date& d) { return days_from_civil(d) * 86400; }

Date add_years(const Date& d, int years) {
  Date out{d.year + years, d.month, d.day};
  if (out.month == 2 && out.day == 29 && !is_leap(out.year)) out = Date{out.year, 3, 1};
  return out;
}

int age_on(const Date& birth, const Date& on) {
  if (on < birth) return -1;
  int age = on.year - birth.year;
  // The birthday in the year of `on` (29 Feb -> 1 Mar in common years).
  if (on < add_years(birth, age)) --age;
  return age;
}

Result<UnixSeconds> parse_tdate(std::string_view text, bool allow_fraction) {
  auto bad = [&] { return make_error(ErrorCode::kInvalidArgument, "not a tdate (YYYY-MM-DDTHH:MM:SSZ): '" + std::string(text) + "'"); };
  if (text.size() < 20 || text[10] != 'T' || text[13] != ':' || text[16] != ':') return bad();
  auto date = parse_date(text.substr(0, 10));
  if (!date.ok()) return bad();
  int hh = 0, mm = 0, ss = 0;
  if (!digits(text, 11, 2, hh) || !digits(text, 14, 2, mm) || !digits(text, 17, 2, ss)) return bad();
  if (hh > 23 || mm > 59 || ss > 59) return bad();
  size_t pos = 19;
  if (pos < text.size() && text[pos] == '.') {
    if (!allow_fraction) return bad();
    ++pos;
    size_t start = pos;
    while (pos < text.size() && std::isdigit(static_cast<unsigned char>(text[pos]))) ++pos;
    if (pos == start) return bad();
  }
  if (pos + 1 != text.size() || text[pos] != 'Z') return bad();
  return start_of_day(*date) + hh * 3600 + mm * 60 + ss;
}

std::string format_tdate(UnixSeconds t) {
  Date d = date_of(t);
  int64_t secs = t - start_of_day(d);
  std::string out = format_date(d) + "T00:00:00Z";
  put_digits(out.data() + 11, static_cast<int>(secs / 3600), 2);
  put_digits(out.data() + 14, static_cast<int>(secs / 60 % 60), 2);
  put_digits(out.data() + 17, static_cast<int>(secs % 60), 2);
  return out;
}

UnixSeconds now_seconds() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

}  // namespace idtap::provision
