// idtap/sm/secure_channel.h: secure messaging as a Transport that wraps a Transport (ICAO
// 9303-11 §9.8, ISO/IEC 7816-4 §10). BAC, PACE and Chip Authentication produce SessionKeys;
// SecureChannel::create turns them into a transport every later command goes through.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>

#include "idtap/apdu/transport.h"
#include "idtap/base/result.h"
#include "idtap/sm/cipher_suite.h"
#include "idtap/sm/terminal_sm.h"

namespace idtap::sm {

// SecureChannel: protects every command and verifies every response on the wrapped transport.
//
// Ownership. Two forms, chosen at creation:
//  - borrowing, create(Transport&, ...): the channel holds a reference; the wrapped transport
//    must outlive the channel. This is what the access-control protocols return (they run over
//    a Transport& they do not own), and the caller keeps the driver.
//  - owning, create(std::unique_ptr<Transport>, ...): the channel owns the wrapped transport
//    and destroys it with itself (and closes it in close()).
//
// Failure. Any secure messaging error (bad MAC, missing DO99, DO99 disagreeing with the SW, bad
// padding, a plain response while SM is active, ...) fails that transmit with kSecureMessaging,
// and so does a transport error on the wrapped transport (with its own code, e.g.
// kCardRemoved): after either the SSC is out of step with the card, so the channel is dead and
// every later transmit fails with kState "secure channel closed after <first error>". There is
// no silent reuse. Run access control again on the wrapped transport to continue.
//
// Reader pseudo-APDUs (CLA FF, PC/SC part 3: FF CA for the UID) never reach the card and pass
// through unprotected. Not thread-safe: one session uses it at a time.
class SecureChannel : public apdu::Transport {
 public:
  // SecureChannel::create (borrowing): a channel over `wrapped` with `keys`. kInvalidArgument
  // when a key or the SSC has the wrong length for keys.alg; kInternal if OpenSSL fails.
  static Result<std::unique_ptr<SecureChannel>> create(apdu::Transport& wrapped, const SessionKeys& keys);
  // SecureChannel::create (owning): as above, taking ownership of `wrapped`; on failure
  // `wrapped` is destroyed with the argument.
  static Result<std::unique_ptr<SecureChannel>> create(std::unique_ptr<apdu::Transport> wrapped,
                                                       const SessionKeys& keys);
  ~SecureChannel() override;

  // SecureChannel::transmit: wraps `command`, sends it (following 61xx with plain GET RESPONSE,
  // which is part of the transport), verifies and unwraps the answer. The returned response is
  // the plain one (any SW; a card error SW inside a valid protected response is a successful
  // transmit). Errors as described for the class; kInvalidArgument (channel still open) for a
  // command that cannot be protected (too long for the reader, already SM-marked).
  Result<apdu::ResponseApdu> transmit(const apdu::CommandApdu& command) override;
  // SecureChannel::atr: the wrapped transport's ATR.
  Bytes atr() const override;
  // SecureChannel::capabilities: the largest plaintext Nc / Ne per protected APDU, derived from
  // the wrapped transport's caps (plaintext_caps): 223 / 223 with AES on short APDUs.
  apdu::TransportCaps capabilities() const override;
  // SecureChannel::reconnect: reconnects the wrapped transport; a fresh card session has no
  // secure messaging, so the channel is closed afterwards (whatever the result).
  Status reconnect(std::chrono::milliseconds timeout) override;
  // SecureChannel::close: closes the channel; in the owning form also closes the wrapped
  // transport (the borrowing form leaves it to its owner). Idempotent.
  Status close() override;
  // SecureChannel::describe: "sm(AES-128) over <wrapped>".
  std::string describe() const override;

  // SecureChannel::rekey: restarts secure messaging with new keys and SSC (Chip Authentication:
  // new keys, SSC 0) on the same wrapped transport. kState if the channel is already closed;
  // kInvalidArgument on bad key or SSC lengths (the channel then stays as it was).
  Status rekey(const SessionKeys& keys);

  // SecureChannel::is_open: false once closed or killed by an error.
  bool is_open() const { return !closed_reason_.has_value(); }
  // SecureChannel::closed_reason: why the channel closed (empty while open).
  std::string closed_reason() const { return closed_reason_.value_or(""); }
  // SecureChannel::alg: the session's cipher.
  crypto::CipherAlg alg() const { return sm_.suite().alg(); }
  // SecureChannel::ssc: the current send sequence counter (tests, traces).
  ByteView ssc() const { return sm_.ssc(); }

 private:
  SecureChannel(apdu::Transport& wrapped, std::unique_ptr<apdu::Transport> owned, TerminalSecureMessaging sm);
  Error kill(Error error);

  apdu::Transport& wrapped_;
  std::unique_ptr<apdu::Transport> owned_;
  TerminalSecureMessaging sm_;
  std::optional<std::string> closed_reason_;
};

}  // namespace idtap::sm
