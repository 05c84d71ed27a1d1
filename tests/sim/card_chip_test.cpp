// Chip Authentication v1 and Active Authentication on the card's side, and the cloned chip: the
// test plays the terminal with lib/crypto and lib/sm (BAC first, from ICAO 9303-11 Appendix D).
#include <doctest/doctest.h>
#include <openssl/core_names.h>
#include <openssl/x509.h>

#include "idtap/apdu/tlv.h"
#include "idtap/auth/active_auth.h"
#include "idtap/base/hex.h"
#include "idtap/crypto/dh.h"
#include "idtap/crypto/ec.h"
#include "idtap/crypto/hash.h"
#include "idtap/crypto/kdf.h"
#include "idtap/crypto/pkey.h"
#include "idtap/sim/card.h"
#include "idtap/sm/terminal_sm.h"
#include "support/sim_images.h"
#include "support/test_pki.h"
#include "vectors/appendix_d.h"
#include "vectors/vector_file.h"

using namespace idtap;
using namespace idtap::sim;

namespace {

SecureBytes sb(const std::string& s) { return secure_copy(bytes_of(s)); }

// make_dh_key: an X9.42 DH key in the RFC 5114 group `group` ("dh_2048_256").
testing::EvpKey make_dh_key(const char* group) {
  EVP_PKEY_CTX* ctx = EVP_PKEY_CTX_new_from_name(nullptr, "DHX", nullptr);
  OSSL_PARAM params[2] = {OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, const_cast<char*>(group), 0),
                          OSSL_PARAM_construct_end()};
  EVP_PKEY* key = nullptr;
  REQUIRE(ctx != nullptr);
  REQUIRE(EVP_PKEY_keygen_init(ctx) == 1);
  REQUIRE(EVP_PKEY_CTX_set_params(ctx, params) == 1);
  REQUIRE(EVP_PKEY_generate(ctx, &key) == 1);
  EVP_PKEY_CTX_free(ctx);
  return testing::EvpKey(key, EVP_PKEY_free);
}

// ChipKeys: a CA key and an AA key for the test card, with their public keys as a terminal
// would take them from DG14 / DG15.
struct TestChipKeys {
  testing::EvpKey ca = testing::make_ec_key("brainpoolP256r1");
  testing::EvpKey ca_dh = make_dh_key("dh_2048_256");
  testing::EvpKey aa_ec = testing::make_ec_key("P-256");
  testing::EvpKey aa_rsa = testing::make_rsa_key(1024);
  crypto::PublicKey ca_public() const { return crypto::PublicKey::from_spki(testing::spki_der(ca.get())).value(); }
  crypto::PublicKey ca_dh_public() const { return crypto::PublicKey::from_spki(testing::spki_der(ca_dh.get())).value(); }
  crypto::PublicKey aa_ec_public() const { return crypto::PublicKey::from_spki(testing::spki_der(aa_ec.get())).value(); }
  crypto::PublicKey aa_rsa_public() const { return crypto::PublicKey::from_spki(testing::spki_der(aa_rsa.get())).value(); }
};

const TestChipKeys& chip_keys() {
  static const TestChipKeys keys;
  return keys;
}

struct CardOptions {
  bool rsa_aa = false;
  bool cloned = false;
  bool with_ca = true;
  bool dh_ca = false;  // the CA key is DH (RFC 5114 2048/256), not EC
  bool with_aa = true;
  crypto::HashAlg aa_hash = crypto::HashAlg::kSha256;
  std::vector<crypto::CipherAlg> ca_ciphers = {crypto::CipherAlg::kTdes, crypto::CipherAlg::kAes128,
                                              crypto::CipherAlg::kAes256};
};

// Session: a card after BAC (Appendix D's keys) and the terminal's half of secure messaging.
struct Session {
  std::unique_ptr<SimCard> card;
  std::optional<sm::TerminalSecureMessaging> sm;

  // send: `plain` protected with the current keys; the unwrapped response.
  Result<apdu::ResponseApdu> send(const apdu::CommandApdu& plain) {
    // Extended length, as the card accepts it: a DH public value is 128 or 256 bytes.
    IDTAP_ASSIGN_OR_RETURN(auto wrapped, sm->wrap_command(plain, sm::WrapOptions{.extended_length = true}));
    IDTAP_ASSIGN_OR_RETURN(Bytes wire, wrapped.encode());
    IDTAP_ASSIGN_OR_RETURN(auto response, apdu::ResponseApdu::parse(card->process(wire)));
    return sm->unwrap_response(response);
  }
  Result<apdu::ResponseApdu> send_hex(std::string_view plain_hex) {
    IDTAP_ASSIGN_OR_RETURN(auto plain, apdu::CommandApdu::parse(hex_or_die(plain_hex)));
    return send(plain);
  }
  // switch_keys: secure messaging continues with keys derived from K (SSC zero).
  void switch_keys(crypto::CipherAlg alg, ByteView k) {
    sm::SessionKeys keys;
    keys.alg = alg;
    keys.ks_enc = crypto::derive_key(alg, k, crypto::KdfCounter::kEnc).value();
    keys.ks_mac = crypto::derive_key(alg, k, crypto::KdfCounter::kMac).value();
    keys.ssc = sm::zero_ssc(alg);
    sm.emplace(sm::TerminalSecureMessaging::create(keys).value());
  }
};

Session bac_session(const CardOptions& o = {}) {
  const auto v = test::VectorFile::load("icao9303_11_appendix_d.txt");
  CardImage image = test::basic_card_image();
  image.files.com = hex_or_die(test::kAppendixDEfCom);
  if (o.with_ca) image.chip.ca_key_pem = sb(testing::key_pem(o.dh_ca ? chip_keys().ca_dh.get() : chip_keys().ca.get()));
  if (o.with_aa) image.chip.aa_key_pem = sb(testing::key_pem(o.rsa_aa ? chip_keys().aa_rsa.get() : chip_keys().aa_ec.get()));
  image.config.ca_ciphers = o.ca_ciphers;
  image.config.aa_hash = o.aa_hash;
  image.config.quirks.cloned_chip = o.cloned;
  auto made = SimCard::create(std::move(image));
  REQUIRE_MESSAGE(made.ok(), (made.ok() ? std::string() : made.error().message()));
  Session s;
  s.card = std::move(*made);
  s.card->set_random_source(test::scripted_random({v.hex("d3_bac", "rnd_icc"), v.hex("d3_bac", "k_icc")}));
  s.card->power_on();
  REQUIRE(to_hex(s.card->process(hex_or_die("00A4040C07A0000002471001"))) == "9000");
  REQUIRE(to_hex(s.card->process(hex_or_die("0084000008"))).ends_with("9000"));
  REQUIRE(to_hex(s.card->process(v.hex("d3_bac", "external_authenticate")), true) == to_hex(v.hex("d3_bac", "response"), true));
  s.card->set_random_source(nullptr);
  sm::SessionKeys keys = test::appendix_d_session_keys(v);
  s.sm.emplace(sm::TerminalSecureMessaging::create(keys).value());
  return s;
}

apdu::CommandApdu command(uint8_t cla, uint8_t ins, uint8_t p1, uint8_t p2, Bytes data, size_t ne = 0) {
  apdu::CommandApdu c;
  c.cla = cla;
  c.ins = ins;
  c.p1 = p1;
  c.p2 = p2;
  c.data = std::move(data);
  c.ne = ne;
  return c;
}

// id-CA-ECDH-* (ICAO 9303-11 §9.2.6).
Bytes ca_oid(uint8_t cipher) { return {0x04, 0x00, 0x7F, 0x00, 0x07, 0x02, 0x02, 0x03, 0x02, cipher}; }

// The terminal's ephemeral key on the chip's CA curve, and K with the chip's public key.
struct Ephemeral {
  crypto::EcKeyPair pair;
  SecureBytes k;
};
Ephemeral ephemeral_for(const crypto::PublicKey& chip) {
  auto pair = crypto::EcKeyPair::generate(chip.ec_point()->group().generator()).value();
  SecureBytes k = pair.agree_x(*chip.ec_point()).value();
  return {std::move(pair), std::move(k)};
}

const Bytes& dg1() {
  static const Bytes d = test::basic_card_image().files.data_groups.at(1);
  return d;
}

// check_reads_dg1: the session, under its current keys, reads DG1 whole.
void check_reads_dg1(Session& s) {
  auto read = s.send_hex("00B0810000");
  REQUIRE(read.ok());
  CHECK(read->data == dg1());
}

// set_kat: Chip Authentication with 3DES: MSE:Set KAT with the terminal's ephemeral public key
// (ICAO 9303-11 §6.2.4.1), answered 9000 under the keys so far; the terminal then goes on under
// 3DES keys from K = `k`.
void set_kat(Session& s, ByteView terminal_public, ByteView k) {
  auto kat = s.send(command(0x00, 0x22, 0x41, 0xA6, apdu::encode_tlv(0x91, terminal_public)));
  REQUIRE_MESSAGE(kat.ok(), (kat.ok() ? std::string() : kat.error().message()));
  CHECK(kat->sw == 0x9000);
  s.switch_keys(crypto::CipherAlg::kTdes, k);
}

// check_ca_set_kat: set_kat, after which the card is chip-authenticated and the session reads
// DG1 under the new keys.
void check_ca_set_kat(Session& s, ByteView terminal_public, ByteView k) {
  set_kat(s, terminal_public, k);
  CHECK(s.card->security_state() == SecurityState::kChipAuthenticated);
  check_reads_dg1(s);
}

// check_keys_do_not_match: the chip agreed on K with a CA key other than the terminal's
// (a clone): the first response under the terminal's new keys fails its MAC.
void check_keys_do_not_match(Session& s) {
  auto after = s.send_hex("00B0810000");
  REQUIRE_FALSE(after.ok());
  CHECK(after.error().code == ErrorCode::kSecureMessaging);
}

// check_ca_set_at: Chip Authentication with AES, MSE:Set AT naming `oid`, then GENERAL
// AUTHENTICATE 7C { 80 terminal_public } answered by an empty 7C; the session goes on under
// `alg` keys from K = `k`.
void check_ca_set_at(Session& s, ByteView oid, ByteView terminal_public, crypto::CipherAlg alg, ByteView k) {
  auto mse = s.send(command(0x00, 0x22, 0x41, 0xA4, apdu::encode_tlv(0x80, oid)));
  REQUIRE(mse.ok());
  CHECK(mse->sw == 0x9000);
  auto ga = s.send(command(0x00, 0x86, 0x00, 0x00, apdu::encode_tlv(0x7C, apdu::encode_tlv(0x80, terminal_public)), 256));
  REQUIRE(ga.ok());
  CHECK(ga->sw == 0x9000);
  CHECK(to_hex(ga->data) == "7c00");
  s.switch_keys(alg, k);
  check_reads_dg1(s);
}

// aes_of: the cipher of CA's id-CA-*-AES-CBC-CMAC-128 (2) or -256 (4).
crypto::CipherAlg aes_of(uint8_t cipher_id) { return cipher_id == 2 ? crypto::CipherAlg::kAes128 : crypto::CipherAlg::kAes256; }

}  // namespace

TEST_CASE("Chip Authentication with 3DES (MSE:Set KAT): the session continues under the chip's keys") {
  Session s = bac_session();
  Ephemeral e = ephemeral_for(chip_keys().ca_public());
  check_ca_set_kat(s, e.pair.public_encoded(), e.k);
}

TEST_CASE("Chip Authentication with AES (MSE:Set AT + GENERAL AUTHENTICATE), 128 and 256") {
  for (uint8_t cipher_id : {uint8_t{2}, uint8_t{4}}) {
    CAPTURE(cipher_id);
    Session s = bac_session();
    Ephemeral e = ephemeral_for(chip_keys().ca_public());
    check_ca_set_at(s, ca_oid(cipher_id), e.pair.public_encoded(), aes_of(cipher_id), e.k);
  }
}

// id-CA-DH-* (ICAO 9303-11 §9.2.6).
Bytes ca_dh_oid(uint8_t cipher) { return {0x04, 0x00, 0x7F, 0x00, 0x07, 0x02, 0x02, 0x03, 0x01, cipher}; }

TEST_CASE("Chip Authentication with a DH key (id-CA-DH-*): 3DES through Set KAT, AES through Set AT + GA") {
  const crypto::PublicKey chip = chip_keys().ca_dh_public();
  REQUIRE(chip.type() == crypto::PublicKeyType::kDh);
  REQUIRE(chip.dh_group()->id() == crypto::DhGroupId::kModp2048_256);
  struct Ephemeral {
    crypto::DhKeyPair pair;
    SecureBytes k;  // y_chip ^ x mod p, 256 bytes (PKCS#3)
  };
  auto ephemeral = [&] {
    auto pair = crypto::DhKeyPair::generate(*chip.dh_group()).value();
    SecureBytes k = pair.agree(*chip.dh_public()).value();
    return Ephemeral{std::move(pair), std::move(k)};
  };
  CardOptions o;
  o.dh_ca = true;
  SUBCASE("3DES: MSE:Set KAT with the terminal's y") {
    Session s = bac_session(o);
    Ephemeral e = ephemeral();
    CHECK(e.k.size() == 256);
    check_ca_set_kat(s, e.pair.public_value(), e.k);
  }
  SUBCASE("AES-128 and AES-256: MSE:Set AT id-CA-DH-AES-CBC-CMAC-*, GENERAL AUTHENTICATE 7C { 80 y }") {
    for (uint8_t cipher_id : {uint8_t{2}, uint8_t{4}}) {
      CAPTURE(cipher_id);
      Session s = bac_session(o);
      Ephemeral e = ephemeral();
      check_ca_set_at(s, ca_dh_oid(cipher_id), e.pair.public_value(), aes_of(cipher_id), e.k);
    }
  }
  SUBCASE("refused: an ECDH protocol for a DH key, public values outside the subgroup") {
    const Bytes p = chip.dh_group()->p();
    Bytes p_minus_1 = p;
    p_minus_1.back() -= 1;  // p is odd: no borrow
    struct Case {
      const char* what;
      apdu::CommandApdu command;
    } cases[] = {
        // id-CA-ECDH-AES-CBC-CMAC-128 names ECDH: this chip's key is DH.
        {"Set AT with an ECDH OID", command(0x00, 0x22, 0x41, 0xA4, apdu::encode_tlv(0x80, ca_oid(2)))},
        // y = 1: the trivial subgroup (RFC 2631 §2.1.5: 1 < y < p - 1).
        {"KAT with y = 1", command(0x00, 0x22, 0x41, 0xA6, apdu::encode_tlv(0x91, Bytes{0x01}))},
        // y = p - 1: order 2.
        {"KAT with y = p - 1", command(0x00, 0x22, 0x41, 0xA6, apdu::encode_tlv(0x91, p_minus_1))},
        // An EC point where a DH value belongs (not in the subgroup).
        {"KAT with an EC point", command(0x00, 0x22, 0x41, 0xA6, apdu::encode_tlv(0x91, ephemeral_for(chip_keys().ca_public()).pair.public_encoded()))},
    };
    for (const auto& c : cases) {
      CAPTURE(c.what);
      Session s = bac_session(o);
      auto r = s.send(c.command);
      REQUIRE(r.ok());
      CHECK(r->sw == 0x6A80);
      CHECK(s.card->security_state() == SecurityState::kBac);
    }
  }
  SUBCASE("a cloned chip holds another DH key in the same group: the terminal's keys do not match") {
    o.cloned = true;
    Session s = bac_session(o);
    Ephemeral e = ephemeral();
    set_kat(s, e.pair.public_value(), e.k);
    check_keys_do_not_match(s);
  }
}

TEST_CASE("Chip Authentication error paths") {
  const Bytes eph = ephemeral_for(chip_keys().ca_public()).pair.public_encoded();
  const Bytes off_curve = [&] {
    Bytes b = eph;
    b.back() ^= 0x01;  // no longer on the curve
    return b;
  }();
  struct Case {
    const char* what;
    CardOptions options;
    std::vector<apdu::CommandApdu> setup;  // protected, answers not checked
    apdu::CommandApdu command;
    uint16_t expect;
  };
  const auto mse_at = [](Bytes oid) { return command(0x00, 0x22, 0x41, 0xA4, apdu::encode_tlv(0x80, oid)); };
  const auto ga = [](Bytes pk) { return command(0x00, 0x86, 0x00, 0x00, apdu::encode_tlv(0x7C, apdu::encode_tlv(0x80, pk)), 256); };
  CardOptions no_tdes;
  no_tdes.ca_ciphers = {crypto::CipherAlg::kAes128};
  CardOptions no_ca;
  no_ca.with_ca = false;
  const Case cases[] = {
      // A point that is not on the chip's curve.
      {"KAT with a bad point", {}, {}, command(0x00, 0x22, 0x41, 0xA6, apdu::encode_tlv(0x91, off_curve)), 0x6A80},
      // Set KAT without the public key.
      {"KAT without 91", {}, {}, command(0x00, 0x22, 0x41, 0xA6, apdu::encode_tlv(0x84, Bytes{1})), 0x6A80},
      // 3DES CA on a chip that offers AES only.
      {"KAT when 3DES is not offered", no_tdes, {}, command(0x00, 0x22, 0x41, 0xA6, apdu::encode_tlv(0x91, eph)), 0x6985},
      // AES-192 is not in the chip's list.
      {"Set AT with a cipher not offered", {}, {}, mse_at(ca_oid(3)), 0x6A80},
      // id-CA-ECDH-3DES goes through Set KAT, not Set AT.
      {"Set AT with 3DES", {}, {}, mse_at(ca_oid(1)), 0x6A80},
      // Not a CA OID at all.
      {"Set AT with a PACE OID", {}, {}, mse_at({0x04, 0x00, 0x7F, 0x00, 0x07, 0x02, 0x02, 0x04, 0x02, 0x02}), 0x6A80},
      // GENERAL AUTHENTICATE with nothing set up.
      {"GA without MSE", {}, {}, ga(eph), 0x6985},
      // GENERAL AUTHENTICATE with a bad point.
      {"GA with a bad point", {}, {mse_at(ca_oid(2))}, ga(off_curve), 0x6A80},
      // GENERAL AUTHENTICATE data without the 7C template.
      {"GA without 7C", {}, {mse_at(ca_oid(2))}, command(0x00, 0x86, 0x00, 0x00, apdu::encode_tlv(0x80, eph), 256), 0x6A80},
      // A chip with no CA key.
      {"no CA key", no_ca, {}, mse_at(ca_oid(2)), 0x6A88},
      // MSE for Terminal Authentication (81 B6), which this card does not offer.
      {"MSE for TA", {}, {}, command(0x00, 0x22, 0x81, 0xB6, apdu::encode_tlv(0x83, Bytes{1})), 0x6A86},
  };
  for (const auto& tc : cases) {
    std::string what = tc.what;
    CAPTURE(what);
    Session s = bac_session(tc.options);
    for (const auto& c : tc.setup) REQUIRE(s.send(c).ok());
    auto r = s.send(tc.command);
    REQUIRE(r.ok());
    CHECK(r->sw == tc.expect);
    CHECK(s.card->security_state() == SecurityState::kBac);
  }

  SUBCASE("Chip Authentication in plain, before access control") {
    Session s = bac_session();
    s.card->power_on();
    Bytes wire = command(0x00, 0x22, 0x41, 0xA6, apdu::encode_tlv(0x91, eph)).encode().value();
    CHECK(to_hex(s.card->process(wire), true) == "6982");
  }
}

TEST_CASE("the MSE-rejects-Le quirk") {
  Session s = bac_session();
  CardQuirks q;
  q.mse_rejects_le = true;
  s.card->set_quirks(q);
  auto with_le = s.send(command(0x00, 0x22, 0x41, 0xA4, apdu::encode_tlv(0x80, ca_oid(2)), 256));
  REQUIRE(with_le.ok());
  CHECK(with_le->sw == 0x6700);
  auto without = s.send(command(0x00, 0x22, 0x41, 0xA4, apdu::encode_tlv(0x80, ca_oid(2))));
  REQUIRE(without.ok());
  CHECK(without->sw == 0x9000);
}

TEST_CASE("Active Authentication with ECDSA: a plain r || s signature over the challenge") {
  for (auto hash : {crypto::HashAlg::kSha256, crypto::HashAlg::kSha384}) {
    CardOptions o;
    o.aa_hash = hash;
    Session s = bac_session(o);
    const Bytes challenge = hex_or_die("0102030405060708");
    auto r = s.send(command(0x00, 0x88, 0x00, 0x00, challenge, 256));
    REQUIRE(r.ok());
    CHECK(r->sw == 0x9000);
    CHECK(r->data.size() == 64);  // P-256: 32 + 32
    crypto::SignatureParams params;
    params.scheme = crypto::SignatureScheme::kEcdsaPlain;
    params.hash = hash;
    CHECK(chip_keys().aa_ec_public().verify(params, challenge, r->data).ok());
    // A different challenge does not verify with this signature.
    CHECK_FALSE(chip_keys().aa_ec_public().verify(params, hex_or_die("0102030405060709"), r->data).ok());
  }
}

TEST_CASE("Active Authentication with RSA: ISO/IEC 9796-2 scheme 1, the trailer naming each hash") {
  // ISO/IEC 9796-2 §8.1.2: BC for SHA-1; the ISO/IEC 10118-3 identifier || CC otherwise.
  struct Case {
    crypto::HashAlg hash;
    const char* trailer;
  } cases[] = {
      {crypto::HashAlg::kSha1, "BC"},   {crypto::HashAlg::kSha224, "38CC"}, {crypto::HashAlg::kSha256, "34CC"},
      {crypto::HashAlg::kSha384, "36CC"}, {crypto::HashAlg::kSha512, "35CC"},
  };
  for (const auto& c : cases) {
    CAPTURE(c.trailer);
    CardOptions o;
    o.rsa_aa = true;
    o.aa_hash = c.hash;
    Session s = bac_session(o);
    const Bytes challenge = hex_or_die("F173589974BF40C6");
    auto r = s.send(command(0x00, 0x88, 0x00, 0x00, challenge, 256));
    REQUIRE(r.ok());
    CHECK(r->sw == 0x9000);
    REQUIRE(r->data.size() == 128);
    auto f = chip_keys().aa_rsa_public().rsa_recover(r->data);
    REQUIRE(f.ok());
    // F = 6A || M1 || H(M1 || challenge) || trailer.
    const size_t h_len = crypto::digest_size(c.hash);
    const size_t t_len = std::string_view(c.trailer).size() / 2;
    REQUIRE(f->size() == 128);
    CHECK(f->front() == 0x6A);
    CHECK(to_hex(ByteView(*f).last(t_len), true) == c.trailer);
    const ByteView m1 = ByteView(*f).subspan(1, 128 - 1 - h_len - t_len);
    const ByteView h = ByteView(*f).subspan(128 - h_len - t_len, h_len);
    CHECK(to_hex(crypto::digest(c.hash, concat({m1, challenge})).value()) == to_hex(h));
    // The terminal's verification accepts it and names the hash.
    auto verified = auth::verify_aa_signature(testing::spki_der(chip_keys().aa_rsa.get()), challenge, r->data);
    REQUIRE(verified.ok());
    CHECK(verified->ends_with(crypto::hash_name(c.hash)));
  }
}

TEST_CASE("Active Authentication error paths") {
  CardOptions no_aa;
  no_aa.with_aa = false;
  struct Case {
    const char* what;
    CardOptions options;
    apdu::CommandApdu command;
    uint16_t expect;
  };
  const Case cases[] = {
      // A 7-byte challenge.
      {"short challenge", {}, command(0x00, 0x88, 0x00, 0x00, Bytes(7, 1), 256), 0x6700},
      // No Le: no room for the signature.
      {"no Le", {}, command(0x00, 0x88, 0x00, 0x00, Bytes(8, 1)), 0x6700},
      // An Le shorter than the 64-byte signature: 6C40 names the right one.
      {"Le too small", {}, command(0x00, 0x88, 0x00, 0x00, Bytes(8, 1), 16), 0x6C40},
      // P1 must be 00.
      {"bad P1", {}, command(0x00, 0x88, 0x01, 0x00, Bytes(8, 1), 256), 0x6A86},
      // A card without an AA key.
      {"no AA key", no_aa, command(0x00, 0x88, 0x00, 0x00, Bytes(8, 1), 256), 0x6D00},
  };
  for (const auto& tc : cases) {
    std::string what = tc.what;
    CAPTURE(what);
    Session s = bac_session(tc.options);
    auto r = s.send(tc.command);
    REQUIRE(r.ok());
    CHECK(r->sw == tc.expect);
  }
  SUBCASE("in plain: security status not satisfied") {
    Session s = bac_session();
    CHECK(to_hex(s.card->process(hex_or_die("00880000080102030405060708 00")), true) == "6982");
  }
}

TEST_CASE("a cloned chip: the data is the genuine card's, the keys are not") {
  CardOptions o;
  o.cloned = true;
  Session s = bac_session(o);
  // Access control and reading still work: the clone copied the MRZ and the files.
  auto read = s.send_hex("00B0810000");
  REQUIRE(read.ok());
  CHECK(read->data == dg1());
  // Active Authentication: the signature does not verify with DG15's key.
  const Bytes challenge = hex_or_die("0102030405060708");
  auto aa = s.send(command(0x00, 0x88, 0x00, 0x00, challenge, 256));
  REQUIRE(aa.ok());
  REQUIRE(aa->sw == 0x9000);
  crypto::SignatureParams params;
  params.scheme = crypto::SignatureScheme::kEcdsaPlain;
  params.hash = crypto::HashAlg::kSha256;
  CHECK_FALSE(chip_keys().aa_ec_public().verify(params, challenge, aa->data).ok());
  // Chip Authentication: the chip answers, but with a key other than DG14's, so the terminal's
  // keys do not match and the first response under them fails its MAC.
  Ephemeral e = ephemeral_for(chip_keys().ca_public());
  set_kat(s, e.pair.public_encoded(), e.k);
  check_keys_do_not_match(s);
}

TEST_CASE("a chip key that does not parse is a load error") {
  CardImage image = test::basic_card_image();
  image.chip.aa_key_pem = sb("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n");
  auto card = SimCard::create(std::move(image));
  REQUIRE_FALSE(card.ok());
  CHECK(card.error().code == ErrorCode::kMalformed);
  CHECK(card.error().context.find("aa_key.pem") != std::string::npos);
  // An RSA key cannot be a CA key.
  CardImage rsa_ca = test::basic_card_image();
  rsa_ca.chip.ca_key_pem = sb(testing::key_pem(chip_keys().aa_rsa.get()));
  auto bad = SimCard::create(std::move(rsa_ca));
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.error().code == ErrorCode::kNotSupported);
}
