#include "idtap/crypto/x509.h"

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509v3.h>

#include <cstring>
#include <string>
#include <string_view>

#include "idtap/crypto/random.h"
#include "symmetric_internal.h"

namespace idtap::crypto {
namespace {

using internal::openssl_error;

std::string bio_text(BIO* bio) {
  char* data = nullptr;
  long n = BIO_get_mem_data(bio, &data);
  return std::string(data, n > 0 ? static_cast<size_t>(n) : 0);
}

// der_of / pem_of: an object's DER or PEM encoding by OpenSSL's `I2d` / `PemWrite`.
template <class T, int (*I2d)(const T*, unsigned char**)>
Result<Bytes> der_of(const T* object, const char* what) {
  unsigned char* der = nullptr;
  const int n = I2d(object, &der);
  if (n <= 0) return openssl_error(what);
  Bytes out(der, der + n);
  OPENSSL_free(der);
  return out;
}

template <class T, int (*PemWrite)(BIO*, const T*)>
Result<std::string> pem_of(const T* object, const char* what) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio || PemWrite(bio.get(), object) != 1) return openssl_error(what);
  return bio_text(bio.get());
}

// add_extension: one extension in OpenSSL's configuration syntax, with `issuer` for keyid
// values.
bool add_extension(X509* cert, X509* issuer, int nid, const std::string& value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  X509ExtensionPtr ext(X509V3_EXT_conf_nid(nullptr, &ctx, nid, value.c_str()));
  return ext && X509_add_ext(cert, ext.get(), -1) == 1;
}

std::string key_usage_text(int ku) {
  std::string v = "critical";
  const std::pair<int, const char*> names[] = {
      {KU_DIGITAL_SIGNATURE, "digitalSignature"}, {KU_NON_REPUDIATION, "nonRepudiation"},
      {KU_KEY_ENCIPHERMENT, "keyEncipherment"},   {KU_DATA_ENCIPHERMENT, "dataEncipherment"},
      {KU_KEY_AGREEMENT, "keyAgreement"},         {KU_KEY_CERT_SIGN, "keyCertSign"},
      {KU_CRL_SIGN, "cRLSign"},
  };
  for (const auto& [bit, name] : names)
    if (ku & bit) v += std::string(",") + name;
  return v;
}

Status set_serial(X509* cert, const std::optional<long>& serial) {
  if (serial) {
    if (ASN1_INTEGER_set(X509_get_serialNumber(cert), *serial) != 1) return openssl_error("ASN1_INTEGER_set");
    return ok_status();
  }
  IDTAP_ASSIGN_OR_RETURN(Bytes random, random_bytes(16));
  random[0] &= 0x7F;  // positive
  random[0] |= 0x01;  // and 16 bytes long
  BnPtr bn(BN_bin2bn(random.data(), static_cast<int>(random.size()), nullptr));
  if (!bn || BN_to_ASN1_INTEGER(bn.get(), X509_get_serialNumber(cert)) == nullptr) return openssl_error("serial number");
  return ok_status();
}

}  // namespace

Result<X509Ptr> parse_certificate_der(ByteView der) {
  const unsigned char* p = der.data();
  X509Ptr cert(d2i_X509(nullptr, &p, static_cast<long>(der.size())));
  if (!cert || p != der.data() + der.size()) {
    ERR_clear_error();
    return make_error(ErrorCode::kMalformed, "not a DER X.509 certificate");
  }
  return cert;
}

Result<std::vector<X509Ptr>> parse_certificates_pem(ByteView pem) {
  BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  if (!bio) return openssl_error("BIO_new_mem_buf");
  std::vector<X509Ptr> certs;
  while (X509* x = PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr)) certs.emplace_back(x);
  ERR_clear_error();  // the loop ends on "no start line", or on a block that does not parse
  // Every block must parse: a corrupt one (and the loop stops there) must not leave a silently
  // shorter chain.
  const std::string_view text(reinterpret_cast<const char*>(pem.data()), pem.size());
  constexpr std::string_view kBegin = "-----BEGIN CERTIFICATE-----";
  size_t blocks = 0;
  for (size_t at = text.find(kBegin); at != std::string_view::npos; at = text.find(kBegin, at + kBegin.size())) ++blocks;
  if (blocks == 0)
    return make_error(ErrorCode::kMalformed, "no PEM certificate (BEGIN CERTIFICATE) found");
  if (blocks != certs.size())
    return make_error(ErrorCode::kMalformed, "PEM certificate " + std::to_string(certs.size() + 1) + " of " + std::to_string(blocks) +
                                                 " does not parse (a corrupt certificate is refused, not dropped)");
  return certs;
}

Result<Bytes> certificate_der(const X509* cert) { return der_of<X509, i2d_X509>(cert, "i2d_X509"); }

Result<std::string> certificate_pem(const X509* cert) {
  return pem_of<X509, PEM_write_bio_X509>(cert, "PEM_write_bio_X509");
}

Result<SecureBytes> private_key_pkcs8(EVP_PKEY* key) {
  Pkcs8Ptr p8(EVP_PKEY2PKCS8(key));
  if (!p8) return openssl_error("EVP_PKEY2PKCS8");
  unsigned char* der = nullptr;
  const int n = i2d_PKCS8_PRIV_KEY_INFO(p8.get(), &der);
  if (n <= 0) return openssl_error("i2d_PKCS8_PRIV_KEY_INFO");
  SecureBytes out(der, der + n);
  OPENSSL_clear_free(der, static_cast<size_t>(n));
  return out;
}

std::optional<std::time_t> asn1_time_unix(const ASN1_TIME* t) {
  struct tm tm;
  std::memset(&tm, 0, sizeof tm);
  if (t == nullptr || ASN1_TIME_to_tm(t, &tm) != 1) {
    ERR_clear_error();
    return std::nullopt;
  }
  return timegm(&tm);
}

std::string name_rfc2253(const X509_NAME* name) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio) return "";
  X509_NAME_print_ex(bio.get(), name, 0, XN_FLAG_RFC2253);
  return bio_text(bio.get());
}

Result<X509Ptr> mint_certificate(const CertificateRequest& r) {
  if (r.subject_key == nullptr || r.issuer_key == nullptr)
    return make_error(ErrorCode::kInvalidArgument, "certificate request without a subject or issuer key");
  X509Ptr cert(X509_new());
  if (!cert) return openssl_error("X509_new");
  X509* x = cert.get();
  if (X509_set_version(x, X509_VERSION_3) != 1) return openssl_error("X509_set_version");
  IDTAP_TRY(set_serial(x, r.serial));
  X509_NAME* name = X509_get_subject_name(x);
  for (const auto& entry : r.subject)
    if (X509_NAME_add_entry_by_txt(name, entry.field.c_str(), MBSTRING_UTF8,
                                   reinterpret_cast<const unsigned char*>(entry.value.c_str()), -1, -1, 0) != 1)
      return openssl_error("subject name");
  X509* signer = r.issuer != nullptr ? r.issuer : x;
  if (X509_set_issuer_name(x, X509_get_subject_name(signer)) != 1) return openssl_error("issuer name");
  if (ASN1_TIME_set(X509_getm_notBefore(x), r.not_before) == nullptr ||
      ASN1_TIME_set(X509_getm_notAfter(x), r.not_after) == nullptr)
    return openssl_error("validity");
  if (X509_set_pubkey(x, r.subject_key) != 1) return openssl_error("X509_set_pubkey");

  const bool ca = r.basic_constraints == BasicConstraints::kCa;
  bool ok = true;
  if (r.basic_constraints != BasicConstraints::kNone) {
    std::string bc = ca ? "critical,CA:TRUE" : "critical,CA:FALSE";
    if (ca && r.path_len) bc += ",pathlen:" + std::to_string(*r.path_len);
    ok = ok && add_extension(x, signer, NID_basic_constraints, bc);
  }
  const int ku = r.key_usage.value_or(ca ? (KU_KEY_CERT_SIGN | KU_CRL_SIGN) : KU_DIGITAL_SIGNATURE);
  if (ku != 0) ok = ok && add_extension(x, signer, NID_key_usage, key_usage_text(ku));
  if (!r.extended_key_usage.empty()) {
    std::string eku;
    for (const auto& oid : r.extended_key_usage) eku += (eku.empty() ? "" : ",") + oid;
    ok = ok && add_extension(x, signer, NID_ext_key_usage, eku);
  }
  if (r.subject_key_id) ok = ok && add_extension(x, signer, NID_subject_key_identifier, "hash");
  const bool aki = r.authority_key_id == AuthorityKeyId::kAlways ||
                   (r.authority_key_id == AuthorityKeyId::kWhenIssued && r.issuer != nullptr);
  if (aki) ok = ok && add_extension(x, signer, NID_authority_key_identifier, "keyid:always");
  if (!ok) return openssl_error("certificate extensions");

  EvpMdCtxPtr md(EVP_MD_CTX_new());
  EVP_PKEY_CTX* pctx = nullptr;  // owned by `md`
  if (!md || EVP_DigestSignInit_ex(md.get(), &pctx, r.digest.c_str(), nullptr, nullptr, r.issuer_key, nullptr) != 1)
    return openssl_error("EVP_DigestSignInit_ex");
  if (r.rsa_pss && (EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) != 1 ||
                    EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST) != 1))
    return openssl_error("RSASSA-PSS parameters");
  if (X509_sign_ctx(x, md.get()) <= 0) return openssl_error("X509_sign_ctx");
  return cert;
}

Result<X509CrlPtr> mint_crl(const CrlRequest& r) {
  if (r.issuer == nullptr || r.issuer_key == nullptr)
    return make_error(ErrorCode::kInvalidArgument, "CRL request without an issuer or issuer key");
  X509CrlPtr crl(X509_CRL_new());
  if (!crl) return openssl_error("X509_CRL_new");
  X509_CRL* c = crl.get();
  if (X509_CRL_set_version(c, X509_CRL_VERSION_2) != 1 || X509_CRL_set_issuer_name(c, X509_get_subject_name(r.issuer)) != 1)
    return openssl_error("CRL version and issuer");
  Asn1TimePtr this_update(ASN1_TIME_set(nullptr, r.this_update));
  Asn1TimePtr next_update(ASN1_TIME_set(nullptr, r.next_update));
  if (!this_update || !next_update || X509_CRL_set1_lastUpdate(c, this_update.get()) != 1 ||
      X509_CRL_set1_nextUpdate(c, next_update.get()) != 1)
    return openssl_error("CRL validity");
  for (const RevokedCertificate& entry : r.revoked) {
    X509RevokedPtr revoked(X509_REVOKED_new());
    Asn1IntegerPtr serial(ASN1_INTEGER_new());
    Asn1TimePtr when(ASN1_TIME_set(nullptr, entry.revoked_at));
    if (!revoked || !serial || !when || ASN1_INTEGER_set(serial.get(), entry.serial) != 1 ||
        X509_REVOKED_set_serialNumber(revoked.get(), serial.get()) != 1 ||
        X509_REVOKED_set_revocationDate(revoked.get(), when.get()) != 1 || X509_CRL_add0_revoked(c, revoked.get()) != 1)
      return openssl_error("revoked certificate");
    (void)revoked.release();  // owned by the CRL now
  }
  if (r.authority_key_id) {
    X509V3_CTX ctx;
    X509V3_set_ctx_nodb(&ctx);
    X509V3_set_ctx(&ctx, r.issuer, nullptr, nullptr, c, 0);
    X509ExtensionPtr aki(X509V3_EXT_conf_nid(nullptr, &ctx, NID_authority_key_identifier, "keyid:always"));
    if (!aki || X509_CRL_add_ext(c, aki.get(), -1) != 1) return openssl_error("CRL authorityKeyIdentifier");
  }
  if (r.crl_number) {
    Asn1IntegerPtr number(ASN1_INTEGER_new());
    if (!number || ASN1_INTEGER_set(number.get(), *r.crl_number) != 1 ||
        X509_CRL_add1_ext_i2d(c, NID_crl_number, number.get(), 0, 0) != 1)
      return openssl_error("CRL cRLNumber");
  }
  if (X509_CRL_sort(c) != 1) return openssl_error("X509_CRL_sort");
  EvpMdCtxPtr md(EVP_MD_CTX_new());
  if (!md || EVP_DigestSignInit_ex(md.get(), nullptr, r.digest.c_str(), nullptr, nullptr, r.issuer_key, nullptr) != 1)
    return openssl_error("EVP_DigestSignInit_ex");
  if (X509_CRL_sign_ctx(c, md.get()) <= 0) return openssl_error("X509_CRL_sign_ctx");
  return crl;
}

Result<Bytes> crl_der(const X509_CRL* crl) { return der_of<X509_CRL, i2d_X509_CRL>(crl, "i2d_X509_CRL"); }

Result<std::string> crl_pem(const X509_CRL* crl) {
  return pem_of<X509_CRL, PEM_write_bio_X509_CRL>(crl, "PEM_write_bio_X509_CRL");
}

Result<ChainResult> verify_chain(X509* leaf, std::span<X509* const> untrusted, std::span<X509* const> anchors,
                                 const ChainOptions& options) {
  X509StorePtr store(X509_STORE_new());
  X509StackPtr intermediates(sk_X509_new_null());
  X509StoreCtxPtr ctx(X509_STORE_CTX_new());
  if (!store || !intermediates || !ctx) return openssl_error("X509_STORE");
  for (X509* a : anchors)
    if (X509_STORE_add_cert(store.get(), a) != 1) return openssl_error("X509_STORE_add_cert");
  for (X509_CRL* c : options.crls)
    if (X509_STORE_add_crl(store.get(), c) != 1) return openssl_error("X509_STORE_add_crl");
  for (X509* c : untrusted)
    if (sk_X509_push(intermediates.get(), c) <= 0) return openssl_error("sk_X509_push");
  if (X509_STORE_CTX_init(ctx.get(), store.get(), leaf, intermediates.get()) != 1) return openssl_error("X509_STORE_CTX_init");
  X509_VERIFY_PARAM* param = X509_STORE_CTX_get0_param(ctx.get());
  unsigned long flags = 0;
  if (options.partial_chain) flags |= X509_V_FLAG_PARTIAL_CHAIN;
  if (options.crl_check) flags |= X509_V_FLAG_CRL_CHECK;
  if (flags != 0) X509_VERIFY_PARAM_set_flags(param, flags);
  X509_VERIFY_PARAM_set_time(param, options.at);
  if (options.app_data != nullptr) X509_STORE_CTX_set_app_data(ctx.get(), options.app_data);
  if (options.verify_cb != nullptr) X509_STORE_CTX_set_verify_cb(ctx.get(), options.verify_cb);
  ChainResult result;
  if (X509_verify_cert(ctx.get()) != 1) {
    result.error = X509_STORE_CTX_get_error(ctx.get());
    if (result.error == X509_V_OK) result.error = X509_V_ERR_UNSPECIFIED;
    result.reason = X509_verify_cert_error_string(result.error);
  }
  ERR_clear_error();
  if (STACK_OF(X509)* chain = X509_STORE_CTX_get0_chain(ctx.get()); chain != nullptr && result.ok()) {
    for (int i = 0; i < sk_X509_num(chain); ++i) {
      X509* c = sk_X509_value(chain, i);
      X509_up_ref(c);
      result.chain.emplace_back(c);
    }
  }
  return result;
}

}  // namespace idtap::crypto
