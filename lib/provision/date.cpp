#include "idtap/provision/date.h"

#include <chrono>

namespace idtap::provision {
namespace {

bool two_digits(std::string_view s, size_t pos, int& out) {
  if (pos + 2 > s.size() || s[pos] < '0' || s[pos] > '9' || s[pos + 1] < '0' || s[pos + 1] > '9') return false;
  out = (s[pos] - '0') * 10 + (s[pos + 1] - '0');
  return true;
}

// put_two_digits: `value` (0..99) as two decimal digits at `out`.
void put_two_digits(char* out, int value) {
  out[0] = static_cast<char>('0' + value / 10);
  out[1] = static_cast<char>('0' + value % 10);
}

}  // namespace

Result<UnixSeconds> parse_tdate(std::string_view text, bool allow_fraction) {
  auto bad = [&] { return make_error(ErrorCode::kInvalidArgument, "not a tdate (YYYY-MM-DDTHH:MM:SSZ): '" + std::string(text) + "'"); };
  if (text.size() < 20 || text[10] != 'T' || text[13] != ':' || text[16] != ':') return bad();
  auto date = parse_date(text.substr(0, 10));
  if (!date.ok()) return bad();
  int hh = 0, mm = 0, ss = 0;
  if (!two_digits(text, 11, hh) || !two_digits(text, 14, mm) || !two_digits(text, 17, ss)) return bad();
  if (hh > 23 || mm > 59 || ss > 59) return bad();
  size_t pos = 19;
  if (pos < text.size() && text[pos] == '.') {
    if (!allow_fraction) return bad();
    ++pos;
    size_t start = pos;
    while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') ++pos;
    if (pos == start) return bad();
  }
  if (pos + 1 != text.size() || text[pos] != 'Z') return bad();
  return start_of_day(*date) + hh * 3600 + mm * 60 + ss;
}

std::string format_tdate(UnixSeconds t) {
  const Date d = date_of(t);
  const int64_t secs = t - start_of_day(d);
  std::string out = format_date(d) + "T00:00:00Z";
  put_two_digits(out.data() + 11, static_cast<int>(secs / 3600));
  put_two_digits(out.data() + 14, static_cast<int>(secs / 60 % 60));
  put_two_digits(out.data() + 17, static_cast<int>(secs % 60));
  return out;
}

UnixSeconds now_seconds() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

}  // namespace idtap::provision
