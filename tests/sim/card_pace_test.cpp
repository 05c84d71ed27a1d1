// PACE between lib/auth's terminal (run_pace) and the simulated card (lib/auth's PaceChip inside
// the card's retry counters and secure messaging), in-process over SimTransport.
#include <doctest/doctest.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include "idtap/apdu/commands.h"
#include "idtap/apdu/tlv.h"
#include "idtap/auth/pace.h"
#include "idtap/auth/password.h"
#include "idtap/base/hex.h"
#include "idtap/crypto/pkey.h"
#include "idtap/lds/security_infos.h"
#include "idtap/reader/file_reader.h"
#include "idtap/sim/sim_transport.h"
#include "support/sim_images.h"
#include "support/test_pki.h"
#include "vectors/vector_file.h"

using namespace idtap;
using namespace idtap::sim;

namespace {

SecureBytes sb(const std::string& s) { return secure_copy(bytes_of(s)); }

// The chip's static key for PACE-CAM, on brainpoolP256r1 (the PACE curve of the CAM offer).
const testing::EvpKey& cam_key() {
  static const testing::EvpKey k = testing::make_ec_key("brainpoolP256r1");
  return k;
}

// card_with: a card offering exactly `offers`, EF.CardAccess saying the same, and an
// EF.CardSecurity (readable after PACE only).
CardImage card_with(const std::vector<PaceOffer>& offers) {
  CardImage image = test::basic_card_image();
  image.config.pace_offers = offers;
  lds::SecurityInfos infos;
  for (const auto& o : offers) {
    const auth::PaceMapping m = o.mapping == PaceMapping::kGeneric      ? auth::PaceMapping::kGeneric
                                : o.mapping == PaceMapping::kIntegrated ? auth::PaceMapping::kIntegrated
                                                                        : auth::PaceMapping::kChipAuthentication;
    infos.pace.push_back({auth::pace_algorithm_oid(auth::PaceKeyAgreement::kEcdh, m, o.cipher).value(), 2, o.parameter_id});
  }
  image.files.card_access = lds::encode_security_infos(infos).value();
  image.files.card_security = test::pattern_file(0x30, 300, 0x70);
  image.chip.ca_key_pem = sb(testing::key_pem(cam_key().get()));
  image.config.ca_ciphers = {crypto::CipherAlg::kAes128};
  return image;
}

std::unique_ptr<SimTransport> open(CardImage image) {
  auto t = open_sim_card_image(std::move(image), {}, "pace-test");
  REQUIRE(t.ok());
  return std::move(*t);
}

// selection_for: the terminal's choice of `offer` from the card's EF.CardAccess.
auth::PaceSelection selection_for(SimTransport& card, const PaceOffer& offer) {
  const CardImage image = card_with({offer});
  auto infos = lds::parse_security_infos(*image.files.card_access);
  REQUIRE(infos.ok());
  auth::PaceChoiceOptions o;
  o.protocol = infos->pace.at(0).protocol;
  o.parameter_id = offer.parameter_id;
  auto s = auth::choose_pace(infos->pace, o);
  REQUIRE(s.ok());
  (void)card;
  return std::move(*s);
}

auth::Password can(const char* digits) { return auth::Password::can(digits).value(); }
auth::Password mrz() {
  return auth::Password::mrz(auth::MrzKey::from_fields(test::kTestDocumentNumber, test::kTestDateOfBirth, test::kTestDateOfExpiry).value());
}

const reader::FileRef kDg1{0x0101, 0x01, "DG1"};
const reader::FileRef kCardSecurity{0x011D, 0x1D, "EF.CardSecurity"};

}  // namespace

TEST_CASE("PACE with lib/auth's terminal: GM (AES-128/256, brainpoolP256r1, P-256), IM, CAM, 3DES; CAN and MRZ") {
  struct Case {
    const char* what;
    PaceOffer offer;
  };
  const Case cases[] = {
      {"GM AES-128 brainpoolP256r1", {PaceMapping::kGeneric, crypto::CipherAlg::kAes128, 13}},
      {"GM AES-256 brainpoolP256r1", {PaceMapping::kGeneric, crypto::CipherAlg::kAes256, 13}},
      {"GM AES-128 P-256", {PaceMapping::kGeneric, crypto::CipherAlg::kAes128, 12}},
      {"GM AES-256 P-256", {PaceMapping::kGeneric, crypto::CipherAlg::kAes256, 12}},
      {"GM 3DES brainpoolP256r1", {PaceMapping::kGeneric, crypto::CipherAlg::kTdes, 13}},
      {"IM AES-128 brainpoolP256r1", {PaceMapping::kIntegrated, crypto::CipherAlg::kAes128, 13}},
      {"IM AES-256 P-256", {PaceMapping::kIntegrated, crypto::CipherAlg::kAes256, 12}},
      {"CAM AES-128 brainpoolP256r1", {PaceMapping::kChipAuthentication, crypto::CipherAlg::kAes128, 13}},
  };
  for (const auto& tc : cases) {
    for (bool with_can : {true, false}) {
      std::string what = std::string(tc.what) + (with_can ? " CAN" : " MRZ");
      CAPTURE(what);
      auto card = open(card_with({tc.offer}));
      auto result = auth::run_pace(*card, with_can ? can(test::kTestCan) : mrz(), selection_for(*card, tc.offer));
      REQUIRE_MESSAGE(result.ok(), (result.ok() ? "" : result.error().message()));
      CHECK(card->card().security_state() == SecurityState::kPace);
      reader::FileReader files(*result->channel, {});
      // EF.CardSecurity (in the MF) is readable after PACE, and only then.
      auto cs = files.read_file(kCardSecurity);
      REQUIRE_MESSAGE(cs.ok(), (cs.ok() ? "" : cs.error().message()));
      CHECK(*cs == *card_with({tc.offer}).files.card_security);
      REQUIRE(result->channel->transmit(apdu::select_by_df_name(apdu::kEmrtdAid)).value().sw == 0x9000);
      auto dg1 = files.read_file(kDg1);
      REQUIRE(dg1.ok());
      CHECK(*dg1 == test::basic_card_image().files.data_groups.at(1));
      if (tc.offer.mapping == PaceMapping::kChipAuthentication) {
        // PACE-CAM: the chip proves its static key (EF.CardSecurity's) in the same run.
        auto pk = crypto::PublicKey::from_spki(testing::spki_der(cam_key().get()));
        REQUIRE(pk.ok());
        CHECK(auth::verify_pace_cam(*result, *pk->ec_point()).ok());
      }
    }
  }
}

TEST_CASE("a wrong CAN counts down 63C2, 63C1, 63C0, then the CAN is blocked (6983); the MRZ still works") {
  const PaceOffer gm{PaceMapping::kGeneric, crypto::CipherAlg::kAes128, 13};
  auto card = open(card_with({gm}));
  const auto selection = selection_for(*card, gm);
  for (int left : {2, 1, 0}) {
    CAPTURE(left);
    auto r = auth::run_pace(*card, can("654321"), selection);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().sw == 0x63C0 + left);
    CHECK(card->card().pace_retries_left(2) == left);
  }
  // Blocked: even the right CAN is refused at MSE:Set AT.
  auto blocked = auth::run_pace(*card, can(test::kTestCan), selection);
  REQUIRE_FALSE(blocked.ok());
  CHECK(blocked.error().code == ErrorCode::kPasswordBlocked);
  CHECK(blocked.error().sw == 0x6983);
  // The MRZ has its own counter.
  auto by_mrz = auth::run_pace(*card, mrz(), selection);
  CHECK(by_mrz.ok());
  // The counter lives in the chip's EEPROM: a power cycle does not restore it.
  REQUIRE(card->reconnect(std::chrono::milliseconds(0)).ok());
  CHECK(card->card().pace_retries_left(2) == 0);
}

TEST_CASE("a successful PACE resets the retry counter") {
  const PaceOffer gm{PaceMapping::kGeneric, crypto::CipherAlg::kAes128, 13};
  auto card = open(card_with({gm}));
  const auto selection = selection_for(*card, gm);
  REQUIRE_FALSE(auth::run_pace(*card, can("000000"), selection).ok());
  CHECK(card->card().pace_retries_left(2) == 2);
  REQUIRE(auth::run_pace(*card, can(test::kTestCan), selection).ok());
  CHECK(card->card().pace_retries_left(2) == 3);
}

TEST_CASE("PACE error paths on the card") {
  const PaceOffer gm{PaceMapping::kGeneric, crypto::CipherAlg::kAes128, 13};
  // A BAC-only card has no PACE environment.
  CardImage bac_only = card_with({gm});
  bac_only.config.pace = false;
  auto plain = open(std::move(bac_only));
  auto refused = auth::run_pace(*plain, can(test::kTestCan), selection_for(*plain, gm));
  REQUIRE_FALSE(refused.ok());
  CHECK(refused.error().sw == 0x6A86);

  // EF.CardSecurity is not readable in plain nor after BAC.
  auto card = open(card_with({gm}));
  auto cs = card->transmit(apdu::read_binary_sfi(0x1D, 0, 256).value());
  REQUIRE(cs.ok());
  CHECK(cs->sw == 0x6982);

  // GENERAL AUTHENTICATE without MSE:Set AT.
  auto ga = card->transmit(apdu::general_authenticate({}, true));
  REQUIRE(ga.ok());
  CHECK(ga->sw == 0x6985);

  // A card that rejects MSE with Le: lib/auth's terminal sends none, so PACE still works.
  CardImage picky = card_with({gm});
  picky.config.quirks.mse_rejects_le = true;
  auto picky_card = open(std::move(picky));
  CHECK(auth::run_pace(*picky_card, can(test::kTestCan), selection_for(*picky_card, gm)).ok());
}

TEST_CASE("after PACE, a plain command ends secure messaging; PACE can run again") {
  const PaceOffer gm{PaceMapping::kGeneric, crypto::CipherAlg::kAes128, 13};
  auto card = open(card_with({gm}));
  const auto selection = selection_for(*card, gm);
  auto first = auth::run_pace(*card, can(test::kTestCan), selection);
  REQUIRE(first.ok());
  auto sel = card->transmit(apdu::select_by_df_name(apdu::kEmrtdAid));  // plain
  REQUIRE(sel.ok());
  CHECK(card->card().security_state() == SecurityState::kNone);
  CHECK(card->transmit(apdu::read_binary_sfi(0x01, 0, 4).value()).value().sw == 0x6982);
  // The old channel is dead on the card's side: its next command gets 6988 in plain.
  auto stale = first->channel->transmit(apdu::read_binary_sfi(0x01, 0, 4).value());
  CHECK_FALSE(stale.ok());
  auto second = auth::run_pace(*card, can(test::kTestCan), selection);
  REQUIRE(second.ok());
  reader::FileReader files(*second->channel, {});
  CHECK(files.read_file(kDg1).ok());
}

namespace {

// appendix_card: a card holding one MRZ and one PACE offer, its chip's random values scripted.
std::unique_ptr<SimCard> appendix_card(const char* doc, const char* dob, const char* doe, PaceOffer offer,
                                       std::vector<Bytes> random, SecureBytes ca_key_pem = {}) {
  CardImage image = test::basic_card_image();
  image.config.mrz.document_number = sb(doc);
  image.config.mrz.date_of_birth = sb(dob);
  image.config.mrz.date_of_expiry = sb(doe);
  image.config.pace_offers = {offer};
  image.chip.ca_key_pem = std::move(ca_key_pem);
  auto card = SimCard::create(std::move(image));
  REQUIRE_MESSAGE(card.ok(), (card.ok() ? "" : card.error().message()));
  (*card)->set_random_source(test::scripted_random(std::move(random)));
  (*card)->power_on();
  return std::move(*card);
}

std::string answer(SimCard& card, const Bytes& command) { return to_hex(card.process(command), true); }
std::string hex_of(const test::VectorFile& v, const char* section, const char* key) { return to_hex(v.hex(section, key), true); }

// ec_private_key_pem: SEC 1 ECPrivateKey PEM for scalar `d` on brainpoolP256r1 (the public key
// is left for OpenSSL to compute).
SecureBytes brainpool_p256_key_pem(ByteView d) {
  apdu::TlvWriter w;
  w.open(0x30).add(0x02, Bytes{0x01}).add(0x04, d).open(0xA0);
  w.add(0x06, hex_or_die("2B2403030208010107"));  // 1.3.36.3.3.2.8.1.1.7
  w.close().close();
  const Bytes der = w.finish().value();
  std::string b64(4 * ((der.size() + 2) / 3) + 1, '\0');
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(b64.data()), der.data(), static_cast<int>(der.size()));
  b64.resize(static_cast<size_t>(n));
  return sb("-----BEGIN EC PRIVATE KEY-----\n" + b64 + "\n-----END EC PRIVATE KEY-----\n");
}

}  // namespace

TEST_CASE("ICAO 9303-11 Appendix G.1 (PACE-ECDH-GM, brainpoolP256r1, AES-128, MRZ) replayed against the card") {
  const auto v = test::VectorFile::load("icao9303_11_pace.txt");
  auto card = appendix_card("T22000129", "640812", "101031", {PaceMapping::kGeneric, crypto::CipherAlg::kAes128, 13},
                            {v.hex("G.1", "s"), v.hex("G.1", "map_sk_ic"), v.hex("G.1", "eph_sk_ic")});
  for (const char* step : {"mse", "ga1", "ga2", "ga3", "ga4"}) {
    CAPTURE(step);
    CHECK(answer(*card, v.hex("G.1", (std::string("cmd_") + step).c_str())) == hex_of(v, "G.1", (std::string("rsp_") + step).c_str()));
  }
  CHECK(card->security_state() == SecurityState::kPace);
  CHECK(card->pace_retries_left(1) == 3);
}

TEST_CASE("ICAO 9303-11 Appendix I.1 (PACE-ECDH-CAM, brainpoolP256r1, AES-128, MRZ) replayed against the card") {
  const auto v = test::VectorFile::load("icao9303_11_pace.txt");
  auto card = appendix_card("C11T002JM", "960812", "231031", {PaceMapping::kChipAuthentication, crypto::CipherAlg::kAes128, 13},
                            {v.hex("I.1", "s"), v.hex("I.1", "map_sk_ic"), v.hex("I.1", "eph_sk_ic")},
                            brainpool_p256_key_pem(v.hex("I.1", "sk_ic_derived")));
  auto ga = [](uint32_t tag, const Bytes& value, bool chained) {
    apdu::CommandApdu c = apdu::general_authenticate(value.empty() ? Bytes{} : apdu::encode_tlv(tag, value), chained);
    return c.encode().value();
  };
  CHECK(answer(*card, v.hex("I.1", "cmd_mse")) == "9000");
  CHECK(answer(*card, ga(0, {}, true)) == "7C128010" + hex_of(v, "I.1", "z") + "9000");
  CHECK(answer(*card, ga(0x81, v.hex("I.1", "map_pk_ifd"), true)) == "7C438241" + hex_of(v, "I.1", "map_pk_ic") + "9000");
  CHECK(answer(*card, ga(0x83, v.hex("I.1", "eph_pk_ifd"), true)) == "7C438441" + hex_of(v, "I.1", "eph_pk_ic") + "9000");
  // The token and the encrypted chip authentication data A_IC (8A).
  CHECK(answer(*card, v.hex("I.1", "cmd_ga4")) == hex_of(v, "I.1", "rsp_ga4"));
  CHECK(card->security_state() == SecurityState::kPace);
}
