#include "idtap/crypto/pkey.h"

#include <doctest/doctest.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include <memory>

#include "vectors/vector_file.h"
#include "idtap/apdu/tlv.h"
#include "idtap/base/hex.h"
#include "support/test_pki.h"
#include "idtap/crypto/ossl_ptr.h"

using namespace idtap;
using namespace idtap::crypto;
using idtap::test::VectorFile;

// OpenSSL is the signing oracle here: keys are generated and messages signed with it directly,
// and PublicKey must accept exactly what it signed.
namespace {

using Pkey = crypto::EvpPkeyPtr;

// Signs `msg` with `key`; `pad` is an RSA padding mode or 0, `salt` the PSS salt length.
Bytes sign(EVP_PKEY* key, const char* md, ByteView msg, int pad = 0, int salt = 0) {
  std::unique_ptr<EVP_MD_CTX, void (*)(EVP_MD_CTX*)> ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  EVP_PKEY_CTX* pctx = nullptr;
  REQUIRE(EVP_DigestSignInit_ex(ctx.get(), &pctx, md, nullptr, nullptr, key, nullptr) == 1);
  if (pad != 0) REQUIRE(EVP_PKEY_CTX_set_rsa_padding(pctx, pad) == 1);
  if (pad == RSA_PKCS1_PSS_PADDING) REQUIRE(EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, salt) == 1);
  size_t len = 0;
  REQUIRE(EVP_DigestSign(ctx.get(), nullptr, &len, msg.data(), msg.size()) == 1);
  Bytes sig(len);
  REQUIRE(EVP_DigestSign(ctx.get(), sig.data(), &len, msg.data(), msg.size()) == 1);
  sig.resize(len);
  return sig;
}

const Bytes kMessage = bytes_of("idtap signature test message");

}  // namespace

TEST_CASE("ICAO 9303-11 Appendix I.1: ChipAuthenticationPublicKeyInfo with standardized parameters") {
  auto v = VectorFile::load("icao9303_11_pace.txt");
  // ChipAuthenticationPublicKeyInfo ::= SEQUENCE { OID id-PK-ECDH, SubjectPublicKeyInfo, keyId }
  const Bytes info = v.hex("I.1", "ca_public_key_info");
  apdu::TlvReader outer(info);
  auto seq = outer.enter(0x30);
  REQUIRE(seq.ok());
  REQUIRE(seq->read(0x06).ok());
  auto spki = seq->read(0x30);
  REQUIRE(spki.ok());
  auto key = PublicKey::from_spki(spki->raw);
  REQUIRE(key.ok());
  CHECK(key->type() == PublicKeyType::kEc);
  CHECK(key->bits() == 256);
  REQUIRE(key->ec_point() != nullptr);
  CHECK(key->ec_point()->group().curve() == EcCurve::kBrainpoolP256r1);
  CHECK(key->ec_point()->encode() == v.hex("I.1", "pk_ic"));
}

TEST_CASE("RFC 6979 A.2.5: ECDSA P-256 / SHA-256 known answer, plain and DER") {
  const Bytes x = hex_or_die("60FED4BA255A9D31C961EB74C6356D68C049B8923B61FA6CE669622E60F29FB6");
  const Bytes y = hex_or_die("7903FE1008B8BC99A41AE9E95628BC64F2F1B20C2D7E9F5177A3C294D4462299");
  const Bytes plain = hex_or_die(
      "EFD48B2AACB6A8FD1140DD9CD45E81D69D2C877B56AAF991C34D0EA84EAF3716"
      "F7CB1C942D657C41D436C7A1B6E29F65F3E900DBB9AFF4064DC4AB2F843ACDA8");
  auto group = EcGroup::named(EcCurve::kNistP256).value();
  auto point = group.point_from_affine(x, y);
  REQUIRE(point.ok());
  auto key = PublicKey::from_ec_point(*point);
  REQUIRE(key.ok());
  const Bytes msg = bytes_of("sample");
  CHECK(key->verify({SignatureScheme::kEcdsaPlain, HashAlg::kSha256}, msg, plain).ok());
  auto der = ecdsa_plain_to_der(plain);
  REQUIRE(der.ok());
  CHECK(key->verify({SignatureScheme::kEcdsaDer, HashAlg::kSha256}, msg, *der).ok());
  CHECK(ecdsa_der_to_plain(*der, 32).value() == plain);
  CHECK(key->verify({SignatureScheme::kEcdsaPlain, HashAlg::kSha256}, bytes_of("Sample"), plain).error().code ==
        ErrorCode::kVerificationFailed);
  // The SPKI round trip keeps the key.
  auto spki = key->to_spki();
  REQUIRE(spki.ok());
  auto again = PublicKey::from_spki(*spki);
  REQUIRE(again.ok());
  CHECK(again->ec_point()->equals(*point));
}

TEST_CASE("ECDSA keys with named and explicit parameters verify OpenSSL's signatures") {
  for (const char* curve : {"brainpoolP256r1", "P-384", "brainpoolP512r1"}) {
    INFO(std::string(curve));
    Pkey k(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", curve));
    REQUIRE(k);
    const Bytes sig_der = sign(k.get(), "SHA256", kMessage);
    for (bool explicit_params : {false, true}) {
      CAPTURE(explicit_params);
      if (explicit_params) REQUIRE(EVP_PKEY_set_utf8_string_param(k.get(), OSSL_PKEY_PARAM_EC_ENCODING, OSSL_PKEY_EC_ENCODING_EXPLICIT) == 1);
      auto key = PublicKey::from_spki(testing::spki_der(k.get()));
      REQUIRE(key.ok());
      CHECK(key->type() == PublicKeyType::kEc);
      CHECK(key->ec_point()->group().curve().has_value());
      CHECK(key->verify({SignatureScheme::kEcdsaDer, HashAlg::kSha256}, kMessage, sig_der).ok());
      const size_t n = key->ec_point()->group().order_size();
      auto plain = ecdsa_der_to_plain(sig_der, n);
      REQUIRE(plain.ok());
      CHECK(plain->size() == 2 * n);
      CHECK(key->verify({SignatureScheme::kEcdsaPlain, HashAlg::kSha256}, kMessage, *plain).ok());

      // Bad signatures: each is kVerificationFailed, never an exception or kInternal.
      Bytes flipped = *plain;
      flipped[3] ^= 0x01;
      Bytes short_plain(plain->begin(), plain->end() - 1);
      CHECK(key->verify({SignatureScheme::kEcdsaPlain, HashAlg::kSha256}, kMessage, flipped).error().code == ErrorCode::kVerificationFailed);
      CHECK(key->verify({SignatureScheme::kEcdsaPlain, HashAlg::kSha256}, kMessage, short_plain).error().code == ErrorCode::kVerificationFailed);
      CHECK(key->verify({SignatureScheme::kEcdsaPlain, HashAlg::kSha384}, kMessage, *plain).error().code == ErrorCode::kVerificationFailed);
      CHECK(key->verify({SignatureScheme::kEcdsaDer, HashAlg::kSha256}, kMessage, Bytes{0x30, 0x00}).error().code == ErrorCode::kVerificationFailed);
      CHECK(key->verify({SignatureScheme::kRsaPkcs1v15, HashAlg::kSha256}, kMessage, sig_der).error().code == ErrorCode::kInvalidArgument);
      CHECK(key->rsa_recover(sig_der).error().code == ErrorCode::kInvalidArgument);
    }
  }
}

TEST_CASE("RSA PKCS#1 v1.5 and PSS signatures, and the raw recovery for ISO 9796-2") {
  Pkey k(EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", static_cast<size_t>(2048)));
  REQUIRE(k);
  auto key = PublicKey::from_spki(testing::spki_der(k.get()));
  REQUIRE(key.ok());
  CHECK(key->type() == PublicKeyType::kRsa);
  CHECK(key->bits() == 2048);

  const Bytes v15 = sign(k.get(), "SHA256", kMessage, RSA_PKCS1_PADDING);
  CHECK(key->verify({SignatureScheme::kRsaPkcs1v15, HashAlg::kSha256}, kMessage, v15).ok());
  CHECK(key->verify({SignatureScheme::kRsaPkcs1v15, HashAlg::kSha1}, kMessage, v15).error().code == ErrorCode::kVerificationFailed);
  CHECK(key->verify({SignatureScheme::kRsaPss, HashAlg::kSha256}, kMessage, v15).error().code == ErrorCode::kVerificationFailed);

  const Bytes pss = sign(k.get(), "SHA512", kMessage, RSA_PKCS1_PSS_PADDING, 64);
  CHECK(key->verify({SignatureScheme::kRsaPss, HashAlg::kSha512}, kMessage, pss).ok());
  CHECK(key->verify({SignatureScheme::kRsaPss, HashAlg::kSha512, 64}, kMessage, pss).ok());
  CHECK(key->verify({SignatureScheme::kRsaPss, HashAlg::kSha512, 32}, kMessage, pss).error().code == ErrorCode::kVerificationFailed);
  CHECK(key->verify({SignatureScheme::kRsaPkcs1v15, HashAlg::kSha512}, kMessage, pss).error().code == ErrorCode::kVerificationFailed);
  CHECK(key->verify({SignatureScheme::kEcdsaDer, HashAlg::kSha256}, kMessage, pss).error().code == ErrorCode::kInvalidArgument);

  // Raw RSA: sign m with no padding (m^d), recover m^d^e = m.
  Bytes m(256, 0x00);
  m[0] = 0x6A;
  m[255] = 0xBC;
  for (size_t i = 1; i < 255; ++i) m[i] = static_cast<uint8_t>(i);
  std::unique_ptr<EVP_PKEY_CTX, void (*)(EVP_PKEY_CTX*)> sctx(EVP_PKEY_CTX_new_from_pkey(nullptr, k.get(), nullptr), EVP_PKEY_CTX_free);
  REQUIRE(EVP_PKEY_sign_init(sctx.get()) == 1);
  REQUIRE(EVP_PKEY_CTX_set_rsa_padding(sctx.get(), RSA_NO_PADDING) == 1);
  Bytes raw(256);
  size_t raw_len = raw.size();
  REQUIRE(EVP_PKEY_sign(sctx.get(), raw.data(), &raw_len, m.data(), m.size()) == 1);
  raw.resize(raw_len);
  auto recovered = key->rsa_recover(raw);
  REQUIRE(recovered.ok());
  CHECK(*recovered == m);
  CHECK(key->rsa_recover(Bytes(255, 0x01)).error().code == ErrorCode::kVerificationFailed);
  CHECK(key->rsa_recover(Bytes(256, 0xFF)).error().code == ErrorCode::kVerificationFailed);  // not below n
}

TEST_CASE("DH public keys: X9.42 dhpublicnumber and the BSI standardized form") {
  Pkey params(nullptr);
  {
    std::unique_ptr<EVP_PKEY_CTX, void (*)(EVP_PKEY_CTX*)> ctx(EVP_PKEY_CTX_new_from_name(nullptr, "DHX", nullptr), EVP_PKEY_CTX_free);
    REQUIRE(EVP_PKEY_keygen_init(ctx.get()) == 1);
    OSSL_PARAM p[] = {OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, const_cast<char*>("dh_1024_160"), 0),
                      OSSL_PARAM_construct_end()};
    REQUIRE(EVP_PKEY_CTX_set_params(ctx.get(), p) == 1);
    EVP_PKEY* raw = nullptr;
    REQUIRE(EVP_PKEY_generate(ctx.get(), &raw) == 1);
    params.reset(raw);
  }
  auto key = PublicKey::from_spki(testing::spki_der(params.get()));
  REQUIRE(key.ok());
  CHECK(key->type() == PublicKeyType::kDh);
  REQUIRE(key->dh_group() != nullptr);
  CHECK(key->dh_group()->id() == DhGroupId::kModp1024_160);
  CHECK(key->bits() == 1024);
  CHECK(key->verify({SignatureScheme::kRsaPkcs1v15, HashAlg::kSha256}, kMessage, Bytes(128)).error().code == ErrorCode::kInvalidArgument);
  CHECK(key->to_spki().error().code == ErrorCode::kNotSupported);

  // The same value under AlgorithmIdentifier {standardizedDomainParameters, 0}.
  const Bytes y = *key->dh_public();
  Bytes y_int = y[0] & 0x80 ? concat({Bytes{0x00}, y}) : y;
  const Bytes alg = apdu::encode_tlv(0x30, concat({apdu::encode_tlv(0x06, hex_or_die("04007F00070102")), hex_or_die("020100")}));
  auto bsi_spki = [&](const Bytes& algorithm, const Bytes& key_bytes) {
    return apdu::encode_tlv(0x30, concat({algorithm, apdu::encode_tlv(0x03, concat({Bytes{0x00}, key_bytes}))}));
  };
  auto bsi = PublicKey::from_spki(bsi_spki(alg, apdu::encode_tlv(0x02, y_int)));
  REQUIRE_MESSAGE(bsi.ok(), (bsi.ok() ? "" : bsi.error().message()));
  CHECK(bsi->dh_group()->id() == DhGroupId::kModp1024_160);
  CHECK(*bsi->dh_public() == y);
  // A value outside the subgroup is rejected; unknown IDs are not supported.
  CHECK(PublicKey::from_spki(bsi_spki(alg, hex_or_die("020102"))).error().code == ErrorCode::kMalformed);
  const Bytes alg5 = apdu::encode_tlv(0x30, concat({apdu::encode_tlv(0x06, hex_or_die("04007F00070102")), hex_or_die("020105")}));
  CHECK(PublicKey::from_spki(bsi_spki(alg5, hex_or_die("020102"))).error().code == ErrorCode::kNotSupported);
}

TEST_CASE("malformed and unsupported SubjectPublicKeyInfo") {
  Pkey ec(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"));
  const Bytes good = testing::spki_der(ec.get());
  Bytes off_curve = good;
  off_curve.back() ^= 0x01;  // last byte of Y
  Pkey ed(EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519"));
  struct Case {
    const char* what;
    Bytes der;
    ErrorCode code;
  };
  const Case cases[] = {
      {"empty", {}, ErrorCode::kMalformed},
      {"garbage", hex_or_die("0102030405"), ErrorCode::kMalformed},
      {"trailing byte", concat({good, Bytes{0x00}}), ErrorCode::kMalformed},
      {"truncated", Bytes(good.begin(), good.end() - 1), ErrorCode::kMalformed},
      {"EC point not on the curve", off_curve, ErrorCode::kMalformed},
      {"Ed25519 is not an ICAO key type", testing::spki_der(ed.get()), ErrorCode::kNotSupported},
  };
  for (const auto& c : cases) {
    INFO(std::string(c.what));
    auto r = PublicKey::from_spki(c.der);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code == c.code);
  }
  CHECK(PublicKey::from_spki(good).ok());
  CHECK(ecdsa_plain_to_der(Bytes(3, 0x01)).error().code == ErrorCode::kMalformed);
  CHECK(ecdsa_der_to_plain(hex_or_die("3006020101020101FF"), 32).error().code == ErrorCode::kMalformed);
}
