#include "idtap/auth/chip_auth.h"

#include <doctest/doctest.h>

#include "idtap/apdu/scripted_transport.h"

using namespace idtap;
using namespace idtap::auth;

namespace {
Bytes ca_oid(uint8_t ka, uint8_t cipher) {
  Bytes oid = lds::oid::kCa;
  oid.push_back(ka);
  oid.push_back(cipher);
  return oid;
}
}  // namespace

TEST_CASE("id-CA-* OIDs name their key agreement and cipher (ICAO 9303-11 §9.2.6)") {
  struct Case {
    Bytes oid;
    bool ecdh;
    crypto::CipherAlg cipher;
    const char* name;
  } cases[] = {
      {ca_oid(1, 1), false, crypto::CipherAlg::kTdes, "id-CA-DH-3DES-CBC-CBC"},
      {ca_oid(1, 2), false, crypto::CipherAlg::kAes128, "id-CA-DH-AES-CBC-CMAC-128"},
      {ca_oid(2, 1), true, crypto::CipherAlg::kTdes, "id-CA-ECDH-3DES-CBC-CBC"},
      {ca_oid(2, 3), true, crypto::CipherAlg::kAes192, "id-CA-ECDH-AES-CBC-CMAC-192"},
      {ca_oid(2, 4), true, crypto::CipherAlg::kAes256, "id-CA-ECDH-AES-CBC-CMAC-256"},
  };
  for (const auto& c : cases) {
    CAPTURE(c.name);
    auto a = ca_algorithm(c.oid);
    REQUIRE(a.ok());
    CHECK(a->ecdh == c.ecdh);
    CHECK(a->cipher == c.cipher);
    CHECK(a->name == c.name);
  }
  struct Bad {
    Bytes oid;
    const char* why;
  } bad[] = {
      {ca_oid(3, 1), "key agreement 3 does not exist"},
      {ca_oid(2, 5), "cipher 5 does not exist"},
      {lds::oid::kCa, "id-CA itself, no algorithm"},
      {lds::oid::kPace, "not an id-CA OID"},
  };
  for (const auto& b : bad) {
    CAPTURE(b.why);
    CHECK(ca_algorithm(b.oid).error().code == ErrorCode::kNotSupported);
  }
}

TEST_CASE("chip authentication needs a usable key in DG14") {
  apdu::ScriptedTransport card;
  sm::SessionKeys keys;
  keys.alg = crypto::CipherAlg::kAes128;
  keys.ks_enc = SecureBytes(16, 1);
  keys.ks_mac = SecureBytes(16, 2);
  keys.ssc = sm::zero_ssc(keys.alg);
  auto channel = sm::SecureChannel::create(card, keys);
  REQUIRE(channel.ok());
  lds::SecurityInfos empty;
  CHECK(chip_authenticate(**channel, empty).error().code == ErrorCode::kNotSupported);

  lds::SecurityInfos bad_key;
  bad_key.chip_authentication.push_back(lds::ChipAuthenticationInfo{ca_oid(2, 2), 1, std::nullopt});
  bad_key.chip_authentication_public_keys.push_back(
      lds::ChipAuthenticationPublicKeyInfo{lds::oid::kPkEcdh, Bytes{0x30, 0x03, 0x02, 0x01, 0x00}, std::nullopt});
  CHECK(chip_authenticate(**channel, bad_key).error().code == ErrorCode::kMalformed);
  CHECK(card.sent().empty());  // nothing reached the card
}
