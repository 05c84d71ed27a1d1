#include "idtap/base/date.h"

#include <ctime>

namespace idtap {
namespace {

namespace chr = std::chrono;

// digits: `n` decimal digits of `s` from `pos` into `out`; false on a non-digit or short text.
bool digits(std::string_view s, size_t pos, size_t n, int& out) {
  if (pos + n > s.size()) return false;
  int v = 0;
  for (size_t i = pos; i < pos + n; ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
    v = v * 10 + (s[i] - '0');
  }
  out = v;
  return true;
}

// put_digits: `value` as `width` decimal digits at `out` (no snprintf: issuance formats several
// dates per credential).
void put_digits(char* out, int value, int width) {
  for (int i = width - 1; i >= 0; --i) {
    out[i] = static_cast<char>('0' + value % 10);
    value /= 10;
  }
}

chr::sys_days sys_days_of(const Date& d) { return chr::sys_days(d.ymd()); }

// period_end: the last day of year `n` of a period of years that starts on (and counts) the
// day `start`: the day before the corresponding day of the year start.year + n (Civil Act
// Art. 160(2)), or the last day of the month when that year has no such day (Art. 160(3)).
Date period_end(const Date& start, int n) {
  const chr::year_month_day corresponding{chr::year{start.year + n}, chr::month{static_cast<unsigned>(start.month)},
                                          chr::day{static_cast<unsigned>(start.day)}};
  if (corresponding.ok()) return date_from_ymd(chr::sys_days(corresponding) - chr::days{1});
  return date_from_ymd(corresponding.year() / corresponding.month() / chr::last);
}

}  // namespace

chr::year_month_day Date::ymd() const {
  // Out-of-range fields stay out of range, so that ok() reports them: chrono keeps month and
  // day as unsigned (a negative one becomes 0) and year as a short (-32768 is its "not a year").
  const auto m = month < 0 ? 0u : static_cast<unsigned>(month);
  const auto d = day < 0 ? 0u : static_cast<unsigned>(day);
  const int y = year < -32767 || year > 32767 ? -32768 : year;
  return chr::year_month_day{chr::year{y}, chr::month{m}, chr::day{d}};
}

Date date_from_ymd(const chr::year_month_day& ymd) {
  return Date{static_cast<int>(ymd.year()), static_cast<int>(static_cast<unsigned>(ymd.month())),
              static_cast<int>(static_cast<unsigned>(ymd.day()))};
}

bool is_valid_date(const Date& d) { return d.year >= 1 && d.year <= 9999 && d.ymd().ok(); }

int64_t days_since_epoch(const Date& d) { return sys_days_of(d).time_since_epoch().count(); }

Date date_from_days(int64_t days) {
  return date_from_ymd(chr::year_month_day{chr::sys_days{chr::days{days}}});
}

Date add_days(const Date& d, int64_t days) { return date_from_days(days_since_epoch(d) + days); }

Date anniversary(const Date& d, int years) {
  const chr::year_month_day same_day = chr::year{d.year + years} / d.ymd().month() / d.ymd().day();
  if (same_day.ok()) return date_from_ymd(same_day);
  return date_from_ymd(same_day.year() / same_day.month() / chr::last);  // Art. 160(3)
}

int age_on(const Date& birth, const Date& on) {
  if (!is_valid_date(birth) || !is_valid_date(on) || on < birth) return -1;
  int age = on.year - birth.year;
  // The day of birth counts (Art. 158): year `age` of life ends with period_end(birth, age);
  // until that day is over the person is a year younger.
  if (on <= period_end(birth, age)) --age;
  return age;
}

std::string format_date(const Date& d) {
  std::string out(10, '-');
  put_digits(out.data(), ((d.year % 10000) + 10000) % 10000, 4);
  put_digits(out.data() + 5, ((d.month % 100) + 100) % 100, 2);
  put_digits(out.data() + 8, ((d.day % 100) + 100) % 100, 2);
  return out;
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

Date date_of(UnixSeconds t) {
  return date_from_ymd(chr::year_month_day{chr::floor<chr::days>(chr::sys_seconds{chr::seconds{t}})});
}

UnixSeconds start_of_day(const Date& d) {
  return chr::sys_seconds(sys_days_of(d)).time_since_epoch().count();
}

Date today_utc() { return date_of(static_cast<UnixSeconds>(std::time(nullptr))); }

}  // namespace idtap
