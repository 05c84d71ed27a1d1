// idtap/apdu/command.h: ISO/IEC 7816-4 command APDUs (cases 1-4, short and extended).
#pragma once

#include <cstddef>
#include <cstdint>

#include "idtap/base/bytes.h"
#include "idtap/base/result.h"

namespace idtap::apdu {

// kMaxShortNc / kMaxShortNe / kMaxExtendedNc / kMaxExtendedNe: ISO 7816-4 §5.1 length limits.
inline constexpr size_t kMaxShortNc = 255;
inline constexpr size_t kMaxShortNe = 256;
inline constexpr size_t kMaxExtendedNc = 65535;
inline constexpr size_t kMaxExtendedNe = 65536;

// CommandApdu: CLA INS P1 P2, command data (Nc = data.size()) and the expected response length
// Ne (0 = no Le field; 256 is encoded as Le=00 short, 65536 as Le=0000 extended). Encoding
// picks short form unless Nc > 255, Ne > 256 or `extended` is set.
struct CommandApdu {
  uint8_t cla = 0;
  uint8_t ins = 0;
  uint8_t p1 = 0;
  uint8_t p2 = 0;
  Bytes data;
  size_t ne = 0;
  bool extended = false;

  // CommandApdu::needs_extended: true when the lengths cannot be carried in short form or
  // `extended` forces it.
  bool needs_extended() const { return extended || data.size() > kMaxShortNc || ne > kMaxShortNe; }
  // CommandApdu::iso_case: 1 (no data, no Le), 2 (Le only), 3 (data only) or 4 (both).
  int iso_case() const { return data.empty() ? (ne == 0 ? 1 : 2) : (ne == 0 ? 3 : 4); }
  // CommandApdu::encode: the wire bytes. kInvalidArgument when Nc > 65535 or Ne > 65536.
  Result<Bytes> encode() const;
  // CommandApdu::parse: decodes wire bytes, checking every ISO 7816-4 §5.1 length rule
  // (Lc 1..65535, no Lc=00 short, extended Le only after extended Lc, no trailing bytes).
  // kMalformed on any violation.
  static Result<CommandApdu> parse(ByteView wire);
  // CommandApdu::is_chained: CLA bit b5 (0x10), command chaining (ISO 7816-4 §5.4.1).
  bool is_chained() const { return (cla & 0x10) != 0; }
  // CommandApdu::is_secure_messaging: CLA b4-b3 indicate SM (0x0C for ISO SM with header auth).
  bool is_secure_messaging() const { return (cla & 0x0C) != 0; }
};

}  // namespace idtap::apdu
