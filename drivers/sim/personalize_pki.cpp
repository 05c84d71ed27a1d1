// The throw-away test PKI of a personalized card: CSCA, Document Signer and CRL, following the
// ICAO 9303-12 §7.1 certificate and CRL profiles (the extensions a verifier checks; the optional
// ones such as privateKeyUsagePeriod and documentTypeList are left out). lib/crypto's x509
// module mints them; this file holds the profile.
#include <ctime>
#include <memory>
#include <string>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "idtap/sim/personalize.h"
#include "idtap/crypto/ossl_ptr.h"
#include "idtap/crypto/x509.h"

namespace idtap::sim {
namespace {

using KeyPtr = crypto::EvpPkeyPtr;

Error openssl_failed(const char* what) { return make_error(ErrorCode::kInternal, std::string("test PKI: ") + what); }

// start_of: `today` at 00:00 UTC (or now when absent).
time_t start_of(const std::optional<Date>& today) {
  if (!today) return std::time(nullptr);
  return static_cast<time_t>(start_of_day(*today));
}

constexpr long kDay = 86400;

struct CertSpec {
  const char* common_name;
  long serial;
  time_t not_before;
  long days;
  bool ca;
};

// make_cert: ICAO 9303-12 §7.1.1 Table 6: SKI and AKI (the CSCA's own keyid on itself); CSCA:
// basicConstraints CA pathlen 0 (critical), keyUsage keyCertSign + cRLSign (critical); Document
// Signer: keyUsage digitalSignature (critical), no basicConstraints.
Result<crypto::X509Ptr> make_cert(const CertSpec& spec, const std::string& country, EVP_PKEY* subject_key, X509* issuer,
                                  EVP_PKEY* issuer_key) {
  crypto::CertificateRequest r;
  r.subject = {{"C", country}, {"O", "idtap test PKI"}, {"CN", spec.common_name}};
  r.subject_key = subject_key;
  r.issuer = issuer;
  r.issuer_key = issuer_key;
  r.serial = spec.serial;
  r.not_before = spec.not_before;
  r.not_after = spec.not_before + spec.days * kDay;
  r.basic_constraints = spec.ca ? crypto::BasicConstraints::kCa : crypto::BasicConstraints::kNone;
  if (spec.ca) r.path_len = 0;
  r.authority_key_id = crypto::AuthorityKeyId::kAlways;
  auto cert = crypto::mint_certificate(r);
  if (!cert.ok()) return openssl_failed("certificate");
  return cert;
}

}  // namespace

Result<TestPki> create_test_pki(const PkiOptions& options) {
  time_t start = start_of(options.today);
  KeyPtr csca_key(EVP_EC_gen("P-256"));
  KeyPtr ds_key(options.ds_key == DsKeyType::kEcdsa ? EVP_EC_gen("P-256") : EVP_RSA_gen(2048));
  if (!csca_key || !ds_key) return openssl_failed("key generation");
  IDTAP_ASSIGN_OR_RETURN(crypto::X509Ptr csca,
                         make_cert(CertSpec{"idtap Test CSCA", 1, start - kDay, 15 * 365 + 4, true}, options.country,
                                   csca_key.get(), nullptr, csca_key.get()));
  IDTAP_ASSIGN_OR_RETURN(crypto::X509Ptr ds, make_cert(CertSpec{"idtap Test Document Signer", 2, start - kDay, 10 * 365 + 3, false},
                                               options.country, ds_key.get(), csca.get(), csca_key.get()));
  // ICAO 9303-12 §7.1.4: a v2 CRL by the CSCA with authorityKeyIdentifier and cRLNumber.
  crypto::CrlRequest crl_request;
  crl_request.issuer = csca.get();
  crl_request.issuer_key = csca_key.get();
  crl_request.this_update = start;
  crl_request.next_update = start + 90 * kDay;
  crl_request.crl_number = 1;
  crl_request.authority_key_id = true;
  auto crl = crypto::mint_crl(crl_request);
  if (!crl.ok()) return openssl_failed("CRL");
  TestPki pki;
  auto csca_pkcs8 = crypto::private_key_pkcs8(csca_key.get());
  auto ds_pkcs8 = crypto::private_key_pkcs8(ds_key.get());
  auto csca_der = crypto::certificate_der(csca.get());
  auto ds_der = crypto::certificate_der(ds.get());
  auto crl_der = crypto::crl_der(crl->get());
  if (!csca_pkcs8.ok() || !ds_pkcs8.ok() || !csca_der.ok() || !ds_der.ok() || !crl_der.ok())
    return openssl_failed("encoding");
  pki.csca_key = std::move(*csca_pkcs8);
  pki.ds_key = std::move(*ds_pkcs8);
  pki.csca_cert = std::move(*csca_der);
  pki.ds_cert = std::move(*ds_der);
  pki.crl = std::move(*crl_der);
  pki.ds_type = options.ds_key;
  return pki;
}

lds::CmsSigner cms_signer(const TestPki& pki, crypto::HashAlg hash) {
  lds::CmsSigner s;
  s.private_key_pkcs8 = pki.ds_key;
  s.certificate = pki.ds_cert;
  s.hash = hash;
  s.scheme = pki.ds_type == DsKeyType::kEcdsa ? lds::SignatureScheme::kEcdsa
             : pki.ds_type == DsKeyType::kRsa ? lds::SignatureScheme::kRsaPkcs1
                                               : lds::SignatureScheme::kRsaPss;
  return s;
}

}  // namespace idtap::sim
