// The read session when the card or the reader misbehaves: the card leaving the field at every
// APDU (the chip proved again on return), the reader unplugged, sizes refused under secure
// messaging, a card swapped while out of the field, sessions that cannot be opened again, and
// timeouts, resets and link errors during the chip's proofs.
#include "idtap/reader/session.h"

#include <doctest/doctest.h>

#include <atomic>
#include <map>

#include "idtap/apdu/tlv.h"
#include "idtap/auth/active_auth.h"
#include "idtap/reader/photo.h"
#include "idtap/sim/personalize.h"
#include "idtap/sim/sim_transport.h"
#include "reader/read_requests.h"
#include "reader/session_fixture.h"
#include "support/test_card.h"

using namespace idtap;
using namespace idtap::reader;
using idtap::test::can_request;
using idtap::test::mrz_request;

using namespace idtap::test::session;

namespace {

// GoneAfter: the reader behind `inner` disappears after `n` APDUs: every later exchange, and
// every reconnect, fails with kDeviceGone (as the nfc and pcsc transports report an unplugged
// reader).
class GoneAfter final : public apdu::Transport {
 public:
  GoneAfter(apdu::Transport& inner, size_t n) : inner_(inner), left_(n) {}
  Result<apdu::ResponseApdu> transmit(const apdu::CommandApdu& command) override {
    if (left_ == 0) return make_error(ErrorCode::kDeviceGone, "the reader is gone");
    --left_;
    return inner_.transmit(command);
  }
  Bytes atr() const override { return inner_.atr(); }
  apdu::TransportCaps capabilities() const override { return inner_.capabilities(); }
  Status reconnect(std::chrono::milliseconds timeout) override {
    if (left_ == 0) return make_error(ErrorCode::kDeviceGone, "the reader is gone");
    return inner_.reconnect(timeout);
  }
  Status close() override { return inner_.close(); }
  std::string describe() const override { return "gone-after:" + inner_.describe(); }

 private:
  apdu::Transport& inner_;
  size_t left_;
};

}  // namespace

TEST_CASE("the reader disappearing at every APDU of a full read: always kDeviceGone, never a failed chip check") {
  Fixture f(test::TestCardOptions{.quirks = sim::CardQuirks{.extended_length = false, .max_response = 223}});
  const size_t total = undisturbed_apdus(f.card.image, f.card.image.config.quirks, can_request(&f.trust), true);
  for (size_t n = 0; n < total; ++n) {
    CAPTURE(n);
    auto card = f.open();
    GoneAfter gone(*card, n);
    auto r = read_card(gone, can_request(&f.trust));
    // Chip and Active Authentication included (the last APDUs): a lost reader says nothing about
    // the chip, so it is the read's error, not a "failed" check that would suggest a clone.
    REQUIRE_FALSE(r.ok());
    CHECK_MESSAGE(r.error().code == ErrorCode::kDeviceGone, r.error().message());
  }
}

// ---------------------------------------------------------------------------------------------
// The chip proof across card sessions, and the read-size ladder under secure messaging.

TEST_CASE("a cloned chip that leaves the field at any APDU is never genuine (CA proved again on return)") {
  // The clone holds copied, correctly signed data but its own chip keys. Leaving right after CA
  // (before a protected response could expose it) must not let it pass: CA is run again on the
  // new card session and confirmed by the next protected response.
  Fixture f(test::TestCardOptions{.pace = false});
  const sim::CardQuirks clone{.extended_length = false, .max_response = 223, .cloned_chip = true};
  every_removal(f.card.image, clone, mrz_request(&f.trust), false, [&](const ReadResult& r, size_t) {
    CHECK(r.verification.passive == auth::PassiveStatus::kValid);
    CHECK(r.verification.chip.state == CheckState::kFailed);
    CHECK_FALSE(r.verification.genuine);
    check_identity(r);
  });
}

TEST_CASE("a PACE-CAM clone that leaves the field at any APDU is never genuine (CAM checked again on return)") {
  sim::PersonalizeOptions o;
  o.pace_mapping = sim::PaceMapping::kChipAuthentication;
  o.cloned = true;
  o.quirks.extended_length = false;
  o.quirks.max_response = 223;
  Personalized p = personalized(o);
  every_removal(p.card.image, p.card.image.config.quirks, can_request(&p.trust), false, [&](const ReadResult& r, size_t) {
    CHECK(r.verification.chip.state == CheckState::kFailed);
    CHECK_FALSE(r.verification.genuine);
  });
}

TEST_CASE("a genuine card leaving at any APDU: every read completes, genuine, with the chip proved again") {
  Fixture f(test::TestCardOptions{.pace = false});
  const sim::CardQuirks small{.extended_length = false, .max_response = 223};
  every_removal(f.card.image, small, mrz_request(&f.trust), true, [&](const ReadResult& r, size_t undisturbed) {
    CHECK(r.stats.recoveries == 1);  // one card session: the removal always hit the read
    CHECK(r.verification.genuine);
    CHECK(r.verification.chip.state == CheckState::kPassed);
    CHECK(r.verification.active.state == CheckState::kPassed);
    check_identity(r);
    for (const auto& [dg, rec] : r.data_groups) CHECK(rec.raw == f.card.image.files.data_groups.at(dg));
    // Resumed, not restarted: access control (and CA) again, then the rest of the interrupted
    // file, so a recovery costs a handful of APDUs, not a whole second read.
    CHECK(r.stats.apdus < undisturbed + 12);
  });
}

namespace {

// RefusesSize: a reader (or card) between the session and the simulated card that refuses
// READ BINARY responses larger than `max_ne` under secure messaging, as a transport error (a
// reader that cannot carry the frame) or as a plain status word (a card that rejects the size
// before secure messaging and so ends it). The protected command's Le is in DO 97 (ICAO 9303-11
// §9.8.4), in the clear.
class RefusesSize final : public apdu::Transport {
 public:
  enum class Mode { kTransportError, kPlain6700, kPlain6B00 };
  RefusesSize(apdu::Transport& inner, size_t max_ne, Mode mode) : inner_(inner), max_ne_(max_ne), mode_(mode) {}
  Result<apdu::ResponseApdu> transmit(const apdu::CommandApdu& command) override {
    if ((command.cla & 0x0C) == 0x0C && (command.ins == 0xB0 || command.ins == 0xB1)) {
      size_t ne = 0;
      apdu::TlvReader tlv(command.data);
      while (!tlv.empty()) {
        auto t = tlv.next();
        if (!t.ok()) break;
        if (t->tag != 0x97) continue;
        for (uint8_t b : t->value) ne = ne << 8 | b;
        if (ne == 0) ne = t->value.size() == 1 ? 256 : 65536;
      }
      if (ne > max_ne_) {
        ++refusals;
        if (mode_ == Mode::kTransportError) return make_error(ErrorCode::kTransport, "the reader cannot carry this frame");
        return apdu::ResponseApdu{{}, static_cast<uint16_t>(mode_ == Mode::kPlain6700 ? 0x6700 : 0x6B00)};
      }
    }
    return inner_.transmit(command);
  }
  Bytes atr() const override { return inner_.atr(); }
  apdu::TransportCaps capabilities() const override { return inner_.capabilities(); }
  Status reconnect(std::chrono::milliseconds timeout) override { return inner_.reconnect(timeout); }
  Status close() override { return inner_.close(); }
  std::string describe() const override { return "refuses-size:" + inner_.describe(); }
  size_t refusals = 0;

 private:
  apdu::Transport& inner_;
  size_t max_ne_;
  Mode mode_;
};

}  // namespace

TEST_CASE("a size refused under secure messaging steps down the ladder on a fresh session, keeping the chip proof") {
  struct Case {
    RefusesSize::Mode mode;
    size_t max_ne;
    size_t expected_chunk;
    const char* why;
  } cases[] = {
      {RefusesSize::Mode::kTransportError, 256, 223, "a reader that fails extended frames"},
      {RefusesSize::Mode::kPlain6700, 256, 223, "a card that answers plain 6700 to extended Le"},
      {RefusesSize::Mode::kPlain6B00, 256, 223, "a card that answers plain 6B00 to extended Le"},
      {RefusesSize::Mode::kPlain6700, 200, 160, "a card that takes no more than 200 bytes"},
      {RefusesSize::Mode::kTransportError, 150, 112, "a reader that carries no more than 150 bytes"},
  };
  for (bool pace : {false, true}) {
    Fixture f(test::TestCardOptions{.pace = pace});
    for (const Case& c : cases) {
      INFO(c.why);
      CAPTURE(pace);
      auto card = f.open();
      RefusesSize refusing(*card, c.max_ne, c.mode);
      ReadRequest req = pace ? can_request(&f.trust) : mrz_request(&f.trust);
      auto r = read_card(refusing, req);
      REQUIRE_MESSAGE(r.ok(), (r.ok() ? std::string() : r.error().message()));
      CHECK(refusing.refusals >= 1);
      CHECK(r->stats.chunk_size == c.expected_chunk);  // kept for the session
      CHECK(r->stats.recoveries == 0);                 // not a card removal
      CHECK(r->verification.chip.state == CheckState::kPassed);
      CHECK(r->verification.genuine);
      check_identity(*r);
      for (const auto& [dg, rec] : r->data_groups) CHECK(rec.raw == f.card.image.files.data_groups.at(dg));
    }
  }
}


namespace {

// SwapOnReturn: the card in the field until the first removal is `first`; the one that comes
// back is `second` (same printed data, so the same CAN/MRZ opens it). A relay or a quick swap
// must not let the second card ride on the first one's chip proof.
class SwapOnReturn final : public apdu::Transport {
 public:
  SwapOnReturn(apdu::Transport& first, apdu::Transport& second) : current_(&first), second_(second) {}
  Result<apdu::ResponseApdu> transmit(const apdu::CommandApdu& command) override { return current_->transmit(command); }
  Bytes atr() const override { return current_->atr(); }
  apdu::TransportCaps capabilities() const override { return current_->capabilities(); }
  Status reconnect(std::chrono::milliseconds) override {
    current_ = &second_;
    ++swaps;
    return ok_status();
  }
  Status close() override { return current_->close(); }
  std::string describe() const override { return "swap:" + current_->describe(); }
  size_t swaps = 0;

 private:
  apdu::Transport* current_;
  apdu::Transport& second_;
};

}  // namespace

// swap_at_every_apdu: the genuine card leaves after n APDUs and a clone of it comes back, for
// every n of a full read; each read must complete (the clone opens with the same key) and none
// may be genuine.
void swap_at_every_apdu(const sim::CardImage& image, sim::CardQuirks quirks, const ReadRequest& req) {
  const size_t total = undisturbed_apdus(image, quirks, req, true);
  for (size_t n = 1; n < total; ++n) {
    CAPTURE(n);
    sim::CardQuirks leaving = quirks;
    leaving.leave_after = n;
    sim::CardQuirks cloned = quirks;
    cloned.cloned_chip = true;
    auto first = sim::open_sim_card_image(image, sim::SimOptions{.quirks = leaving});
    auto second = sim::open_sim_card_image(image, sim::SimOptions{.quirks = cloned});
    REQUIRE((first.ok() && second.ok()));
    SwapOnReturn swap(**first, **second);
    auto r = read_card(swap, req);
    REQUIRE_MESSAGE(r.ok(), (r.ok() ? std::string() : r.error().message()));
    REQUIRE(swap.swaps >= 1);  // more when a failed CA reset the clone
    CHECK(r->verification.chip.state == CheckState::kFailed);
    CHECK_FALSE(r->verification.genuine);
  }
}

TEST_CASE("a genuine card swapped for a clone while out of the field is not genuine") {
  const sim::CardQuirks small{.extended_length = false, .max_response = 223};
  SUBCASE("BAC with CA v1: CA runs again on the card that came back") {
    Fixture f(test::TestCardOptions{.pace = false});
    swap_at_every_apdu(f.card.image, small, mrz_request(&f.trust));
  }
  SUBCASE("PACE-CAM: the returning card's CAM proof is checked against the same key") {
    sim::PersonalizeOptions o;
    o.pace_mapping = sim::PaceMapping::kChipAuthentication;
    o.aa_key = sim::AaKeyType::kNone;  // the chip proof rests on CAM alone
    Personalized p = personalized(o);
    swap_at_every_apdu(p.card.image, small, can_request(&p.trust));
  }
}

TEST_CASE("a card that refuses Active Authentication is not failed by it, even when it left the field during it") {
  // DG15 is there but the chip has no AA key: INTERNAL AUTHENTICATE gets 6D00 under secure
  // messaging. That response's MAC verified, so it also confirms a CA run again after a removal.
  Fixture f(test::TestCardOptions{.pace = false});
  f.card.image.chip.aa_key_pem = SecureBytes{};
  const sim::CardQuirks small{.extended_length = false, .max_response = 223};
  {
    auto card = f.open(sim::SimOptions{.quirks = small});
    auto r = read_card(*card, mrz_request(&f.trust));
    REQUIRE(r.ok());
    CHECK(r->verification.active.state == CheckState::kNotSupported);
    CHECK(r->verification.chip.state == CheckState::kPassed);
  }
  every_removal(f.card.image, small, mrz_request(&f.trust), true, [&](const ReadResult& r, size_t) {
    CHECK(r.verification.active.state == CheckState::kNotSupported);
    CHECK_MESSAGE(r.verification.chip.state == CheckState::kPassed, r.verification.chip.detail);
    CHECK(r.verification.genuine);
  });
}

namespace {

// TrapAfterCa: beneath secure messaging, answers the first protected READ BINARY after Chip
// Authentication's GENERAL AUTHENTICATE with a plain 6700 (which ends secure messaging and makes
// the reader step its size down on a fresh session), then answers the first command of that
// fresh session with 6A80, so access control cannot be repeated. A clone would do this to dodge
// the first response that must verify under the CA keys.
class TrapAfterCa final : public apdu::Transport {
 public:
  explicit TrapAfterCa(apdu::Transport& inner) : inner_(inner) {}
  Result<apdu::ResponseApdu> transmit(const apdu::CommandApdu& command) override {
    const bool is_protected = (command.cla & 0x0C) == 0x0C;
    if (reconnected_ && !trapped_open_) {
      trapped_open_ = true;
      return apdu::ResponseApdu{{}, 0x6A80};
    }
    if (is_protected && command.ins == 0x86) after_ca_ = true;  // CA's GENERAL AUTHENTICATE (AES)
    if (after_ca_ && !refused_ && is_protected && (command.ins == 0xB0 || command.ins == 0xB1)) {
      refused_ = true;
      return apdu::ResponseApdu{{}, 0x6700};
    }
    return inner_.transmit(command);
  }
  Bytes atr() const override { return inner_.atr(); }
  apdu::TransportCaps capabilities() const override { return inner_.capabilities(); }
  Status reconnect(std::chrono::milliseconds timeout) override {
    if (refused_) reconnected_ = true;
    return inner_.reconnect(timeout);
  }
  Status close() override { return inner_.close(); }
  std::string describe() const override { return "trap:" + inner_.describe(); }
  bool trapped_open_ = false;

 private:
  apdu::Transport& inner_;
  bool after_ca_ = false, refused_ = false, reconnected_ = false;
};

}  // namespace

TEST_CASE("a card session that cannot be opened again ends the read: no status word counts as the chip's proof") {
  // Before the fix the failed re-open's status word confirmed CA, and the read went on over a
  // null channel (a crash).
  for (bool cloned : {false, true}) {
    CAPTURE(cloned);
    Fixture f(test::TestCardOptions{.pace = false, .quirks = sim::CardQuirks{.cloned_chip = cloned}});
    auto card = f.open();
    TrapAfterCa trap(*card);
    auto r = read_card(trap, mrz_request(&f.trust));
    REQUIRE(trap.trapped_open_);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code == ErrorCode::kCardStatus);
    CHECK(r.error().message().find("could not be opened again") != std::string::npos);
  }
}


namespace {

// FailOn: beneath secure messaging, fails protected commands with instruction `ins` with
// `code` (a timeout, a reset by another program, a reader link error) the first `times` times,
// as the PC/SC and libnfc transports report them; everything else goes through.
class FailOn final : public apdu::Transport {
 public:
  FailOn(apdu::Transport& inner, uint8_t ins, ErrorCode code, size_t times) : inner_(inner), ins_(ins), code_(code), left_(times) {}
  Result<apdu::ResponseApdu> transmit(const apdu::CommandApdu& command) override {
    if ((command.cla & 0x0C) == 0x0C && command.ins == ins_ && left_ > 0) {
      --left_;
      ++failures;
      return make_error(code_, "injected failure");
    }
    return inner_.transmit(command);
  }
  Bytes atr() const override { return inner_.atr(); }
  apdu::TransportCaps capabilities() const override { return inner_.capabilities(); }
  Status reconnect(std::chrono::milliseconds timeout) override { return inner_.reconnect(timeout); }
  Status close() override { return inner_.close(); }
  std::string describe() const override { return "fail-on:" + inner_.describe(); }
  size_t failures = 0;

 private:
  apdu::Transport& inner_;
  uint8_t ins_;
  ErrorCode code_;
  size_t left_;
};

}  // namespace

TEST_CASE("a timeout, a reset or a link error during Chip or Active Authentication is never a failed check") {
  // Such a failure says nothing about the chip: once, the check runs again on a fresh session
  // and the card reads genuine; for good, the read ends with the transport's error, never with
  // a "failed" check that would suggest a clone.
  struct Case {
    uint8_t ins;     // 0x86: CA's GENERAL AUTHENTICATE (AES), 0x88: INTERNAL AUTHENTICATE (AA)
    ErrorCode code;
    size_t times;
    bool completes;
    const char* why;
  } cases[] = {
      {0x86, ErrorCode::kTimeout, 1, true, "CA times out once"},
      {0x86, ErrorCode::kCardReset, 1, true, "another program resets the card during CA"},
      {0x88, ErrorCode::kTimeout, 1, true, "AA times out once"},
      {0x88, ErrorCode::kTransport, 1, true, "a reader link error during AA"},
      {0x88, ErrorCode::kCardReset, 2, true, "the card is reset twice during AA (each a recovery)"},
      {0x86, ErrorCode::kTimeout, 5, false, "CA keeps timing out"},
      {0x88, ErrorCode::kTransport, 5, false, "AA keeps failing on the link"},
  };
  Fixture f(test::TestCardOptions{.pace = false});
  for (const Case& c : cases) {
    INFO(std::string(c.why));
    auto card = f.open();
    FailOn failing(*card, c.ins, c.code, c.times);
    auto r = read_card(failing, mrz_request(&f.trust));
    CHECK(failing.failures >= 1);
    if (c.completes) {
      REQUIRE_MESSAGE(r.ok(), (r.ok() ? std::string() : r.error().message()));
      CHECK(r->verification.chip.state == CheckState::kPassed);
      CHECK(r->verification.active.state == CheckState::kPassed);
      CHECK(r->verification.genuine);
    } else {
      REQUIRE_FALSE(r.ok());
      CHECK(r.error().code == c.code);
    }
  }
}
