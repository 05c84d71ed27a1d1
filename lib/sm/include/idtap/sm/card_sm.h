// idtap/sm/card_sm.h: the card's half of secure messaging, for the simulated card
// (drivers/sim): unwrap a protected command into the plain one, wrap a plain response into a
// protected one. The same cipher suites and data-object code as the terminal side.
#pragma once

#include <cstdint>

#include "idtap/apdu/command.h"
#include "idtap/apdu/response.h"
#include "idtap/base/bytes.h"
#include "idtap/base/result.h"
#include "idtap/sm/cipher_suite.h"

namespace idtap::sm {

// CardSecureMessaging: one session's card side: the cipher suite and the send sequence counter.
// Use strictly in turn: unwrap_command, then wrap_response for the same command (each
// increments the SSC first). After an unwrap_command error the card answers that error's `sw`
// (6987 objects missing, 6988 objects incorrect) in plain and ends secure messaging (ICAO
// 9303-11 §9.8): drop this object. Move-only; not for two threads at once.
class CardSecureMessaging {
 public:
  // CardSecureMessaging::create: from session keys; kInvalidArgument when a key or the SSC has
  // the wrong length for keys.alg.
  static Result<CardSecureMessaging> create(const SessionKeys& keys);

  // CardSecureMessaging::unwrap_command: verifies the protected command `command` (CLA with SM
  // bits b4-b3 set, [DO85|DO87] [DO97] DO8E, MAC over SSC || padded header || DO85/87 || DO97)
  // and returns the plain command: CLA without the SM bits, data decrypted, Ne from DO97 (none:
  // Ne = 0; 00 = 256; 0000 = 65536). Fails with kSecureMessaging and sw 6987 (no SM bits in
  // CLA, DO8E missing) or 6988 (bad MAC, malformed objects, bad padding or indicator).
  Result<apdu::CommandApdu> unwrap_command(const apdu::CommandApdu& command);

  // CardSecureMessaging::wrap_response: the protected form of `plain`, the answer to the last
  // unwrapped command: DO87 (01 || cryptogram; DO85 when that command had an odd INS) if there
  // is data, DO99 with the SW, DO8E with the MAC over SSC || DO85/87 || DO99; the SW in clear
  // as well. kInternal only if OpenSSL fails.
  Result<apdu::ResponseApdu> wrap_response(const apdu::ResponseApdu& plain);

  // CardSecureMessaging::ssc: the current send sequence counter.
  ByteView ssc() const { return ssc_; }

 private:
  CardSecureMessaging(CipherSuite suite, Bytes ssc);
  CipherSuite suite_;
  Bytes ssc_;
  uint8_t last_ins_ = 0;
};

}  // namespace idtap::sm
