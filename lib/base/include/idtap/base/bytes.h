// idtap/base/bytes.h: owned and borrowed byte strings, and big-endian helpers.
#pragma once

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace idtap {

// Bytes: an owned byte string (not for secrets: see SecureBytes).
using Bytes = std::vector<uint8_t>;
// ByteView: a borrowed, read-only view of bytes; the owner must outlive it.
using ByteView = std::span<const uint8_t>;

// to_bytes: a copy of `view` as Bytes.
inline Bytes to_bytes(ByteView view) { return Bytes(view.begin(), view.end()); }
// bytes_of: the bytes of a string (no terminator).
inline Bytes bytes_of(std::string_view s) { return Bytes(s.begin(), s.end()); }
// string_of: the bytes as a std::string (no decoding).
inline std::string string_of(ByteView v) { return std::string(v.begin(), v.end()); }

// append: appends `tail` to `out`.
inline void append(Bytes& out, ByteView tail) { out.insert(out.end(), tail.begin(), tail.end()); }

// concat: the concatenation of every view.
Bytes concat(std::initializer_list<ByteView> parts);

// equal_bytes: byte-wise equality (NOT constant time: use crypto's constant_time_equal for MACs).
bool equal_bytes(ByteView a, ByteView b);

// be_uint: the big-endian unsigned integer of `v` (at most 8 bytes; more bytes are a bug).
uint64_t be_uint(ByteView v);
// be_bytes: `value` as `width` big-endian bytes (high bytes dropped when it does not fit).
Bytes be_bytes(uint64_t value, size_t width);

}  // namespace idtap
