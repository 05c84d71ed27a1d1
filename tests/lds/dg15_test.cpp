#include "idtap/lds/dg15.h"

#include <doctest/doctest.h>

#include "idtap/base/hex.h"
#include "lds/pki_fixture.h"
#include "lds/tlv_build.h"

using namespace idtap;
using namespace idtap::lds;

TEST_CASE("DG15 with an EC or an RSA Active Authentication key") {
  struct Case {
    lds_test::PkeyPtr key;
    PublicKeyType type;
    size_t bits;
    const char* curve;
  };
  Case cases[] = {
      {lds_test::make_ec_key("prime256v1"), PublicKeyType::kEc, 256, "P-256"},
      {lds_test::make_ec_key("brainpoolP256r1"), PublicKeyType::kEc, 256, "brainpoolP256r1"},
      {lds_test::make_ec_key("secp384r1"), PublicKeyType::kEc, 384, "P-384"},
      {lds_test::make_rsa_key(2048), PublicKeyType::kRsa, 2048, ""},
  };
  for (auto& c : cases) {
    CAPTURE(c.bits);
    Bytes spki = lds_test::spki_der(c.key.get());
    auto file = encode_dg15(spki);
    REQUIRE(file.ok());
    CHECK((*file)[0] == 0x6F);
    auto dg15 = parse_dg15(*file);
    REQUIRE(dg15.ok());
    CHECK(dg15->key.type == c.type);
    CHECK(dg15->key.key_bits == c.bits);
    CHECK(dg15->key.curve_name() == c.curve);
    CHECK(dg15->key.der == spki);
  }
}

TEST_CASE("malformed DG15") {
  using lds_test::H;
  using lds_test::T;
  const Bytes ec_alg = T(0x30, {H("06072A8648CE3D0201"), H("06082A8648CE3D030107")});
  const Bytes point = T(0x03, {H("00 04"), Bytes(64, 7)});
  struct Case {
    Bytes file;
    ErrorCode code;
    const char* why;
  } cases[] = {
      {T(0x6E, {T(0x30, {ec_alg, point})}), ErrorCode::kMalformed, "DG14 tag"},
      {T(0x6F, {}), ErrorCode::kMalformed, "empty"},
      {T(0x6F, {T(0x30, {ec_alg})}), ErrorCode::kMalformed, "no BIT STRING"},
      {T(0x6F, {T(0x30, {ec_alg, T(0x03, {H("01 04"), Bytes(64, 7)})})}), ErrorCode::kMalformed, "BIT STRING with unused bits"},
      {T(0x6F, {T(0x30, {ec_alg, T(0x03, {H("00 05"), Bytes(64, 7)})})}), ErrorCode::kMalformed, "EC point with prefix 05"},
      {T(0x6F, {T(0x30, {T(0x30, {H("06072A8648CE3D0201")}), point})}), ErrorCode::kMalformed, "EC key without parameters"},
      {T(0x6F, {T(0x30, {T(0x30, {H("06092A864886F70D010101"), H("0500")}), T(0x03, {H("00"), T(0x30, {H("0201FF"), H("020103")})})})}),
       ErrorCode::kMalformed, "RSA modulus negative"},
      {T(0x6F, {T(0x30, {T(0x30, {H("06092A864886F70D010101"), H("0500")}), T(0x03, {H("00"), T(0x30, {H("020100")})})})}),
       ErrorCode::kMalformed, "RSA key without exponent"},
      {lds_test::C({T(0x6F, {T(0x30, {ec_alg, point})}), H("00")}), ErrorCode::kMalformed, "trailing byte"},
      {T(0x6F, {T(0x30, {T(0x30, {H("06092A864886F70D010107")}), T(0x03, {H("0000")})})}), ErrorCode::kNotSupported,
       "RSAES-OAEP algorithm: neither RSA signature key nor EC"},
  };
  for (const auto& c : cases) {
    CAPTURE(c.why);
    auto r = parse_dg15(c.file);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code == c.code);
  }
  CHECK(parse_dg15(T(0x6F, {T(0x30, {ec_alg, point})})).ok());  // the baseline parses
  CHECK(encode_dg15(H("3000")).error().code == ErrorCode::kInvalidArgument);
}
