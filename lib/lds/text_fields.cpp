#include "idtap/lds/text_fields.h"

namespace idtap::lds {

bool is_valid_utf8(std::string_view s) {
  size_t i = 0;
  const size_t n = s.size();
  while (i < n) {
    const auto b0 = static_cast<uint8_t>(s[i]);
    if (b0 < 0x80) { ++i; continue; }
    size_t len = 0;
    uint32_t cp = 0;
    if ((b0 & 0xE0) == 0xC0) { len = 2; cp = b0 & 0x1F; }
    else if ((b0 & 0xF0) == 0xE0) { len = 3; cp = b0 & 0x0F; }
    else if ((b0 & 0xF8) == 0xF0) { len = 4; cp = b0 & 0x07; }
    else return false;
    if (i + len > n) return false;
    for (size_t k = 1; k < len; ++k) {
      const auto b = static_cast<uint8_t>(s[i + k]);
      if ((b & 0xC0) != 0x80) return false;
      cp = cp << 6 | (b & 0x3F);
    }
    static constexpr uint32_t kMin[] = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < kMin[len] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
    i += len;
  }
  return true;
}

std::vector<std::string> split_filler_lines(std::string_view s) {
  std::vector<std::string> out;
  std::string cur;
  for (char c : s) {
    if (c == '<') {
      if (!cur.empty()) out.push_back(cur);
      cur.clear();
    } else {
      cur.push_back(c);
    }
  }
  if (!cur.empty()) out.push_back(cur);
  return out;
}

Result<LdsDate> parse_lds_date(ByteView v) {
  LdsDate out;
  if (v.size() == 4) {
    // Packed BCD YYYYMMDD (named leniency).
    for (uint8_t b : v) {
      if ((b >> 4) > 9 || (b & 0x0F) > 9) return make_error(ErrorCode::kMalformed, "date: 4 bytes that are not BCD");
      out.raw.push_back(static_cast<char>('0' + (b >> 4)));
      out.raw.push_back(static_cast<char>('0' + (b & 0x0F)));
    }
    out.bcd = true;
  } else if (v.size() == 8) {
    for (uint8_t b : v) {
      if (!((b >= '0' && b <= '9') || b == '<')) return make_error(ErrorCode::kMalformed, "date: not YYYYMMDD");
      out.raw.push_back(static_cast<char>(b));
    }
  } else {
    return make_error(ErrorCode::kMalformed, "date: " + std::to_string(v.size()) + " bytes (YYYYMMDD is 8)");
  }
  auto d = parse_yyyymmdd(out.raw);
  if (d.ok()) out.date = *d;
  return out;
}

}  // namespace idtap::lds
