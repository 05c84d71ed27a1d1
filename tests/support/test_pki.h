// tests/support/test_pki.h: a throw-away X.509 PKI for tests of Passive Authentication and
// trust stores (CSCAs, Document Signers, link certificates, CRLs, CSCA master lists).
#pragma once

#include <openssl/evp.h>
#include <openssl/x509.h>

#include <memory>
#include <string>
#include <vector>

#include "idtap/base/bytes.h"
#include "idtap/base/secure_bytes.h"
#include "idtap/crypto/ossl_ptr.h"

namespace idtap::testing {

using EvpKey = std::shared_ptr<EVP_PKEY>;
using Cert = std::shared_ptr<X509>;

// make_ec_key: a fresh EC key on `curve` ("P-256", "brainpoolP256r1", ...). Aborts on failure.
EvpKey make_ec_key(const char* curve = "P-256");
// make_rsa_key: a fresh RSA key of `bits`.
EvpKey make_rsa_key(int bits = 2048);

// CertSpec: what make_cert puts in a certificate. Times are offsets from now in seconds.
struct CertSpec {
  std::string common_name = "Test";
  std::string country = "KR";
  bool ca = false;
  long serial = 1;
  long not_before = -3600;
  long not_after = 365L * 86400;
  int key_usage = -1;           // KU_* bits; -1: keyCertSign|cRLSign for CAs, digitalSignature otherwise; 0: none
  const char* digest = "SHA256";
  bool pss = false;             // sign with RSA-PSS (issuer key must be RSA)
};

// make_cert: a certificate for `subject_key` issued by `issuer` (nullptr: self-signed) with
// `issuer_key`.
Cert make_cert(const CertSpec& spec, EVP_PKEY* subject_key, X509* issuer, EVP_PKEY* issuer_key);

// cert_der / cert_pem: encodings of `cert`.
Bytes cert_der(X509* cert);
std::string cert_pem(X509* cert);
// key_pem: the private key as unencrypted PKCS#8 PEM.
std::string key_pem(EVP_PKEY* key);
// pkcs8_der: the private key as unencrypted PKCS#8 DER (crypto::private_key_pkcs8; aborts on
// failure).
SecureBytes pkcs8_der(EVP_PKEY* key);
// spki_der: the public key as a DER SubjectPublicKeyInfo (empty if OpenSSL cannot encode it).
Bytes spki_der(EVP_PKEY* key);

// make_crl: a CRL by `issuer` revoking `revoked_serials`, valid from an hour ago for
// `next_update` seconds (negative: already out of date). PEM when `pem`.
Bytes make_crl(X509* issuer, EVP_PKEY* issuer_key, const std::vector<long>& revoked_serials, bool pem = false,
               long next_update = 30L * 86400);

// make_master_list: an ICAO CSCA master list (CMS SignedData, eContentType 2.23.136.1.1.2, over
// CscaMasterList { v0, SET OF Certificate }) signed by `signer` with `signer_key`.
Bytes make_master_list(const std::vector<X509*>& certs, X509* signer, EVP_PKEY* signer_key);

// relabel_econtent_type: the CMS ContentInfo `content_info` (DER) with its eContentType set to
// `oid` (dotted), the signature and the signed contentType attribute left as they were.
Bytes relabel_econtent_type(const Bytes& content_info, const char* oid);
// add_cms_certificate: the CMS ContentInfo `content_info` (DER) also carrying `cert` in
// SignedData.certificates (an unsigned field).
Bytes add_cms_certificate(const Bytes& content_info, X509* cert);

// write_file: writes `data` to `path` (aborts on failure).
void write_file(const std::string& path, ByteView data);
void write_file(const std::string& path, const std::string& text);

}  // namespace idtap::testing
