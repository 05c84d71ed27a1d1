#include "idtap/crypto/aead.h"

#include <doctest/doctest.h>

#include "idtap/base/hex.h"
#include "vectors/vector_file.h"

using namespace idtap;
using namespace idtap::crypto;

namespace {

Bytes plain(const SecureBytes& b) { return Bytes(b.begin(), b.end()); }

}  // namespace

TEST_CASE("HKDF-SHA256 gives RFC 5869 A.1's output keying material") {
  const auto& v = test::crypto_kat();
  auto okm = hkdf_sha256(v.hex("rfc5869_a1_hkdf_sha256", "ikm"), v.hex("rfc5869_a1_hkdf_sha256", "salt"),
                         v.hex("rfc5869_a1_hkdf_sha256", "info"), 42);
  REQUIRE(okm.ok());
  CHECK(plain(*okm) == v.hex("rfc5869_a1_hkdf_sha256", "okm"));
  // RFC 5869 §2.3: L <= 255 * HashLen, and nothing for L = 0
  CHECK(hkdf_sha256(Bytes(32, 1), {}, {}, 0).error().code == ErrorCode::kInvalidArgument);
  CHECK(hkdf_sha256(Bytes(32, 1), {}, {}, 255 * 32 + 1).error().code == ErrorCode::kInvalidArgument);
  // another info, another key
  CHECK(plain(hkdf_sha256(Bytes(32, 1), {}, bytes_of("a"), 32).value()) !=
        plain(hkdf_sha256(Bytes(32, 1), {}, bytes_of("b"), 32).value()));
}

TEST_CASE("AES-256-GCM opens the GCM specification's test case 14") {
  const auto& v = test::crypto_kat();
  Bytes sealed = v.hex("gcm_spec_test_case_14", "iv");
  for (const char* part : {"ciphertext", "tag"}) {
    Bytes b = v.hex("gcm_spec_test_case_14", part);
    sealed.insert(sealed.end(), b.begin(), b.end());
  }
  auto opened = aes256_gcm_open(v.hex("gcm_spec_test_case_14", "key"), {}, sealed);
  REQUIRE(opened.ok());
  CHECK(plain(*opened) == v.hex("gcm_spec_test_case_14", "plaintext"));
}

TEST_CASE("AES-256-GCM seal and open: round trip, fresh nonces, and every tampering refused") {
  const Bytes key(32, 0x42);
  const Bytes aad = bytes_of("offer 1");
  const Bytes message = bytes_of("900101-1234567 and a portrait");
  auto a = aes256_gcm_seal(key, aad, message);
  auto b = aes256_gcm_seal(key, aad, message);
  REQUIRE(a.ok());
  REQUIRE(b.ok());
  CHECK(a->size() == kGcmNonceBytes + message.size() + kGcmTagBytes);
  CHECK(*a != *b);  // a fresh random nonce per seal
  CHECK(plain(aes256_gcm_open(key, aad, *a).value()) == message);
  CHECK(plain(aes256_gcm_open(key, aad, *b).value()) == message);
  // empty plaintext seals too
  CHECK(aes256_gcm_open(key, aad, aes256_gcm_seal(key, aad, {}).value()).value().empty());

  struct Case {
    const char* what;
    Bytes key, aad, sealed;
    ErrorCode code;
  };
  Bytes flipped_ct = *a;
  flipped_ct[kGcmNonceBytes] ^= 1;
  Bytes flipped_tag = *a;
  flipped_tag.back() ^= 0x80;
  Bytes flipped_nonce = *a;
  flipped_nonce[0] ^= 1;
  const Case cases[] = {
      {"a ciphertext bit flipped", key, aad, flipped_ct, ErrorCode::kVerificationFailed},
      {"a tag bit flipped", key, aad, flipped_tag, ErrorCode::kVerificationFailed},
      {"the nonce changed", key, aad, flipped_nonce, ErrorCode::kVerificationFailed},
      {"another associated data (another offer id)", key, bytes_of("offer 2"), *a, ErrorCode::kVerificationFailed},
      {"another key", Bytes(32, 0x43), aad, *a, ErrorCode::kVerificationFailed},
      {"truncated below nonce + tag", key, aad, Bytes(a->begin(), a->begin() + 27), ErrorCode::kMalformed},
      {"a 16-byte key", Bytes(16, 0x42), aad, *a, ErrorCode::kInvalidArgument},
  };
  for (const auto& c : cases) {
    CAPTURE(c.what);
    auto r = aes256_gcm_open(c.key, c.aad, c.sealed);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code == c.code);
  }
  CHECK(aes256_gcm_seal(Bytes(31, 0), aad, message).error().code == ErrorCode::kInvalidArgument);
}
