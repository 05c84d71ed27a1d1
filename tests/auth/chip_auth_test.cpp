#include "idtap/auth/chip_auth.h"

#include <doctest/doctest.h>

#include "idtap/apdu/scripted_transport.h"
#include "idtap/apdu/tlv.h"
#include "idtap/crypto/dh.h"

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

TEST_CASE("CA with a DH-2048 key needs extended length: kNotSupported before anything is sent") {
  // DG14's key in the standardizedDomainParameters form (BSI TR-03110-3 A.2.1.1): the RFC 5114
  // group of parameter ID `id`, y = the group's generator (a valid subgroup element).
  auto dh_dg14 = [](int id) {
    auto group = crypto::DhGroup::standard(static_cast<crypto::DhGroupId>(id)).value();
    Bytes y = group.g();
    while (y.size() > 1 && y[0] == 0) y.erase(y.begin());
    if (y[0] & 0x80) y.insert(y.begin(), 0x00);
    Bytes alg = concat({apdu::encode_tlv(0x06, Bytes{0x04, 0x00, 0x7F, 0x00, 0x07, 0x01, 0x02}),
                        apdu::encode_tlv(0x02, Bytes{static_cast<uint8_t>(id)})});
    Bytes bits = {0x00};
    append(bits, apdu::encode_tlv(0x02, y));
    Bytes spki = apdu::encode_tlv(0x30, concat({apdu::encode_tlv(0x30, alg), apdu::encode_tlv(0x03, bits)}));
    lds::SecurityInfos infos;
    infos.chip_authentication.push_back(lds::ChipAuthenticationInfo{ca_oid(1, 1), 1, std::nullopt});  // id-CA-DH-3DES-CBC-CBC
    infos.chip_authentication_public_keys.push_back(lds::ChipAuthenticationPublicKeyInfo{lds::oid::kPkDh, spki, std::nullopt});
    return infos;
  };
  sm::SessionKeys keys;
  keys.alg = crypto::CipherAlg::kTdes;
  keys.ks_enc = SecureBytes(16, 1);
  keys.ks_mac = SecureBytes(16, 2);
  keys.ssc = sm::zero_ssc(keys.alg);

  apdu::ScriptedTransport short_only;  // short APDUs: at most 255 command bytes
  auto channel = sm::SecureChannel::create(short_only, keys);
  REQUIRE(channel.ok());
  auto refused = chip_authenticate(**channel, dh_dg14(2));
  REQUIRE_FALSE(refused.ok());
  CHECK(refused.error().code == ErrorCode::kNotSupported);
  CHECK(refused.error().message().find("extended length") != std::string::npos);
  CHECK(short_only.sent().empty());

  // A 1024-bit value fits a short command: MSE:Set KAT goes out.
  apdu::ScriptedTransport card;
  card.expect_any("6A80");
  auto channel_1024 = sm::SecureChannel::create(card, keys);
  REQUIRE(channel_1024.ok());
  auto sent = chip_authenticate(**channel_1024, dh_dg14(0));
  CHECK(card.sent().size() == 1);
  REQUIRE_FALSE(sent.ok());
  CHECK(sent.error().code != ErrorCode::kNotSupported);
}
