// idtap/crypto/x509.h: X.509 certificates over OpenSSL: parsing (DER, PEM), minting of
// certificates and CRLs (for test PKIs, the simulated card, the demo and `idtap` set-up) and
// chain verification. The one place
// certificates are built and checked; policy (ICAO CSCAs and CRLs, mdoc issuer chains) stays in
// the layers above. Every primitive is OpenSSL's.
#pragma once

#include <openssl/x509.h>

#include <ctime>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "idtap/base/bytes.h"
#include "idtap/base/result.h"
#include "idtap/base/secure_bytes.h"
#include "idtap/crypto/ossl_ptr.h"

namespace idtap::crypto {

// parse_certificate_der: one DER certificate, the whole input (no trailing bytes). kMalformed
// otherwise. The caller owns the result.
Result<X509Ptr> parse_certificate_der(ByteView der);
// parse_certificates_pem: every "BEGIN CERTIFICATE" block of `pem`, in order (other PEM blocks
// such as keys or CRLs are passed over). kMalformed when there is none.
Result<std::vector<X509Ptr>> parse_certificates_pem(ByteView pem);
// certificate_der / certificate_pem: the encodings of `cert` (not owned). kInternal only if
// OpenSSL cannot encode it.
Result<Bytes> certificate_der(const X509* cert);
Result<std::string> certificate_pem(const X509* cert);

// private_key_pkcs8: `key` (not owned) as an unencrypted PKCS#8 PrivateKeyInfo (RFC 5208), DER,
// for the signers of test PKIs and the simulated card; the buffer is zeroised when freed. kInternal
// if OpenSSL cannot encode the key (one without a private part).
Result<SecureBytes> private_key_pkcs8(EVP_PKEY* key);

// asn1_time_unix: an ASN.1 UTCTime / GeneralizedTime as seconds since the epoch; nullopt if it
// does not parse.
std::optional<std::time_t> asn1_time_unix(const ASN1_TIME* t);
// name_rfc2253: an X.509 name in RFC 2253 form ("CN=DS,C=KR").
std::string name_rfc2253(const X509_NAME* name);

// NameEntry: one attribute of a distinguished name ("C", "O", "CN", ...), UTF-8.
struct NameEntry {
  std::string field;
  std::string value;
};

// BasicConstraints: kNone leaves the extension out; kEndEntity is critical cA FALSE; kCa is
// critical cA TRUE (with CertificateRequest::path_len when set).
enum class BasicConstraints { kNone, kEndEntity, kCa };

// AuthorityKeyId: when mint_certificate adds authorityKeyIdentifier (keyid of the issuer's SKI).
enum class AuthorityKeyId { kNever, kWhenIssued, kAlways };

// CertificateRequest: what mint_certificate puts in a certificate. Pointers are not owned and
// must outlive the call.
struct CertificateRequest {
  std::vector<NameEntry> subject;          // in order, e.g. {{"C", "KR"}, {"CN", "DS"}}
  EVP_PKEY* subject_key = nullptr;         // the certified key (only its public part is used)
  X509* issuer = nullptr;                  // the issuer's certificate; nullptr: self-signed
  EVP_PKEY* issuer_key = nullptr;          // the key that signs (the subject's when self-signed)
  std::optional<long> serial;              // nullopt: 16 random bytes (positive, non-zero)
  std::time_t not_before = 0;
  std::time_t not_after = 0;
  BasicConstraints basic_constraints = BasicConstraints::kEndEntity;
  std::optional<int> path_len;             // pathLenConstraint of a CA
  // key_usage: KU_* bits (critical); nullopt: keyCertSign|cRLSign for a CA, digitalSignature
  // otherwise; 0: no keyUsage extension.
  std::optional<int> key_usage;
  std::vector<std::string> extended_key_usage;  // dotted OIDs; empty: no extendedKeyUsage
  bool subject_key_id = true;              // subjectKeyIdentifier (hash of the key)
  AuthorityKeyId authority_key_id = AuthorityKeyId::kWhenIssued;
  std::string digest = "SHA256";           // the signature's hash (OpenSSL name)
  bool rsa_pss = false;                    // RSASSA-PSS (salt = digest length); RSA issuer keys only
};

// mint_certificate: a signed v3 certificate as `request` describes. kInvalidArgument without a
// subject or issuer key, kInternal if OpenSSL refuses a field. The caller owns the result.
Result<X509Ptr> mint_certificate(const CertificateRequest& request);

// RevokedCertificate: one entry of a CRL's revokedCertificates (RFC 5280 §5.1.2.6).
struct RevokedCertificate {
  long serial = 0;
  std::time_t revoked_at = 0;
};

// CrlRequest: what mint_crl puts in a v2 CRL (RFC 5280 §5.1). Pointers are not owned and must
// outlive the call.
struct CrlRequest {
  X509* issuer = nullptr;                  // the CA whose subject names the CRL's issuer
  EVP_PKEY* issuer_key = nullptr;          // the key that signs
  std::time_t this_update = 0;
  std::time_t next_update = 0;
  std::vector<RevokedCertificate> revoked;
  std::optional<long> crl_number;          // cRLNumber (RFC 5280 §5.2.3); nullopt: left out
  bool authority_key_id = false;           // authorityKeyIdentifier (keyid of the issuer's SKI)
  std::string digest = "SHA256";           // the signature's hash (OpenSSL name)
};

// mint_crl: a signed v2 CRL as `request` describes, its entries sorted by serial.
// kInvalidArgument without an issuer or issuer key, kInternal if OpenSSL refuses a field. The
// caller owns the result.
Result<X509CrlPtr> mint_crl(const CrlRequest& request);
// crl_der / crl_pem: the encodings of `crl` (not owned). kInternal only if OpenSSL cannot
// encode it.
Result<Bytes> crl_der(const X509_CRL* crl);
Result<std::string> crl_pem(const X509_CRL* crl);

// ChainOptions: how verify_chain checks. Pointers are not owned.
struct ChainOptions {
  std::time_t at = 0;                           // every certificate must be valid at this time
  bool partial_chain = true;                    // an anchor need not be self-signed
  std::span<X509_CRL* const> crls;              // added to the store
  bool crl_check = false;                       // check the leaf against its issuer's CRL
  X509_STORE_CTX_verify_cb verify_cb = nullptr; // OpenSSL's per-error callback, if any
  void* app_data = nullptr;                     // X509_STORE_CTX_get_app_data for verify_cb
};

// ChainResult: the verdict of verify_chain. `error` is OpenSSL's X509_V_* code (X509_V_OK when
// the chain verifies) and `reason` its text; `chain` is the chain built, leaf first, anchor
// last (held: each entry owns one reference).
struct ChainResult {
  int error = X509_V_OK;
  std::string reason;
  std::vector<X509Ptr> chain;
  bool ok() const { return error == X509_V_OK; }
};

// verify_chain: `leaf` with `untrusted` intermediates chains to one of `anchors`
// (X509_verify_cert). kInternal only if OpenSSL cannot set the check up; a chain that does not
// verify is a ChainResult with its error.
Result<ChainResult> verify_chain(X509* leaf, std::span<X509* const> untrusted, std::span<X509* const> anchors,
                                 const ChainOptions& options);

}  // namespace idtap::crypto
