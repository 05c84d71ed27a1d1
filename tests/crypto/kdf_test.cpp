#include "idtap/crypto/kdf.h"

#include <doctest/doctest.h>

#include "idtap/base/hex.h"
#include "idtap/crypto/hash.h"
#include "vectors/vector_file.h"

using namespace idtap;
using namespace idtap::crypto;

namespace {

std::string hex_of(const SecureBytes& b) { return to_hex(Bytes(b.begin(), b.end()), true); }

}  // namespace

TEST_CASE("the 3DES KDF gives ICAO 9303-11 Appendix D.2 Kenc / Kmac and D.4 KSenc / KSmac") {
  for (const auto& [section, enc, mac] : {std::tuple{"icao_d2_kdf_3des", "kenc", "kmac"},
                                          std::tuple{"icao_d4_kdf_session", "ks_enc", "ks_mac"}}) {
    CAPTURE(section);
    const Bytes seed = test::crypto_kat().hex(section, "kseed");
    auto k_enc = derive_key(CipherAlg::kTdes, seed, KdfCounter::kEnc);
    auto k_mac = derive_key(CipherAlg::kTdes, seed, KdfCounter::kMac);
    REQUIRE(k_enc.ok());
    REQUIRE(k_mac.ok());
    CHECK(hex_of(*k_enc) == test::crypto_kat().text(section, enc));
    CHECK(hex_of(*k_mac) == test::crypto_kat().text(section, mac));
    // DES keys carry odd parity in every byte.
    for (uint8_t b : *k_enc) CHECK(__builtin_popcount(b) % 2 == 1);
  }
}

TEST_CASE("the AES-128 KDF gives ICAO 9303-11 Appendix G.1 K_pi and the session keys") {
  const char* s = "icao_g1_kdf_aes128";
  auto k = digest(HashAlg::kSha1, bytes_of(test::crypto_kat().text(s, "mrz_information")));
  REQUIRE(k.ok());
  CHECK(to_hex(*k, true) == test::crypto_kat().text(s, "k"));
  auto k_pi = derive_key(CipherAlg::kAes128, *k, KdfCounter::kPace);
  REQUIRE(k_pi.ok());
  CHECK(hex_of(*k_pi) == test::crypto_kat().text(s, "k_pi"));
  const Bytes secret = test::crypto_kat().hex(s, "shared_secret");
  CHECK(hex_of(*derive_key(CipherAlg::kAes128, secret, KdfCounter::kEnc)) == test::crypto_kat().text(s, "ks_enc"));
  CHECK(hex_of(*derive_key(CipherAlg::kAes128, secret, KdfCounter::kMac)) == test::crypto_kat().text(s, "ks_mac"));
}

TEST_CASE("AES-192 and AES-256 keys are the first 24 / 32 bytes of SHA-256(K || c)") {
  const char* s = "derived_kdf_aes256";
  const Bytes secret = test::crypto_kat().hex(s, "shared_secret");
  auto k256 = derive_key(CipherAlg::kAes256, secret, KdfCounter::kEnc);
  auto k192 = derive_key(CipherAlg::kAes192, secret, KdfCounter::kMac);
  REQUIRE(k256.ok());
  REQUIRE(k192.ok());
  CHECK(to_hex(Bytes(k256->begin(), k256->end())) == test::crypto_kat().text(s, "sha256_enc"));
  CHECK(to_hex(Bytes(k192->begin(), k192->end())) == test::crypto_kat().text(s, "sha256_mac").substr(0, 48));
}

TEST_CASE("the optional nonce goes between K and the counter") {
  const Bytes k = hex_or_die("0102030405");
  const Bytes nonce = hex_or_die("AABB");
  auto with_nonce = derive_key(CipherAlg::kAes128, k, KdfCounter::kEnc, nonce);
  auto expected = digest(HashAlg::kSha1, hex_or_die("0102030405 AABB 00000001"));
  REQUIRE(with_nonce.ok());
  REQUIRE(expected.ok());
  CHECK(hex_of(*with_nonce) == to_hex(ByteView(*expected).first(16), true));
}
