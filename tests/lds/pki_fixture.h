// tests/lds/pki_fixture.h: throw-away keys and certificates for the LDS tests (OpenSSL directly,
// in their own namespace: tests/support/test_pki.h has a fuller PKI with other signatures;
// the production PKI of the simulated card lives in drivers/sim/personalize_pki.cpp).
#pragma once

#include <memory>
#include <string>

#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include "idtap/base/bytes.h"
#include "idtap/base/secure_bytes.h"
#include "idtap/crypto/ossl_ptr.h"
#include "support/test_pki.h"

namespace idtap::lds_test {

using PkeyPtr = crypto::EvpPkeyPtr;

// make_ec_key / make_rsa_key: a fresh key ("prime256v1", "brainpoolP256r1", ...).
inline PkeyPtr make_ec_key(const char* curve = "prime256v1") { return PkeyPtr(EVP_EC_gen(curve)); }
inline PkeyPtr make_rsa_key(unsigned bits = 2048) { return PkeyPtr(EVP_RSA_gen(bits)); }

using testing::spki_der;

// pkcs8_der: the private key as PKCS#8 DER.
inline SecureBytes pkcs8_der(EVP_PKEY* key) {
  PKCS8_PRIV_KEY_INFO* p8 = EVP_PKEY2PKCS8(key);
  unsigned char* der = nullptr;
  int len = i2d_PKCS8_PRIV_KEY_INFO(p8, &der);
  SecureBytes out(der, der + (len > 0 ? len : 0));
  OPENSSL_clear_free(der, static_cast<size_t>(len > 0 ? len : 0));
  PKCS8_PRIV_KEY_INFO_free(p8);
  return out;
}

// self_signed_der: a self-signed certificate for `key` with subject CN=`cn` (SHA-256).
inline Bytes self_signed_der(EVP_PKEY* key, const std::string& cn) {
  X509* x = X509_new();
  X509_set_version(x, 2);
  ASN1_INTEGER_set(X509_get_serialNumber(x), 4242);
  X509_gmtime_adj(X509_getm_notBefore(x), 0);
  X509_gmtime_adj(X509_getm_notAfter(x), 3600L * 24 * 365);
  X509_NAME* name = X509_get_subject_name(x);
  X509_NAME_add_entry_by_txt(name, "C", MBSTRING_ASC, reinterpret_cast<const unsigned char*>("UT"), -1, -1, 0);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char*>(cn.c_str()), -1, -1, 0);
  X509_set_issuer_name(x, name);
  X509_set_pubkey(x, key);
  X509_sign(x, key, EVP_sha256());
  unsigned char* der = nullptr;
  int len = i2d_X509(x, &der);
  Bytes out(der, der + (len > 0 ? len : 0));
  OPENSSL_free(der);
  X509_free(x);
  return out;
}

}  // namespace idtap::lds_test
