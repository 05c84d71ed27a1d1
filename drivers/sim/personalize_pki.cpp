// The throw-away test PKI of a personalized card: CSCA, Document Signer and CRL, following the
// ICAO 9303-12 §7.1 certificate and CRL profiles (the extensions a verifier checks; the optional
// ones such as privateKeyUsagePeriod and documentTypeList are left out).
#include <ctime>
#include <memory>
#include <string>

#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "idtap/sim/personalize.h"
#include "idtap/crypto/ossl_ptr.h"

namespace idtap::sim {
namespace {

using KeyPtr = crypto::EvpPkeyPtr;
using CertPtr = crypto::X509Ptr;

Error openssl_failed(const char* what) { return make_error(ErrorCode::kInternal, std::string("test PKI: ") + what); }

// start_of: `today` at 00:00 UTC (or now when absent).
time_t start_of(const std::optional<lds::Date>& today) {
  if (!today) return std::time(nullptr);
  std::tm tm{};
  tm.tm_year = today->year - 1900;
  tm.tm_mon = today->month - 1;
  tm.tm_mday = today->day;
  return timegm(&tm);
}

constexpr long kDay = 86400;

bool add_ext(X509* cert, X509* issuer, int nid, const char* value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  crypto::X509ExtensionPtr ext(X509V3_EXT_conf_nid(nullptr, &ctx, nid, value));
  return ext && X509_add_ext(cert, ext.get(), -1) == 1;
}

bool set_name(X509_NAME* name, const std::string& country, const char* cn) {
  auto add = [name](const char* field, const std::string& v) {
    return X509_NAME_add_entry_by_txt(name, field, MBSTRING_UTF8, reinterpret_cast<const unsigned char*>(v.c_str()), -1, -1, 0) == 1;
  };
  return add("C", country) && add("O", "idtap test PKI") && add("CN", cn);
}

struct CertSpec {
  const char* common_name;
  long serial;
  time_t not_before;
  long days;
  bool ca;
};

Result<CertPtr> make_cert(const CertSpec& spec, const std::string& country, EVP_PKEY* subject_key, X509* issuer,
                          EVP_PKEY* issuer_key) {
  CertPtr cert(X509_new());
  if (!cert) return openssl_failed("X509_new");
  X509* x = cert.get();
  time_t not_before = spec.not_before;
  bool ok = X509_set_version(x, 2) == 1 && ASN1_INTEGER_set(X509_get_serialNumber(x), spec.serial) == 1 &&
            X509_time_adj_ex(X509_getm_notBefore(x), 0, 0, &not_before) != nullptr &&
            X509_time_adj_ex(X509_getm_notAfter(x), static_cast<int>(spec.days), 0, &not_before) != nullptr &&
            set_name(X509_get_subject_name(x), country, spec.common_name) && X509_set_pubkey(x, subject_key) == 1;
  X509* signer = issuer ? issuer : x;
  ok = ok && X509_set_issuer_name(x, X509_get_subject_name(signer)) == 1;
  // ICAO 9303-12 §7.1.1 Table 6: SKI, AKI; CSCA: basicConstraints CA (critical), keyUsage
  // keyCertSign + cRLSign (critical); Document Signer: keyUsage digitalSignature (critical).
  ok = ok && add_ext(x, signer, NID_subject_key_identifier, "hash") &&
       add_ext(x, signer, NID_authority_key_identifier, "keyid:always");
  if (spec.ca)
    ok = ok && add_ext(x, signer, NID_basic_constraints, "critical,CA:TRUE,pathlen:0") &&
         add_ext(x, signer, NID_key_usage, "critical,keyCertSign,cRLSign");
  else
    ok = ok && add_ext(x, signer, NID_key_usage, "critical,digitalSignature");
  ok = ok && X509_sign(x, issuer_key, EVP_sha256()) > 0;
  if (!ok) return openssl_failed("certificate");
  return cert;
}

template <class T, int (*I2d)(const T*, unsigned char**)>
Bytes der_of(const T* obj) {
  unsigned char* der = nullptr;
  const int len = I2d(obj, &der);
  Bytes out;
  if (len > 0) out.assign(der, der + len);
  OPENSSL_free(der);
  return out;
}

SecureBytes pkcs8_of(EVP_PKEY* key) {
  SecureBytes out;
  PKCS8_PRIV_KEY_INFO* p8 = EVP_PKEY2PKCS8(key);
  if (p8 == nullptr) return out;
  unsigned char* der = nullptr;
  const int len = i2d_PKCS8_PRIV_KEY_INFO(p8, &der);
  if (len > 0) out.assign(der, der + len);
  if (der != nullptr) OPENSSL_clear_free(der, static_cast<size_t>(len > 0 ? len : 0));
  PKCS8_PRIV_KEY_INFO_free(p8);
  return out;
}

}  // namespace

Result<TestPki> create_test_pki(const PkiOptions& options) {
  time_t start = start_of(options.today);
  KeyPtr csca_key(EVP_EC_gen("P-256"));
  KeyPtr ds_key(options.ds_key == DsKeyType::kEcdsa ? EVP_EC_gen("P-256") : EVP_RSA_gen(2048));
  if (!csca_key || !ds_key) return openssl_failed("key generation");
  IDTAP_ASSIGN_OR_RETURN(CertPtr csca,
                         make_cert(CertSpec{"idtap Test CSCA", 1, start - kDay, 15 * 365 + 4, true}, options.country,
                                   csca_key.get(), nullptr, csca_key.get()));
  IDTAP_ASSIGN_OR_RETURN(CertPtr ds, make_cert(CertSpec{"idtap Test Document Signer", 2, start - kDay, 10 * 365 + 3, false},
                                               options.country, ds_key.get(), csca.get(), csca_key.get()));
  // ICAO 9303-12 §7.1.4: a v2 CRL by the CSCA with authorityKeyIdentifier and cRLNumber.
  crypto::X509CrlPtr crl(X509_CRL_new());
  if (!crl) return openssl_failed("X509_CRL_new");
  bool ok = X509_CRL_set_version(crl.get(), 1) == 1 && X509_CRL_set_issuer_name(crl.get(), X509_get_subject_name(csca.get())) == 1;
  ASN1_TIME* last = X509_time_adj_ex(nullptr, 0, 0, &start);
  ASN1_TIME* next = X509_time_adj_ex(nullptr, 90, 0, &start);
  ok = ok && last && next && X509_CRL_set1_lastUpdate(crl.get(), last) == 1 && X509_CRL_set1_nextUpdate(crl.get(), next) == 1;
  ASN1_TIME_free(last);
  ASN1_TIME_free(next);
  if (ok) {
    X509V3_CTX ctx;
    X509V3_set_ctx_nodb(&ctx);
    X509V3_set_ctx(&ctx, csca.get(), nullptr, nullptr, crl.get(), 0);
    crypto::X509ExtensionPtr aki(X509V3_EXT_conf_nid(nullptr, &ctx, NID_authority_key_identifier, "keyid:always"));
    ASN1_INTEGER* number = ASN1_INTEGER_new();
    ok = aki && number && ASN1_INTEGER_set(number, 1) == 1 && X509_CRL_add_ext(crl.get(), aki.get(), -1) == 1 &&
         X509_CRL_add1_ext_i2d(crl.get(), NID_crl_number, number, 0, 0) == 1 && X509_CRL_sort(crl.get()) == 1 &&
         X509_CRL_sign(crl.get(), csca_key.get(), EVP_sha256()) > 0;
    ASN1_INTEGER_free(number);
  }
  if (!ok) return openssl_failed("CRL");
  TestPki pki;
  pki.csca_key = pkcs8_of(csca_key.get());
  pki.csca_cert = der_of<X509, i2d_X509>(csca.get());
  pki.ds_key = pkcs8_of(ds_key.get());
  pki.ds_cert = der_of<X509, i2d_X509>(ds.get());
  pki.crl = der_of<X509_CRL, i2d_X509_CRL>(crl.get());
  pki.ds_type = options.ds_key;
  if (pki.csca_key.empty() || pki.ds_key.empty() || pki.csca_cert.empty() || pki.ds_cert.empty() || pki.crl.empty())
    return openssl_failed("encoding");
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
