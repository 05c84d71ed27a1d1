// idtap/apdu/transport.h: the interface every driver (PC/SC, libnfc, simulated card) and every
// decorator (secure messaging, tracing) implements.
#pragma once

#include <chrono>
#include <cstddef>
#include <string>

#include "idtap/apdu/command.h"
#include "idtap/apdu/response.h"
#include "idtap/base/bytes.h"
#include "idtap/base/result.h"

namespace idtap::apdu {

// TransportCaps: what one exchange can carry. Sizes are of plaintext data fields: for a bare
// transport, of the APDU; for a secure channel, of what fits once wrapped.
struct TransportCaps {
  size_t max_command_data = 255;   // largest Nc it can send
  size_t max_response_data = 256;  // largest Ne it can receive
  bool extended_length = false;    // extended-length APDUs can be sent
};

// Transport: sends command APDUs to one card and returns its responses. Not thread-safe: one
// session uses it at a time. Implementations own their device handle and release it in close()
// or the destructor.
class Transport {
 public:
  virtual ~Transport() = default;

  // Transport::transmit: sends `command`, returns the card's response whatever its SW (a card
  // error SW is a successful transmit). Fails with kCardRemoved, kDeviceGone, kTransport,
  // kTimeout, kSecureMessaging (decorators), never with kCardStatus.
  virtual Result<ResponseApdu> transmit(const CommandApdu& command) = 0;

  // Transport::atr: the card's ATR (PC/SC part 3 synthesized ATR for contactless cards); empty
  // when unknown.
  virtual Bytes atr() const = 0;

  // Transport::capabilities: the sizes this transport can carry now (may shrink after an
  // extended-length fallback).
  virtual TransportCaps capabilities() const = 0;

  // Transport::reconnect: waits up to `timeout` for the card to be back in the field and powers
  // it up again (a fresh card session: no secure messaging, nothing selected). kNotSupported
  // when the transport cannot, kTimeout when the card did not return, kCancelled if cancelled.
  virtual Status reconnect(std::chrono::milliseconds timeout) {
    (void)timeout;
    return make_error(ErrorCode::kNotSupported, "this transport cannot reconnect");
  }

  // Transport::close: releases the card; further transmits fail with kState. Idempotent.
  virtual Status close() = 0;

  // Transport::describe: a short human name ("pcsc:ACS ACR122U 00 00", "sim:/tmp/card").
  virtual std::string describe() const = 0;
};

}  // namespace idtap::apdu
