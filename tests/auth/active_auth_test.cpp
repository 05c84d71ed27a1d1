#include "idtap/auth/active_auth.h"

#include <doctest/doctest.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ecdsa.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include "idtap/apdu/scripted_transport.h"
#include "idtap/base/hex.h"
#include "idtap/crypto/random.h"
#include "support/test_pki.h"

using namespace idtap;
using namespace idtap::auth;
using namespace idtap::testing;

namespace {

Bytes spki_of(EVP_PKEY* key) {
  unsigned char* der = nullptr;
  int n = i2d_PUBKEY(key, &der);
  Bytes out(der, der + n);
  OPENSSL_free(der);
  return out;
}

// rsa_raw_sign: the raw RSA private operation on a representative the test built itself.
Bytes rsa_raw_sign(EVP_PKEY* key, ByteView rep) {
  const size_t k = static_cast<size_t>(EVP_PKEY_get_size(key));
  EVP_PKEY_CTX* ctx = EVP_PKEY_CTX_new_from_pkey(nullptr, key, nullptr);
  REQUIRE(EVP_PKEY_sign_init(ctx) == 1);
  REQUIRE(EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_NO_PADDING) == 1);
  Bytes sig(k);
  size_t len = k;
  REQUIRE(EVP_PKEY_sign(ctx, sig.data(), &len, rep.data(), rep.size()) == 1);
  EVP_PKEY_CTX_free(ctx);
  return sig;
}

// The chip's side of RSA AA: the ISO 9796-2 representative, then the raw RSA private operation.
Bytes rsa_chip_sign(EVP_PKEY* key, ByteView challenge, crypto::HashAlg hash) {
  const size_t k = static_cast<size_t>(EVP_PKEY_get_size(key));
  const size_t m1_len = k - 1 - crypto::digest_size(hash) - iso9796_2_trailer_size(hash);
  Bytes m1 = crypto::random_bytes(m1_len).value();
  return rsa_raw_sign(key, iso9796_2_sign_representative(k, m1, challenge, hash).value());
}

// The chip's side of ECDSA AA: a plain r || s signature over the challenge.
Bytes ecdsa_chip_sign(EVP_PKEY* key, ByteView challenge, const char* md) {
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  REQUIRE(EVP_DigestSignInit_ex(ctx, nullptr, md, nullptr, nullptr, key, nullptr) == 1);
  size_t len = 0;
  REQUIRE(EVP_DigestSign(ctx, nullptr, &len, challenge.data(), challenge.size()) == 1);
  Bytes der(len);
  REQUIRE(EVP_DigestSign(ctx, der.data(), &len, challenge.data(), challenge.size()) == 1);
  EVP_MD_CTX_free(ctx);
  const unsigned char* p = der.data();
  ECDSA_SIG* sig = d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(len));
  Bytes plain(64);
  BN_bn2binpad(ECDSA_SIG_get0_r(sig), plain.data(), 32);
  BN_bn2binpad(ECDSA_SIG_get0_s(sig), plain.data() + 32, 32);
  ECDSA_SIG_free(sig);
  return plain;
}

}  // namespace

TEST_CASE("RSA Active Authentication with ISO 9796-2 scheme 1: every hash, named by its trailer") {
  EvpKey key = make_rsa_key(2048);
  Bytes spki = spki_of(key.get());
  Bytes challenge = hex_or_die("0102030405060708");
  // ISO/IEC 9796-2 §8.1.2 trailers: SHA-1 implicit BC, else the ISO/IEC 10118-3 hash identifier
  // followed by CC.
  struct Case {
    crypto::HashAlg hash;
    const char* trailer;
    const char* name;
  } cases[] = {
      {crypto::HashAlg::kSha1, "BC", "SHA-1"},       {crypto::HashAlg::kSha224, "38CC", "SHA-224"},
      {crypto::HashAlg::kSha256, "34CC", "SHA-256"}, {crypto::HashAlg::kSha384, "36CC", "SHA-384"},
      {crypto::HashAlg::kSha512, "35CC", "SHA-512"},
  };
  for (const auto& c : cases) {
    CAPTURE(c.name);
    // The representative: 6A || M1 || H(M1 || challenge) || trailer, 256 bytes.
    const size_t hlen = crypto::digest_size(c.hash);
    const size_t tlen = std::string_view(c.trailer).size() / 2;
    CHECK(iso9796_2_trailer_size(c.hash) == tlen);
    Bytes m1(256 - 1 - hlen - tlen, 0x5A);
    auto rep = iso9796_2_sign_representative(256, m1, challenge, c.hash);
    REQUIRE(rep.ok());
    REQUIRE(rep->size() == 256);
    CHECK(rep->front() == 0x6A);
    CHECK(to_hex(ByteView(*rep).last(tlen), true) == c.trailer);
    CHECK(to_hex(ByteView(*rep).subspan(1, m1.size())) == to_hex(m1));
    CHECK(to_hex(ByteView(*rep).subspan(1 + m1.size(), hlen)) == to_hex(crypto::digest(c.hash, concat({m1, challenge})).value()));
    // An M1 one byte off does not fill the modulus.
    CHECK(iso9796_2_sign_representative(256, Bytes(m1.size() + 1, 0), challenge, c.hash).error().code ==
          ErrorCode::kInvalidArgument);

    // Signed by the chip's key, the signature verifies and names the hash.
    Bytes sig = rsa_chip_sign(key.get(), challenge, c.hash);
    auto ok = verify_aa_signature(spki, challenge, sig);
    REQUIRE_MESSAGE(ok.ok(), (ok.ok() ? std::string() : ok.error().message()));
    CHECK(*ok == std::string("RSA-2048 ISO 9796-2 ") + c.name);
    // Another challenge, a flipped signature bit: refused.
    CHECK(verify_aa_signature(spki, hex_or_die("0102030405060709"), sig).error().code == ErrorCode::kVerificationFailed);
    Bytes flipped = sig;
    flipped[100] ^= 0x01;
    CHECK_FALSE(verify_aa_signature(spki, challenge, flipped).ok());
  }
  EvpKey other = make_rsa_key(2048);
  for (auto hash : {crypto::HashAlg::kSha256, crypto::HashAlg::kSha512}) {
    Bytes sig = rsa_chip_sign(key.get(), challenge, hash);
    CHECK(verify_aa_signature(spki_of(other.get()), challenge, sig).error().code == ErrorCode::kVerificationFailed);
  }
  // Representatives built by hand: SHA-1 may also be named explicitly (33CC); anything else
  // in the header or trailer is refused (ISO/IEC 9796-2 §8.1.2).
  auto rep_with = [&](uint8_t header, crypto::HashAlg hash, Bytes trailer) {
    Bytes m1(256 - 1 - crypto::digest_size(hash) - trailer.size(), 0x33);
    Bytes rep = {header};
    append(rep, m1);
    append(rep, crypto::digest(hash, concat({m1, challenge})).value());
    append(rep, trailer);
    return rsa_raw_sign(key.get(), rep);
  };
  auto explicit_sha1 = verify_aa_signature(spki, challenge, rep_with(0x6A, crypto::HashAlg::kSha1, {0x33, 0xCC}));
  REQUIRE(explicit_sha1.ok());
  CHECK(*explicit_sha1 == "RSA-2048 ISO 9796-2 SHA-1");
  struct Bad {
    Bytes signature;
    ErrorCode code;
    const char* why;
  } bad[] = {
      {rep_with(0x6A, crypto::HashAlg::kSha256, {0x37, 0xCC}), ErrorCode::kNotSupported, "trailer 37CC names WHIRLPOOL"},
      {rep_with(0x6A, crypto::HashAlg::kSha256, {0x34, 0xBB}), ErrorCode::kVerificationFailed, "trailer neither BC nor xxCC"},
      {rep_with(0x4B, crypto::HashAlg::kSha256, {0x34, 0xCC}), ErrorCode::kVerificationFailed, "header 4B (full recovery), not 6A"},
      {rep_with(0x6A, crypto::HashAlg::kSha384, {0x34, 0xCC}), ErrorCode::kVerificationFailed, "SHA-384 digest under the SHA-256 trailer"},
  };
  for (const auto& b : bad) {
    const std::string why = b.why;
    CAPTURE(why);
    auto r = verify_aa_signature(spki, challenge, b.signature);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code == b.code);
  }
  // A modulus too small for SHA-512 (1 + 64 + 2 bytes and no room for M1).
  CHECK(iso9796_2_sign_representative(67, Bytes{}, challenge, crypto::HashAlg::kSha512).error().code == ErrorCode::kInvalidArgument);
}

TEST_CASE("ECDSA Active Authentication with plain signatures and the DG14 hash") {
  EvpKey key = make_ec_key("brainpoolP256r1");
  Bytes spki = spki_of(key.get());
  Bytes challenge = hex_or_die("1122334455667788");
  Bytes sig = ecdsa_chip_sign(key.get(), challenge, "SHA256");
  auto ok = verify_aa_signature(spki, challenge, sig, std::string("1.2.840.10045.4.3.2"));
  REQUIRE(ok.ok());
  CHECK(*ok == "ECDSA brainpoolP256r1 SHA-256");
  CHECK(verify_aa_signature(spki, challenge, sig).ok());  // SHA-256 when DG14 names none

  struct Case {
    Bytes sig;
    std::optional<std::string> oid;
    ErrorCode code;
    const char* why;
  } cases[] = {
      {sig, std::string("1.2.840.10045.4.3.3"), ErrorCode::kVerificationFailed, "DG14 names SHA-384, chip signed SHA-256"},
      {sig, std::string("1.2.3.4"), ErrorCode::kNotSupported, "unknown signature algorithm OID"},
      {Bytes(sig.begin(), sig.end() - 1), std::nullopt, ErrorCode::kVerificationFailed, "odd-length signature"},
      {Bytes(64, 0), std::nullopt, ErrorCode::kVerificationFailed, "r = s = 0"},
      {ecdsa_chip_sign(make_ec_key("brainpoolP256r1").get(), challenge, "SHA256"), std::nullopt,
       ErrorCode::kVerificationFailed, "a cloned chip with another key"},
  };
  for (const auto& c : cases) {
    CAPTURE(c.why);
    auto r = verify_aa_signature(spki, challenge, c.sig, c.oid);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code == c.code);
  }
  CHECK(verify_aa_signature(Bytes{0x30, 0x00}, challenge, sig).error().code == ErrorCode::kMalformed);
}

TEST_CASE("active_authenticate sends INTERNAL AUTHENTICATE with the challenge and checks the answer") {
  EvpKey key = make_ec_key("P-256");
  Bytes spki = spki_of(key.get());
  Bytes challenge = hex_or_die("a1a2a3a4a5a6a7a8");
  Bytes sig = ecdsa_chip_sign(key.get(), challenge, "SHA256");

  apdu::ScriptedTransport card;
  card.expect_bytes(hex_or_die("0088000008a1a2a3a4a5a6a7a800"), concat({sig, hex_or_die("9000")}));
  auto r = active_authenticate(card, spki, AaOptions{.challenge = challenge});
  REQUIRE(r.ok());
  CHECK(r->challenge == challenge);
  CHECK(card.done());

  apdu::ScriptedTransport refusing;
  refusing.expect_any("6985");
  auto refused = active_authenticate(refusing, spki, AaOptions{.challenge = challenge});
  REQUIRE_FALSE(refused.ok());
  CHECK(refused.error().code == ErrorCode::kCardStatus);
  CHECK(refused.error().sw == 0x6985);

  apdu::ScriptedTransport unused;
  CHECK(active_authenticate(unused, spki, AaOptions{.challenge = Bytes(7, 0)}).error().code == ErrorCode::kInvalidArgument);

  // A random challenge differs between runs.
  apdu::ScriptedTransport a, b;
  a.expect_any("9000");
  b.expect_any("9000");
  (void)active_authenticate(a, spki);
  (void)active_authenticate(b, spki);
  CHECK(a.sent().at(0) != b.sent().at(0));
}

TEST_CASE("RSA-4096 Active Authentication asks for the 512-byte signature with an extended Le") {
  EvpKey key = make_rsa_key(4096);
  Bytes spki = spki_of(key.get());
  Bytes challenge = hex_or_die("0011223344556677");
  Bytes sig = rsa_chip_sign(key.get(), challenge, crypto::HashAlg::kSha256);
  REQUIRE(sig.size() == 512);
  apdu::ScriptedTransport card;
  // 00 88 00 00, extended Lc 000008, the challenge, extended Le 0200 (512).
  card.expect_bytes(hex_or_die("00880000000008001122334455667702 00"), concat({sig, hex_or_die("9000")}));
  auto r = active_authenticate(card, spki, AaOptions{.challenge = challenge});
  REQUIRE_MESSAGE(r.ok(), (r.ok() ? std::string() : r.error().message()));
  CHECK(r->algorithm == "RSA-4096 ISO 9796-2 SHA-256");
  CHECK(card.done());
}
