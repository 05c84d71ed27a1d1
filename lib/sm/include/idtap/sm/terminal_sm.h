// idtap/sm/terminal_sm.h: the terminal's half of secure messaging as plain functions over one
// session (protect a command, verify and unwrap a response). SecureChannel runs on it; the
// benchmark and the fuzz target call it directly.
#pragma once

#include "idtap/apdu/command.h"
#include "idtap/apdu/response.h"
#include "idtap/apdu/transport.h"
#include "idtap/base/bytes.h"
#include "idtap/base/result.h"
#include "idtap/sm/cipher_suite.h"

namespace idtap::sm {

// WrapOptions: how a protected command may be framed.
struct WrapOptions {
  // extended_length: the wrapped transport can send extended-length APDUs. Then a command is
  // protected in extended form when the plaintext needs it (Nc > 255, Ne > 256, or `extended`
  // set) or when the protected form no longer fits short lengths (protected Lc > 255, or a
  // plaintext Ne larger than a short protected response can carry).
  bool extended_length = false;
  // max_command_data: the largest data field the wrapped transport can send (its caps); a
  // protected command longer than this is refused before the SSC moves.
  size_t max_command_data = apdu::kMaxExtendedNc;
};

// TerminalSecureMessaging: one session's terminal side: the cipher suite and the send sequence
// counter. Each wrap_command and each unwrap_response first increments the SSC (ICAO 9303-11
// §9.8: one exchange uses two counter values). After any failed unwrap_response the session is
// out of step with the card and must be abandoned (SecureChannel enforces this). Move-only; not
// for two threads at once.
class TerminalSecureMessaging {
 public:
  // TerminalSecureMessaging::create: from session keys; kInvalidArgument when a key or the SSC
  // has the wrong length for keys.alg.
  static Result<TerminalSecureMessaging> create(const SessionKeys& keys);

  // TerminalSecureMessaging::wrap_command: the protected form of `plain` (ISO/IEC 7816-4 §10,
  // ICAO 9303-11 §9.8): CLA | 0x0C (chaining and channel bits kept), DO87 (even INS) or DO85
  // (odd INS) with the encrypted data, DO97 with Ne (1 byte, 00 = 256; 2 bytes in extended
  // form, 0000 = 65536), DO8E with the MAC over SSC || padded header || DO85/87 || DO97; Le 00
  // (0000 extended). kInvalidArgument, before the SSC moves, when `plain` is already protected
  // (CLA has SM bits), is a PC/SC pseudo-APDU (CLA FF), needs extended length that `options`
  // does not allow, or exceeds options.max_command_data once protected.
  Result<apdu::CommandApdu> wrap_command(const apdu::CommandApdu& plain, const WrapOptions& options = {});

  // TerminalSecureMessaging::unwrap_response: verifies `response` (the card's answer to the
  // last wrapped command) and returns the plain response (decrypted data, the SW from DO99).
  // Checks, in order: SM objects present at all (a plain 6982/6988 or plain data while SM is
  // active is an error), their structure ([DO85|DO87] DO99 DO8E), the MAC over SSC || DO85/87
  // || DO99 with the incremented SSC, DO99 equal to the response SW, the DO87 indicator 01 and
  // the method-2 padding. Every failure is kSecureMessaging naming the fault (with the SW the
  // card sent); the SSC has moved regardless.
  Result<apdu::ResponseApdu> unwrap_response(const apdu::ResponseApdu& response);

  // TerminalSecureMessaging::ssc: the current send sequence counter (for tests and traces).
  ByteView ssc() const { return ssc_; }
  // TerminalSecureMessaging::suite: the keyed cipher suite.
  const CipherSuite& suite() const { return suite_; }

 private:
  TerminalSecureMessaging(CipherSuite suite, Bytes ssc);
  CipherSuite suite_;
  Bytes ssc_;
  Bytes scratch_;  // the protected command body under construction (reused)
};

// plaintext_caps: the largest plaintext command data (Nc) and response data (Ne) one protected
// APDU can carry for `alg` over a transport with `wrapped` caps. For short APDUs with AES this
// is 223 both ways; with 3DES 231 (see the arithmetic in terminal_sm.cpp).
apdu::TransportCaps plaintext_caps(const apdu::TransportCaps& wrapped, crypto::CipherAlg alg);

}  // namespace idtap::sm
