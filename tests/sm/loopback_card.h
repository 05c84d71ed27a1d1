// tests/sm/loopback_card.h: a minimal card for the secure messaging tests: it unwraps each
// protected command with CardSecureMessaging, lets the test answer the plain command, wraps the
// answer, and lets the test tamper with the wire bytes (the hostile-card table). Header only.
#pragma once

#include <array>
#include <functional>
#include <optional>
#include <utility>
#include <vector>

#include "idtap/apdu/transport.h"
#include "idtap/base/hex.h"
#include "idtap/sm/card_sm.h"
#include "idtap/sm/cipher_suite.h"

namespace idtap::test {

// Forger: builds protected responses with the card's keys and the SSC value the next response
// uses, so a test can write any object sequence with a valid MAC.
class Forger {
 public:
  Forger(sm::CipherSuite suite, Bytes next_ssc) : suite_(std::move(suite)), ssc_(std::move(next_ssc)) {}
  // seal: objects || 8E 08 MAC(SSC || objects) || SW.
  Bytes seal(ByteView objects, uint16_t sw) const {
    std::array<uint8_t, sm::kSmMacSize> mac;
    if (!suite_.mac(ssc_, objects, mac).ok()) return {};
    Bytes out = to_bytes(objects);
    out.push_back(0x8E);
    out.push_back(8);
    append(out, mac);
    out.push_back(static_cast<uint8_t>(sw >> 8));
    out.push_back(static_cast<uint8_t>(sw));
    return out;
  }
  // encrypt: `blocks` (a whole number of blocks, padded or not, as the test wants) encrypted
  // with the IV for the next SSC.
  Bytes encrypt(ByteView blocks) const {
    Bytes out = to_bytes(blocks);
    if (!suite_.encrypt(ssc_, out).ok()) return {};
    return out;
  }
  size_t block_size() const { return suite_.block_size(); }

 private:
  sm::CipherSuite suite_;
  Bytes ssc_;
};

class LoopbackCard : public apdu::Transport {
 public:
  using App = std::function<apdu::ResponseApdu(const apdu::CommandApdu&)>;
  // Tamper: gets the honest protected response (wire bytes) and a Forger; returns what the card
  // actually sends.
  using Tamper = std::function<Bytes(const Bytes& honest, const Forger& forger)>;

  LoopbackCard(const sm::SessionKeys& keys, App app) : keys_(keys), app_(std::move(app)) {
    card_.emplace(sm::CardSecureMessaging::create(keys).value());
  }

  // tamper_next: applies `t` to the next response only.
  void tamper_next(Tamper t) { tamper_ = std::move(t); }
  // fail_next: the next transmit fails with `e` (the card left the field).
  void fail_next(Error e) { fail_ = std::move(e); }
  // set_caps: what this "reader" can carry.
  void set_caps(apdu::TransportCaps caps) { caps_ = caps; }

  const std::vector<apdu::CommandApdu>& plain_commands() const { return plain_; }
  const std::vector<Bytes>& wire_commands() const { return wire_; }
  const std::vector<Bytes>& wire_responses() const { return responses_; }
  std::optional<Error> last_card_error() const { return card_error_; }

  Result<apdu::ResponseApdu> transmit(const apdu::CommandApdu& command) override {
    if (fail_) {
      Error e = *fail_;
      fail_.reset();
      return e;
    }
    wire_.push_back(command.encode().value());
    if (command.cla == 0xFF) return apdu::ResponseApdu{hex_or_die("04A1B2C3"), 0x9000};
    auto plain = card_->unwrap_command(command);
    if (!plain.ok()) {
      // A real card answers the SM error in plain and ends secure messaging.
      card_error_ = plain.error();
      return apdu::ResponseApdu{{}, plain.error().sw};
    }
    plain_.push_back(*plain);
    Bytes next_ssc = to_bytes(card_->ssc());
    sm::increment_ssc(next_ssc);
    auto wrapped = card_->wrap_response(app_(*plain));
    if (!wrapped.ok()) return wrapped.error();
    Bytes wire = wrapped->encode();
    if (tamper_) {
      Forger forger(sm::CipherSuite::create(keys_.alg, keys_.ks_enc, keys_.ks_mac).value(), next_ssc);
      wire = tamper_(wire, forger);
      tamper_ = nullptr;
    }
    responses_.push_back(wire);
    return apdu::ResponseApdu::parse(wire);
  }
  Bytes atr() const override { return hex_or_die("3B8080010101"); }
  apdu::TransportCaps capabilities() const override { return caps_; }
  Status close() override {
    closed_ = true;
    return ok_status();
  }
  std::string describe() const override { return "loopback"; }
  bool closed() const { return closed_; }

 private:
  sm::SessionKeys keys_;
  App app_;
  std::optional<sm::CardSecureMessaging> card_;
  Tamper tamper_;
  std::optional<Error> fail_;
  std::optional<Error> card_error_;
  apdu::TransportCaps caps_;
  std::vector<apdu::CommandApdu> plain_;
  std::vector<Bytes> wire_;
  std::vector<Bytes> responses_;
  bool closed_ = false;
};

// test_keys: fixed session keys for `alg` (not secret: tests only), SSC as given or zero.
inline sm::SessionKeys test_keys(crypto::CipherAlg alg, Bytes ssc = {}) {
  sm::SessionKeys k;
  k.alg = alg;
  const size_t n = crypto::key_size(alg);
  for (size_t i = 0; i < n; ++i) {
    k.ks_enc.push_back(static_cast<uint8_t>(0x10 + i));
    k.ks_mac.push_back(static_cast<uint8_t>(0xA0 + i));
  }
  k.ssc = ssc.empty() ? sm::zero_ssc(alg) : std::move(ssc);
  return k;
}

}  // namespace idtap::test
