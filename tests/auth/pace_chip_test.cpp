#include "idtap/auth/pace_chip.h"

#include <doctest/doctest.h>

#include "auth/pace_chip_transport.h"
#include "idtap/apdu/commands.h"
#include "idtap/apdu/tlv.h"
#include "idtap/auth/mrz_key.h"
#include "idtap/auth/pace.h"
#include "idtap/base/hex.h"
#include "auth/pace_vectors.h"
#include "vectors/vector_file.h"

using namespace idtap;
using namespace idtap::auth;
using idtap::test::VectorFile;

namespace {

const VectorFile& vectors() { return test::pace_vectors(); }

using test::g_password;
using test::i_password;

lds::PaceInfo info_of(const std::string& section) { return test::pace_info_of(section); }

PaceChipPassword chip_password(const Password& p) { return PaceChipPassword{p.kind(), p.pace_key_seed().value()}; }

apdu::CommandApdu parse(ByteView wire) { return apdu::CommandApdu::parse(wire).value(); }
apdu::CommandApdu ga(bool chained, uint32_t tag, ByteView value) {
  return apdu::general_authenticate(tag == 0 ? Bytes{} : apdu::encode_tlv(tag, value), chained);
}
Bytes rsp_bytes(const apdu::ResponseApdu& r) { return r.encode(); }
Bytes ga_response(uint32_t tag, ByteView value) {
  return concat({apdu::encode_tlv(0x7C, apdu::encode_tlv(tag, value)), Bytes{0x90, 0x00}});
}

}  // namespace

TEST_CASE("the chip side answers the Appendix G.1 terminal byte for byte") {
  const VectorFile& v = vectors();
  PaceChipConfig config;
  config.pace_infos = {info_of("G.1")};
  config.passwords = {chip_password(g_password())};
  config.randomness.nonce_s = v.hex("G.1", "s");
  config.randomness.mapping_private_key = secure_copy(v.hex("G.1", "map_sk_ic"));
  config.randomness.key_agreement_private_key = secure_copy(v.hex("G.1", "eph_sk_ic"));
  PaceChip chip(config);
  for (const char* step : {"mse", "ga1", "ga2", "ga3", "ga4"}) {
    INFO(std::string(step));
    const Bytes cmd = v.hex("G.1", std::string("cmd_") + step);
    CHECK(PaceChip::handles(parse(cmd)));
    CHECK(rsp_bytes(chip.process(parse(cmd))) == v.hex("G.1", std::string("rsp_") + step));
  }
  CHECK(chip.outcome() == PaceChipOutcome::kEstablished);
  CHECK(chip.password() == PasswordKind::kMrz);
  CHECK(chip.terminal_ephemeral_public_key() == v.hex("G.1", "eph_pk_ifd"));
  auto keys = chip.take_session_keys();
  REQUIRE(keys.has_value());
  CHECK(to_bytes(keys->ks_enc) == v.hex("G.1", "ks_enc"));
  CHECK(to_bytes(keys->ks_mac) == v.hex("G.1", "ks_mac"));
  CHECK_FALSE(chip.take_session_keys().has_value());  // handed out once
}

TEST_CASE("the chip side of Appendices G.2, H.1, H.2 and I.1") {
  const VectorFile& v = vectors();
  struct Case {
    const char* section;
    bool integrated;
    Password password;
  };
  const Case cases[] = {{"G.2", false, g_password()}, {"H.1", true, g_password()}, {"H.2", true, g_password()}, {"I.1", false, i_password()}};
  for (const auto& c : cases) {
    const std::string s = c.section;
    CAPTURE(s);
    PaceChipConfig config;
    config.pace_infos = {info_of(s)};
    config.passwords = {chip_password(c.password)};
    config.randomness.nonce_s = v.hex(s, "s");
    if (!c.integrated) config.randomness.mapping_private_key = secure_copy(v.hex(s, "map_sk_ic"));
    config.randomness.key_agreement_private_key = secure_copy(v.hex(s, "eph_sk_ic"));
    if (s == "I.1") config.cam_private_key = secure_copy(v.hex(s, "sk_ic_derived"));
    if (s == "G.2") config.car = bytes_of("DETESTCVCA00003");
    PaceChip chip(config);
    const auto alg = pace_algorithm_from_oid(v.hex(s, "oid")).value();
    const Bytes mse = concat({hex_or_die("0022C1A40F800A"), alg.oid, hex_or_die("830101")});
    CHECK(rsp_bytes(chip.process(parse(mse))) == hex_or_die("9000"));
    // Appendix H's own K_pi is not the MRZ's: its z is checked in pace_math_test; here the chip
    // encrypts s under the MRZ key the password gives.
    auto r1 = chip.process(ga(true, 0, {}));
    const SecureBytes k_pi = derive_password_key(alg.cipher, c.password.pace_key_seed().value()).value();
    CHECK(rsp_bytes(r1) == ga_response(0x80, encrypt_nonce(alg.cipher, k_pi, v.hex(s, "s")).value()));
    auto r2 = chip.process(ga(true, 0x81, c.integrated ? v.hex(s, "t") : v.hex(s, "map_pk_ifd")));
    CHECK(rsp_bytes(r2) == (c.integrated ? hex_or_die("7C0282009000") : ga_response(0x82, v.hex(s, "map_pk_ic"))));
    auto r3 = chip.process(ga(true, 0x83, v.hex(s, "eph_pk_ifd")));
    CHECK(rsp_bytes(r3) == ga_response(0x84, v.hex(s, "eph_pk_ic")));
    auto r4 = chip.process(ga(false, 0x85, v.hex(s, "t_ifd")));
    if (s == "I.1") {
      CHECK(rsp_bytes(r4) == v.hex("I.1", "rsp_ga4"));  // 86 T_IC, 8A A_IC exactly as published
    } else if (s == "G.2") {
      CHECK(rsp_bytes(r4) == v.hex("G.2", "rsp_ga4"));  // 86 T_IC, 87 CAR
    } else {
      CHECK(rsp_bytes(r4) == ga_response(0x86, v.hex(s, "t_ic")));
    }
    CHECK(chip.outcome() == PaceChipOutcome::kEstablished);
  }
}

TEST_CASE("the chip rejects protocol errors with the right status words") {
  const Password can = Password::can("500540").value();
  const auto info = lds::PaceInfo{hex_or_die("04007F00070202040202"), 2, 13};
  PaceChipConfig config;
  config.pace_infos = {info};
  config.passwords = {chip_password(can)};
  const Bytes mse_can = hex_or_die("0022C1A40F800A04007F00070202040202830102");
  auto fresh = [&] {
    auto chip = std::make_unique<PaceChip>(config);
    REQUIRE(chip->process(parse(mse_can)).sw == 0x9000);
    return chip;
  };
  struct Case {
    const char* what;
    std::function<uint16_t()> run;
    uint16_t sw;
  };
  const Case cases[] = {
      {"GENERAL AUTHENTICATE before MSE:Set AT", [&] { return PaceChip(config).process(ga(true, 0, {})).sw; }, 0x6985},
      {"unknown password reference (PIN)", [&] { return PaceChip(config).process(parse(hex_or_die("0022C1A40F800A04007F00070202040202830103"))).sw; }, 0x6A88},
      {"protocol not offered", [&] { return PaceChip(config).process(parse(hex_or_die("0022C1A40F800A04007F00070202040204830102"))).sw; }, 0x6A80},
      {"unknown parameter ID in 84", [&] { return PaceChip(config).process(parse(hex_or_die("0022C1A412800A04007F0007020204020283010284010C"))).sw; }, 0x6A88},
      {"MSE:Set AT without 83", [&] { return PaceChip(config).process(parse(hex_or_die("0022C1A40C800A04007F00070202040202"))).sw; }, 0x6A80},
      {"step 1 unchained", [&] { return fresh()->process(ga(false, 0, {})).sw; }, 0x6883},
      {"step 1 with data", [&] { return fresh()->process(ga(true, 0x80, Bytes{1})).sw; }, 0x6A80},
      {"step 2 with a point off the curve", [&] {
         auto chip = fresh();
         chip->process(ga(true, 0, {}));
         Bytes bad = vectors().hex("G.1", "map_pk_ifd");
         bad.back() ^= 1;
         return chip->process(ga(true, 0x81, bad)).sw;
       }, 0x6A80},
      {"step 2 with the wrong tag", [&] {
         auto chip = fresh();
         chip->process(ga(true, 0, {}));
         return chip->process(ga(true, 0x83, vectors().hex("G.1", "map_pk_ifd"))).sw;
       }, 0x6A80},
      {"a wrong terminal token (wrong CAN)", [&] {
         testing::PaceChipTransport card(config);
         auto r = run_pace(card, Password::can("500541").value(), choose_pace({info}).value());
         return r.ok() ? uint16_t{0x9000} : r.error().sw;
       }, 0x6300},
  };
  for (const auto& c : cases) {
    INFO(std::string(c.what));
    CHECK(c.run() == c.sw);
  }
  // After an aborted run, further GENERAL AUTHENTICATE commands are refused.
  auto chip = fresh();
  CHECK(chip->process(ga(false, 0, {})).sw == 0x6883);
  CHECK(chip->outcome() == PaceChipOutcome::kAborted);
  CHECK(chip->process(ga(true, 0, {})).sw == 0x6985);
  CHECK_FALSE(chip->take_session_keys().has_value());
  CHECK(chip->process(apdu::get_challenge()).sw == 0x6D00);
}

TEST_CASE("terminal and chip agree on every PACE protocol and standardized domain") {
  // Every mapping x cipher on brainpoolP256r1 and the 1024-bit DH group, and ECDH-GM on every
  // standardized curve; the session is then used once under secure messaging.
  const Password can = Password::can("123456").value();
  std::vector<lds::PaceInfo> infos;
  for (uint8_t mapping : {0x01, 0x02, 0x03, 0x04, 0x06}) {
    for (uint8_t cipher : {0x01, 0x02, 0x03, 0x04}) {
      if (mapping == 0x06 && cipher == 0x01) continue;  // no CAM with 3DES
      const bool dh = mapping == 0x01 || mapping == 0x03;
      infos.push_back(lds::PaceInfo{concat({hex_or_die("04007F0007020204"), Bytes{mapping, cipher}}), 2, dh ? 0 : 13});
    }
  }
  for (int id = 8; id <= 18; ++id) infos.push_back(lds::PaceInfo{hex_or_die("04007F00070202040202"), 2, id});
  for (int id = 8; id <= 18; ++id) {
    if (id != 10) infos.push_back(lds::PaceInfo{hex_or_die("04007F00070202040404"), 2, id});  // IM: not P-224
  }
  infos.push_back(lds::PaceInfo{hex_or_die("04007F00070202040604"), 2, 17});   // CAM on brainpoolP512r1
  infos.push_back(lds::PaceInfo{hex_or_die("04007F00070202040301"), 2, 1});    // DH-IM-3DES, 2048/224
  for (const auto& info : infos) {
    const auto alg = pace_algorithm_from_oid(info.protocol).value();
    CAPTURE(alg.name());
    CAPTURE(*info.parameter_id);
    PaceChipConfig config;
    config.pace_infos = {info};
    config.passwords = {chip_password(can)};
    if (alg.mapping == PaceMapping::kChipAuthentication) {
      config.cam_private_key = PaceDomain::standardized(*info.parameter_id)->generate_key_pair()->private_key();
    }
    testing::PaceChipTransport card(config);
    card.set_capabilities(apdu::TransportCaps{65535, 65536, true});
    auto r = run_pace(card, can, choose_pace({info}).value());
    REQUIRE_MESSAGE(r.ok(), r.error().message());
    CHECK(r->algorithm.cipher == alg.cipher);
    CHECK(r->channel->alg() == alg.cipher);
    auto rsp = r->channel->transmit(apdu::read_binary(0, 4).value());
    REQUIRE_MESSAGE(rsp.ok(), rsp.error().message());
    CHECK(rsp->data == Bytes{0x60, 0x14, 0x5F, 0x01});
    REQUIRE(card.last_plain_command().has_value());
    CHECK(card.last_plain_command()->ins == 0xB0);
    if (alg.mapping == PaceMapping::kChipAuthentication) {
      auto domain = PaceDomain::standardized(*info.parameter_id).value();
      auto pk_ic = domain.key_pair_from_private(*config.cam_private_key).value();
      auto point = domain.ec_generator()->group().decode_point(pk_ic.public_key()).value();
      CHECK(verify_pace_cam(*r, point).ok());
    }
  }
}
