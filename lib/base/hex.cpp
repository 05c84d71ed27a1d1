#include "idtap/base/hex.h"

#include <cstdio>
#include <cstdlib>

namespace idtap {
namespace {

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool is_separator(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == ':'; }

}  // namespace

std::string to_hex(ByteView v, bool upper, char sep) {
  const char* digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
  std::string out;
  out.reserve(v.size() * (sep ? 3 : 2));
  for (size_t i = 0; i < v.size(); ++i) {
    if (sep && i != 0) out.push_back(sep);
    out.push_back(digits[v[i] >> 4]);
    out.push_back(digits[v[i] & 0x0F]);
  }
  return out;
}

Result<Bytes> from_hex(std::string_view text) {
  Bytes out;
  out.reserve(text.size() / 2);
  int high = -1;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (is_separator(c)) {
      if (high >= 0) return make_error(ErrorCode::kInvalidArgument, "hex: separator inside a byte at position " + std::to_string(i));
      continue;
    }
    int v = hex_value(c);
    if (v < 0) return make_error(ErrorCode::kInvalidArgument, "hex: not a hex digit at position " + std::to_string(i));
    if (high < 0) {
      high = v;
    } else {
      out.push_back(static_cast<uint8_t>(high << 4 | v));
      high = -1;
    }
  }
  if (high >= 0) return make_error(ErrorCode::kInvalidArgument, "hex: odd number of digits");
  return out;
}

Bytes hex_or_die(std::string_view text) {
  auto r = from_hex(text);
  if (!r.ok()) {
    std::fprintf(stderr, "hex_or_die: %s\n", r.error().message().c_str());
    std::abort();
  }
  return std::move(r).value();
}

std::string hex_byte(uint8_t v) { return to_hex(ByteView(&v, 1), true); }

std::string hex_word(uint16_t v) {
  const uint8_t b[2] = {static_cast<uint8_t>(v >> 8), static_cast<uint8_t>(v)};
  return to_hex(ByteView(b, 2), true);
}

bool printable_ascii(ByteView v) {
  if (v.empty()) return false;
  for (uint8_t c : v)
    if (c < 0x20 || c > 0x7E) return false;
  return true;
}

}  // namespace idtap
