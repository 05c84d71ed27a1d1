#include "idtap/base/redact.h"

#include <cstdint>
#include <vector>

namespace idtap {
namespace {

// utf8_chars: `s` cut into characters: each a whole UTF-8 sequence, or one byte where the
// encoding is broken (so a masked string never cuts a character in half).
std::vector<std::string_view> utf8_chars(std::string_view s) {
  std::vector<std::string_view> out;
  size_t i = 0;
  while (i < s.size()) {
    const auto lead = static_cast<uint8_t>(s[i]);
    size_t len = lead < 0x80 ? 1 : (lead >> 5) == 0x6 ? 2 : (lead >> 4) == 0xE ? 3 : (lead >> 3) == 0x1E ? 4 : 0;
    bool whole = len != 0 && i + len <= s.size();
    for (size_t k = 1; whole && k < len; ++k) whole = (static_cast<uint8_t>(s[i + k]) & 0xC0) == 0x80;
    if (!whole) len = 1;
    out.push_back(s.substr(i, len));
    i += len;
  }
  return out;
}

// ascii_digit: the digit a character stands for, ASCII or full-width (U+FF10..U+FF19, as some
// card data and keyboards give it); -1 otherwise.
int ascii_digit(std::string_view c) {
  if (c.size() == 1 && c[0] >= '0' && c[0] <= '9') return c[0] - '0';
  // U+FF10..U+FF19: EF BC 90..99
  if (c.size() == 3 && static_cast<uint8_t>(c[0]) == 0xEF && static_cast<uint8_t>(c[1]) == 0xBC &&
      static_cast<uint8_t>(c[2]) >= 0x90 && static_cast<uint8_t>(c[2]) <= 0x99)
    return static_cast<uint8_t>(c[2]) - 0x90;
  return -1;
}

}  // namespace

std::string mask_resident_number(std::string_view number) {
  const auto chars = utf8_chars(number);
  std::string digits;
  for (auto c : chars)
    if (int d = ascii_digit(c); d >= 0) digits.push_back(static_cast<char>('0' + d));
  if (digits.size() == 13) return digits.substr(0, 6) + "-" + digits.substr(6, 1) + "******";
  if (chars.empty()) return "";
  // Anything else: its first character (a broken byte becomes '*'), then one '*' per character.
  std::string out = chars[0].size() == 1 && static_cast<uint8_t>(chars[0][0]) >= 0x80 ? "*" : std::string(chars[0]);
  out.append(chars.size() - 1, '*');
  return out;
}

std::string mask_secret(std::string_view) { return "******"; }

}  // namespace idtap
