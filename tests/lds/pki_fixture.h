// tests/lds/pki_fixture.h: throw-away keys and certificates for the LDS tests (minted through
// idtap/crypto/x509.h, in their own namespace: tests/support/test_pki.h has a fuller PKI with other signatures;
// the production PKI of the simulated card lives in drivers/sim/personalize_pki.cpp).
#pragma once

#include <ctime>
#include <memory>
#include <string>

#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include "idtap/base/bytes.h"
#include "idtap/base/secure_bytes.h"
#include "idtap/crypto/ossl_ptr.h"
#include "idtap/crypto/x509.h"
#include "support/test_pki.h"

namespace idtap::lds_test {

using PkeyPtr = crypto::EvpPkeyPtr;

// make_ec_key / make_rsa_key: a fresh key ("prime256v1", "brainpoolP256r1", ...).
inline PkeyPtr make_ec_key(const char* curve = "prime256v1") { return PkeyPtr(EVP_EC_gen(curve)); }
inline PkeyPtr make_rsa_key(unsigned bits = 2048) { return PkeyPtr(EVP_RSA_gen(bits)); }

using testing::pkcs8_der;
using testing::spki_der;

// self_signed_der: a self-signed certificate for `key` with subject CN=`cn` (SHA-256).
inline Bytes self_signed_der(EVP_PKEY* key, const std::string& cn) {
  crypto::CertificateRequest r;
  r.subject = {{"C", "UT"}, {"CN", cn}};
  r.subject_key = key;
  r.issuer_key = key;
  r.serial = 4242;
  r.not_before = std::time(nullptr);
  r.not_after = r.not_before + 3600L * 24 * 365;
  r.basic_constraints = crypto::BasicConstraints::kNone;  // a bare certificate: no extensions
  r.key_usage = 0;
  r.subject_key_id = false;
  r.authority_key_id = crypto::AuthorityKeyId::kNever;
  auto cert = crypto::mint_certificate(r);
  if (!cert.ok()) return {};
  return crypto::certificate_der(cert->get()).value_or(Bytes{});
}

}  // namespace idtap::lds_test
