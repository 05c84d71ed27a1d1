// idtap/apdu/response.h: response APDUs (data followed by SW1 SW2).
#pragma once

#include <cstdint>

#include "idtap/base/bytes.h"
#include "idtap/base/result.h"

namespace idtap::apdu {

// ResponseApdu: response data and status word.
struct ResponseApdu {
  Bytes data;
  uint16_t sw = 0;

  uint8_t sw1() const { return static_cast<uint8_t>(sw >> 8); }
  uint8_t sw2() const { return static_cast<uint8_t>(sw & 0xFF); }
  // ResponseApdu::ok: SW 9000.
  bool ok() const { return sw == 0x9000; }
  // ResponseApdu::encode: data || SW1 SW2.
  Bytes encode() const;
  // ResponseApdu::parse: splits wire bytes into data and SW; kMalformed when shorter than 2.
  static Result<ResponseApdu> parse(ByteView wire);
  // ResponseApdu::status: ok when SW is 9000, otherwise a kCardStatus error carrying the SW
  // with `what` and the SW's explanation as context.
  Status status(const char* what) const;
};

}  // namespace idtap::apdu
