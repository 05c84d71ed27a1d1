// tests/auth/passive_auth_fixture.h: what the Passive Authentication tests share: EF.SOD files
// built with any digest and Document Signer scheme, a small PKI (CSCA, Document Signers), and
// edits that break a signature or relabel content.
#pragma once

#include "idtap/auth/passive_auth.h"

#include <doctest/doctest.h>
#include <openssl/bio.h>
#include <openssl/cms.h>
#include <openssl/objects.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <algorithm>
#include <map>
#include <string>

#include "idtap/apdu/tlv.h"
#include "idtap/auth/trust_store.h"
#include "idtap/crypto/hash.h"
#include "idtap/lds/card_security.h"
#include "idtap/lds/ef_com.h"
#include "idtap/lds/ef_sod.h"
#include "idtap/lds/oid.h"
#include "support/test_card.h"
#include "support/test_pki.h"

namespace idtap::testing::passive {

using namespace idtap::auth;
using crypto::HashAlg;
using lds::SignatureScheme;


constexpr long kDay = 86400;

// The raw data groups EF.SOD signs (their contents do not matter to Passive Authentication:
// it hashes the bytes as read).
inline const std::map<int, Bytes>& data_groups() {
  static const std::map<int, Bytes> dgs = {
      {1, Bytes{0x61, 0x05, 0x5F, 0x1F, 0x02, 'O', 'K'}},
      {2, Bytes{0x75, 0x06, 'f', 'a', 'c', 'e', '!', '!'}},
      {14, Bytes{0x6E, 0x04, 0x31, 0x02, 0x30, 0x00}},
  };
  return dgs;
}

inline SecureBytes pkcs8(EVP_PKEY* key) {
  PKCS8_PRIV_KEY_INFO* p8 = EVP_PKEY2PKCS8(key);
  REQUIRE(p8 != nullptr);
  unsigned char* der = nullptr;
  const int len = i2d_PKCS8_PRIV_KEY_INFO(p8, &der);
  REQUIRE(len > 0);
  SecureBytes out(der, der + len);
  OPENSSL_clear_free(der, static_cast<size_t>(len));
  PKCS8_PRIV_KEY_INFO_free(p8);
  return out;
}

// lso_for: an LDSSecurityObject over data_groups() with `alg`.
inline lds::LdsSecurityObject lso_for(HashAlg alg) {
  lds::LdsSecurityObject lso;
  lso.hash_algorithm.algorithm = lds::digest_oid(alg);
  for (const auto& [n, raw] : data_groups()) lso.hashes.push_back({n, crypto::digest(alg, raw).value()});
  return lso;
}

// SodSpec: how EF.SOD is signed.
struct SodSpec {
  HashAlg lso_hash = HashAlg::kSha256;  // the LDSSecurityObject's digest
  HashAlg cms_hash = HashAlg::kSha256;  // the SignerInfo's digest
  SignatureScheme scheme = SignatureScheme::kEcdsa;
};

inline lds::CmsSigner signer_for(const SodSpec& spec, EVP_PKEY* ds_key, X509* ds_cert) {
  return lds::CmsSigner{.private_key_pkcs8 = pkcs8(ds_key), .certificate = cert_der(ds_cert), .hash = spec.cms_hash,
                        .scheme = spec.scheme};
}

inline Bytes make_sod(const SodSpec& spec, EVP_PKEY* ds_key, X509* ds_cert) {
  auto sod = lds::create_ef_sod(lso_for(spec.lso_hash), signer_for(spec, ds_key, ds_cert));
  REQUIRE(sod.ok());
  return *sod;
}

// flip_last_byte_of: `file` with the last byte of the first occurrence of `part` changed.
inline Bytes flip_last_byte_of(const Bytes& file, const Bytes& part) {
  auto it = std::search(file.begin(), file.end(), part.begin(), part.end());
  REQUIRE(it != file.end());
  Bytes out = file;
  out[static_cast<size_t>(it - file.begin()) + part.size() - 1] ^= 0x01;
  return out;
}

inline lds::EfSod parsed(const Bytes& sod) {
  auto p = lds::parse_ef_sod(sod, lds::EfSodOptions{.allow_ber = true});
  REQUIRE(p.ok());
  return std::move(p).value();
}

// The test PKI: an EC CSCA and an RSA CSCA, both trusted.
struct Pki {
  EvpKey csca_ec_key = make_ec_key("P-256");
  Cert csca_ec = make_cert(CertSpec{.common_name = "CSCA UT EC", .country = "UT", .ca = true, .serial = 1,
                                    .not_before = -1000 * kDay, .not_after = 3650 * kDay},
                           csca_ec_key.get(), nullptr, csca_ec_key.get());
  EvpKey csca_rsa_key = make_rsa_key(2048);
  Cert csca_rsa = make_cert(CertSpec{.common_name = "CSCA UT RSA", .country = "UT", .ca = true, .serial = 2,
                                     .not_before = -1000 * kDay, .not_after = 3650 * kDay},
                            csca_rsa_key.get(), nullptr, csca_rsa_key.get());
  TrustStore trust;

  Pki() {
    REQUIRE(trust.add_certificates(bytes_of(cert_pem(csca_ec.get()) + cert_pem(csca_rsa.get())), "cscas.pem").ok());
  }
  // ds: a Document Signer certificate for `key` issued by the CSCA of the key's family.
  Cert ds(const CertSpec& spec, EVP_PKEY* key) const {
    const bool rsa = EVP_PKEY_get_base_id(key) == EVP_PKEY_RSA;
    return rsa ? make_cert(spec, key, csca_rsa.get(), csca_rsa_key.get()) : make_cert(spec, key, csca_ec.get(), csca_ec_key.get());
  }
};

inline std::string oid_text(const lds::Oid& oid) { return lds::oid_to_string(oid).value(); }

// relabel: the CMS ContentInfo `content_info` with its (unsigned) eContentType set to `oid`.
inline Bytes relabel(const Bytes& content_info, const char* oid) {
  const unsigned char* p = content_info.data();
  CMS_ContentInfo* cms = d2i_CMS_ContentInfo(nullptr, &p, static_cast<long>(content_info.size()));
  REQUIRE(cms != nullptr);
  ASN1_OBJECT* type = OBJ_txt2obj(oid, 1);
  REQUIRE(CMS_set1_eContentType(cms, type) == 1);
  ASN1_OBJECT_free(type);
  unsigned char* der = nullptr;
  const int len = i2d_CMS_ContentInfo(cms, &der);
  REQUIRE(len > 0);
  Bytes out(der, der + len);
  OPENSSL_free(der);
  CMS_ContentInfo_free(cms);
  return out;
}


}  // namespace idtap::testing::passive
