// The read session (lib/reader/session*.cpp) on the simulated card: full reads with BAC and every
// PACE variant, verdicts, read sizes, progress and cancel, Active Authentication, downgrade
// warnings and errors that point the right way (the misbehaving card and reader:
// session_recovery_test.cpp).
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
