// idtap/provision/keys.h: the issuer's and the phones' keys and the issuer's certificates:
// P-256 ECDSA (COSE ES256) over OpenSSL EVP, COSE_Key (RFC 9052 §7, EC2), JWK thumbprints
// (RFC 7638) and X.509 chains. Every primitive is OpenSSL's.
#pragma once

#include <memory>
#include <span>
#include <string>
#include <vector>

#include "idtap/base/bytes.h"
#include "idtap/base/result.h"
#include "idtap/base/secure_bytes.h"
#include "idtap/provision/cbor.h"
#include "idtap/provision/date.h"

typedef struct evp_pkey_st EVP_PKEY;
typedef struct x509_st X509;

namespace idtap::provision {

// EcPublicKey: a NIST P-256 public key. Copies share the underlying EVP_PKEY (read-only).
class EcPublicKey {
 public:
  // EcPublicKey::from_coordinates: from the affine x and y (32 bytes each); kInvalidArgument if
  // the point is not on P-256.
  static Result<EcPublicKey> from_coordinates(ByteView x, ByteView y);
  // EcPublicKey::from_pem: a PEM SubjectPublicKeyInfo ("BEGIN PUBLIC KEY"); kInvalidArgument
  // for anything else or another curve.
  static Result<EcPublicKey> from_pem(ByteView pem);
  // EcPublicKey::from_cose_key: a COSE_Key map (kty 2 = EC2, crv 1 = P-256, -2 x, -3 y);
  // kMalformed / kNotSupported otherwise.
  static Result<EcPublicKey> from_cose_key(const cbor_item_t* cose_key);
  // EcPublicKey::load: PEM or the CBOR encoding of a COSE_Key, whichever `file` holds.
  static Result<EcPublicKey> load(ByteView file);
  // EcPublicKey::from_pkey: takes one reference to `pkey` (must be a P-256 EC key).
  static Result<EcPublicKey> from_pkey(EVP_PKEY* pkey);

  const Bytes& x() const { return x_; }
  const Bytes& y() const { return y_; }
  EVP_PKEY* pkey() const { return pkey_.get(); }

  // EcPublicKey::to_cose_key: the COSE_Key {1: 2, -1: 1, -2: x, -3: y} (deterministic order).
  Result<cbor::Item> to_cose_key() const;
  // EcPublicKey::to_pem: the SubjectPublicKeyInfo PEM.
  std::string to_pem() const;
  // EcPublicKey::thumbprint: the RFC 7638 JWK thumbprint (SHA-256, base64url without padding)
  // of {"crv":"P-256","kty":"EC","x":…,"y":…}.
  std::string thumbprint() const;

  // EcPublicKey::verify_es256: checks an ECDSA P-256 SHA-256 signature given as raw r||s (64
  // bytes, RFC 9053 §2.1) or, when `allow_der`, as a DER ECDSA-Sig-Value.
  // kVerificationFailed if it does not verify or is malformed.
  Status verify_es256(ByteView message, ByteView signature, bool allow_der = false) const;

  friend bool operator==(const EcPublicKey& a, const EcPublicKey& b) { return a.x_ == b.x_ && a.y_ == b.y_; }

 private:
  std::shared_ptr<EVP_PKEY> pkey_;
  Bytes x_, y_;
};

// EcPrivateKey: a P-256 private key. Move-only; the key is freed (and cleansed by OpenSSL)
// with the object.
class EcPrivateKey {
 public:
  // EcPrivateKey::generate: a fresh P-256 key; kInternal if OpenSSL fails.
  static Result<EcPrivateKey> generate();
  // EcPrivateKey::from_pem: a PEM private key (PKCS#8, encrypted PKCS#8 or SEC1 "EC PRIVATE
  // KEY"); `passphrase` for an encrypted one (empty otherwise). kInvalidArgument for a wrong
  // passphrase, another curve or not a key.
  static Result<EcPrivateKey> from_pem(ByteView pem, ByteView passphrase = {});

  // EcPrivateKey::sign_es256: the ECDSA P-256 SHA-256 signature of `message` as raw r||s
  // (64 bytes, RFC 9053 §2.1); kInternal if OpenSSL fails.
  Result<Bytes> sign_es256(ByteView message) const;
  // EcPrivateKey::sign_der: the same signature as a DER ECDSA-Sig-Value (what a phone's
  // keystore usually returns).
  Result<Bytes> sign_der(ByteView message) const;
  // EcPrivateKey::public_key: the matching public key.
  const EcPublicKey& public_key() const { return public_; }
  // EcPrivateKey::to_pem: PKCS#8 PEM, encrypted with AES-256-CBC when `passphrase` is not
  // empty. The PEM holds the key: the caller keeps it secret.
  Result<SecureBytes> to_pem(ByteView passphrase = {}) const;
  EVP_PKEY* pkey() const { return pkey_.get(); }

 private:
  std::shared_ptr<EVP_PKEY> pkey_;
  EcPublicKey public_;
};

// Certificate: one X.509 certificate (shared, read-only).
class Certificate {
 public:
  // Certificate::from_der: kMalformed if `der` is not one certificate.
  static Result<Certificate> from_der(ByteView der);
  // Certificate::load_pem_chain: every "BEGIN CERTIFICATE" block of `pem`, in order (leaf
  // first by convention); kMalformed if there is none or one does not parse.
  static Result<std::vector<Certificate>> load_pem_chain(ByteView pem);

  using Shared = std::shared_ptr<X509>;

  const Bytes& der() const { return der_; }
  X509* x509() const { return x509_.get(); }
  // Certificate::public_key: the subject's key; kNotSupported unless it is P-256.
  Result<EcPublicKey> public_key() const;
  // Certificate::subject / issuer: RFC 2253 names.
  std::string subject() const;
  std::string issuer() const;
  UnixSeconds not_before() const;
  UnixSeconds not_after() const;
  // Certificate::is_self_signed: subject equals issuer and the certificate's own key verifies
  // its signature (a root); false for anything else, including one that does not verify.
  bool is_self_signed() const;
  // Certificate::to_pem: the PEM encoding.
  std::string to_pem() const;

  friend bool operator==(const Certificate& a, const Certificate& b) { return a.der_ == b.der_; }

 private:
  std::shared_ptr<X509> x509_;
  Bytes der_;
};

// CertificateRequest: what make_certificate puts in a certificate.
struct CertificateRequest {
  std::string common_name;
  std::string country = "KR";
  UnixSeconds not_before = 0;
  UnixSeconds not_after = 0;
  bool is_ca = false;
};

// make_certificate: a certificate for `subject_key` signed by `issuer_key`; self-signed when
// `issuer` is null (then `issuer_key` must match `subject_key`). For test fixtures, the demo
// and `idtap` set-up; production issuer certificates come from the issuing authority's PKI.
Result<Certificate> make_certificate(const CertificateRequest& request, const EcPublicKey& subject_key,
                                     const EcPrivateKey& issuer_key, const Certificate* issuer);

// verify_certificate_chain: `leaf` (with `intermediates`) chains to one of `anchors`, every
// certificate valid at `at`. A leaf that is itself an anchor verifies when valid at `at`.
// kNoTrustAnchor if no anchor issues the chain, kVerificationFailed for a bad signature or a
// certificate outside its validity.
Status verify_certificate_chain(const Certificate& leaf, std::span<const Certificate> intermediates,
                                std::span<const Certificate> anchors, UnixSeconds at);

// raw_signature_to_der: r||s (32-byte halves) as an ECDSA-Sig-Value; kVerificationFailed
// unless 64 bytes. (The other way is crypto::ecdsa_der_to_plain.)
Result<Bytes> raw_signature_to_der(ByteView raw);

// base64url: RFC 4648 §5 without padding.
std::string base64url(ByteView data);

}  // namespace idtap::provision
