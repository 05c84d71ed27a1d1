#include "support/test_pki.h"

#include "idtap/crypto/x509.h"

#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/cms.h>
#include <openssl/ec.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509v3.h>

#include <cstdio>
#include <ctime>
#include <cstdlib>
#include <fstream>

namespace idtap::testing {
namespace {

[[noreturn]] void die(const char* what) {
  std::fprintf(stderr, "test_pki: %s failed\n", what);
  std::abort();
}

EvpKey wrap(EVP_PKEY* k) {
  if (!k) die("key generation");
  return EvpKey(k, EVP_PKEY_free);
}

Bytes bio_bytes(BIO* bio) {
  char* p = nullptr;
  long n = BIO_get_mem_data(bio, &p);
  return Bytes(reinterpret_cast<uint8_t*>(p), reinterpret_cast<uint8_t*>(p) + n);
}

}  // namespace

EvpKey make_ec_key(const char* curve) { return wrap(EVP_EC_gen(curve)); }

EvpKey make_rsa_key(int bits) { return wrap(EVP_RSA_gen(static_cast<unsigned>(bits))); }

Cert make_cert(const CertSpec& spec, EVP_PKEY* subject_key, X509* issuer, EVP_PKEY* issuer_key) {
  const std::time_t now = std::time(nullptr);
  crypto::CertificateRequest r;
  r.subject = {{"C", spec.country}, {"CN", spec.common_name}};
  r.subject_key = subject_key;
  r.issuer = issuer;
  r.issuer_key = issuer_key;
  r.serial = spec.serial;
  r.not_before = now + spec.not_before;
  r.not_after = now + spec.not_after;
  r.basic_constraints = spec.ca ? crypto::BasicConstraints::kCa : crypto::BasicConstraints::kEndEntity;
  if (spec.key_usage != -1) r.key_usage = spec.key_usage;
  r.digest = spec.digest;
  r.rsa_pss = spec.pss;
  auto cert = crypto::mint_certificate(r);
  if (!cert.ok()) die("mint_certificate");
  return Cert(std::move(cert).value().release(), X509_free);
}

Bytes cert_der(X509* cert) {
  auto der = crypto::certificate_der(cert);
  if (!der.ok()) die("i2d_X509");
  return std::move(der).value();
}

std::string cert_pem(X509* cert) {
  auto pem = crypto::certificate_pem(cert);
  if (!pem.ok()) die("PEM_write_bio_X509");
  return std::move(pem).value();
}

std::string key_pem(EVP_PKEY* key) {
  BIO* bio = BIO_new(BIO_s_mem());
  PEM_write_bio_PrivateKey(bio, key, nullptr, nullptr, 0, nullptr, nullptr);
  Bytes b = bio_bytes(bio);
  BIO_free(bio);
  return string_of(b);
}

Bytes make_crl(X509* issuer, EVP_PKEY* issuer_key, const std::vector<long>& revoked_serials, bool pem, long next_update) {
  const std::time_t now = std::time(nullptr);
  crypto::CrlRequest r;
  r.issuer = issuer;
  r.issuer_key = issuer_key;
  r.this_update = now - 3600;
  r.next_update = now + next_update;
  for (long serial : revoked_serials) r.revoked.push_back({serial, now - 1800});
  auto crl = crypto::mint_crl(r);
  if (!crl.ok()) die("mint_crl");
  if (pem) {
    auto text = crypto::crl_pem(crl->get());
    if (!text.ok()) die("crl_pem");
    return bytes_of(*text);
  }
  auto der = crypto::crl_der(crl->get());
  if (!der.ok()) die("crl_der");
  return std::move(der).value();
}

Bytes make_master_list(const std::vector<X509*>& certs, X509* signer, EVP_PKEY* signer_key) {
  // CscaMasterList ::= SEQUENCE { version INTEGER (0), certList SET OF Certificate }
  Bytes set_content;
  for (X509* c : certs) append(set_content, cert_der(c));
  auto tlv = [](uint8_t tag, const Bytes& v) {
    Bytes out = {tag};
    size_t n = v.size();
    if (n < 0x80) {
      out.push_back(static_cast<uint8_t>(n));
    } else {
      Bytes len;
      for (size_t x = n; x; x >>= 8) len.insert(len.begin(), static_cast<uint8_t>(x));
      out.push_back(static_cast<uint8_t>(0x80 | len.size()));
      append(out, len);
    }
    append(out, v);
    return out;
  };
  Bytes seq_content = {0x02, 0x01, 0x00};
  append(seq_content, tlv(0x31, set_content));
  Bytes list = tlv(0x30, seq_content);

  BIO* data = BIO_new_mem_buf(list.data(), static_cast<int>(list.size()));
  CMS_ContentInfo* cms = CMS_sign(nullptr, nullptr, nullptr, nullptr, CMS_PARTIAL | CMS_BINARY);
  if (!cms) die("CMS_sign");
  ASN1_OBJECT* type = OBJ_txt2obj("2.23.136.1.1.2", 1);
  CMS_set1_eContentType(cms, type);
  ASN1_OBJECT_free(type);
  if (!CMS_add1_signer(cms, signer, signer_key, EVP_sha256(), CMS_BINARY)) die("CMS_add1_signer");
  if (CMS_final(cms, data, nullptr, CMS_BINARY) != 1) die("CMS_final");
  BIO* out = BIO_new(BIO_s_mem());
  i2d_CMS_bio(out, cms);
  Bytes der = bio_bytes(out);
  BIO_free(out);
  BIO_free(data);
  CMS_ContentInfo_free(cms);
  return der;
}

namespace {

// edit_cms: `content_info` decoded, changed by `edit` (which returns false on failure), encoded.
template <class Edit>
Bytes edit_cms(const Bytes& content_info, const char* what, Edit edit) {
  const unsigned char* in = content_info.data();
  crypto::CmsPtr cms(d2i_CMS_ContentInfo(nullptr, &in, static_cast<long>(content_info.size())));
  if (!cms) die("d2i_CMS_ContentInfo");
  if (!edit(cms.get())) die(what);
  unsigned char* der = nullptr;
  const int len = i2d_CMS_ContentInfo(cms.get(), &der);
  if (len <= 0) die("i2d_CMS_ContentInfo");
  Bytes out(der, der + len);
  OPENSSL_free(der);
  return out;
}

}  // namespace

Bytes relabel_econtent_type(const Bytes& content_info, const char* oid) {
  return edit_cms(content_info, "CMS_set1_eContentType", [oid](CMS_ContentInfo* cms) {
    crypto::Asn1ObjectPtr type(OBJ_txt2obj(oid, 1));
    return type && CMS_set1_eContentType(cms, type.get()) == 1;
  });
}

Bytes add_cms_certificate(const Bytes& content_info, X509* cert) {
  return edit_cms(content_info, "CMS_add1_cert", [cert](CMS_ContentInfo* cms) { return CMS_add1_cert(cms, cert) == 1; });
}

void write_file(const std::string& path, ByteView data) {
  std::ofstream out(path, std::ios::binary);
  out.write(reinterpret_cast<const char*>(data.data()), static_cast<std::streamsize>(data.size()));
  if (!out) die("write_file");
}

void write_file(const std::string& path, const std::string& text) { write_file(path, bytes_of(text)); }

SecureBytes pkcs8_der(EVP_PKEY* key) {
  auto der = crypto::private_key_pkcs8(key);
  if (!der.ok()) die("private_key_pkcs8");
  return std::move(der).value();
}

Bytes spki_der(EVP_PKEY* key) {
  unsigned char* der = nullptr;
  const int len = i2d_PUBKEY(key, &der);
  Bytes out(der, der + (len > 0 ? len : 0));
  OPENSSL_free(der);
  return out;
}

}  // namespace idtap::testing
