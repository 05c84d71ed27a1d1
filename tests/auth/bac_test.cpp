// Basic Access Control: ICAO 9303-11 Appendix D replayed byte for byte through a scripted card
// (BAC, then the protected SELECT / READ BINARYs), the card side of the same computation, a
// full run against the card side with random nonces, and the table of failing cards.
#include "idtap/auth/bac.h"

#include <doctest/doctest.h>

#include <functional>

#include "idtap/apdu/commands.h"
#include "idtap/apdu/scripted_transport.h"
#include "idtap/base/hex.h"
#include "idtap/crypto/cipher.h"
#include "idtap/crypto/mac.h"
#include "idtap/sm/card_sm.h"
#include "vectors/vector_file.h"

using namespace idtap;
using namespace idtap::auth;

namespace {

const test::VectorFile& d() {
  static const test::VectorFile f = test::VectorFile::load("icao9303_11_appendix_d.txt");
  return f;
}

MrzKey appendix_d_key() {
  return MrzKey::from_fields(d().text("d2_keys", "document_number"), d().text("d2_keys", "date_of_birth"),
                             d().text("d2_keys", "date_of_expiry"))
      .value();
}

BacOptions appendix_d_options() {
  return BacOptions{d().hex("d3_bac", "rnd_ifd"), secure_copy(d().hex("d3_bac", "k_ifd"))};
}

std::string hex_of(const SecureBytes& b) { return to_hex(Bytes(b.begin(), b.end()), true); }

// A card that runs BAC with the card-side helper and then secure messaging with CardSm. The
// `answer` hook may replace the EXTERNAL AUTHENTICATE response (hostile cases).
class BacCard : public apdu::Transport {
 public:
  explicit BacCard(const MrzKey& key) : keys_(bac_keys(key).value()) {}
  std::function<std::optional<apdu::ResponseApdu>(const BacCardAnswer&)> answer;

  Result<apdu::ResponseApdu> transmit(const apdu::CommandApdu& c) override {
    if (sm_) {
      auto plain = sm_->unwrap_command(c);
      if (!plain.ok()) return apdu::ResponseApdu{{}, plain.error().sw};
      return sm_->wrap_response({hex_or_die("60145F01"), 0x9000});
    }
    if (c.ins == 0x84) {
      rnd_icc_ = hex_or_die("0102030405060708");
      return apdu::ResponseApdu{rnd_icc_, 0x9000};
    }
    if (c.ins == 0x82) {
      auto r = bac_card_authenticate(keys_, rnd_icc_, hex_or_die("00112233445566778899AABBCCDDEEFF"), c.data);
      if (!r.ok()) return apdu::ResponseApdu{{}, 0x6300};
      if (answer) {
        if (auto replaced = answer(*r)) return *replaced;
      }
      sm_.emplace(sm::CardSecureMessaging::create(r->session).value());
      return apdu::ResponseApdu{r->response_data, 0x9000};
    }
    return apdu::ResponseApdu{{}, 0x6D00};
  }
  Bytes atr() const override { return {}; }
  apdu::TransportCaps capabilities() const override { return {}; }
  Status close() override { return ok_status(); }
  std::string describe() const override { return "bac card"; }

  const BacKeys& keys() const { return keys_; }
  const Bytes& rnd_icc() const { return rnd_icc_; }

 private:
  BacKeys keys_;
  Bytes rnd_icc_;
  std::optional<sm::CardSecureMessaging> sm_;
};

}  // namespace

TEST_CASE("Appendix D: Kenc / Kmac from the MRZ") {
  auto keys = bac_keys(appendix_d_key());
  REQUIRE(keys.ok());
  CHECK(hex_of(keys->k_enc) == d().text("d2_keys", "kenc"));
  CHECK(hex_of(keys->k_mac) == d().text("d2_keys", "kmac"));
}

TEST_CASE("Appendix D replayed byte for byte: BAC, then SELECT EF.COM and two READ BINARYs") {
  apdu::ScriptedTransport card;
  card.expect(d().text("d3_bac", "get_challenge"), d().text("d3_bac", "rnd_icc") + " 9000")
      .expect(d().text("d3_bac", "external_authenticate"), d().text("d3_bac", "response"));
  for (const char* step : {"d4_select_ef_com", "d4_read_binary_4", "d4_read_binary_18"})
    card.expect(d().text(step, "protected"), d().text(step, "response"));

  auto channel = run_bac(card, appendix_d_key(), appendix_d_options());
  REQUIRE_MESSAGE(channel.ok(), channel.error().message());
  CHECK(to_hex((*channel)->ssc(), true) == d().text("d3_bac", "ssc"));
  CHECK((*channel)->alg() == crypto::CipherAlg::kTdes);

  REQUIRE((*channel)->transmit(apdu::select_by_fid(0x011E)).ok());
  auto head = (*channel)->transmit(apdu::read_binary(0, 4).value());
  REQUIRE(head.ok());
  CHECK(to_hex(head->data, true) == "60145F01");
  auto rest = (*channel)->transmit(apdu::read_binary(4, 0x12).value());
  REQUIRE(rest.ok());
  CHECK(to_hex(rest->data, true) == "04303130365F36063034303030305C026175");
  CHECK(card.done());
}

TEST_CASE("Appendix D from the card's side: the same EXTERNAL AUTHENTICATE answer and session") {
  auto keys = bac_keys(appendix_d_key());
  REQUIRE(keys.ok());
  const Bytes command = hex_or_die(d().text("d3_bac", "external_authenticate"));
  const ByteView data = ByteView(command).subspan(5, 40);
  auto answer = bac_card_authenticate(*keys, d().hex("d3_bac", "rnd_icc"), d().hex("d3_bac", "k_icc"), data);
  REQUIRE(answer.ok());
  CHECK(to_hex(answer->response_data, true) == d().text("d3_bac", "e_icc") + d().text("d3_bac", "m_icc"));
  CHECK(hex_of(answer->session.ks_enc) == d().text("d3_bac", "ks_enc"));
  CHECK(hex_of(answer->session.ks_mac) == d().text("d3_bac", "ks_mac"));
  CHECK(to_hex(answer->session.ssc, true) == d().text("d3_bac", "ssc"));
  // A terminal whose S carries another RND.ICC (a replay against a fresh challenge) is refused.
  auto replay = bac_card_authenticate(*keys, hex_or_die("0000000000000000"), d().hex("d3_bac", "k_icc"), data);
  REQUIRE_FALSE(replay.ok());
  CHECK(replay.error().code == ErrorCode::kAuthFailed);
}

TEST_CASE("BAC with random nonces against the card side, then protected reads") {
  const MrzKey key = appendix_d_key();
  BacCard card(key);
  auto channel = run_bac(card, key);
  REQUIRE_MESSAGE(channel.ok(), channel.error().message());
  auto r = (*channel)->transmit(apdu::read_binary(0, 4).value());
  REQUIRE(r.ok());
  CHECK(to_hex(r->data, true) == "60145F01");
  // The SSC starts from the nonces: RND.ICC[4..8) || RND.IFD[4..8), here two exchanges on.
  CHECK(to_hex(ByteView((*channel)->ssc()).first(4), true) == "05060708");

  // The wrong MRZ: the card answers 6300.
  BacCard other(key);
  auto wrong = run_bac(other, MrzKey::from_fields("L898902C", "690806", "940624").value());
  REQUIRE_FALSE(wrong.ok());
  CHECK(wrong.error().code == ErrorCode::kAuthFailed);
  CHECK(wrong.error().sw == 0x6300);
  CHECK(wrong.error().context.find("wrong MRZ data") != std::string::npos);
}

TEST_CASE("failing and hostile cards during BAC") {
  const MrzKey key = appendix_d_key();
  const auto keys = bac_keys(key).value();
  // forge: E_ICC || M_ICC for any R, with the right keys (what a card knowing the MRZ could
  // send); used to build answers with a valid MAC but wrong content.
  auto forge = [&](ByteView r) {
    auto cipher = crypto::BlockCipher::create(crypto::CipherAlg::kTdes, keys.k_enc).value();
    auto mac = crypto::Mac::create(crypto::MacAlg::kRetailMac, keys.k_mac).value();
    Bytes e = cipher.cbc_encrypt(Bytes(8, 0), r).value();
    append(e, mac.compute(crypto::pad_iso9797_m2(e, 8)).value());
    return e;
  };
  const Bytes rnd_icc = d().hex("d3_bac", "rnd_icc");
  const Bytes rnd_ifd = d().hex("d3_bac", "rnd_ifd");
  const Bytes k_icc = d().hex("d3_bac", "k_icc");
  const std::string challenge = d().text("d3_bac", "rnd_icc") + " 9000";
  const std::string ea = d().text("d3_bac", "external_authenticate");
  const struct {
    const char* name;
    std::function<void(apdu::ScriptedTransport&)> script;
    ErrorCode code;
    uint16_t sw;
    const char* expect;
  } cases[] = {
      // The MRZ does not match the chip: 6300 on EXTERNAL AUTHENTICATE.
      {"6300", [&](auto& t) { t.expect("0084000008", challenge).expect(ea, "6300"); }, ErrorCode::kAuthFailed, 0x6300,
       "wrong MRZ data"},
      // Some chips count tries: 63C2.
      {"63C2", [&](auto& t) { t.expect("0084000008", challenge).expect(ea, "63C2"); }, ErrorCode::kAuthFailed, 0x63C2,
       "wrong MRZ data"},
      // A chip without BAC (PACE only) refuses GET CHALLENGE.
      {"no BAC", [&](auto& t) { t.expect("0084000008", "6D00"); }, ErrorCode::kCardStatus, 0x6D00, "GET CHALLENGE"},
      // Another error SW on EXTERNAL AUTHENTICATE is reported as it is.
      {"6985 on EA", [&](auto& t) { t.expect("0084000008", challenge).expect(ea, "6985"); }, ErrorCode::kCardStatus,
       0x6985, "EXTERNAL AUTHENTICATE"},
      // A 4-byte challenge.
      {"short challenge", [&](auto& t) { t.expect("0084000008", "01020304 9000"); }, ErrorCode::kMalformed, 0,
       "not an 8-byte RND.ICC"},
      // An answer one byte short.
      {"short answer",
       [&](auto& t) {
         t.expect("0084000008", challenge).expect(ea, to_hex(ByteView(d().hex("d3_bac", "response")).first(39)) + "9000");
       },
       ErrorCode::kMalformed, 0, "not E_ICC || M_ICC"},
      // The card's MAC is wrong (last byte flipped).
      {"bad M_ICC",
       [&](auto& t) {
         Bytes r = d().hex("d3_bac", "response");
         r[39] ^= 0x01;
         t.expect("0084000008", challenge).expect(ea, to_hex(r));
       },
       ErrorCode::kAuthFailed, 0, "MAC does not verify"},
      // A valid MAC but R does not echo our RND.IFD (the check other readers left out).
      {"RND.IFD not echoed",
       [&](auto& t) {
         Bytes r = rnd_icc;
         append(r, hex_or_die("0000000000000000"));
         append(r, k_icc);
         t.expect("0084000008", challenge).expect(ea, to_hex(forge(r)) + "9000");
       },
       ErrorCode::kAuthFailed, 0, "did not echo our RND.IFD"},
      // A valid MAC but R carries another RND.ICC.
      {"RND.ICC not echoed",
       [&](auto& t) {
         Bytes r = hex_or_die("1111111111111111");
         append(r, rnd_ifd);
         append(r, k_icc);
         t.expect("0084000008", challenge).expect(ea, to_hex(forge(r)) + "9000");
       },
       ErrorCode::kAuthFailed, 0, "RND.ICC"},
      // The card leaves the field in the middle.
      {"card removed",
       [&](auto& t) {
         t.expect("0084000008", challenge).fail_next(make_error(ErrorCode::kCardRemoved, "card left the field"));
       },
       ErrorCode::kCardRemoved, 0, "card left the field"},
  };
  for (const auto& c : cases) {
    CAPTURE(std::string(c.name));
    apdu::ScriptedTransport t;
    c.script(t);
    auto r = run_bac(t, key, appendix_d_options());
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code == c.code);
    CHECK(r.error().sw == c.sw);
    CHECK_MESSAGE(r.error().context.find(c.expect) != std::string::npos, r.error().context);
    CHECK(r.error().context.find("L898902C") == std::string::npos);  // the MRZ is never echoed
  }
  // Injected values of the wrong size are refused before anything is sent.
  apdu::ScriptedTransport untouched;
  CHECK(run_bac(untouched, key, BacOptions{Bytes(7, 0), std::nullopt}).error().code == ErrorCode::kInvalidArgument);
  CHECK(untouched.sent().empty());
}
