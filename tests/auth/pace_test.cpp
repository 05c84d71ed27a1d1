#include "idtap/auth/pace.h"

#include <doctest/doctest.h>

#include "auth/pace_chip_transport.h"
#include "idtap/apdu/commands.h"
#include "idtap/apdu/scripted_transport.h"
#include "idtap/apdu/tlv.h"
#include "idtap/auth/mrz_key.h"
#include "idtap/base/hex.h"
#include "idtap/sm/card_sm.h"
#include "idtap/sm/terminal_sm.h"
#include "auth/pace_vectors.h"
#include "vectors/vector_file.h"

using namespace idtap;
using namespace idtap::auth;
using crypto::CipherAlg;
using idtap::test::VectorFile;

namespace {

const VectorFile& vectors() { return test::pace_vectors(); }

using test::g_password;
using test::i_password;

lds::PaceInfo info_of(const std::string& section) { return test::pace_info_of(section); }

PaceSelection select(const lds::PaceInfo& info) { return choose_pace({info}).value(); }

// GENERAL AUTHENTICATE as sent (7C {tag value}, Le 00) and a 9000 response 7C {tag value}.
Bytes ga_command(bool chained, uint32_t tag, ByteView value) {
  return apdu::general_authenticate(apdu::encode_tlv(tag, value), chained).encode().value();
}
Bytes ga_response(uint32_t tag, ByteView value) { return concat({apdu::encode_tlv(0x7C, apdu::encode_tlv(tag, value)), Bytes{0x90, 0x00}}); }

PaceOptions injected(const std::string& section, bool integrated = false) {
  PaceOptions o;
  if (integrated) {
    o.randomness.nonce_t = vectors().hex(section, "t");
  } else {
    o.randomness.mapping_private_key = secure_copy(vectors().hex(section, "map_sk_ifd"));
  }
  o.randomness.key_agreement_private_key = secure_copy(vectors().hex(section, "eph_sk_ifd"));
  return o;
}

// Proves the channel holds the section's KS_enc / KS_mac: the first protected command must be
// byte-for-byte what secure messaging with the published keys produces, and the card's answer
// under those keys must unwrap.
void expect_protected_select(apdu::ScriptedTransport& t, const std::string& section, CipherAlg alg) {
  sm::SessionKeys keys{alg, secure_copy(vectors().hex(section, "ks_enc")), secure_copy(vectors().hex(section, "ks_mac")),
                       sm::zero_ssc(alg)};
  auto terminal = sm::TerminalSecureMessaging::create(keys).value();
  auto card = sm::CardSecureMessaging::create(keys).value();
  auto cmd = terminal.wrap_command(apdu::select_by_df_name(apdu::kEmrtdAid)).value();
  REQUIRE(card.unwrap_command(cmd).ok());
  auto rsp = card.wrap_response(apdu::ResponseApdu{{}, 0x9000}).value();
  t.expect_bytes(cmd.encode().value(), rsp.encode());
}

void check_protected_select(PaceResult& r) {
  REQUIRE(r.channel != nullptr);
  auto rsp = r.channel->transmit(apdu::select_by_df_name(apdu::kEmrtdAid));
  REQUIRE(rsp.ok());
  CHECK(rsp->sw == 0x9000);
}

// The Appendix G.1 conversation as published, one (command, response) pair per step.
std::vector<std::pair<Bytes, Bytes>> g1_steps() {
  const VectorFile& v = vectors();
  return {{v.hex("G.1", "cmd_mse"), v.hex("G.1", "rsp_mse")},
          {v.hex("G.1", "cmd_ga1"), v.hex("G.1", "rsp_ga1")},
          {v.hex("G.1", "cmd_ga2"), v.hex("G.1", "rsp_ga2")},
          {v.hex("G.1", "cmd_ga3"), v.hex("G.1", "rsp_ga3")},
          {v.hex("G.1", "cmd_ga4"), v.hex("G.1", "rsp_ga4")}};
}

}  // namespace

TEST_CASE("ICAO 9303-11 Appendix G.1 replayed byte for byte: PACE-ECDH-GM, brainpoolP256r1") {
  apdu::ScriptedTransport t;
  for (const auto& [cmd, rsp] : g1_steps()) t.expect_bytes(cmd, rsp);
  expect_protected_select(t, "G.1", CipherAlg::kAes128);
  auto sel = select(info_of("G.1"));
  CHECK_FALSE(sel.send_parameter_id);  // one PACEInfo: no 84, as in the appendix
  auto r = run_pace(t, g_password(), sel, injected("G.1"));
  REQUIRE_MESSAGE(r.ok(), r.error().message());
  CHECK(r->algorithm.name() == "id-PACE-ECDH-GM-AES-CBC-CMAC-128");
  CHECK(r->domain == "brainpoolP256r1");
  CHECK(r->password == PasswordKind::kMrz);
  CHECK(r->chip_mapping_public_key == vectors().hex("G.1", "map_pk_ic"));
  CHECK(r->chip_ephemeral_public_key == vectors().hex("G.1", "eph_pk_ic"));
  CHECK_FALSE(r->chip_authentication_data.has_value());
  CHECK_FALSE(r->retries_left.has_value());
  CHECK(r->channel->alg() == CipherAlg::kAes128);
  CHECK(to_bytes(r->channel->ssc()) == Bytes(16, 0x00));
  check_protected_select(*r);
  CHECK(t.done());
}

TEST_CASE("ICAO 9303-11 Appendix G.2 replayed byte for byte: PACE-DH-GM, 1024-bit MODP") {
  const VectorFile& v = vectors();
  apdu::ScriptedTransport t;
  t.expect_bytes(v.hex("G.2", "cmd_mse"), v.hex("G.2", "rsp_mse"));
  t.expect_bytes(v.hex("G.2", "cmd_ga1"), v.hex("G.2", "rsp_ga1"));
  t.expect_bytes(ga_command(true, 0x81, v.hex("G.2", "map_pk_ifd")), ga_response(0x82, v.hex("G.2", "map_pk_ic")));
  t.expect_bytes(ga_command(true, 0x83, v.hex("G.2", "eph_pk_ifd")), ga_response(0x84, v.hex("G.2", "eph_pk_ic")));
  t.expect_bytes(v.hex("G.2", "cmd_ga4"), v.hex("G.2", "rsp_ga4"));
  expect_protected_select(t, "G.2", CipherAlg::kAes128);
  auto r = run_pace(t, g_password(), select(info_of("G.2")), injected("G.2"));
  REQUIRE_MESSAGE(r.ok(), r.error().message());
  CHECK(r->algorithm.name() == "id-PACE-DH-GM-AES-CBC-CMAC-128");
  CHECK(r->car == bytes_of("DETESTCVCA00003"));  // the 87 the appendix's chip returns
  check_protected_select(*r);
  CHECK(t.done());
  // The commands carry the DH values as minimal unsigned integers (81 81 80 ..., §9.4.1).
  CHECK(to_hex(t.sent()[2]).substr(0, 22) == "10860000867c8183818180");
}

TEST_CASE("PACE-DH: our own public value sent back with a leading zero byte is still a reflection") {
  // ICAO 9303-11 §4.4.3.3.2 (and TR-03110): the terminal rejects a chip public key equal to its
  // own. DH values are integers: 00 || PK_IFD is PK_IFD, and must be caught as such.
  const VectorFile& v = vectors();
  struct Case {
    size_t step;  // 2: mapping, 3: key agreement
    const char* what;
  } cases[] = {{2, "mapping public key"}, {3, "ephemeral public key"}};
  for (const Case& c : cases) {
    INFO(std::string(c.what));
    apdu::ScriptedTransport t;
    t.expect_bytes(v.hex("G.2", "cmd_mse"), v.hex("G.2", "rsp_mse"));
    t.expect_bytes(v.hex("G.2", "cmd_ga1"), v.hex("G.2", "rsp_ga1"));
    Bytes map_pk_ifd = v.hex("G.2", "map_pk_ifd");
    Bytes padded = Bytes{0x00};
    if (c.step == 2) {
      append(padded, map_pk_ifd);
      t.expect_bytes(ga_command(true, 0x81, map_pk_ifd), ga_response(0x82, padded));
    } else {
      t.expect_bytes(ga_command(true, 0x81, map_pk_ifd), ga_response(0x82, v.hex("G.2", "map_pk_ic")));
      Bytes eph_pk_ifd = v.hex("G.2", "eph_pk_ifd");
      append(padded, eph_pk_ifd);
      t.expect_bytes(ga_command(true, 0x83, eph_pk_ifd), ga_response(0x84, padded));
    }
    auto r = run_pace(t, g_password(), select(info_of("G.2")), injected("G.2"));
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code == ErrorCode::kAuthFailed);
    CHECK_MESSAGE(r.error().context.find("reflection") != std::string::npos, r.error().context);
  }
}

TEST_CASE("ICAO 9303-11 Appendix H.1 / H.2 replayed: PACE-ECDH-IM and PACE-DH-IM") {
  // Appendix H's K_pi (591468CD...) is not derived from the MRZ it names; the nonce is
  // re-encrypted under Appendix G's MRZ key, everything after it is the appendix's own.
  for (const char* section : {"H.1", "H.2"}) {
    INFO(std::string(section));
    const VectorFile& v = vectors();
    const auto info = info_of(section);
    const auto alg = pace_algorithm_from_oid(info.protocol).value();
    const Bytes k_pi = v.hex("G.1", "k_pi");
    const Bytes z = encrypt_nonce(alg.cipher, k_pi, v.hex(section, "s")).value();
    apdu::ScriptedTransport t;
    t.expect_bytes(concat({hex_or_die("0022C1A40F800A"), info.protocol, hex_or_die("830101")}), hex_or_die("9000"));
    t.expect("10 86 00 00 02 7C 00 00", to_hex(ga_response(0x80, z)));
    t.expect_bytes(ga_command(true, 0x81, v.hex(section, "t")), hex_or_die("7C0282009000"));  // 82 empty (§4.4.5.2.2)
    t.expect_bytes(ga_command(true, 0x83, v.hex(section, "eph_pk_ifd")), ga_response(0x84, v.hex(section, "eph_pk_ic")));
    t.expect_bytes(ga_command(false, 0x85, v.hex(section, "t_ifd")), ga_response(0x86, v.hex(section, "t_ic")));
    expect_protected_select(t, section, CipherAlg::kAes128);
    auto r = run_pace(t, g_password(), select(info), injected(section, true));
    REQUIRE_MESSAGE(r.ok(), r.error().message());
    CHECK(r->algorithm.mapping == PaceMapping::kIntegrated);
    CHECK(r->chip_mapping_public_key.empty());
    check_protected_select(*r);
    CHECK(t.done());
  }
}

TEST_CASE("ICAO 9303-11 Appendix I.1 replayed: PACE-CAM returns and verifies the chip authentication data") {
  const VectorFile& v = vectors();
  apdu::ScriptedTransport t;
  t.expect_bytes(v.hex("I.1", "cmd_mse"), hex_or_die("9000"));
  t.expect("10 86 00 00 02 7C 00 00", to_hex(ga_response(0x80, v.hex("I.1", "z"))));
  t.expect_bytes(ga_command(true, 0x81, v.hex("I.1", "map_pk_ifd")), ga_response(0x82, v.hex("I.1", "map_pk_ic")));
  t.expect_bytes(ga_command(true, 0x83, v.hex("I.1", "eph_pk_ifd")), ga_response(0x84, v.hex("I.1", "eph_pk_ic")));
  t.expect_bytes(v.hex("I.1", "cmd_ga4"), v.hex("I.1", "rsp_ga4"));
  expect_protected_select(t, "I.1", CipherAlg::kAes128);
  auto r = run_pace(t, i_password(), select(info_of("I.1")), injected("I.1"));
  REQUIRE_MESSAGE(r.ok(), r.error().message());
  REQUIRE(r->chip_authentication_data.has_value());
  CHECK(to_bytes(*r->chip_authentication_data) == v.hex("I.1", "ca_ic"));
  CHECK(r->chip_mapping_public_key == v.hex("I.1", "map_pk_ic"));
  check_protected_select(*r);
  CHECK(t.done());

  // Completing CA with the key of EF.CardSecurity; a different key does not verify.
  auto group = crypto::EcGroup::named(crypto::EcCurve::kBrainpoolP256r1).value();
  CHECK(verify_pace_cam(*r, group.decode_point(v.hex("I.1", "pk_ic")).value()).ok());
  CHECK(verify_pace_cam(*r, group.generator()).error().code == ErrorCode::kVerificationFailed);
  PaceResult not_cam;
  CHECK(verify_pace_cam(not_cam, group.generator()).error().code == ErrorCode::kInvalidArgument);
}

TEST_CASE("a hostile or failing card: each defect is its own error, and nothing is retried") {
  const VectorFile& v = vectors();
  const Bytes map_pk_ifd = v.hex("G.1", "map_pk_ifd");
  const Bytes eph_pk_ifd = v.hex("G.1", "eph_pk_ifd");
  Bytes off_curve = v.hex("G.1", "map_pk_ic");
  off_curve.back() ^= 0x01;
  Bytes eph_off_curve = v.hex("G.1", "eph_pk_ic");
  eph_off_curve.back() ^= 0x01;
  Bytes bad_token = v.hex("G.1", "t_ic");
  bad_token[0] ^= 0x80;
  Bytes compressed = v.hex("G.1", "map_pk_ic");
  compressed.resize(33);
  compressed[0] = 0x02;
  auto hexs = [](ByteView b) { return to_hex(b); };
  struct Case {
    const char* what;
    size_t step;           // the step whose response is replaced (0 = MSE:Set AT)
    std::string response;  // hex, data then SW
    ErrorCode code;
    uint16_t sw;           // the SW the error carries (0: none)
    const char* message;
  };
  const Case cases[] = {
      // MSE:Set AT
      {"MSE: algorithm not supported", 0, "6A80", ErrorCode::kCardStatus, 0x6A80, "MSE:Set AT"},
      {"MSE: password blocked, counter 0", 0, "63C0", ErrorCode::kPasswordBlocked, 0x63C0, "blocked"},
      {"MSE: authentication method blocked", 0, "6983", ErrorCode::kPasswordBlocked, 0x6983, "blocked"},
      {"MSE: reference data not usable", 0, "6984", ErrorCode::kPasswordBlocked, 0x6984, "not usable"},
      // step 1: encrypted nonce
      {"step 1: security status not satisfied", 1, "6982", ErrorCode::kCardStatus, 0x6982, "step 1"},
      {"step 1: missing tag 80", 1, "7C00 9000", ErrorCode::kMalformed, 0, "missing tag 80"},
      {"step 1: not a 7C template", 1, "8010" + std::string(32, '1') + "9000", ErrorCode::kMalformed, 0, "7C"},
      {"step 1: nonce of 15 bytes", 1, "7C11800F" + std::string(30, 'A') + "9000", ErrorCode::kMalformed, 0, "encrypted nonce of 15 bytes"},
      {"step 1: empty nonce", 1, "7C028000 9000", ErrorCode::kMalformed, 0, "encrypted nonce of 0 bytes"},
      {"step 1: trailing bytes after 7C", 1, "7C12801095A3A016522EE98D01E76CB6B98B42C3FF 9000", ErrorCode::kMalformed, 0, "7C"},
      // step 2: mapping
      {"step 2: wrong tag (84 for 82)", 2, "7C438441" + hexs(v.hex("G.1", "map_pk_ic")) + "9000", ErrorCode::kMalformed, 0, "tag 84 where 82"},
      {"step 2: point not on the curve", 2, "7C438241" + hexs(off_curve) + "9000", ErrorCode::kMalformed, 0, "not on the curve"},
      {"step 2: point at infinity", 2, "7C03820100 9000", ErrorCode::kMalformed, 0, "infinity"},
      {"step 2: compressed point", 2, "7C238221" + hexs(compressed) + "9000", ErrorCode::kMalformed, 0, "expected 65"},
      {"step 2: our own mapping key reflected", 2, "7C438241" + hexs(map_pk_ifd) + "9000", ErrorCode::kAuthFailed, 0, "reflection"},
      {"step 2: incorrect data", 2, "6A80", ErrorCode::kCardStatus, 0x6A80, "step 2"},
      // step 3: key agreement
      {"step 3: point not on the curve", 3, "7C438441" + hexs(eph_off_curve) + "9000", ErrorCode::kMalformed, 0, "not on the curve"},
      {"step 3: our own ephemeral key reflected", 3, "7C438441" + hexs(eph_pk_ifd) + "9000", ErrorCode::kAuthFailed, 0, "reflection"},
      {"step 3: missing tag 84", 3, "7C00 9000", ErrorCode::kMalformed, 0, "missing tag 84"},
      // step 4: mutual authentication
      {"step 4: wrong chip token", 4, "7C0A8608" + hexs(bad_token) + "9000", ErrorCode::kAuthFailed, 0, "T_IC does not verify"},
      {"step 4: short token", 4, "7C0686043ABB9674 9000", ErrorCode::kMalformed, 0, "4 bytes, expected 8"},
      {"step 4: missing token", 4, "7C00 9000", ErrorCode::kMalformed, 0, "missing tag 86"},
      {"step 4: CAM data without CAM", 4, "7C0E86083ABB9674BCE93C088A0211119000", ErrorCode::kMalformed, 0, "8A"},
      {"step 4: wrong MRZ, 2 tries left", 4, "63C2", ErrorCode::kAuthFailed, 0x63C2, "2 tries left"},
      {"step 4: wrong MRZ, 1 try left (not a PIN)", 4, "63C1", ErrorCode::kAuthFailed, 0x63C1, "1 try left"},
      {"step 4: authentication failed", 4, "6300", ErrorCode::kAuthFailed, 0x6300, "wrong MRZ?"},
      {"step 4: retry counter exhausted", 4, "63C0", ErrorCode::kPasswordBlocked, 0x63C0, "blocked"},
      {"step 4: blocked", 4, "6983", ErrorCode::kPasswordBlocked, 0x6983, "blocked"},
  };
  for (const auto& c : cases) {
    INFO(std::string(c.what));
    apdu::ScriptedTransport t;
    auto steps = g1_steps();
    for (size_t i = 0; i < c.step; ++i) t.expect_bytes(steps[i].first, steps[i].second);
    t.expect(to_hex(steps[c.step].first), c.response);
    auto r = run_pace(t, g_password(), select(info_of("G.1")), injected("G.1"));
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code == c.code);
    CHECK(r.error().sw == c.sw);
    CHECK_MESSAGE(r.error().context.find(c.message) != std::string::npos, r.error().context);
    CHECK(t.done());  // no command after the failure: no retry
  }

  // A transport error passes through unchanged.
  apdu::ScriptedTransport t;
  auto steps = g1_steps();
  for (size_t i = 0; i < 3; ++i) t.expect_bytes(steps[i].first, steps[i].second);
  t.fail_next(make_error(ErrorCode::kCardRemoved, "card left the field"));
  auto r = run_pace(t, g_password(), select(info_of("G.1")), injected("G.1"));
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code == ErrorCode::kCardRemoved);
}

namespace {

PaceChipConfig chip_config(const lds::PaceInfo& info, const Password& chip_password) {
  PaceChipConfig c;
  c.pace_infos = {info};
  c.passwords.push_back(PaceChipPassword{chip_password.kind(), chip_password.pace_key_seed().value()});
  if (info.protocol[8] == 0x06) {  // id-PACE-ECDH-CAM-*
    auto domain = PaceDomain::standardized(*info.parameter_id).value();
    c.cam_private_key = domain.generate_key_pair()->private_key();
  }
  return c;
}

lds::PaceInfo ecdh_gm_128() { return lds::PaceInfo{hex_or_die("04007F00070202040202"), 2, 13}; }

}  // namespace

TEST_CASE("PIN retry counters: suspension, warnings and blocking, without any retry") {
  const Password pin = Password::pin("123456").value();
  const Password can = Password::can("123456").value();

  SUBCASE("MSE:Set AT 63C1 for a PIN: suspended, resume with the CAN") {
    testing::PaceChipTransport card(chip_config(ecdh_gm_128(), pin));
    card.rewrite = [](const apdu::CommandApdu& cmd, apdu::ResponseApdu& rsp) {
      if (cmd.ins == 0x22) rsp.sw = 0x63C1;
    };
    auto r = run_pace(card, pin, select(ecdh_gm_128()));
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code == ErrorCode::kPasswordSuspended);
    CHECK(r.error().sw == 0x63C1);
    CHECK(r.error().context.find("CAN") != std::string::npos);
    CHECK(card.commands() == 1);  // the PIN was not tried
  }
  SUBCASE("MSE:Set AT 63C2 for a PIN: a warning, PACE continues and reports the counter") {
    testing::PaceChipTransport card(chip_config(ecdh_gm_128(), pin));
    card.rewrite = [](const apdu::CommandApdu& cmd, apdu::ResponseApdu& rsp) {
      if (cmd.ins == 0x22) rsp.sw = 0x63C2;
    };
    auto r = run_pace(card, pin, select(ecdh_gm_128()));
    REQUIRE_MESSAGE(r.ok(), r.error().message());
    CHECK(r->retries_left == 2);
    CHECK(r->password == PasswordKind::kPin);
    check_protected_select(*r);
  }
  SUBCASE("MSE:Set AT 63C1 for a CAN is only a warning") {
    testing::PaceChipTransport card(chip_config(ecdh_gm_128(), can));
    card.rewrite = [](const apdu::CommandApdu& cmd, apdu::ResponseApdu& rsp) {
      if (cmd.ins == 0x22) rsp.sw = 0x63C1;
    };
    auto r = run_pace(card, can, select(ecdh_gm_128()));
    REQUIRE(r.ok());
    CHECK(r->retries_left == 1);
  }
  SUBCASE("a wrong PIN: the chip refuses the token; 63C1 there means suspended") {
    testing::PaceChipTransport card(chip_config(ecdh_gm_128(), Password::pin("654321").value()));
    auto r = run_pace(card, pin, select(ecdh_gm_128()));
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code == ErrorCode::kAuthFailed);
    CHECK(r.error().sw == 0x6300);
    CHECK(card.chip().outcome() == PaceChipOutcome::kAuthFailed);
    CHECK(card.commands() == 5);

    testing::PaceChipTransport card2(chip_config(ecdh_gm_128(), Password::pin("654321").value()));
    card2.rewrite = [](const apdu::CommandApdu& cmd, apdu::ResponseApdu& rsp) {
      if (cmd.ins == 0x86 && rsp.sw == 0x6300) rsp.sw = 0x63C1;
    };
    auto r2 = run_pace(card2, pin, select(ecdh_gm_128()));
    REQUIRE_FALSE(r2.ok());
    CHECK(r2.error().code == ErrorCode::kPasswordSuspended);
    CHECK(card2.commands() == 5);
  }
}

TEST_CASE("choose_pace prefers CAM, then GM, ECDH, the strongest cipher; the caller can force one") {
  auto info = [](const char* oid, int id) { return lds::PaceInfo{hex_or_die(oid), 2, id}; };
  const auto gm128_bp256 = info("04007F00070202040202", 13);
  const auto gm256_p256 = info("04007F00070202040204", 12);
  const auto gm256_bp384 = info("04007F00070202040204", 16);
  const auto cam128 = info("04007F00070202040602", 13);
  const auto im256 = info("04007F00070202040404", 13);
  const auto dh_gm256 = info("04007F00070202040104", 2);
  const auto tdes = info("04007F00070202040201", 13);
  const auto explicit_params = info("04007F00070202040204", 31);
  const auto im_p224 = info("04007F00070202040402", 10);
  const auto unknown = info("04007F00070202040901", 13);
  const auto mismatched = info("04007F00070202040202", 0);  // ECDH protocol with a DH group

  struct Case {
    const char* what;
    std::vector<lds::PaceInfo> offered;
    lds::PaceInfo expected;
  };
  const Case cases[] = {
      {"CAM beats GM with a stronger cipher", {gm256_p256, cam128}, cam128},
      {"GM beats IM", {im256, gm128_bp256}, gm128_bp256},
      {"ECDH beats DH", {dh_gm256, gm128_bp256}, gm128_bp256},
      {"AES-256 beats AES-128", {gm128_bp256, gm256_p256}, gm256_p256},
      {"AES-128 beats 3DES", {tdes, gm128_bp256}, gm128_bp256},
      {"then the larger curve", {gm256_p256, gm256_bp384}, gm256_bp384},
      {"unsupported entries are skipped", {explicit_params, unknown, mismatched, im_p224, dh_gm256}, dh_gm256},
      {"equal entries keep the card's order", {gm256_p256, info("04007F00070202040204", 13)}, gm256_p256},
  };
  for (const auto& c : cases) {
    INFO(std::string(c.what));
    auto sel = choose_pace(c.offered);
    REQUIRE_MESSAGE(sel.ok(), sel.error().message());
    CHECK(sel->info.protocol == c.expected.protocol);
    CHECK(sel->info.parameter_id == c.expected.parameter_id);
    CHECK(sel->send_parameter_id == (c.offered.size() > 1));
  }

  // Forcing a protocol (and parameter ID).
  PaceChoiceOptions force;
  force.protocol = im256.protocol;
  CHECK(choose_pace({gm128_bp256, im256}, force)->info.protocol == im256.protocol);
  force.protocol = gm256_p256.protocol;
  force.parameter_id = 16;
  CHECK(choose_pace({gm256_p256, gm256_bp384}, force)->info.parameter_id == 16);
  force.protocol = cam128.protocol;
  force.parameter_id.reset();
  CHECK(choose_pace({gm128_bp256}, force).error().code == ErrorCode::kNotSupported);

  // Policies and switches.
  PaceChoiceOptions always;
  always.parameter_id_policy = ParameterIdPolicy::kAlways;
  CHECK(choose_pace({gm128_bp256}, always)->send_parameter_id);
  PaceChoiceOptions never;
  never.parameter_id_policy = ParameterIdPolicy::kNever;
  CHECK_FALSE(choose_pace({gm128_bp256, cam128}, never)->send_parameter_id);
  PaceChoiceOptions no_im;
  no_im.allow_integrated_mapping = false;
  CHECK(choose_pace({im256}, no_im).error().code == ErrorCode::kNotSupported);
  PaceChoiceOptions no_3des;
  no_3des.allow_3des = false;
  CHECK(choose_pace({tdes}, no_3des).error().code == ErrorCode::kNotSupported);

  // Nothing usable: the error names every problem.
  auto none = choose_pace({explicit_params, unknown, im_p224});
  REQUIRE_FALSE(none.ok());
  CHECK(none.error().code == ErrorCode::kNotSupported);
  CHECK(none.error().context.find("parameter ID 31") != std::string::npos);
  CHECK(none.error().context.find("0.4.0.127.0.7.2.2.4.9.1") != std::string::npos);
  CHECK(none.error().context.find("P-224") != std::string::npos);
  CHECK(choose_pace({}).error().code == ErrorCode::kInvalidArgument);
}

TEST_CASE("choose_access: PACE when EF.CardAccess offers a usable PACEInfo, BAC otherwise") {
  auto none = choose_access(std::nullopt);
  CHECK(none.method == AccessControl::kBac);
  CHECK(none.reason.find("no EF.CardAccess") != std::string::npos);

  lds::SecurityInfos empty;
  CHECK(choose_access(empty).method == AccessControl::kBac);

  lds::SecurityInfos unusable;
  unusable.pace.push_back(lds::PaceInfo{hex_or_die("04007F00070202040204"), 2, 31});
  auto u = choose_access(unusable);
  CHECK(u.method == AccessControl::kBac);
  CHECK(u.reason.find("not usable") != std::string::npos);

  lds::SecurityInfos good;
  good.pace.push_back(ecdh_gm_128());
  auto g = choose_access(good);
  CHECK(g.method == AccessControl::kPace);
  REQUIRE(g.pace.has_value());
  CHECK(g.pace->algorithm.name() == "id-PACE-ECDH-GM-AES-CBC-CMAC-128");
}

TEST_CASE("MSE:Set AT names the parameter ID when the card lists several PACEInfos") {
  const Password can = Password::can("123456").value();
  const auto cam = lds::PaceInfo{hex_or_die("04007F00070202040602"), 2, 13};
  PaceChipConfig config = chip_config(cam, can);
  config.pace_infos.push_back(ecdh_gm_128());
  testing::PaceChipTransport card(config);
  auto sel = choose_pace(config.pace_infos).value();
  CHECK(sel.send_parameter_id);
  auto r = run_pace(card, can, sel);
  REQUIRE_MESSAGE(r.ok(), r.error().message());
  CHECK(r->algorithm.mapping == PaceMapping::kChipAuthentication);
  CHECK(r->chip_authentication_data.has_value());
}

TEST_CASE("DH-2048 needs extended length: refused up front on a short-only transport") {
  const Password can = Password::can("123456").value();
  const auto dh2048 = lds::PaceInfo{hex_or_die("04007F00070202040102"), 2, 2};
  testing::PaceChipTransport card(chip_config(dh2048, can));
  auto r = run_pace(card, can, select(dh2048));
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code == ErrorCode::kNotSupported);
  CHECK(card.commands() == 0);
  card.set_capabilities(apdu::TransportCaps{65535, 65536, true});
  auto ok = run_pace(card, can, select(dh2048));
  REQUIRE_MESSAGE(ok.ok(), ok.error().message());
  check_protected_select(*ok);
}

TEST_CASE("one selection, several runs: each run is fresh, a failed run leaves nothing behind") {
  const Password can = Password::can("123456").value();
  testing::PaceChipTransport card(chip_config(ecdh_gm_128(), can));
  const auto sel = select(ecdh_gm_128());
  REQUIRE(sel.domain.has_value());  // built once by choose_pace
  auto first = run_pace(card, can, sel);
  REQUIRE(first.ok());
  auto wrong = run_pace(card, Password::can("654321").value(), sel);
  REQUIRE_FALSE(wrong.ok());
  CHECK(wrong.error().code == ErrorCode::kAuthFailed);
  CHECK_FALSE(card.secure_messaging());
  auto second = run_pace(card, can, sel);
  REQUIRE(second.ok());
  CHECK(second->chip_ephemeral_public_key != first->chip_ephemeral_public_key);
  check_protected_select(*second);
  // A selection whose domain does not match its PACEInfo is refused before anything is sent.
  auto mismatched = sel;
  mismatched.domain = PaceDomain::standardized(12).value();
  const int before = card.commands();
  CHECK(run_pace(card, can, mismatched).error().code == ErrorCode::kInvalidArgument);
  CHECK(card.commands() == before);
}
