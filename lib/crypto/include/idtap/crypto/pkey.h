// idtap/crypto/pkey.h: public keys from DER SubjectPublicKeyInfo (EC with named or explicit
// parameters, RSA, DH, and the BSI standardized-domain-parameter form of EF.CardSecurity /
// DG14) and signature verification (ECDSA plain and DER, RSA PKCS#1 v1.5 and PSS) over EVP.
// For Chip, Active and Passive Authentication.
#pragma once

#include <cstddef>
#include <memory>
#include <optional>

#include "idtap/base/bytes.h"
#include "idtap/base/result.h"
#include "idtap/crypto/dh.h"
#include "idtap/crypto/ec.h"
#include "idtap/crypto/hash.h"

namespace idtap::crypto {

enum class PublicKeyType { kEc, kRsa, kDh };

// SignatureScheme: kEcdsaPlain is r || s, each exactly the order's byte length (BSI TR-03111
// §5.2.1, used by ICAO Active Authentication and CV certificates); kEcdsaDer is the X9.62
// Ecdsa-Sig-Value SEQUENCE (X.509, CMS); kRsaPss uses MGF1 with the same hash.
enum class SignatureScheme { kEcdsaPlain, kEcdsaDer, kRsaPkcs1v15, kRsaPss };

// SignatureParams: how a signature is checked. `pss_salt_length` nullopt accepts any salt
// length (recovered from the signature); otherwise the exact length is required.
struct SignatureParams {
  SignatureScheme scheme = SignatureScheme::kEcdsaDer;
  HashAlg hash = HashAlg::kSha256;
  std::optional<int> pss_salt_length;
};

// PublicKey: an immutable public key. Copies share the key.
class PublicKey {
 public:
  // PublicKey::from_spki: parses a DER SubjectPublicKeyInfo (the whole input, no trailing
  // bytes). Understood algorithms: id-ecPublicKey (namedCurve or explicit ECParameters, the
  // point validated), rsaEncryption / id-RSASSA-PSS, dhpublicnumber (X9.42 p, g, q; the value
  // validated), and standardizedDomainParameters {0.4.0.127.0.7.1.2} with an INTEGER parameter
  // ID (ICAO 9303-11 §9.5.1, BSI TR-03110-3 A.2.1.1: ECDH IDs 8-18, DH IDs 0-2).
  // kMalformed on bad DER or an invalid key, kNotSupported for other algorithms or IDs.
  static Result<PublicKey> from_spki(ByteView der);
  // PublicKey::from_ec_point: the key of an EC point (for personalisation and tests).
  static Result<PublicKey> from_ec_point(const EcPoint& point);

  PublicKeyType type() const;
  // PublicKey::bits: RSA modulus bits, EC field bits, DH p bits.
  size_t bits() const;
  // PublicKey::ec_point: the point of an EC key (nullptr for other types).
  const EcPoint* ec_point() const;
  // PublicKey::dh_group / dh_public: the group and public value y of a DH key (nullptr for
  // other types).
  const DhGroup* dh_group() const;
  const Bytes* dh_public() const;

  // PublicKey::verify: checks `signature` over `message` (hashed here with params.hash).
  // kVerificationFailed for a signature that does not verify or does not parse;
  // kInvalidArgument when the scheme does not fit the key type (or the key is DH).
  Status verify(const SignatureParams& params, ByteView message, ByteView signature) const;

  // PublicKey::rsa_recover: the raw RSA public operation signature^e mod n, padded to the
  // modulus length (for ISO/IEC 9796-2 Active Authentication, which recovers the message).
  // kInvalidArgument unless RSA; kVerificationFailed when the signature is not below n or not
  // the modulus length.
  Result<Bytes> rsa_recover(ByteView signature) const;

  // PublicKey::to_spki: the DER SubjectPublicKeyInfo (EC keys with a standardized curve use the
  // named form). kNotSupported for DH keys.
  Result<Bytes> to_spki() const;

  struct Impl;
  explicit PublicKey(std::shared_ptr<const Impl> impl) : impl_(std::move(impl)) {}

 private:
  std::shared_ptr<const Impl> impl_;
};

// ecdsa_plain_to_der: r || s (even length, at most 2 x 66 bytes) as an Ecdsa-Sig-Value.
// kMalformed on an odd or empty length.
Result<Bytes> ecdsa_plain_to_der(ByteView plain);
// ecdsa_der_to_plain: an Ecdsa-Sig-Value as r || s, each left-padded to `order_size`.
// kMalformed on bad DER or an integer longer than order_size.
Result<Bytes> ecdsa_der_to_plain(ByteView der, size_t order_size);

}  // namespace idtap::crypto
