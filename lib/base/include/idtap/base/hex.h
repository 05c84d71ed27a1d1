// idtap/base/hex.h: hexadecimal encoding and decoding.
#pragma once

#include <string>
#include <string_view>

#include "idtap/base/bytes.h"
#include "idtap/base/result.h"

namespace idtap {

// to_hex: `v` as hex digits, lower case unless `upper`; `sep` (if not 0) between bytes.
std::string to_hex(ByteView v, bool upper = false, char sep = 0);

// from_hex: decodes hex digits; spaces, tabs, newlines and ':' between byte pairs are skipped.
// Fails with kInvalidArgument on a non-hex character or an odd number of digits.
Result<Bytes> from_hex(std::string_view text);

// hex_or_die: from_hex for literals in tests and tables; aborts on bad input.
Bytes hex_or_die(std::string_view text);

}  // namespace idtap
