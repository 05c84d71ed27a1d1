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
#include "support/test_card.h"

using namespace idtap;
using namespace idtap::reader;
using idtap::test::can_request;
using idtap::test::mrz_request;

namespace {

struct Fixture {
  test::TestCard card;
  auth::TrustStore trust;
  explicit Fixture(const test::TestCardOptions& options = {}) : card(test::make_test_card(options)) {
    REQUIRE(trust.add_certificates(bytes_of(card.csca_pem), "test csca").ok());
  }
  std::unique_ptr<sim::SimTransport> open(const sim::SimOptions& options = {}) {
    auto t = sim::open_sim_card_image(card.image, options);
    REQUIRE(t.ok());
    return std::move(t).value();
  }
};

void check_identity(const ReadResult& r) {
  REQUIRE(r.dg1.has_value());
  CHECK(r.dg1->mrz.document_number == test::kCardDocumentNumber);
  CHECK(r.dg1->mrz.primary_identifier == "HONG");
  CHECK(r.dg1->mrz.secondary_identifier == "GILDONG");
  REQUIRE(r.dg11.has_value());
  CHECK(*r.dg11->dg11.full_name == "홍<<길동");
  CHECK(r.dg11->dg11.personal_number->masked() == "900101-1******");
  REQUIRE(r.dg2.has_value());
  CHECK(r.dg2->images().size() == 1);
}

// undisturbed_apdus: the APDUs a full read of `image` (with `quirks`, no removal) takes, after
// checking that it reads and is genuine or not as `genuine` says: the range removal tests walk.
size_t undisturbed_apdus(const sim::CardImage& image, const sim::CardQuirks& quirks, const ReadRequest& req, bool genuine) {
  auto card = sim::open_sim_card_image(image, sim::SimOptions{.quirks = quirks});
  REQUIRE(card.ok());
  auto r = read_card(**card, req);
  REQUIRE_MESSAGE(r.ok(), (r.ok() ? std::string() : r.error().message()));
  REQUIRE(r->verification.genuine == genuine);
  REQUIRE(r->stats.apdus > 20);
  return r->stats.apdus;
}

// every_removal: reads `image` with `quirks` and the card leaving the field after n APDUs, for
// every n of a full read; the card always comes back, so every read must complete (never an
// access error, which would say "wrong key"); `check` sees each. Returns how many completed.
template <class Check>
size_t every_removal(const sim::CardImage& image, const sim::CardQuirks& quirks, const ReadRequest& req, bool genuine, Check check) {
  const size_t total = undisturbed_apdus(image, quirks, req, genuine);
  size_t completed = 0;
  for (size_t n = 1; n < total; ++n) {
    CAPTURE(n);
    sim::CardQuirks leaving = quirks;
    leaving.leave_after = n;
    auto card = sim::open_sim_card_image(image, sim::SimOptions{.quirks = leaving});
    REQUIRE(card.ok());
    auto r = read_card(**card, req);
    REQUIRE_MESSAGE(r.ok(), (r.ok() ? std::string() : r.error().message()));
    ++completed;
    check(*r, total);
  }
  CHECK(completed == total - 1);
  return completed;
}

}  // namespace

TEST_CASE("BAC card: a full read is genuine with CA and AA, every data group verified") {
  Fixture f(test::TestCardOptions{.pace = false});
  auto card = f.open();
  auto r = read_card(*card, mrz_request(&f.trust));
  REQUIRE(r.ok());
  check_identity(*r);
  const Verification& v = r->verification;
  CHECK(v.access == "BAC");
  CHECK(v.passive == auth::PassiveStatus::kValid);
  CHECK(v.chip.state == CheckState::kPassed);
  CHECK(v.chip.method.find("id-CA-ECDH-AES-CBC-CMAC-128") != std::string::npos);
  CHECK(v.active.state == CheckState::kPassed);
  CHECK(v.genuine);
  for (int n : {1, 2, 11, 12, 14, 15}) {
    CAPTURE(n);
    REQUIRE(r->data_groups.count(n));
    CHECK(r->data_groups.at(n).hash_ok == std::optional<bool>(true));
    CHECK(r->data_groups.at(n).raw == f.card.image.files.data_groups.at(n));  // raw bytes as read
  }
  CHECK(r->ef_sod->raw == *f.card.image.files.sod);
  CHECK(v.unsigned_data_groups.empty());
  CHECK(r->stats.apdus > 0);
  CHECK(r->stats.bytes_received > f.card.image.files.data_groups.at(2).size());
}

TEST_CASE("verdicts that are not genuine") {
  SUBCASE("a data group altered after signing is never decoded and fails passive authentication") {
    Fixture f(test::TestCardOptions{.pace = false, .tamper_dg = 11});
    auto card = f.open();
    auto r = read_card(*card, mrz_request(&f.trust));
    REQUIRE(r.ok());
    CHECK(r->data_groups.at(11).hash_ok == std::optional<bool>(false));
    CHECK_FALSE(r->dg11.has_value());
    CHECK(r->dg1.has_value());
    CHECK(r->verification.passive == auth::PassiveStatus::kInvalid);
    CHECK(r->verification.passive_reason.find("DG11") != std::string::npos);
    CHECK_FALSE(r->verification.genuine);
  }
  SUBCASE("no trust anchor") {
    Fixture f(test::TestCardOptions{.pace = false});
    auto card = f.open();
    auto r = read_card(*card, mrz_request(nullptr));
    REQUIRE(r.ok());
    CHECK(r->verification.passive == auth::PassiveStatus::kNoTrustAnchor);
    CHECK(r->verification.chip.state == CheckState::kPassed);
    CHECK_FALSE(r->verification.genuine);
  }
  SUBCASE("a cloned chip: genuine data, another chip key") {
    Fixture f(test::TestCardOptions{.pace = false, .quirks = sim::CardQuirks{.cloned_chip = true}});
    auto card = f.open();
    auto r = read_card(*card, mrz_request(&f.trust));
    REQUIRE(r.ok());
    CHECK(r->verification.passive == auth::PassiveStatus::kValid);
    CHECK(r->verification.chip.state == CheckState::kFailed);
    CHECK(r->verification.active.state == CheckState::kFailed);
    CHECK_FALSE(r->verification.genuine);
    check_identity(*r);  // the data is still read (over a fresh session)
  }
}

TEST_CASE("a wrong MRZ is an access error, never retried") {
  Fixture f(test::TestCardOptions{.pace = false});
  auto card = f.open();
  ReadRequest req = mrz_request(&f.trust);
  req.mrz = auth::MrzKey::from_fields(test::kCardDocumentNumber, "900102", test::kCardDateOfExpiry).value();
  auto r = read_card(*card, req);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code == ErrorCode::kAuthFailed);
  ReadRequest none;
  CHECK(read_card(*card, none).error().code == ErrorCode::kInvalidArgument);
}

TEST_CASE("reads size themselves to the card: no extended length, small responses") {
  for (size_t max : {size_t(223), size_t(160), size_t(112)}) {
    CAPTURE(max);
    Fixture f(test::TestCardOptions{.pace = false, .quirks = sim::CardQuirks{.extended_length = false, .max_response = max}});
    auto card = f.open();
    auto r = read_card(*card, mrz_request(&f.trust));
    REQUIRE(r.ok());
    CHECK(r->verification.genuine);
    CHECK(r->stats.chunk_size <= max);
    check_identity(*r);
  }
}

TEST_CASE("with extended length the whole profile takes few APDUs after access control") {
  Fixture f(test::TestCardOptions{.pace = false});
  auto card = f.open();
  auto r = read_card(*card, mrz_request(&f.trust));
  REQUIRE(r.ok());
  // EF.SOD, DG14, CA (MSE + GA), EF.COM, DG1, DG2, DG11, DG12, DG15, AA.
  CHECK(r->stats.apdus_after_access <= 12);
}

// Cards made by the production personalization (idtap sim personalize), in every PACE profile.
namespace {

struct Personalized {
  sim::PersonalizedCard card;
  auth::TrustStore trust;
};

Personalized personalized(const sim::PersonalizeOptions& options) {
  auto made = sim::personalize_card(options);
  REQUIRE_MESSAGE(made.ok(), (made.ok() ? std::string() : made.error().message()));
  Personalized p{std::move(made).value(), {}};
  REQUIRE(p.card.image.pki.count("csca_cert.pem"));
  REQUIRE(p.trust.add_certificates(p.card.image.pki.at("csca_cert.pem"), "pki/csca_cert.pem").ok());
  return p;
}

}  // namespace

TEST_CASE("PACE-CAN full reads in every mapping, cipher and curve the card profile allows") {
  struct Case {
    sim::PaceMapping mapping;
    crypto::CipherAlg cipher;
    int curve;
    const char* access;   // what the verdict names
    const char* chip;     // the chip check's method
  };
  const Case cases[] = {
      {sim::PaceMapping::kGeneric, crypto::CipherAlg::kAes128, 13, "ECDH-GM-AES-CBC-CMAC-128", "CA "},
      {sim::PaceMapping::kGeneric, crypto::CipherAlg::kAes256, 12, "ECDH-GM-AES-CBC-CMAC-256", "CA "},
      {sim::PaceMapping::kIntegrated, crypto::CipherAlg::kAes128, 13, "ECDH-IM-AES-CBC-CMAC-128", "CA "},
      {sim::PaceMapping::kIntegrated, crypto::CipherAlg::kAes256, 12, "ECDH-IM-AES-CBC-CMAC-256", "CA "},
      {sim::PaceMapping::kChipAuthentication, crypto::CipherAlg::kAes128, 13, "ECDH-CAM-AES-CBC-CMAC-128", "PACE-CAM"},
      {sim::PaceMapping::kChipAuthentication, crypto::CipherAlg::kAes256, 12, "ECDH-CAM-AES-CBC-CMAC-256", "PACE-CAM"},
  };
  for (const Case& c : cases) {
    CAPTURE(c.access);
    CAPTURE(c.curve);
    sim::PersonalizeOptions o;
    o.pace_mapping = c.mapping;
    o.pace_cipher = c.cipher;
    o.pace_parameter_id = c.curve;
    Personalized p = personalized(o);
    auto card = sim::open_sim_card_image(p.card.image);
    REQUIRE(card.ok());
    auto r = read_card(**card, can_request(&p.trust));
    REQUIRE_MESSAGE(r.ok(), (r.ok() ? std::string() : r.error().message()));
    CHECK(r->verification.access.find(c.access) != std::string::npos);
    CHECK(r->verification.access.rfind("PACE-CAN ", 0) == 0);
    CHECK(r->verification.chip.state == CheckState::kPassed);
    CHECK(r->verification.chip.method.rfind(c.chip, 0) == 0);
    CHECK(r->verification.passive == auth::PassiveStatus::kValid);
    CHECK(r->verification.genuine);
    if (c.mapping == sim::PaceMapping::kChipAuthentication) {
      // The chip's key came from EF.CardSecurity, which the session read and verified.
      REQUIRE(r->card_security.has_value());
      CHECK(r->card_security->raw == *p.card.image.files.card_security);
      CHECK(r->verification.chip.method == "PACE-CAM, key from EF.CardSecurity");
      CHECK(r->verification.chip.detail.empty());
    } else {
      CHECK_FALSE(r->card_security.has_value());
    }
    for (const auto& [dg, rec] : r->data_groups) CHECK(rec.raw == p.card.image.files.data_groups.at(dg));
    REQUIRE(r->dg11.has_value());
    CHECK(*r->dg11->dg11.full_name == "홍<<길동");
  }
}

TEST_CASE("a card that wants Le omitted on MSE is read the same way") {
  for (sim::PaceMapping mapping : {sim::PaceMapping::kGeneric, sim::PaceMapping::kChipAuthentication}) {
    sim::PersonalizeOptions o;
    o.pace_mapping = mapping;
    o.quirks.mse_rejects_le = true;
    Personalized p = personalized(o);
    auto card = sim::open_sim_card_image(p.card.image);
    REQUIRE(card.ok());
    auto r = read_card(**card, can_request(&p.trust));
    REQUIRE_MESSAGE(r.ok(), (r.ok() ? std::string() : r.error().message()));
    CHECK(r->verification.chip.state == CheckState::kPassed);
    CHECK(r->verification.genuine);
  }
}

TEST_CASE("PACE-CAM: a cloned chip, an EF.CardSecurity that fails passive authentication, no trust anchor") {
  SUBCASE("a clone with copied files but its own chip key is not genuine") {
    sim::PersonalizeOptions o;
    o.pace_mapping = sim::PaceMapping::kChipAuthentication;
    o.cloned = true;
    Personalized p = personalized(o);
    auto card = sim::open_sim_card_image(p.card.image);
    REQUIRE(card.ok());
    auto r = read_card(**card, can_request(&p.trust));
    REQUIRE(r.ok());
    CHECK(r->verification.passive == auth::PassiveStatus::kValid);
    CHECK(r->verification.chip.state == CheckState::kFailed);
    CHECK(r->verification.chip.detail.find("EF.CardSecurity") != std::string::npos);
    CHECK_FALSE(r->verification.genuine);
  }
  SUBCASE("EF.CardSecurity altered after signing: the chip check fails, not genuine") {
    sim::PersonalizeOptions o;
    o.pace_mapping = sim::PaceMapping::kChipAuthentication;
    o.aa_key = sim::AaKeyType::kNone;  // AA cannot stand in for the chip check
    Personalized p = personalized(o);
    Bytes& cs = *p.card.image.files.card_security;
    cs[cs.size() - 1] ^= 0x01;  // the last byte: inside the signature value
    auto card = sim::open_sim_card_image(p.card.image);
    REQUIRE(card.ok());
    auto r = read_card(**card, can_request(&p.trust));
    REQUIRE(r.ok());
    CHECK(r->verification.chip.state == CheckState::kFailed);
    CHECK(r->verification.chip.detail.find("EF.CardSecurity") != std::string::npos);
    CHECK_FALSE(r->verification.genuine);
  }
  SUBCASE("without a trust store the chip still proves its key, but nothing is genuine") {
    sim::PersonalizeOptions o;
    o.pace_mapping = sim::PaceMapping::kChipAuthentication;
    Personalized p = personalized(o);
    auto card = sim::open_sim_card_image(p.card.image);
    REQUIRE(card.ok());
    auto r = read_card(**card, can_request(nullptr));
    REQUIRE(r.ok());
    CHECK(r->verification.chip.state == CheckState::kPassed);
    CHECK(r->verification.passive == auth::PassiveStatus::kNoTrustAnchor);
    CHECK_FALSE(r->verification.genuine);
  }
}

TEST_CASE("PACE-CAM: the card leaving the field at every APDU, EF.CardSecurity included") {
  sim::PersonalizeOptions o;
  o.pace_mapping = sim::PaceMapping::kChipAuthentication;
  o.quirks.extended_length = false;
  o.quirks.max_response = 223;
  Personalized p = personalized(o);
  every_removal(p.card.image, o.quirks, can_request(&p.trust), true, [&](const ReadResult& r, size_t) {
    CHECK(r.stats.recoveries == 1);
    CHECK(r.verification.genuine);
    CHECK(r.verification.chip.method.rfind("PACE-CAM", 0) == 0);
    REQUIRE(r.card_security.has_value());
    CHECK(r.card_security->raw == *p.card.image.files.card_security);
    for (const auto& [dg, rec] : r.data_groups) CHECK(rec.raw == p.card.image.files.data_groups.at(dg));
  });
}

TEST_CASE("progress per file, and a cancel from the progress callback ends the read with kCancelled") {
  Personalized p = personalized(sim::PersonalizeOptions{});
  std::map<std::string, std::pair<size_t, size_t>> last;  // file -> (done, expected)
  {
    auto card = sim::open_sim_card_image(p.card.image);
    REQUIRE(card.ok());
    ReadRequest req = can_request(&p.trust);
    req.progress = [&](const FileRef& f, size_t done, size_t expected) { last[f.name] = {done, expected}; };
    auto r = read_card(**card, req);
    REQUIRE(r.ok());
    for (const auto& [n, rec] : r->data_groups) {
      CAPTURE(n);
      REQUIRE(last.count(rec.name));
      CHECK(last[rec.name].first == rec.raw.size());   // the last report is the whole file
      CHECK(last[rec.name].second == rec.raw.size());  // known from the header
    }
  }
  std::atomic<bool> cancel{false};
  auto card = sim::open_sim_card_image(p.card.image);
  REQUIRE(card.ok());
  ReadRequest req = can_request(&p.trust);
  req.cancel = &cancel;
  req.progress = [&](const FileRef& f, size_t, size_t) {
    if (f.name == "DG2") cancel = true;
  };
  auto r = read_card(**card, req);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code == ErrorCode::kCancelled);
}

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

TEST_CASE("Active Authentication: the challenge and signature are kept, and a caller's challenge is the one signed") {
  Fixture f(test::TestCardOptions{.pace = false});
  {
    auto card = f.open();
    auto r = read_card(*card, mrz_request(&f.trust));
    REQUIRE(r.ok());
    const Verification& v = r->verification;
    REQUIRE(v.active.state == CheckState::kPassed);
    CHECK(v.active_challenge.size() == 8);
    REQUIRE(r->dg15.has_value());
    CHECK(auth::verify_aa_signature(r->dg15->key.der, v.active_challenge, v.active_signature).ok());
  }
  auto card = f.open();
  ReadRequest req = mrz_request(&f.trust);
  req.aa_challenge = Bytes{1, 2, 3, 4, 5, 6, 7, 8};
  auto r = read_card(*card, req);
  REQUIRE(r.ok());
  CHECK(r->verification.active_challenge == *req.aa_challenge);
  CHECK(auth::verify_aa_signature(r->dg15->key.der, *req.aa_challenge, r->verification.active_signature).ok());
  Bytes other = *req.aa_challenge;
  other[0] ^= 1;
  CHECK_FALSE(auth::verify_aa_signature(r->dg15->key.der, other, r->verification.active_signature).ok());
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

TEST_CASE("a card whose signed DG14 offers PACE but that shows no EF.CardAccess is read with BAC and flagged") {
  auto mrz_of = [](const sim::CardImage& image) {
    auto text = [](const SecureBytes& b) { return std::string(b.begin(), b.end()); };
    const sim::MrzKeyFields& m = image.config.mrz;
    ReadRequest r = can_request(nullptr);
    r.can.reset();
    r.mrz = auth::MrzKey::from_fields(text(m.document_number), text(m.date_of_birth), text(m.date_of_expiry)).value();
    return r;
  };
  struct Case {
    sim::CardProfile profile;
    bool hide_card_access;  // EF.CardAccess missing (or stripped on the way)
    AccessMethod access;
    bool warned;
    const char* why;
  } cases[] = {
      {sim::CardProfile::kBoth, false, AccessMethod::kAuto, false, "PACE offered and used"},
      {sim::CardProfile::kBoth, true, AccessMethod::kAuto, true, "PACE in the signed DG14, EF.CardAccess gone: downgraded"},
      {sim::CardProfile::kBoth, true, AccessMethod::kBac, false, "BAC asked for by the caller"},
      {sim::CardProfile::kPassport, false, AccessMethod::kAuto, false, "a BAC-only passport (no PACE anywhere)"},
  };
  for (const Case& c : cases) {
    INFO(std::string(c.why));
    sim::PersonalizeOptions o;
    o.profile = c.profile;
    Personalized p = personalized(o);
    if (c.hide_card_access) p.card.image.files.card_access.reset();
    auto card = sim::open_sim_card_image(p.card.image);
    REQUIRE(card.ok());
    ReadRequest req = mrz_of(p.card.image);
    req.trust = &p.trust;
    req.access = c.access;
    auto r = read_card(**card, req);
    REQUIRE_MESSAGE(r.ok(), (r.ok() ? std::string() : r.error().message()));
    CHECK(r->verification.genuine);  // the chip and the data are still genuine
    CHECK(r->verification.access_warning.empty() == !c.warned);
    if (c.warned) {
      CHECK(r->verification.access == "BAC");
      CHECK(r->verification.access_warning.find("downgrade") != std::string::npos);
    }
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

namespace {

// NoEmrtdApplication: a card that is no identity document (a bank or transit card): SELECT of
// the eMRTD application by its AID answers 6A82, as such cards do; everything else passes.
class NoEmrtdApplication final : public apdu::Transport {
 public:
  explicit NoEmrtdApplication(apdu::Transport& inner) : inner_(inner) {}
  Result<apdu::ResponseApdu> transmit(const apdu::CommandApdu& command) override {
    if (command.ins == 0xA4 && command.p1 == 0x04) return apdu::ResponseApdu{{}, 0x6A82};
    return inner_.transmit(command);
  }
  Bytes atr() const override { return inner_.atr(); }
  apdu::TransportCaps capabilities() const override { return inner_.capabilities(); }
  Status reconnect(std::chrono::milliseconds timeout) override { return inner_.reconnect(timeout); }
  Status close() override { return inner_.close(); }
  std::string describe() const override { return "no-emrtd:" + inner_.describe(); }

 private:
  apdu::Transport& inner_;
};

}  // namespace

TEST_CASE("errors point the right way: no eMRTD application, a garbage EF.CardAccess, a garbage DG1 (issue 14 item 16)") {
  SUBCASE("a card without the eMRTD application is said to be no identity document, not 'give the MRZ'") {
    Fixture f;
    f.card.image.files.card_access.reset();  // no EF.CardAccess either, as on such cards
    auto sim = f.open();
    NoEmrtdApplication card(*sim);
    auto r = read_card(card, can_request(nullptr));
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code == ErrorCode::kNotSupported);
    CHECK(r.error().context.find("no eMRTD application (SELECT A0 00 00 02 47 10 01 answered 6A82)") != std::string::npos);
    CHECK(r.error().context.find("give the MRZ") == std::string::npos);
  }
  SUBCASE("an EF.CardAccess that does not parse is named as such, not as missing") {
    Fixture f;
    f.card.image.files.card_access = Bytes{0x31, 0x05, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF};
    auto sim = f.open();
    auto r = read_card(*sim, can_request(nullptr));
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().context.find("EF.CardAccess is there but does not parse") != std::string::npos);
    CHECK(r.error().context.find("no EF.CardAccess") == std::string::npos);
  }
  SUBCASE("a DG1 whose header does not parse ends in a verdict that names DG1, not in a bare parse error") {
    Fixture f;
    f.card.image.files.data_groups[1] = Bytes{0x61, 0x85, 0x01, 0x02, 0x03, 0x04, 0x05, 0x5F, 0x1F};
    auto sim = f.open();
    auto r = read_card(*sim, can_request(&f.trust));
    REQUIRE_MESSAGE(r.ok(), (r.ok() ? std::string() : r.error().message()));
    CHECK_FALSE(r->verification.genuine);
    CHECK(r->verification.genuine_reason.find("DG1") != std::string::npos);
    REQUIRE(r->data_groups.count(1) == 1);
    CHECK(r->data_groups.at(1).decode_error.find("DG1") != std::string::npos);
    CHECK(r->dg11.has_value());  // the rest was still read
  }
}
