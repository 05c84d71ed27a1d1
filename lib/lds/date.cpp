#include "idtap/lds/date.h"

#include <algorithm>

namespace idtap::lds {
namespace {

bool all_digits(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

int two_digits(std::string_view s, size_t at) { return (s[at] - '0') * 10 + (s[at + 1] - '0'); }

// digits_of: `value` modulo 10^width as `width` decimal digits.
std::string digits_of(int value, int width) {
  std::string out(static_cast<size_t>(width), '0');
  value = value < 0 ? -value : value;
  for (int i = width - 1; i >= 0; --i) {
    out[static_cast<size_t>(i)] = static_cast<char>('0' + value % 10);
    value /= 10;
  }
  return out;
}

}  // namespace

std::optional<Date> mrz_date_of(std::string_view raw, const Date& today, MrzDateKind kind) {
  if (raw.size() != 6 || !all_digits(raw)) return std::nullopt;
  Date d{2000 + two_digits(raw, 0), two_digits(raw, 2), two_digits(raw, 4)};
  if (kind == MrzDateKind::kBirth) {
    if (d > today) d.year -= 100;
  } else {
    if (d.year > today.year + 50) d.year -= 100;
  }
  // 29 February of a common year under the chosen century is still not a date.
  if (!is_valid_date(d)) return std::nullopt;
  return d;
}

std::string format_yymmdd(const Date& d) { return digits_of(d.year, 2) + digits_of(d.month, 2) + digits_of(d.day, 2); }

Result<Date> parse_yyyymmdd(std::string_view t) {
  if (t.size() != 8) return make_error(ErrorCode::kMalformed, "date: expected YYYYMMDD");
  if (!all_digits(t)) return make_error(ErrorCode::kMalformed, "date: non-digit in YYYYMMDD");
  const Date d{two_digits(t, 0) * 100 + two_digits(t, 2), two_digits(t, 4), two_digits(t, 6)};
  if (!is_valid_date(d)) return make_error(ErrorCode::kMalformed, "date: " + format_date(d) + " is not a calendar date");
  return d;
}

std::string format_yyyymmdd(const Date& d) { return digits_of(d.year, 4) + digits_of(d.month, 2) + digits_of(d.day, 2); }

}  // namespace idtap::lds
