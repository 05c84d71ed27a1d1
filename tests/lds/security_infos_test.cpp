#include "idtap/lds/security_infos.h"

#include <doctest/doctest.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>

#include <utility>

#include "idtap/base/hex.h"
#include "idtap/crypto/pkey.h"
#include "idtap/lds/public_key_info.h"
#include "idtap/lds/card_security.h"
#include "idtap/lds/dg14.h"
#include "idtap/lds/files.h"
#include "lds/pki_fixture.h"
#include "lds/tlv_build.h"
#include "lds/vectors.h"

using namespace idtap;
using namespace idtap::lds;

TEST_CASE("EF.CardAccess of the ICAO 9303-11 PACE worked example") {
  auto v = lds_test::load_vectors("lds/security_infos.txt");
  REQUIRE(v.size() == 2);
  Bytes file = hex_or_die(v[0]["hex"]);
  auto infos = parse_card_access(file);
  REQUIRE(infos.ok());
  REQUIRE(infos->pace.size() == 1);
  CHECK(infos->pace[0].protocol == oid::kPaceEcdhGmAes128);
  CHECK(oid_to_string(infos->pace[0].protocol).value() == "0.4.0.127.0.7.2.2.4.2.2");
  CHECK(infos->pace[0].version == 2);
  CHECK(infos->pace[0].parameter_id == kParamBrainpoolP256r1);
  CHECK(infos->unknown.empty());
  // Encoding the parsed infos gives the same bytes back.
  CHECK(encode_security_infos(*infos).value() == file);
}

TEST_CASE("EF.CardAccess of a German eID card: six SecurityInfos of five kinds") {
  auto v = lds_test::load_vectors("lds/security_infos.txt");
  REQUIRE(v.size() == 2);
  Bytes padded = hex_or_die(v[1]["hex"]);
  // The file is zero-padded after the SET: the parser is strict, the reader reads the SET only.
  CHECK(parse_card_access(padded).error().code == ErrorCode::kMalformed);
  auto len = file_length(padded);
  REQUIRE(len.ok());
  REQUIRE(len->total.has_value());
  Bytes file(padded.begin(), padded.begin() + static_cast<std::ptrdiff_t>(*len->total));
  auto infos = parse_card_access(file);
  REQUIRE(infos.ok());
  REQUIRE(infos->terminal_authentication.size() == 1);
  CHECK(infos->terminal_authentication[0].version == 2);
  REQUIRE(infos->chip_authentication.size() == 1);
  CHECK(infos->chip_authentication[0].protocol == oid::kCaEcdhAes128);
  CHECK(infos->chip_authentication[0].version == 2);
  CHECK(infos->chip_authentication[0].key_id == 0x48);
  REQUIRE(infos->pace.size() == 1);
  CHECK(infos->pace[0].parameter_id == 13);
  // CA domain parameters, CardInfo (id-CI) and PrivilegedTerminalInfo (id-PT) stay raw.
  REQUIRE(infos->unknown.size() == 3);
  CHECK(oid_to_string(infos->unknown[0].protocol).value() == "0.4.0.127.0.7.2.2.3.2");
  CHECK(oid_to_string(infos->unknown[1].protocol).value() == "0.4.0.127.0.7.2.2.6");
  CHECK(oid_to_string(infos->unknown[2].protocol).value() == "0.4.0.127.0.7.2.2.8");
  // Re-encoding keeps every SecurityInfo (sorted as DER requires) and parses to the same infos.
  auto again = encode_security_infos(*infos);
  REQUIRE(again.ok());
  CHECK(again->size() == file.size());
  auto back = parse_security_infos(*again);
  REQUIRE(back.ok());
  CHECK(back->unknown.size() == 3);
  CHECK(back->chip_authentication[0].key_id == 0x48);
}

TEST_CASE("every SecurityInfo kind round trips through DG14") {
  auto ca_key = lds_test::make_ec_key("brainpoolP256r1");
  REQUIRE(ca_key);
  SecurityInfos in;
  in.pace.push_back({oid::kPaceEcdhImAes256, 2, kParamNistP256});
  in.pace.push_back({oid::kPaceEcdhCamAes128, 2, std::nullopt});
  in.pace_domain_parameters.push_back(
      {oid_or_die("0.4.0.127.0.7.2.2.4.2"), hex_or_die("300c060704007f0007010202010d"), 1});
  in.chip_authentication.push_back({oid::kCaEcdhAes128, 1, 7});
  in.chip_authentication_public_keys.push_back({oid::kPkEcdh, lds_test::spki_der(ca_key.get()), 7});
  in.active_authentication.push_back({oid::kAa, 1, oid::kEcdsaPlainSha256});
  in.terminal_authentication.push_back({oid::kTa, 2});
  in.unknown.push_back({oid_or_die("0.4.0.127.0.7.2.2.6"), hex_or_die("300c060804007f00070202060500")});
  auto dg14 = encode_dg14(in);
  REQUIRE(dg14.ok());
  CHECK((*dg14)[0] == 0x6E);
  auto out = parse_dg14(*dg14);
  REQUIRE(out.ok());
  REQUIRE(out->pace.size() == 2);
  CHECK(out->pace_domain_parameters.size() == 1);
  CHECK(out->pace_domain_parameters[0].parameter_id == 1);
  REQUIRE(out->chip_authentication.size() == 1);
  CHECK(out->chip_authentication[0].key_id == 7);
  REQUIRE(out->chip_authentication_public_keys.size() == 1);
  CHECK(out->chip_authentication_public_keys[0].subject_public_key_info == lds_test::spki_der(ca_key.get()));
  REQUIRE(out->active_authentication.size() == 1);
  CHECK(out->active_authentication[0].signature_algorithm == oid::kEcdsaPlainSha256);
  CHECK(out->terminal_authentication.size() == 1);
  CHECK(out->unknown.size() == 1);
  // A PACEInfo without parameterId stays without one.
  bool saw_cam = false;
  for (const auto& p : out->pace)
    if (p.protocol == oid::kPaceEcdhCamAes128) {
      saw_cam = true;
      CHECK_FALSE(p.parameter_id.has_value());
    }
  CHECK(saw_cam);
}

TEST_CASE("DG14 with a DH Chip Authentication key (id-PK-DH) in both encodings TR-03110 allows") {
  // The chip's DH key in the RFC 5114 2048-bit group with a 256-bit subgroup (ICAO 9303-11
  // §9.5.1 parameter ID 2), generated as an X9.42 key so p, q and g travel with it.
  EVP_PKEY_CTX* ctx = EVP_PKEY_CTX_new_from_name(nullptr, "DHX", nullptr);
  OSSL_PARAM params[2] = {OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, const_cast<char*>("dh_2048_256"), 0),
                          OSSL_PARAM_construct_end()};
  EVP_PKEY* raw = nullptr;
  REQUIRE(EVP_PKEY_keygen_init(ctx) == 1);
  REQUIRE(EVP_PKEY_CTX_set_params(ctx, params) == 1);
  REQUIRE(EVP_PKEY_generate(ctx, &raw) == 1);
  EVP_PKEY_CTX_free(ctx);
  lds_test::PkeyPtr key(raw);
  BIGNUM* y_bn = nullptr;
  REQUIRE(EVP_PKEY_get_bn_param(key.get(), OSSL_PKEY_PARAM_PUB_KEY, &y_bn) == 1);
  Bytes y(static_cast<size_t>(BN_num_bytes(y_bn)));
  BN_bn2bin(y_bn, y.data());
  BN_free(y_bn);
  // The DER INTEGER y (positive: a leading 00 when the top bit is set).
  Bytes y_integer = y;
  if (y_integer[0] & 0x80) y_integer.insert(y_integer.begin(), 0x00);
  y_integer = apdu::encode_tlv(0x02, y_integer);

  using lds_test::C;
  using lds_test::H;
  using lds_test::T;
  struct Case {
    const char* what;
    Bytes spki;
    bool dhpublicnumber;  // the algorithm is dhpublicnumber (else standardizedDomainParameters)
  } cases[] = {
      // RFC 3279 §2.3.3: dhpublicnumber with DomainParameters { p, g, q }, subjectPublicKey INTEGER y.
      {"dhpublicnumber with explicit domain parameters", lds_test::spki_der(key.get()), true},
      // BSI TR-03110-3 A.2.1.1 / ICAO 9303-11 §9.5.1: standardizedDomainParameters
      // {0.4.0.127.0.7.1.2} with the parameter ID 2, subjectPublicKey INTEGER y.
      {"standardizedDomainParameters ID 2",
       T(0x30, {T(0x30, {H("0607 04007F00070102"), H("020102")}), T(0x03, {H("00"), y_integer})}), false},
  };
  for (const auto& c : cases) {
    CAPTURE(c.what);
    for (const auto& [ca_oid, cipher] : {std::pair{oid_or_die("0.4.0.127.0.7.2.2.3.1.1"), "3DES-CBC-CBC"},
                                         std::pair{oid_or_die("0.4.0.127.0.7.2.2.3.1.2"), "AES-CBC-CMAC-128"}}) {
      CAPTURE(cipher);
      SecurityInfos in;
      in.chip_authentication.push_back({ca_oid, 1, 1});  // id-CA-DH-<cipher>, key ID 1
      in.chip_authentication_public_keys.push_back({oid::kPkDh, c.spki, 1});
      auto dg14 = encode_dg14(in);
      REQUIRE(dg14.ok());
      auto out = parse_dg14(*dg14);
      REQUIRE(out.ok());
      REQUIRE(out->chip_authentication.size() == 1);
      CHECK(oid_to_string(out->chip_authentication[0].protocol).value() == oid_to_string(ca_oid).value());
      CHECK(out->chip_authentication[0].key_id == 1);
      REQUIRE(out->chip_authentication_public_keys.size() == 1);
      const auto& pk = out->chip_authentication_public_keys[0];
      CHECK(oid_to_string(pk.protocol).value() == "0.4.0.127.0.7.2.2.1.1");  // id-PK-DH
      CHECK(pk.key_id == 1);
      CHECK(pk.subject_public_key_info == c.spki);
      // What Chip Authentication takes from it: a DH key in the RFC 5114 group with value y.
      auto key_info = parse_subject_public_key_info(pk.subject_public_key_info);
      REQUIRE(key_info.ok());
      if (c.dhpublicnumber) {
        CHECK(key_info->type == PublicKeyType::kDh);
        CHECK(key_info->explicit_parameters);
        CHECK(key_info->key_bits > 2000);
      }
      auto chip_key = crypto::PublicKey::from_spki(pk.subject_public_key_info);
      REQUIRE_MESSAGE(chip_key.ok(), (chip_key.ok() ? std::string() : chip_key.error().message()));
      CHECK(chip_key->type() == crypto::PublicKeyType::kDh);
      CHECK(chip_key->bits() == 2048);
      CHECK(chip_key->dh_group()->id() == crypto::DhGroupId::kModp2048_256);
      CHECK(*chip_key->dh_public() == y);
    }
  }
  // A y outside the subgroup (y = 1) does not make a key, though DG14 itself parses.
  Bytes bad = T(0x30, {T(0x30, {H("0607 04007F00070102"), H("020102")}), T(0x03, {H("00"), H("020101")})});
  SecurityInfos in;
  in.chip_authentication_public_keys.push_back({oid::kPkDh, bad, std::nullopt});
  auto parsed = parse_dg14(encode_dg14(in).value());
  REQUIRE(parsed.ok());
  CHECK(crypto::PublicKey::from_spki(parsed->chip_authentication_public_keys[0].subject_public_key_info).error().code ==
        ErrorCode::kMalformed);
}

TEST_CASE("malformed SecurityInfos") {
  using lds_test::H;
  using lds_test::T;
  const Bytes pace_oid = H("060A04007F00070202040202");
  const Bytes pace_ok = T(0x30, {pace_oid, H("020102"), H("02010D")});
  struct Case {
    Bytes der;
    const char* why;
  } cases[] = {
      {H(""), "empty"},
      {H("3100"), "empty SET"},
      {T(0x30, {pace_ok}), "SEQUENCE where a SET is expected"},
      {lds_test::C({T(0x31, {pace_ok}), H("00")}), "trailing byte after the SET"},
      {T(0x31, {T(0x30, {pace_oid})}), "PACEInfo without version"},
      {T(0x31, {T(0x30, {pace_oid, H("020102"), H("0201")})}), "PACEInfo parameterId truncated"},
      {T(0x31, {T(0x30, {pace_oid, H("020102"), H("02010D"), H("020100")})}), "PACEInfo with a fourth element"},
      {T(0x31, {T(0x30, {pace_oid, H("02020002"), H("02010D")})}), "non-minimal INTEGER version"},
      {T(0x31, {T(0x30, {pace_oid, H("0201FF")})}), "negative PACE version"},
      {T(0x31, {T(0x30, {H("060A04007F00070202040282"), H("020102")})}), "OID whose last byte has the continuation bit"},
      {T(0x31, {T(0x30, {H("060804007F0007020206")})}), "unknown protocol without requiredData"},
      {T(0x31, {T(0x30, {H("060A04007F00070202030202"), H("040101")})}), "ChipAuthenticationInfo with an OCTET STRING version"},
      {T(0x31, {T(0x30, {H("06066781080101 05"), H("020101"), H("0500")})}), "ActiveAuthenticationInfo with NULL for the algorithm"},
      {T(0x31, {T(0x30, {H("060904007F000702020102"), T(0x30, {T(0x30, {H("06072A8648CE3D0201")})})})}),
       "ChipAuthenticationPublicKeyInfo whose key has no BIT STRING"},
      {T(0x31, {T(0x30, {H("060904007F000702020102"),
                          T(0x30, {T(0x30, {H("06072A8648CE3D0201")}), H("03020104")})})}),
       "ChipAuthenticationPublicKeyInfo whose BIT STRING has unused bits"},
      {T(0x31, {T(0x30, {H("060804007F00070202 02")})}), "TerminalAuthenticationInfo without version"},
      {lds_test::C({H("3180"), pace_ok, H("0000")}), "indefinite length (BER) in a DER file"},
  };
  for (const auto& c : cases) {
    CAPTURE(c.why);
    auto r = parse_security_infos(c.der);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code == ErrorCode::kMalformed);
  }
  CHECK(parse_security_infos(T(0x31, {pace_ok})).ok());  // the baseline of the cases parses
  CHECK(parse_dg14(T(0x6F, {T(0x31, {pace_ok})})).error().code == ErrorCode::kMalformed);  // DG15's tag
  CHECK(encode_security_infos(SecurityInfos{}).error().code == ErrorCode::kInvalidArgument);
}
