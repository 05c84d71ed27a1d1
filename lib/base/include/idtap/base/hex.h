// idtap/base/hex.h: hexadecimal encoding and decoding.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "idtap/base/bytes.h"
#include "idtap/base/result.h"

namespace idtap {

// to_hex: `v` as hex digits, lower case unless `upper`; `sep` (if not 0) between bytes.
std::string to_hex(ByteView v, bool upper = false, char sep = 0);

// hex_byte / hex_word: one byte as two upper-case hex digits ("3B"), a 16-bit value as four ("6A82").
std::string hex_byte(uint8_t v);
std::string hex_word(uint16_t v);

// printable_ascii: true when `v` is not empty and every byte is printable ASCII (0x20..0x7E).
bool printable_ascii(ByteView v);

// from_hex: decodes hex digits; spaces, tabs, newlines and ':' between byte pairs are skipped.
// Fails with kInvalidArgument on a non-hex character or an odd number of digits.
Result<Bytes> from_hex(std::string_view text);

// hex_or_die: from_hex for literals in tests and tables; aborts on bad input.
Bytes hex_or_die(std::string_view text);

}  // namespace idtap
