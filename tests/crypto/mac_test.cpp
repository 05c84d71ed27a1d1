#include "idtap/crypto/mac.h"

#include <doctest/doctest.h>

#include "idtap/base/hex.h"
#include "idtap/crypto/cipher.h"
#include "vectors/vector_file.h"

using namespace idtap;
using namespace idtap::crypto;

TEST_CASE("HMAC-SHA256 matches RFC 4231 test cases 1, 2 and 6") {
  for (const char* section : {"rfc4231_hmac_sha256_1", "rfc4231_hmac_sha256_2", "rfc4231_hmac_sha256_6"}) {
    CAPTURE(section);
    auto tag = hmac_sha256(test::crypto_kat().hex(section, "key"), test::crypto_kat().hex(section, "data"));
    REQUIRE(tag.ok());
    CHECK(to_hex(*tag) == test::crypto_kat().text(section, "mac"));
  }
}

TEST_CASE("HMAC-SHA256 takes an empty key and an empty message") {
  // RFC 2104 §2: a key shorter than the block is zero-padded; the empty key is all zeros.
  auto tag = hmac_sha256({}, {});
  REQUIRE(tag.ok());
  CHECK(to_hex(*tag) == "b613679a0814d9ec772f95d778c35fc5ff1697c493715653c6c712144292c5ad");
}

TEST_CASE("AES-CMAC matches RFC 4493 and NIST SP 800-38B for 0, 16, 40 and 64 bytes") {
  const Bytes message = test::crypto_kat().hex("rfc4493_cmac_aes128", "message");
  for (const char* section : {"rfc4493_cmac_aes128", "sp800_38b_cmac_aes192", "sp800_38b_cmac_aes256"}) {
    CAPTURE(section);
    auto mac = Mac::create(MacAlg::kCmacAes, test::crypto_kat().hex(section, "key"));
    REQUIRE(mac.ok());
    CHECK(mac->size() == 16);
    for (size_t n : {0, 16, 40, 64}) {
      CAPTURE(n);
      auto tag = mac->compute(ByteView(message).first(n));
      REQUIRE(tag.ok());
      CHECK(to_hex(*tag) == test::crypto_kat().text(section, "mac" + std::to_string(n)));
    }
  }
}

TEST_CASE("the retail MAC matches ICAO 9303-11 Appendix D.3 (M_IFD)") {
  const char* s = "icao_d3_3des_retail_mac";
  auto mac = Mac::create(MacAlg::kRetailMac, test::crypto_kat().hex(s, "kmac"));
  REQUIRE(mac.ok());
  CHECK(mac->size() == 8);
  auto m = mac->compute(pad_iso9797_m2(test::crypto_kat().hex(s, "e_ifd"), 8));
  REQUIRE(m.ok());
  CHECK(to_hex(*m, true) == test::crypto_kat().text(s, "m_ifd"));
  // Reusing the keyed object gives the same answer.
  CHECK(to_hex(*mac->compute(pad_iso9797_m2(test::crypto_kat().hex(s, "e_ifd"), 8)), true) == test::crypto_kat().text(s, "m_ifd"));
}

TEST_CASE("the retail MAC agrees with its definition for one block and for long inputs") {
  // ISO/IEC 9797-1 MAC algorithm 3: single-DES CBC-MAC with K1, then D_K2 and E_K1 on the last
  // chaining value. Recomputed here with plain 3DES-EDE objects: DES_K1 = EDE(K1, K1).
  const Bytes key = hex_or_die("7962D9ECE03D1ACD4C76089DCE131543");
  Bytes k1k1(key.begin(), key.begin() + 8);
  append(k1k1, ByteView(key).first(8));
  auto des = BlockCipher::create(CipherAlg::kTdes, k1k1);
  auto ede = BlockCipher::create(CipherAlg::kTdes, key);
  auto mac = Mac::create(MacAlg::kRetailMac, key);
  REQUIRE(des.ok());
  REQUIRE(ede.ok());
  REQUIRE(mac.ok());
  for (size_t blocks : {1, 2, 31, 32, 33, 100}) {  // crosses the 256-byte internal chunk
    CAPTURE(blocks);
    Bytes data(blocks * 8);
    for (size_t i = 0; i < data.size(); ++i) data[i] = static_cast<uint8_t>(i * 7 + 3);
    Bytes h(8, 0);
    if (blocks > 1) {
      auto head = des->cbc_encrypt(Bytes(8, 0), ByteView(data).first(data.size() - 8));
      REQUIRE(head.ok());
      h.assign(head->end() - 8, head->end());
    }
    auto expected = ede->cbc_encrypt(h, ByteView(data).last(8));
    REQUIRE(expected.ok());
    auto got = mac->compute(data);
    REQUIRE(got.ok());
    CHECK(to_hex(*got) == to_hex(*expected));
  }
}

TEST_CASE("MAC misuse is kInvalidArgument") {
  // Retail MAC keys are K1||K2.
  CHECK(Mac::create(MacAlg::kRetailMac, Bytes(8, 1)).error().code == ErrorCode::kInvalidArgument);
  // AES-CMAC keys are 16, 24 or 32 bytes.
  CHECK(Mac::create(MacAlg::kCmacAes, Bytes(20, 1)).error().code == ErrorCode::kInvalidArgument);
  auto retail = Mac::create(MacAlg::kRetailMac, Bytes(16, 1));
  REQUIRE(retail.ok());
  // The retail MAC does not pad: the caller must.
  CHECK(retail->compute(Bytes(9, 0)).error().code == ErrorCode::kInvalidArgument);
  CHECK(retail->compute(Bytes{}).error().code == ErrorCode::kInvalidArgument);
  Bytes small(4);
  CHECK(retail->compute(Bytes(8, 0), small).error().code == ErrorCode::kInvalidArgument);
}

TEST_CASE("constant_time_equal compares contents and sizes") {
  CHECK(constant_time_equal(hex_or_die("0102"), hex_or_die("0102")));
  CHECK_FALSE(constant_time_equal(hex_or_die("0102"), hex_or_die("0103")));
  CHECK_FALSE(constant_time_equal(hex_or_die("0102"), hex_or_die("010200")));
  CHECK(constant_time_equal(Bytes{}, Bytes{}));
}
