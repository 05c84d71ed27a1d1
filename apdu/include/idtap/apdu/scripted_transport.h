// idtap/apdu/scripted_transport.h: a Transport that plays a predetermined conversation, for
// unit tests below the simulated card (after JMRTD's scripted card service).
#pragma once

#include <cstddef>
#include <deque>
#include <optional>
#include <string>
#include <vector>

#include "idtap/apdu/transport.h"

namespace idtap::apdu {

// ScriptedTransport: each step expects an exact command (wire bytes) and returns a canned
// response, or returns an error. A command that departs from the script, or a command after
// the script ends, fails the transmit with kInternal naming the step and both byte strings,
// and is recorded in mismatch(). Every command sent is recorded in sent().
class ScriptedTransport : public Transport {
 public:
  ScriptedTransport() = default;

  // ScriptedTransport::expect: the next step: `command` (hex, spaces allowed) answered with
  // `response` (hex, data then SW).
  ScriptedTransport& expect(std::string_view command_hex, std::string_view response_hex);
  // ScriptedTransport::expect_bytes: as expect(), with bytes.
  ScriptedTransport& expect_bytes(ByteView command, ByteView response);
  // ScriptedTransport::expect_any: the next step accepts any command and answers `response`.
  ScriptedTransport& expect_any(std::string_view response_hex);
  // ScriptedTransport::fail_next: the next step accepts any command and fails with `error`.
  ScriptedTransport& fail_next(Error error);

  Result<ResponseApdu> transmit(const CommandApdu& command) override;
  Bytes atr() const override { return atr_; }
  TransportCaps capabilities() const override { return caps_; }
  Status close() override { closed_ = true; return ok_status(); }
  std::string describe() const override { return "scripted"; }

  void set_atr(Bytes atr) { atr_ = std::move(atr); }
  void set_capabilities(TransportCaps caps) { caps_ = caps; }

  // ScriptedTransport::done: every step was used and nothing departed from the script.
  bool done() const { return steps_.empty() && !mismatch_; }
  // ScriptedTransport::remaining: steps not yet used.
  size_t remaining() const { return steps_.size(); }
  // ScriptedTransport::sent: the wire bytes of every command transmitted, in order.
  const std::vector<Bytes>& sent() const { return sent_; }
  // ScriptedTransport::mismatch: a description of the first departure, if any.
  const std::optional<std::string>& mismatch() const { return mismatch_; }

 private:
  struct Step {
    std::optional<Bytes> command;  // nullopt: any command
    Bytes response;
    std::optional<Error> error;
  };
  std::deque<Step> steps_;
  std::vector<Bytes> sent_;
  std::optional<std::string> mismatch_;
  Bytes atr_;
  TransportCaps caps_;
  bool closed_ = false;
  size_t step_index_ = 0;
};

}  // namespace idtap::apdu
