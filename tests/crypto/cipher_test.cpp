#include "idtap/crypto/cipher.h"

#include <doctest/doctest.h>

#include "idtap/base/hex.h"
#include "idtap/crypto/random.h"
#include "vectors/vector_file.h"

using namespace idtap;
using namespace idtap::crypto;

TEST_CASE("AES ECB matches FIPS 197 Appendix C for all three key sizes") {
  const struct {
    const char* section;
    CipherAlg alg;
  } cases[] = {{"fips197_c1_aes128", CipherAlg::kAes128},
               {"fips197_c2_aes192", CipherAlg::kAes192},
               {"fips197_c3_aes256", CipherAlg::kAes256}};
  for (const auto& c : cases) {
    CAPTURE(c.section);
    auto cipher = BlockCipher::create(c.alg, test::crypto_kat().hex(c.section, "key"));
    REQUIRE(cipher.ok());
    auto ct = cipher->ecb_encrypt(test::crypto_kat().hex(c.section, "plaintext"));
    REQUIRE(ct.ok());
    CHECK(to_hex(*ct) == to_hex(test::crypto_kat().hex(c.section, "ciphertext")));
    auto pt = cipher->ecb_decrypt(*ct);
    REQUIRE(pt.ok());
    CHECK(to_hex(*pt) == to_hex(test::crypto_kat().hex(c.section, "plaintext")));
  }
}

TEST_CASE("AES CBC matches NIST SP 800-38A F.2, and the keyed object is reusable") {
  const struct {
    const char* section;
    CipherAlg alg;
  } cases[] = {{"sp800_38a_f21_cbc_aes128", CipherAlg::kAes128},
               {"sp800_38a_f23_cbc_aes192", CipherAlg::kAes192},
               {"sp800_38a_f25_cbc_aes256", CipherAlg::kAes256}};
  for (const auto& c : cases) {
    CAPTURE(c.section);
    auto cipher = BlockCipher::create(c.alg, test::crypto_kat().hex(c.section, "key"));
    REQUIRE(cipher.ok());
    const Bytes iv = test::crypto_kat().hex(c.section, "iv");
    const Bytes pt = test::crypto_kat().hex(c.section, "plaintext");
    const Bytes ct = test::crypto_kat().hex(c.section, "ciphertext");
    for (int round = 0; round < 3; ++round) {  // the IV is reset on every call
      auto enc = cipher->cbc_encrypt(iv, pt);
      REQUIRE(enc.ok());
      CHECK(to_hex(*enc) == to_hex(ct));
      auto dec = cipher->cbc_decrypt(iv, ct);
      REQUIRE(dec.ok());
      CHECK(to_hex(*dec) == to_hex(pt));
    }
    // A CBC chain continued by hand: block 2 encrypted with IV = ciphertext block 1.
    auto second = cipher->cbc_encrypt(ByteView(ct).first(16), ByteView(pt).subspan(16, 16));
    REQUIRE(second.ok());
    CHECK(to_hex(*second) == to_hex(ByteView(ct).subspan(16, 16)));
  }
}

TEST_CASE("2-key 3DES CBC with a zero IV matches the ICAO 9303-11 Appendix D.3 cryptogram") {
  const char* s = "icao_d3_3des_retail_mac";
  auto cipher = BlockCipher::create(CipherAlg::kTdes, test::crypto_kat().hex(s, "kenc"));
  REQUIRE(cipher.ok());
  const Bytes zero_iv(8, 0);
  auto e_ifd = cipher->cbc_encrypt(zero_iv, test::crypto_kat().hex(s, "s"));
  REQUIRE(e_ifd.ok());
  CHECK(to_hex(*e_ifd, true) == test::crypto_kat().text(s, "e_ifd"));
  auto back = cipher->cbc_decrypt(zero_iv, *e_ifd);
  REQUIRE(back.ok());
  CHECK(to_hex(*back, true) == test::crypto_kat().text(s, "s"));
}

TEST_CASE("the span forms work in place and check sizes") {
  auto cipher = BlockCipher::create(CipherAlg::kAes128, test::crypto_kat().hex("fips197_c1_aes128", "key"));
  REQUIRE(cipher.ok());
  Bytes buf = test::crypto_kat().hex("fips197_c1_aes128", "plaintext");
  REQUIRE(cipher->ecb_encrypt(buf, buf).ok());
  CHECK(to_hex(buf) == test::crypto_kat().text("fips197_c1_aes128", "ciphertext"));
  Bytes small(8);
  CHECK(cipher->ecb_encrypt(buf, small).error().code == ErrorCode::kInvalidArgument);
}

TEST_CASE("bad keys, IVs and lengths are kInvalidArgument") {
  // 3DES takes K1||K2 (16 bytes) only.
  CHECK(BlockCipher::create(CipherAlg::kTdes, Bytes(24, 1)).error().code == ErrorCode::kInvalidArgument);
  // AES-128 with a 32-byte key.
  CHECK(BlockCipher::create(CipherAlg::kAes128, Bytes(32, 1)).error().code == ErrorCode::kInvalidArgument);
  auto aes = BlockCipher::create(CipherAlg::kAes256, Bytes(32, 1));
  REQUIRE(aes.ok());
  // Not a whole number of blocks (no padding is ever added).
  CHECK(aes->cbc_encrypt(Bytes(16, 0), Bytes(17, 0)).error().code == ErrorCode::kInvalidArgument);
  // A 3DES-sized IV on AES.
  CHECK(aes->cbc_encrypt(Bytes(8, 0), Bytes(16, 0)).error().code == ErrorCode::kInvalidArgument);
  // Empty input is a valid whole number of blocks.
  auto empty = aes->ecb_encrypt(Bytes{});
  REQUIRE(empty.ok());
  CHECK(empty->empty());
}

TEST_CASE("ISO/IEC 9797-1 method 2 padding, and what unpadding refuses") {
  CHECK(to_hex(pad_iso9797_m2(hex_or_die("011E"), 8)) == "011e800000000000");
  CHECK(to_hex(pad_iso9797_m2(Bytes(8, 0x11), 8)).substr(16) == "8000000000000000");  // a whole extra block
  CHECK(pad_iso9797_m2(Bytes{}, 16).size() == 16);
  auto back = unpad_iso9797_m2(hex_or_die("011E800000000000"), 8);
  REQUIRE(back.ok());
  CHECK(to_hex(*back) == "011e");
  const struct {
    const char* hex;
    const char* why;
  } bad[] = {
      {"011E000000000000", "no 80 marker at all"},
      {"011E800000000001", "a non-zero byte after the marker"},
      {"0000000000000000", "all zeros"},
      {"80000000000000000000000000000000", "the marker more than a block from the end"},
      {"011E8000", "not a whole block"},
      {"", "empty"},
  };
  for (const auto& b : bad) {
    CAPTURE(b.why);
    auto r = unpad_iso9797_m2(hex_or_die(b.hex), 8);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code == ErrorCode::kMalformed);
  }
}

TEST_CASE("random bytes come in the asked size and differ") {
  auto a = random_bytes(32);
  auto b = random_secure_bytes(32);
  REQUIRE(a.ok());
  REQUIRE(b.ok());
  CHECK(a->size() == 32);
  CHECK(b->size() == 32);
  CHECK_FALSE(equal_bytes(*a, Bytes(b->begin(), b->end())));
  CHECK(random_bytes(0)->empty());
}
