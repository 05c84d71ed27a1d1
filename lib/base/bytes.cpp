#include "idtap/base/bytes.h"

#include <algorithm>
#include <cassert>

namespace idtap {

Bytes concat(std::initializer_list<ByteView> parts) {
  size_t n = 0;
  for (auto p : parts) n += p.size();
  Bytes out;
  out.reserve(n);
  for (auto p : parts) append(out, p);
  return out;
}

bool equal_bytes(ByteView a, ByteView b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin());
}

uint64_t be_uint(ByteView v) {
  assert(v.size() <= 8);
  uint64_t x = 0;
  for (uint8_t b : v) x = (x << 8) | b;
  return x;
}

Bytes be_bytes(uint64_t value, size_t width) {
  Bytes out(width, 0);
  for (size_t i = 0; i < width && i < 8; ++i) out[width - 1 - i] = static_cast<uint8_t>(value >> (8 * i));
  return out;
}

}  // namespace idtap
