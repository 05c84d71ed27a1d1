// tests/auth/passive_auth_leniency_fixture.h: what the tests of Passive Authentication's
// leniencies share: the real EF.SODs and CSCAs of tests/vectors/lds/real/, edits of an EF.SOD
// that leave its signature standing (signer ID, RDN order, eContentType, extra certificates), and
// synthetic EF.SODs signed with explicit-parameter or forged-generator keys.
#pragma once

#include <doctest/doctest.h>
#include <openssl/bn.h>
#include <openssl/cms.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <algorithm>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "idtap/apdu/tlv.h"
#include "idtap/auth/passive_auth.h"
#include "idtap/auth/trust_store.h"
#include "idtap/base/hex.h"
#include "idtap/crypto/ec.h"
#include "idtap/crypto/hash.h"
#include "idtap/crypto/pkey.h"
#include "idtap/lds/ef_sod.h"
#include "idtap/lds/lds_security_object.h"
#include "support/test_pki.h"

namespace idtap::testing::leniency {

using namespace idtap::auth;
using crypto::HashAlg;


constexpr long kDay = 86400;

// real_sod: tests/vectors/lds/real/<name>_ef_sod.hex ('#' lines are comments).
inline Bytes real_sod(const std::string& name) {
  const std::string path = std::string(IDTAP_SOURCE_DIR) + "/tests/vectors/lds/real/" + name + "_ef_sod.hex";
  std::ifstream in(path);
  REQUIRE_MESSAGE(in.good(), "cannot open " << path);
  std::string line, hex;
  while (std::getline(in, line))
    if (!line.empty() && line[0] != '#') hex += line;
  auto bytes = from_hex(hex);
  REQUIRE(bytes.ok());
  return std::move(bytes).value();
}

// real_file: the bytes of tests/vectors/lds/real/<name> (a CSCA certificate: '#' comment lines,
// then PEM, which OpenSSL reads past the comments).
inline Bytes real_file(const std::string& name) {
  const std::string path = std::string(IDTAP_SOURCE_DIR) + "/tests/vectors/lds/real/" + name;
  std::ifstream in(path, std::ios::binary);
  REQUIRE_MESSAGE(in.good(), "cannot open " << path);
  return Bytes(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

// utc: seconds since the epoch of a UTC calendar date and time.
inline std::time_t utc(int year, int month, int day, int hour = 0) {
  std::tm tm{};
  tm.tm_year = year - 1900;
  tm.tm_mon = month - 1;
  tm.tm_mday = day;
  tm.tm_hour = hour;
  return timegm(&tm);
}

inline lds::EfSod parsed(const Bytes& sod) {
  auto p = lds::parse_ef_sod(sod, lds::EfSodOptions{.allow_ber = true, .allow_id_data_content_type = true});
  REQUIRE(p.ok());
  return std::move(p).value();
}

// replace_once: `file` with the only occurrence of `from` replaced by `to` (same length).
inline Bytes replace_once(const Bytes& file, const Bytes& from, const Bytes& to) {
  REQUIRE(from.size() == to.size());
  auto it = std::search(file.begin(), file.end(), from.begin(), from.end());
  REQUIRE(it != file.end());
  REQUIRE(std::search(it + 1, file.end(), from.begin(), from.end()) == file.end());
  Bytes out = file;
  std::copy(to.begin(), to.end(), out.begin() + (it - file.begin()));
  return out;
}

// signer_id: the DER of the SignerInfo's issuerAndSerialNumber content: issuer Name, serial.
inline Bytes signer_id(const lds::SignerInfoData& si) {
  Bytes out = *si.issuer;
  const Bytes serial = apdu::encode_tlv(0x02, *si.serial_number);
  out.insert(out.end(), serial.begin(), serial.end());
  return out;
}

// rdns: the RDN TLVs of a DER Name, in order.
inline std::vector<Bytes> rdns(const Bytes& name) {
  apdu::TlvReader top(name, apdu::TlvMode::kDer);
  auto seq = top.enter(0x30);
  REQUIRE(seq.ok());
  std::vector<Bytes> out;
  while (!seq->empty()) out.push_back(to_bytes(seq->next().value().raw));
  return out;
}

// name_of: a DER Name of `rdn_tlvs` in the given order.
inline Bytes name_of(const std::vector<Bytes>& rdn_tlvs) {
  Bytes content;
  for (const auto& r : rdn_tlvs) content.insert(content.end(), r.begin(), r.end());
  return apdu::encode_tlv(0x30, content);
}

// with_signer_id: `sod` whose SignerInfo names (issuer, serial) instead of what it names now.
// The sid is not signed (RFC 5652 §5.3: only the signed attributes are), so the signature stands.
inline Bytes with_signer_id(const Bytes& sod, const Bytes& issuer, const Bytes& serial_content) {
  const lds::EfSod p = parsed(sod);
  lds::SignerInfoData named = p.signed_data.signer_infos.at(0);
  named.issuer = issuer;
  named.serial_number = serial_content;
  return replace_once(sod, signer_id(p.signed_data.signer_infos.at(0)), signer_id(named));
}

// rdn_reordered: the SignerInfo's issuer with its RDNs rotated by one (C, O, CN -> O, CN, C).
inline Bytes rdn_reordered(const Bytes& sod) {
  const lds::EfSod p = parsed(sod);
  const auto& si = p.signed_data.signer_infos.at(0);
  std::vector<Bytes> order = rdns(*si.issuer);
  REQUIRE(order.size() >= 2);
  std::rotate(order.begin(), order.begin() + 1, order.end());
  return with_signer_id(sod, name_of(order), *si.serial_number);
}

// explicit_key: a fresh key on `curve` written with explicit domain parameters (ecParameters)
// in its SubjectPublicKeyInfo, as German, Austrian, Finnish, British and Russian DS keys are.
inline EvpKey explicit_key(const char* curve) {
  EvpKey key = make_ec_key(curve);
  REQUIRE(EVP_PKEY_set_utf8_string_param(key.get(), OSSL_PKEY_PARAM_EC_ENCODING, OSSL_PKEY_EC_ENCODING_EXPLICIT) == 1);
  return key;
}

// custom_generator_key: a key on P-256's field and equation with generator 2G instead of G, given
// explicitly: a valid group of the same order that is not the standardized curve (the shape of a
// certificate forged with a chosen generator, as in CVE-2020-0601).
inline EvpKey custom_generator_key() {
  EC_GROUP* p256 = EC_GROUP_new_by_curve_name(NID_X9_62_prime256v1);
  BN_CTX* ctx = BN_CTX_new();
  BIGNUM *p = BN_new(), *a = BN_new(), *b = BN_new();
  REQUIRE(EC_GROUP_get_curve(p256, p, a, b, ctx) == 1);
  EC_POINT* g2 = EC_POINT_new(p256);
  REQUIRE(EC_POINT_dbl(p256, g2, EC_GROUP_get0_generator(p256), ctx) == 1);
  unsigned char gen[65];
  REQUIRE(EC_POINT_point2oct(p256, g2, POINT_CONVERSION_UNCOMPRESSED, gen, sizeof gen, ctx) == sizeof gen);
  OSSL_PARAM_BLD* bld = OSSL_PARAM_BLD_new();
  OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_EC_FIELD_TYPE, SN_X9_62_prime_field, 0);
  OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_EC_P, p);
  OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_EC_A, a);
  OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_EC_B, b);
  OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_EC_ORDER, EC_GROUP_get0_order(p256));
  OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_EC_COFACTOR, EC_GROUP_get0_cofactor(p256));
  OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_EC_GENERATOR, gen, sizeof gen);
  OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_EC_ENCODING, OSSL_PKEY_EC_ENCODING_EXPLICIT, 0);
  OSSL_PARAM* params = OSSL_PARAM_BLD_to_param(bld);
  EVP_PKEY_CTX* pctx = EVP_PKEY_CTX_new_from_name(nullptr, "EC", nullptr);
  EVP_PKEY* domain = nullptr;
  REQUIRE(EVP_PKEY_fromdata_init(pctx) == 1);
  REQUIRE(EVP_PKEY_fromdata(pctx, &domain, EVP_PKEY_KEY_PARAMETERS, params) == 1);
  EVP_PKEY_CTX* kctx = EVP_PKEY_CTX_new_from_pkey(nullptr, domain, nullptr);
  EVP_PKEY* key = nullptr;
  REQUIRE(EVP_PKEY_keygen_init(kctx) == 1);
  REQUIRE(EVP_PKEY_generate(kctx, &key) == 1);
  EVP_PKEY_CTX_free(kctx);
  EVP_PKEY_free(domain);
  EVP_PKEY_CTX_free(pctx);
  OSSL_PARAM_free(params);
  OSSL_PARAM_BLD_free(bld);
  EC_POINT_free(g2);
  BN_free(p);
  BN_free(a);
  BN_free(b);
  BN_CTX_free(ctx);
  EC_GROUP_free(p256);
  return EvpKey(key, EVP_PKEY_free);
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

// The data groups the synthetic EF.SODs sign.
inline const std::map<int, Bytes>& data_groups() {
  static const std::map<int, Bytes> dgs = {{1, Bytes{0x61, 0x03, 0x5F, 0x1F, 0x00}}, {2, Bytes{0x75, 0x02, 'o', 'k'}}};
  return dgs;
}

inline Bytes lso_content() {
  lds::LdsSecurityObject lso;
  lso.hash_algorithm.algorithm = lds::digest_oid(HashAlg::kSha256);
  for (const auto& [n, raw] : data_groups()) lso.hashes.push_back({n, crypto::digest(HashAlg::kSha256, raw).value()});
  return lds::encode_lds_security_object(lso).value();
}

// make_sod: EF.SOD over lso_content() labelled `econtent_type`, signed by `key` / `cert`.
inline Bytes make_sod(EVP_PKEY* key, X509* cert, const lds::Oid& econtent_type = lds::oid::kLdsSecurityObject) {
  const bool rsa = EVP_PKEY_get_base_id(key) == EVP_PKEY_RSA;
  const lds::CmsSigner signer{.private_key_pkcs8 = pkcs8(key), .certificate = cert_der(cert),
                              .scheme = rsa ? lds::SignatureScheme::kRsaPkcs1 : lds::SignatureScheme::kEcdsa};
  auto ci = lds::create_signed_data(econtent_type, lso_content(), signer);
  REQUIRE(ci.ok());
  return apdu::encode_tlv(0x77, *ci);
}

// with_extra_certificate: `sod` also carrying `extra` in SignedData.certificates (unsigned).
inline Bytes with_extra_certificate(const Bytes& sod, X509* extra) {
  const lds::EfSod p = parsed(sod);
  const unsigned char* in = p.signed_data.content_info.data();
  CMS_ContentInfo* cms = d2i_CMS_ContentInfo(nullptr, &in, static_cast<long>(p.signed_data.content_info.size()));
  REQUIRE(cms != nullptr);
  REQUIRE(CMS_add1_cert(cms, extra) == 1);
  unsigned char* der = nullptr;
  const int len = i2d_CMS_ContentInfo(cms, &der);
  REQUIRE(len > 0);
  Bytes ci(der, der + len);
  OPENSSL_free(der);
  CMS_ContentInfo_free(cms);
  return apdu::encode_tlv(0x77, ci);
}

// with_econtent_type: `sod` with its (unsigned) eContentType relabelled `oid`.
inline Bytes with_econtent_type(const Bytes& sod, const char* oid) {
  const lds::EfSod p = parsed(sod);
  const unsigned char* in = p.signed_data.content_info.data();
  CMS_ContentInfo* cms = d2i_CMS_ContentInfo(nullptr, &in, static_cast<long>(p.signed_data.content_info.size()));
  REQUIRE(cms != nullptr);
  ASN1_OBJECT* type = OBJ_txt2obj(oid, 1);
  REQUIRE(CMS_set1_eContentType(cms, type) == 1);
  ASN1_OBJECT_free(type);
  unsigned char* der = nullptr;
  const int len = i2d_CMS_ContentInfo(cms, &der);
  REQUIRE(len > 0);
  Bytes ci(der, der + len);
  OPENSSL_free(der);
  CMS_ContentInfo_free(cms);
  return apdu::encode_tlv(0x77, ci);
}

inline std::set<std::string> names(const Leniencies& l) {
  auto v = leniency_names(l);
  return {v.begin(), v.end()};
}

inline bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

// curve_of_signer: the standardized curve the Document Signer key's parameters equal, or "".
inline std::string curve_of_signer(const lds::EfSod& sod) {
  const Bytes& der = sod.document_signer_certificates().at(0);
  const unsigned char* p = der.data();
  X509* cert = d2i_X509(nullptr, &p, static_cast<long>(der.size()));
  REQUIRE(cert != nullptr);
  const Bytes spki = spki_der(X509_get0_pubkey(cert));
  X509_free(cert);
  auto key = crypto::PublicKey::from_spki(spki);
  if (!key.ok() || key->ec_point() == nullptr) return "";
  auto curve = key->ec_point()->group().curve();
  return curve ? crypto::curve_name(*curve) : "";
}


}  // namespace idtap::testing::leniency
