#include "idtap/auth/pace_math.h"

#include <doctest/doctest.h>

#include "idtap/auth/mrz_key.h"
#include "idtap/auth/password.h"
#include "idtap/base/hex.h"
#include "idtap/crypto/mac.h"
#include "auth/pace_vectors.h"
#include "vectors/vector_file.h"

using namespace idtap;
using namespace idtap::auth;
using crypto::CipherAlg;
using idtap::test::VectorFile;

namespace {

const VectorFile& vectors() { return test::pace_vectors(); }

PaceAlgorithm algorithm_of(const std::string& section) { return pace_algorithm_from_oid(vectors().hex(section, "oid")).value(); }

}  // namespace

TEST_CASE("every id-PACE-* protocol of ICAO 9303-11 §9.2.3 maps to its algorithm and back") {
  struct Row {
    const char* oid;
    const char* name;
  };
  const Row rows[] = {
      {"04007F00070202040101", "id-PACE-DH-GM-3DES-CBC-CBC"},      {"04007F00070202040102", "id-PACE-DH-GM-AES-CBC-CMAC-128"},
      {"04007F00070202040103", "id-PACE-DH-GM-AES-CBC-CMAC-192"},  {"04007F00070202040104", "id-PACE-DH-GM-AES-CBC-CMAC-256"},
      {"04007F00070202040201", "id-PACE-ECDH-GM-3DES-CBC-CBC"},    {"04007F00070202040202", "id-PACE-ECDH-GM-AES-CBC-CMAC-128"},
      {"04007F00070202040203", "id-PACE-ECDH-GM-AES-CBC-CMAC-192"}, {"04007F00070202040204", "id-PACE-ECDH-GM-AES-CBC-CMAC-256"},
      {"04007F00070202040301", "id-PACE-DH-IM-3DES-CBC-CBC"},      {"04007F00070202040302", "id-PACE-DH-IM-AES-CBC-CMAC-128"},
      {"04007F00070202040303", "id-PACE-DH-IM-AES-CBC-CMAC-192"},  {"04007F00070202040304", "id-PACE-DH-IM-AES-CBC-CMAC-256"},
      {"04007F00070202040401", "id-PACE-ECDH-IM-3DES-CBC-CBC"},    {"04007F00070202040402", "id-PACE-ECDH-IM-AES-CBC-CMAC-128"},
      {"04007F00070202040403", "id-PACE-ECDH-IM-AES-CBC-CMAC-192"}, {"04007F00070202040404", "id-PACE-ECDH-IM-AES-CBC-CMAC-256"},
      {"04007F00070202040602", "id-PACE-ECDH-CAM-AES-CBC-CMAC-128"}, {"04007F00070202040603", "id-PACE-ECDH-CAM-AES-CBC-CMAC-192"},
      {"04007F00070202040604", "id-PACE-ECDH-CAM-AES-CBC-CMAC-256"},
  };
  for (const auto& row : rows) {
    INFO(std::string(row.name));
    auto alg = pace_algorithm_from_oid(hex_or_die(row.oid));
    REQUIRE(alg.ok());
    CHECK(alg->name() == row.name);
    auto back = pace_algorithm_oid(alg->agreement, alg->mapping, alg->cipher);
    REQUIRE(back.ok());
    CHECK(*back == hex_or_die(row.oid));
  }
  // Combinations the specification does not define.
  struct Bad {
    const char* what;
    const char* oid;
    const char* message;
  };
  const Bad bad[] = {
      {"CAM with 3DES", "04007F00070202040601", "AES only"},
      {"arc 5 (no such mapping)", "04007F00070202040502", "unknown mapping"},
      {"cipher arc 5", "04007F00070202040205", "unknown cipher"},
      {"id-CA-ECDH-AES-CBC-CMAC-128", "04007F00070202030202", "not an id-PACE"},
      {"id-PACE-ECDH-GM without a cipher arc", "04007F000702020402", "not an id-PACE"},
  };
  for (const auto& b : bad) {
    INFO(std::string(b.what));
    auto alg = pace_algorithm_from_oid(hex_or_die(b.oid));
    REQUIRE_FALSE(alg.ok());
    CHECK(alg.error().code == ErrorCode::kNotSupported);
    CHECK(alg.error().context.find(b.message) != std::string::npos);
    CHECK(alg.error().context.find("0.4.0.127.0.7.2.2") != std::string::npos);  // the OID is named
  }
  CHECK(pace_algorithm_oid(PaceKeyAgreement::kDh, PaceMapping::kChipAuthentication, CipherAlg::kAes128).error().code ==
        ErrorCode::kNotSupported);
  CHECK(pace_algorithm_oid(PaceKeyAgreement::kEcdh, PaceMapping::kChipAuthentication, CipherAlg::kTdes).error().code ==
        ErrorCode::kNotSupported);
}

TEST_CASE("the standardized domain parameters of ICAO 9303-11 Table 12") {
  for (int id : {0, 1, 2}) {
    auto d = PaceDomain::standardized(id);
    REQUIRE(d.ok());
    CHECK(d->agreement() == PaceKeyAgreement::kDh);
    CHECK(d->parameter_id() == id);
  }
  const char* names[] = {"secp192r1",       "brainpoolP192r1", "secp224r1",       "brainpoolP224r1",
                         "secp256r1",       "brainpoolP256r1", "brainpoolP320r1", "secp384r1",
                         "brainpoolP384r1", "brainpoolP512r1", "secp521r1"};
  for (int id = 8; id <= 18; ++id) {
    auto d = PaceDomain::standardized(id);
    REQUIRE(d.ok());
    CHECK(d->agreement() == PaceKeyAgreement::kEcdh);
    CHECK(d->name() == names[id - 8]);
  }
  for (int id : {-1, 3, 7, 19, 31, 32}) {
    CAPTURE(id);
    auto d = PaceDomain::standardized(id);
    REQUIRE_FALSE(d.ok());
    CHECK(d.error().code == ErrorCode::kNotSupported);
  }
}

TEST_CASE("Appendix G, I: password keys from the MRZ") {
  auto g_key = MrzKey::from_fields("T22000129", "640812", "101031").value();
  auto g_seed = Password::mrz(g_key).pace_key_seed().value();
  CHECK(to_bytes(g_seed) == vectors().hex("G.1", "k"));
  CHECK(to_bytes(derive_password_key(CipherAlg::kAes128, g_seed).value()) == vectors().hex("G.1", "k_pi"));
  auto i_key = MrzKey::from_fields("C11T002JM", "960812", "231031").value();
  auto i_seed = Password::mrz(i_key).pace_key_seed().value();
  CHECK(to_bytes(i_seed) == vectors().hex("I.1", "k"));
  CHECK(to_bytes(derive_password_key(CipherAlg::kAes128, i_seed).value()) == vectors().hex("I.1", "k_pi"));
}

TEST_CASE("nonce encryption and decryption (Appendices G.1, G.2, H.1, H.2, I.1)") {
  for (const char* section : {"G.1", "G.2", "H.1", "H.2", "I.1"}) {
    INFO(std::string(section));
    const auto alg = algorithm_of(section);
    const Bytes k_pi = vectors().hex(section, "k_pi");
    CHECK(encrypt_nonce(alg.cipher, k_pi, vectors().hex(section, "s")).value() == vectors().hex(section, "z"));
    CHECK(to_bytes(decrypt_nonce(alg, k_pi, vectors().hex(section, "z")).value()) == vectors().hex(section, "s"));
  }
  // Nonce sizes (ICAO 9303-11 §4.4.3.3): a whole number of blocks; for IM exactly l.
  const Bytes k = vectors().hex("G.1", "k_pi");
  const auto gm = algorithm_of("G.1");
  const auto im = algorithm_of("H.1");
  struct Case {
    const char* what;
    const PaceAlgorithm& alg;
    size_t size;
    bool ok;
  };
  const Case cases[] = {
      {"GM: empty", gm, 0, false},        {"GM: 15 bytes", gm, 15, false}, {"GM: 17 bytes", gm, 17, false},
      {"GM: 16 bytes", gm, 16, true},     {"GM: 32 bytes", gm, 32, true},  {"GM: 80 bytes (over 64)", gm, 80, false},
      {"IM: 32 bytes (needs 16)", im, 32, false}, {"IM: 16 bytes", im, 16, true},
  };
  for (const auto& c : cases) {
    INFO(std::string(c.what));
    auto s = decrypt_nonce(c.alg, k, Bytes(c.size, 0x5A));
    CHECK(s.ok() == c.ok);
    if (!s.ok()) CHECK(s.error().code == ErrorCode::kMalformed);
  }
  auto aes256_im = pace_algorithm_from_oid(hex_or_die("04007F00070202040404")).value();
  CHECK(pace_nonce_length(aes256_im) == 32);
  CHECK(pace_terminal_nonce_length(aes256_im) == 32);
  auto tdes_im = pace_algorithm_from_oid(hex_or_die("04007F00070202040401")).value();
  CHECK(pace_nonce_length(tdes_im) == 16);
  CHECK(pace_terminal_nonce_length(tdes_im) == 16);
}

TEST_CASE("Appendix G.1 / G.2 / I.1: generic mapping from both sides") {
  for (const char* section : {"G.1", "G.2", "I.1"}) {
    INFO(std::string(section));
    const VectorFile& v = vectors();
    const int id = v.hex(section, "parameter_id")[0];
    auto domain = PaceDomain::standardized(id).value();
    auto map_ifd = domain.key_pair_from_private(v.hex(section, "map_sk_ifd")).value();
    auto map_ic = domain.key_pair_from_private(v.hex(section, "map_sk_ic")).value();
    CHECK(map_ifd.public_key() == v.hex(section, "map_pk_ifd"));
    CHECK(map_ic.public_key() == v.hex(section, "map_pk_ic"));
    const Bytes s = v.hex(section, "s");
    auto terminal = map_generic(domain, s, map_ifd, map_ic.public_key());
    auto chip = map_generic(domain, s, map_ic, map_ifd.public_key());
    REQUIRE(terminal.ok());
    REQUIRE(chip.ok());
    CHECK(terminal->generator() == v.hex(section, "mapped_generator"));
    CHECK(chip->generator() == v.hex(section, "mapped_generator"));

    auto eph_ifd = terminal->key_pair_from_private(v.hex(section, "eph_sk_ifd")).value();
    auto eph_ic = chip->key_pair_from_private(v.hex(section, "eph_sk_ic")).value();
    CHECK(eph_ifd.public_key() == v.hex(section, "eph_pk_ifd"));
    CHECK(eph_ic.public_key() == v.hex(section, "eph_pk_ic"));
    auto k_ifd = eph_ifd.shared_secret(eph_ic.public_key());
    auto k_ic = eph_ic.shared_secret(eph_ifd.public_key());
    REQUIRE(k_ifd.ok());
    REQUIRE(k_ic.ok());
    CHECK(to_bytes(*k_ifd) == v.hex(section, "shared_secret"));
    CHECK(to_bytes(*k_ic) == v.hex(section, "shared_secret"));

    const auto alg = algorithm_of(section);
    auto keys = derive_session_keys(alg.cipher, *k_ifd).value();
    CHECK(to_bytes(keys.ks_enc) == v.hex(section, "ks_enc"));
    CHECK(to_bytes(keys.ks_mac) == v.hex(section, "ks_mac"));
    CHECK(keys.ssc == Bytes(16, 0x00));
    CHECK(public_key_data_object(alg, eph_ic.public_key()).value() == v.hex(section, "t_ifd_input"));
    CHECK(public_key_data_object(alg, eph_ifd.public_key()).value() == v.hex(section, "t_ic_input"));
    CHECK(authentication_token(alg, keys.ks_mac, eph_ic.public_key()).value() == v.hex(section, "t_ifd"));
    CHECK(authentication_token(alg, keys.ks_mac, eph_ifd.public_key()).value() == v.hex(section, "t_ic"));
  }
}

TEST_CASE("Appendix H.1 / H.2: integrated mapping R(s,t), f_G / f_g, keys and tokens") {
  for (const char* section : {"H.1", "H.2"}) {
    INFO(std::string(section));
    const VectorFile& v = vectors();
    const auto alg = algorithm_of(section);
    auto domain = PaceDomain::standardized(v.hex(section, "parameter_id")[0]).value();
    auto r = integrated_mapping_prf(alg.cipher, v.hex(section, "s"), v.hex(section, "t"), domain.field_bits());
    REQUIRE(r.ok());
    CHECK(*r == v.hex(section, "r"));
    auto mapped = map_integrated(domain, alg.cipher, v.hex(section, "s"), v.hex(section, "t"));
    REQUIRE(mapped.ok());
    CHECK(mapped->generator() == v.hex(section, "mapped_generator"));
    auto eph_ifd = mapped->key_pair_from_private(v.hex(section, "eph_sk_ifd")).value();
    auto eph_ic = mapped->key_pair_from_private(v.hex(section, "eph_sk_ic")).value();
    CHECK(eph_ifd.public_key() == v.hex(section, "eph_pk_ifd"));
    CHECK(eph_ic.public_key() == v.hex(section, "eph_pk_ic"));
    auto k = eph_ifd.shared_secret(eph_ic.public_key()).value();
    CHECK(to_bytes(k) == v.hex(section, "shared_secret"));
    auto keys = derive_session_keys(alg.cipher, k).value();
    CHECK(to_bytes(keys.ks_enc) == v.hex(section, "ks_enc"));
    CHECK(to_bytes(keys.ks_mac) == v.hex(section, "ks_mac"));
    CHECK(public_key_data_object(alg, eph_ifd.public_key()).value() == v.hex(section, "t_ic_input"));
    CHECK(authentication_token(alg, keys.ks_mac, eph_ic.public_key()).value() == v.hex(section, "t_ifd"));
    CHECK(authentication_token(alg, keys.ks_mac, eph_ifd.public_key()).value() == v.hex(section, "t_ic"));
  }
  // Wrong nonce lengths for R(s,t); NIST P-224 cannot use the Integrated Mapping.
  const Bytes s16(16, 0x11), t16(16, 0x22), t32(32, 0x22);
  CHECK(integrated_mapping_prf(CipherAlg::kAes128, s16, t32, 256).error().code == ErrorCode::kInvalidArgument);
  CHECK(integrated_mapping_prf(CipherAlg::kAes256, s16, t32, 256).error().code == ErrorCode::kInvalidArgument);
  CHECK(integrated_mapping_prf(CipherAlg::kAes256, Bytes(32, 0x11), t32, 256)->size() == 64);  // n = ceil(320/256) = 2
  CHECK(integrated_mapping_prf(CipherAlg::kAes192, Bytes(32, 0x11), Bytes(24, 0x22), 256)->size() == 64);
  CHECK(integrated_mapping_prf(CipherAlg::kTdes, s16, t16, 1024)->size() == 144);  // n = ceil(1088/128) = 9
  auto p224 = PaceDomain::standardized(10).value();
  CHECK(map_integrated(p224, CipherAlg::kAes128, s16, t16).error().code == ErrorCode::kNotSupported);
}

TEST_CASE("Appendix I.1: chip authentication data, both sides") {
  const VectorFile& v = vectors();
  const auto alg = algorithm_of("I.1");
  auto domain = PaceDomain::standardized(13).value();
  const auto& group = domain.ec_generator()->group();
  const Bytes ks_enc = v.hex("I.1", "ks_enc");
  auto a_ic = encrypt_chip_authentication_data(alg.cipher, ks_enc, group, v.hex("I.1", "sk_ic_derived"), v.hex("I.1", "map_sk_ic"));
  REQUIRE(a_ic.ok());
  CHECK(*a_ic == v.hex("I.1", "a_ic"));
  auto ca = decrypt_chip_authentication_data(alg.cipher, ks_enc, v.hex("I.1", "a_ic"), group.order_size());
  REQUIRE(ca.ok());
  CHECK(to_bytes(*ca) == v.hex("I.1", "ca_ic"));
  auto pk_ic = group.decode_point(v.hex("I.1", "pk_ic")).value();
  CHECK(verify_chip_authentication(pk_ic, *ca, v.hex("I.1", "map_pk_ic")).ok());

  // A different mapping key, a wrong CA_IC, another chip key: each fails verification.
  CHECK(verify_chip_authentication(pk_ic, *ca, v.hex("G.1", "map_pk_ic")).error().code == ErrorCode::kVerificationFailed);
  SecureBytes wrong_ca = *ca;
  wrong_ca[31] ^= 0x01;
  CHECK(verify_chip_authentication(pk_ic, wrong_ca, v.hex("I.1", "map_pk_ic")).error().code == ErrorCode::kVerificationFailed);
  auto other = group.generator();
  CHECK(verify_chip_authentication(other, *ca, v.hex("I.1", "map_pk_ic")).error().code == ErrorCode::kVerificationFailed);
  CHECK(verify_chip_authentication(pk_ic, *ca, Bytes{0x04, 0x01}).error().code == ErrorCode::kMalformed);

  // Decryption rejects bad lengths and padding.
  Bytes tampered = v.hex("I.1", "a_ic");
  tampered.back() ^= 0x01;  // garbles the padding block
  CHECK(decrypt_chip_authentication_data(alg.cipher, ks_enc, tampered, 32).error().code == ErrorCode::kMalformed);
  CHECK(decrypt_chip_authentication_data(alg.cipher, ks_enc, Bytes(47, 0x00), 32).error().code == ErrorCode::kMalformed);
  CHECK(decrypt_chip_authentication_data(alg.cipher, ks_enc, v.hex("I.1", "a_ic"), 48).error().code == ErrorCode::kMalformed);
  CHECK(encrypt_chip_authentication_data(CipherAlg::kTdes, Bytes(16, 1), group, Bytes{1}, Bytes{2}).error().code ==
        ErrorCode::kNotSupported);
}

TEST_CASE("3DES authentication tokens use the retail MAC over padded data") {
  // No published 3DES PACE example: check against the definition (ISO/IEC 9797-1 MAC
  // algorithm 3 over method-2 padding) computed with the MAC primitive directly.
  auto alg = pace_algorithm_from_oid(hex_or_die("04007F00070202040201")).value();
  const Bytes ks_mac = hex_or_die("F1CB1F1FB5ADF208806B89DC579DC1F8");
  const Bytes pk = vectors().hex("G.1", "eph_pk_ic");
  auto token = authentication_token(alg, ks_mac, pk);
  REQUIRE(token.ok());
  CHECK(token->size() == 8);
  auto input = public_key_data_object(alg, pk).value();
  auto mac = crypto::Mac::create(crypto::MacAlg::kRetailMac, ks_mac).value();
  CHECK(*token == mac.compute(crypto::pad_iso9797_m2(input, 8)).value());
}

TEST_CASE("GENERAL AUTHENTICATE data objects parse strictly") {
  CHECK(dynamic_authentication_data(0, {}) == hex_or_die("7C00"));
  CHECK(dynamic_authentication_data(0x80, hex_or_die("0102")) == hex_or_die("7C0480020102"));
  CHECK(parse_dynamic_authentication_data(hex_or_die("7C0480020102"), 0x80).value() == hex_or_die("0102"));
  struct Case {
    const char* what;
    const char* hex;
    const char* message;
  };
  const Case cases[] = {
      {"no data at all", "", "7C"},
      {"empty template", "7C00", "missing tag 80"},
      {"wrong tag inside", "7C0481020102", "tag 81 where 80"},
      {"not a 7C template", "80020102", "7C"},
      {"trailing bytes after the template", "7C048002010200", "7C"},
      {"an extra object", "7C07800201028101FF", "unexpected objects"},
      {"truncated length", "7C0580020102", "7C"},
  };
  for (const auto& c : cases) {
    INFO(std::string(c.what));
    auto r = parse_dynamic_authentication_data(hex_or_die(c.hex), 0x80);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code == ErrorCode::kMalformed);
    CHECK(r.error().context.find(c.message) != std::string::npos);
  }
  Bytes g2_final = vectors().hex("G.2", "rsp_ga4");
  g2_final.resize(g2_final.size() - 2);  // without the SW
  auto m = parse_mutual_authentication_data(g2_final);
  REQUIRE(m.ok());
  CHECK(m->token == vectors().hex("G.2", "t_ic"));
  CHECK(m->car == bytes_of("DETESTCVCA00003"));
  CHECK_FALSE(m->encrypted_chip_authentication_data.has_value());
  const Case mutual_cases[] = {
      {"missing token", "7C00", "missing tag 86"},
      {"CAR before the token", "7C0787010186020102", "where 86"},
      {"8A before 87", "7C0A8602AAAA8A01018701FF", "misordered"},
      {"unknown tag", "7C078602AAAA8901FF", "misordered"},
      {"token twice", "7C088602AAAA8602BBBB", "misordered"},
  };
  for (const auto& c : mutual_cases) {
    INFO(std::string(c.what));
    auto r = parse_mutual_authentication_data(hex_or_die(c.hex));
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code == ErrorCode::kMalformed);
    CHECK(r.error().context.find(c.message) != std::string::npos);
  }
}
