// tests/auth/pace_chip_transport.h: an in-process card for the PACE tests and the benchmark: a
// Transport whose card side is auth::PaceChip, then card-side secure messaging that answers
// every protected command with a fixed response. Header only.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "idtap/apdu/transport.h"
#include "idtap/auth/pace_chip.h"
#include "idtap/sm/card_sm.h"

namespace idtap::testing {

class PaceChipTransport : public apdu::Transport {
 public:
  explicit PaceChipTransport(auth::PaceChipConfig config) : chip_(std::move(config)) {}

  // rewrite: lets a test change the chip's plain answer to a command (e.g. an MSE:Set AT
  // warning 63C2) before the terminal sees it.
  std::function<void(const apdu::CommandApdu&, apdu::ResponseApdu&)> rewrite;
  // protected_reply: the plain answer to every command sent under secure messaging.
  apdu::ResponseApdu protected_reply{{0x60, 0x14, 0x5F, 0x01}, 0x9000};

  Result<apdu::ResponseApdu> transmit(const apdu::CommandApdu& command) override {
    ++commands_;
    if (sm_ && command.is_secure_messaging()) {
      auto plain = sm_->unwrap_command(command);
      if (!plain.ok()) {
        sm_.reset();
        return apdu::ResponseApdu{{}, plain.error().sw};
      }
      last_plain_ = *plain;
      return sm_->wrap_response(protected_reply);
    }
    sm_.reset();  // a plain command ends secure messaging (ICAO 9303-11 §9.8.3)
    if (!auth::PaceChip::handles(command)) return apdu::ResponseApdu{{}, 0x6D00};
    apdu::ResponseApdu rsp = chip_.process(command);
    if (rewrite) rewrite(command, rsp);
    if (chip_.outcome() == auth::PaceChipOutcome::kEstablished) {
      if (auto keys = chip_.take_session_keys()) {
        auto sm = sm::CardSecureMessaging::create(*keys);
        if (sm.ok()) sm_.emplace(std::move(*sm));
      }
    }
    return rsp;
  }
  Bytes atr() const override { return {}; }
  apdu::TransportCaps capabilities() const override { return caps_; }
  Status close() override { return ok_status(); }
  std::string describe() const override { return "pace-chip"; }

  void set_capabilities(apdu::TransportCaps caps) { caps_ = caps; }
  const auth::PaceChip& chip() const { return chip_; }
  bool secure_messaging() const { return sm_.has_value(); }
  const std::optional<apdu::CommandApdu>& last_plain_command() const { return last_plain_; }
  int commands() const { return commands_; }

 private:
  auth::PaceChip chip_;
  std::optional<sm::CardSecureMessaging> sm_;
  std::optional<apdu::CommandApdu> last_plain_;
  apdu::TransportCaps caps_;
  int commands_ = 0;
};

}  // namespace idtap::testing
