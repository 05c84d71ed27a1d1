// Passive Authentication of what genuine documents really carry (issue 13): the EF.SOD files of
// real passports and ID cards (tests/vectors/lds/real/, see its README), and faithful synthetic
// reproductions of each quirk, with the named leniency each needs (Leniencies in
// idtap/auth/passive_auth.h) and the forgeries each leniency must still refuse.
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

using namespace idtap;
using namespace idtap::auth;
using namespace idtap::testing;
using crypto::HashAlg;

namespace {

constexpr long kDay = 86400;

// real_sod: tests/vectors/lds/real/<name>_ef_sod.hex ('#' lines are comments).
Bytes real_sod(const std::string& name) {
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
Bytes real_file(const std::string& name) {
  const std::string path = std::string(IDTAP_SOURCE_DIR) + "/tests/vectors/lds/real/" + name;
  std::ifstream in(path, std::ios::binary);
  REQUIRE_MESSAGE(in.good(), "cannot open " << path);
  return Bytes(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

// utc: seconds since the epoch of a UTC calendar date and time.
std::time_t utc(int year, int month, int day, int hour = 0) {
  std::tm tm{};
  tm.tm_year = year - 1900;
  tm.tm_mon = month - 1;
  tm.tm_mday = day;
  tm.tm_hour = hour;
  return timegm(&tm);
}

lds::EfSod parsed(const Bytes& sod) {
  auto p = lds::parse_ef_sod(sod, lds::EfSodOptions{.allow_ber = true, .allow_id_data_content_type = true});
  REQUIRE(p.ok());
  return std::move(p).value();
}

// replace_once: `file` with the only occurrence of `from` replaced by `to` (same length).
Bytes replace_once(const Bytes& file, const Bytes& from, const Bytes& to) {
  REQUIRE(from.size() == to.size());
  auto it = std::search(file.begin(), file.end(), from.begin(), from.end());
  REQUIRE(it != file.end());
  REQUIRE(std::search(it + 1, file.end(), from.begin(), from.end()) == file.end());
  Bytes out = file;
  std::copy(to.begin(), to.end(), out.begin() + (it - file.begin()));
  return out;
}

// signer_id: the DER of the SignerInfo's issuerAndSerialNumber content: issuer Name, serial.
Bytes signer_id(const lds::SignerInfoData& si) {
  Bytes out = *si.issuer;
  const Bytes serial = apdu::encode_tlv(0x02, *si.serial_number);
  out.insert(out.end(), serial.begin(), serial.end());
  return out;
}

// rdns: the RDN TLVs of a DER Name, in order.
std::vector<Bytes> rdns(const Bytes& name) {
  apdu::TlvReader top(name, apdu::TlvMode::kDer);
  auto seq = top.enter(0x30);
  REQUIRE(seq.ok());
  std::vector<Bytes> out;
  while (!seq->empty()) out.push_back(to_bytes(seq->next().value().raw));
  return out;
}

// name_of: a DER Name of `rdn_tlvs` in the given order.
Bytes name_of(const std::vector<Bytes>& rdn_tlvs) {
  Bytes content;
  for (const auto& r : rdn_tlvs) content.insert(content.end(), r.begin(), r.end());
  return apdu::encode_tlv(0x30, content);
}

// with_signer_id: `sod` whose SignerInfo names (issuer, serial) instead of what it names now.
// The sid is not signed (RFC 5652 §5.3: only the signed attributes are), so the signature stands.
Bytes with_signer_id(const Bytes& sod, const Bytes& issuer, const Bytes& serial_content) {
  const lds::EfSod p = parsed(sod);
  lds::SignerInfoData named = p.signed_data.signer_infos.at(0);
  named.issuer = issuer;
  named.serial_number = serial_content;
  return replace_once(sod, signer_id(p.signed_data.signer_infos.at(0)), signer_id(named));
}

// rdn_reordered: the SignerInfo's issuer with its RDNs rotated by one (C, O, CN -> O, CN, C).
Bytes rdn_reordered(const Bytes& sod) {
  const lds::EfSod p = parsed(sod);
  const auto& si = p.signed_data.signer_infos.at(0);
  std::vector<Bytes> order = rdns(*si.issuer);
  REQUIRE(order.size() >= 2);
  std::rotate(order.begin(), order.begin() + 1, order.end());
  return with_signer_id(sod, name_of(order), *si.serial_number);
}

// explicit_key: a fresh key on `curve` written with explicit domain parameters (ecParameters)
// in its SubjectPublicKeyInfo, as German, Austrian, Finnish, British and Russian DS keys are.
EvpKey explicit_key(const char* curve) {
  EvpKey key = make_ec_key(curve);
  REQUIRE(EVP_PKEY_set_utf8_string_param(key.get(), OSSL_PKEY_PARAM_EC_ENCODING, OSSL_PKEY_EC_ENCODING_EXPLICIT) == 1);
  return key;
}

// custom_generator_key: a key on P-256's field and equation with generator 2G instead of G, given
// explicitly: a valid group of the same order that is not the standardized curve (the shape of a
// certificate forged with a chosen generator, as in CVE-2020-0601).
EvpKey custom_generator_key() {
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

// The data groups the synthetic EF.SODs sign.
const std::map<int, Bytes>& data_groups() {
  static const std::map<int, Bytes> dgs = {{1, Bytes{0x61, 0x03, 0x5F, 0x1F, 0x00}}, {2, Bytes{0x75, 0x02, 'o', 'k'}}};
  return dgs;
}

Bytes lso_content() {
  lds::LdsSecurityObject lso;
  lso.hash_algorithm.algorithm = lds::digest_oid(HashAlg::kSha256);
  for (const auto& [n, raw] : data_groups()) lso.hashes.push_back({n, crypto::digest(HashAlg::kSha256, raw).value()});
  return lds::encode_lds_security_object(lso).value();
}

// make_sod: EF.SOD over lso_content() labelled `econtent_type`, signed by `key` / `cert`.
Bytes make_sod(EVP_PKEY* key, X509* cert, const lds::Oid& econtent_type = lds::oid::kLdsSecurityObject) {
  const bool rsa = EVP_PKEY_get_base_id(key) == EVP_PKEY_RSA;
  const lds::CmsSigner signer{.private_key_pkcs8 = pkcs8_der(key), .certificate = cert_der(cert),
                              .scheme = rsa ? lds::SignatureScheme::kRsaPkcs1 : lds::SignatureScheme::kEcdsa};
  auto ci = lds::create_signed_data(econtent_type, lso_content(), signer);
  REQUIRE(ci.ok());
  return apdu::encode_tlv(0x77, *ci);
}

// with_extra_certificate: `sod` also carrying `extra` in SignedData.certificates (unsigned).
Bytes with_extra_certificate(const Bytes& sod, X509* extra) {
  return apdu::encode_tlv(0x77, add_cms_certificate(parsed(sod).signed_data.content_info, extra));
}

// with_econtent_type: `sod` with its (unsigned) eContentType relabelled `oid`.
Bytes with_econtent_type(const Bytes& sod, const char* oid) {
  return apdu::encode_tlv(0x77, relabel_econtent_type(parsed(sod).signed_data.content_info, oid));
}

std::set<std::string> names(const Leniencies& l) {
  auto v = leniency_names(l);
  return {v.begin(), v.end()};
}

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

// curve_of_signer: the standardized curve the Document Signer key's parameters equal, or "".
std::string curve_of_signer(const lds::EfSod& sod) {
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

}  // namespace

TEST_CASE("real EF.SODs: the signature verifies with the Document Signer each carries, with the leniency each needs") {
  // Without a trust store the verdict is no_trust_anchor with the signature proved. The CSCAs of
  // Austria, Germany, Finland, Russia and the United Kingdom are in the corpus (see
  // tests/vectors/lds/real/README.md; their chains are tested below), Malaysia's is not; the chain
  // rules are otherwise tested on the synthetic PKI further down.
  struct Row {
    const char* file;
    HashAlg hash;                     // the LDSSecurityObject's digest
    std::vector<int> data_groups;     // what EF.SOD signs
    std::set<std::string> leniencies;
    const char* ds_curve;             // the standardized curve of the DS key ("" for RSA)
    bool ds_params_explicit;          // the DS certificate writes its EC parameters explicitly
  } rows[] = {
      // Austria: brainpoolP256r1 parameters written out in the DS key (BSI TR-03110 style).
      {"at", HashAlg::kSha256, {1, 2, 3, 11, 12, 14}, {"explicit_ec_params"}, "brainpoolP256r1", true},
      // Germany: brainpoolP384r1, explicit; SHA-384 throughout.
      {"de", HashAlg::kSha384, {1, 2, 3, 14}, {"explicit_ec_params"}, "brainpoolP384r1", true},
      // Finland (ID card): brainpoolP512r1, explicit; SHA-512 throughout.
      {"fi", HashAlg::kSha512, {1, 2, 3, 7, 14}, {"explicit_ec_params"}, "brainpoolP512r1", true},
      // United Kingdom: P-256 written out explicitly, without the seed.
      {"uk", HashAlg::kSha256, {1, 2, 14}, {"explicit_ec_params"}, "secp256r1", true},
      // Russia: P-256 written out explicitly with its seed; SHA-1 and ECDSA-with-SHA1.
      {"ru", HashAlg::kSha1, {1, 2, 3, 13, 14}, {"explicit_ec_params"}, "secp256r1", true},
      // Malaysia: RSA-PSS; the SignerInfo names the DS issuer with its RDNs in another order
      // (C, O, ST, L, OU, CN against the certificate's C, ST, L, O, OU, CN).
      {"my", HashAlg::kSha256, {1, 2, 3, 11, 12, 14}, {"signer_issuer_rdn_order"}, "", false},
  };
  for (const auto& row : rows) {
    INFO(row.file);
    const Bytes sod = real_sod(row.file);
    const lds::EfSod p = parsed(sod);
    CHECK(curve_of_signer(p) == row.ds_curve);

    auto v = verify_sod(sod);
    REQUIRE(v.ok());
    CHECK(v->status == PassiveStatus::kNoTrustAnchor);
    CHECK(v->signature_ok);
    CHECK(contains(v->reason, "no trust store given"));
    CHECK(names(v->leniencies) == row.leniencies);
    CHECK(v->leniencies.explicit_ec_params == row.ds_params_explicit);
    CHECK_FALSE(v->used_ber);
    CHECK(v->hash == row.hash);
    std::vector<int> signed_groups;
    for (const auto& [n, h] : v->hashes) signed_groups.push_back(n);
    CHECK(signed_groups == row.data_groups);

    // A trust store without this country's CSCA: no trust anchor, never valid.
    TrustStore unrelated;
    EvpKey other_key = make_ec_key("P-256");
    Cert other = make_cert(CertSpec{.common_name = "CSCA UT", .country = "UT", .ca = true}, other_key.get(), nullptr,
                           other_key.get());
    REQUIRE(unrelated.add_certificates(cert_der(other.get()), "other.der").ok());
    auto untrusted = verify_sod(sod, PassiveOptions{.trust = &unrelated});
    REQUIRE(untrusted.ok());
    CHECK(untrusted->status == PassiveStatus::kNoTrustAnchor);
  }
}

TEST_CASE("real EF.SODs: each chains to its country's real CSCA while its Document Signer is valid, to no other") {
  // Each <cc>_csca.pem issued the Document Signer <cc>_ef_sod.hex carries: its subjectKeyIdentifier
  // is the DS certificate's authorityKeyIdentifier and the DS signature verifies with its key
  // (tests/vectors/lds/real/README.md). EF.SOD carries no signing time: `signing` is a time inside
  // the DS private key usage period (AT, RU: the signing date the README gives). Every DS key,
  // and every CSCA key, gives its EC parameters explicitly: explicit_ec_params is the one leniency
  // each needs. Malaysia's CSCA is not in the corpus.
  struct Row {
    const char* cc;
    const char* csca;             // the issuing CSCA
    const char* other_csca;       // a real CSCA that did not issue this DS
    std::time_t signing;          // inside the DS private key usage period
    std::time_t last_day;         // the last day both the DS and the CSCA certificate are valid
    std::time_t after_expiry;     // the day after the DS certificate expired
    std::time_t before_issue;     // the day before the DS certificate was issued
    const char* signer;           // part of the DS subject
    const char* anchor;           // part of the CSCA subject
    const char* signer_curve;     // the curve the explicit DS parameters equal
    const char* anchor_curve;     // the curve the explicit CSCA parameters equal
  } rows[] = {
      // DS valid 2023-01-31 to 2033-05-06, private key usage until 2023-05-06; signed 2023-03-17.
      {"at", "at_csca.pem", "uk_csca.pem", utc(2023, 3, 17), utc(2033, 5, 5, 12), utc(2033, 5, 7), utc(2023, 1, 30),
       "DS-AUSTRIA-eMRTD", "CSCA-AUSTRIA", "brainpoolP256r1", "brainpoolP384r1"},
      // DS valid 2023-01-04 to 2033-07-04, private key usage 2023-01-04 to 2023-07-04; the CSCA
      // certificate expires first (2033-02-20: the chain is checked in the shell model). The other
      // CSCA is a real German one (serialNumber 103) that did not issue this DS.
      {"de", "de_csca.pem", "de_csca_103.pem", utc(2023, 3, 1), utc(2033, 2, 20, 12), utc(2033, 7, 6), utc(2023, 1, 3),
       "Document Signer Passport", "csca-germany", "brainpoolP384r1", "brainpoolP512r1"},
      // DS valid 2023-07-30 to 2028-10-30, private key usage 2023-07-30 to 2023-10-31.
      {"fi", "fi_csca.pem", "at_csca.pem", utc(2023, 9, 1), utc(2028, 10, 30, 12), utc(2028, 11, 1), utc(2023, 7, 29),
       "ICAO Compliant Document Signer", "CSCA Finland", "brainpoolP512r1", "brainpoolP512r1"},
      // DS valid 2019-11-13 to 2031-11-10 (no private key usage period); signed 2020-01-22.
      {"ru", "ru_csca.pem", "de_csca.pem", utc(2020, 1, 22), utc(2031, 11, 9, 12), utc(2031, 11, 11), utc(2019, 11, 12),
       "Document_Signer_3.3", "CSCA-Russia", "secp256r1", "secp256r1"},
      // DS valid 2021-02-01 to 2032-06-01, private key usage 2021-02-01 to 2021-05-04.
      {"uk", "uk_csca.pem", "fi_csca.pem", utc(2021, 3, 1), utc(2032, 5, 31, 12), utc(2032, 6, 2), utc(2021, 1, 31),
       "Document Signing Key 32", "Country Signing Authority", "secp256r1", "secp384r1"},
  };
  for (const auto& row : rows) {
    INFO(std::string(row.cc));
    const Bytes sod = real_sod(row.cc);
    TrustStore own, other, both, empty;
    REQUIRE(own.add_certificates(real_file(row.csca), row.csca).ok());
    REQUIRE(other.add_certificates(real_file(row.other_csca), row.other_csca).ok());
    REQUIRE(both.add_certificates(real_file(row.other_csca), row.other_csca).ok());
    REQUIRE(both.add_certificates(real_file(row.csca), row.csca).ok());

    struct Case {
      const char* name;
      const TrustStore* trust;
      std::time_t when;
      PassiveStatus status;
      const char* reason;  // part of the reason when not valid
    } cases[] = {
        {"own CSCA at the signing time", &own, row.signing, PassiveStatus::kValid, ""},
        {"own and another CSCA at the signing time", &both, row.signing, PassiveStatus::kValid, ""},
        {"own CSCA, last day of the chain", &own, row.last_day, PassiveStatus::kValid, ""},
        {"own CSCA, after the DS expired", &own, row.after_expiry, PassiveStatus::kInvalid, "expired"},
        {"own CSCA, before the DS was issued", &own, row.before_issue, PassiveStatus::kInvalid, "not yet valid"},
        {"another real CSCA only", &other, row.signing, PassiveStatus::kNoTrustAnchor, "no trusted CSCA issued"},
        {"no CSCA at all", &empty, row.signing, PassiveStatus::kNoTrustAnchor, ""},
    };
    for (const auto& c : cases) {
      INFO(std::string(c.name));
      auto v = verify_sod(sod, PassiveOptions{.trust = c.trust, .when = c.when});
      REQUIRE(v.ok());
      CHECK_MESSAGE(v->status == c.status, v->reason);
      CHECK(v->signature_ok);
      CHECK_MESSAGE(contains(v->reason, c.reason), v->reason);
      CHECK(names(v->leniencies) == std::set<std::string>{"explicit_ec_params"});
      if (c.status != PassiveStatus::kValid) continue;
      REQUIRE(v->chain.has_value());
      CHECK(contains(v->chain->signer_subject, row.signer));
      CHECK(contains(v->chain->anchor_subject, row.anchor));
      // Both keys of the chain are explicit, each named with the curve it equals.
      REQUIRE(v->chain->explicit_ec_params.size() == 2);
      CHECK_MESSAGE(contains(v->chain->explicit_ec_params[0], std::string("(") + row.signer_curve + ")"),
                    v->chain->explicit_ec_params[0]);
      CHECK_MESSAGE(contains(v->chain->explicit_ec_params[1], std::string("(") + row.anchor_curve + ")"),
                    v->chain->explicit_ec_params[1]);
    }

    // The chain alone (TrustStore::verify_signer), as `idtap` checks any DS certificate.
    const lds::EfSod p = parsed(sod);
    REQUIRE(p.signed_data.certificates.size() == 1);
    const Bytes ds = p.signed_data.certificates.at(0);
    auto chain = own.verify_signer(ds, row.signing);
    REQUIRE_MESSAGE(chain.ok(), chain.error().context);
    CHECK(contains(chain->anchor_subject, row.anchor));
    auto expired = own.verify_signer(ds, row.after_expiry);
    REQUIRE_FALSE(expired.ok());
    CHECK(expired.error().code == ErrorCode::kVerificationFailed);
    auto foreign = other.verify_signer(ds, row.signing);
    REQUIRE_FALSE(foreign.ok());
    CHECK(foreign.error().code == ErrorCode::kNoTrustAnchor);
  }
}

TEST_CASE("real Malaysian EF.SOD: only the certificate the SignerInfo names, in any RDN order, may sign") {
  const Bytes sod = real_sod("my");
  const lds::EfSod p = parsed(sod);
  const auto& si = p.signed_data.signer_infos.at(0);
  Bytes other_serial = *si.serial_number;
  other_serial.back() ^= 0x01;
  const std::vector<Bytes> issuer_rdns = rdns(*si.issuer);
  // An RDN value changed by one letter: "WP" (the state) becomes "WQ".
  Bytes other_state = *si.issuer;
  const Bytes wp = {'W', 'P'};
  auto at = std::search(other_state.begin(), other_state.end(), wp.begin(), wp.end());
  REQUIRE(at != other_state.end());
  *(at + 1) = 'Q';
  // The same RDNs in the certificate's own order: the strict match OpenSSL makes.
  X509* ds = nullptr;
  {
    const Bytes& der = p.document_signer_certificates().at(0);
    const unsigned char* in = der.data();
    ds = d2i_X509(nullptr, &in, static_cast<long>(der.size()));
    REQUIRE(ds != nullptr);
  }
  unsigned char* issuer_der = nullptr;
  const int issuer_len = i2d_X509_NAME(X509_get_issuer_name(ds), &issuer_der);
  REQUIRE(issuer_len > 0);
  const Bytes cert_issuer(issuer_der, issuer_der + issuer_len);
  OPENSSL_free(issuer_der);
  X509_free(ds);
  REQUIRE(cert_issuer != *si.issuer);  // the quirk is really there

  struct Row {
    const char* name;
    Bytes sod;
    PassiveStatus status;
    bool rdn_order;
    const char* reason;  // part of the reason ("" when accepted)
  } rows[] = {
      // As issued: the SignerInfo's issuer is the certificate's with the RDNs reordered.
      {"as issued", sod, PassiveStatus::kNoTrustAnchor, true, "no trust store given"},
      // The SignerInfo rewritten to the certificate's own RDN order: the strict match, no leniency.
      {"strict order", with_signer_id(sod, cert_issuer, *si.serial_number), PassiveStatus::kNoTrustAnchor, false,
       "no trust store given"},
      // Another serial number: another certificate, which EF.SOD does not carry.
      {"serial changed", with_signer_id(sod, *si.issuer, other_serial), PassiveStatus::kInvalid, false,
       "names no certificate"},
      // Another RDN value (same RDNs otherwise): another issuer.
      {"issuer value changed", with_signer_id(sod, other_state, *si.serial_number), PassiveStatus::kInvalid, false,
       "names no certificate"},
  };
  for (const auto& row : rows) {
    INFO(row.name);
    auto v = verify_sod(row.sod);
    REQUIRE(v.ok());
    CHECK(v->status == row.status);
    CHECK(v->signature_ok == (row.status != PassiveStatus::kInvalid));
    CHECK(v->leniencies.signer_issuer_rdn_order == row.rdn_order);
    CHECK_MESSAGE(contains(v->reason, row.reason), v->reason);
  }
}

TEST_CASE("explicit EC parameters in the Document Signer or CSCA key: a standardized curve chains and is reported") {
  // BSI TR-03110 and several national PKIs (Germany, Austria, Finland, the United Kingdom, Russia
  // above) write the domain parameters out; OpenSSL's chain check refuses that
  // (X509_V_ERR_EC_KEY_EXPLICIT_PARAMS) unless the parameters are checked and forgiven.
  struct Row {
    const char* name;
    const char* csca_curve;
    bool csca_explicit;
    const char* ds_curve;      // nullptr: the custom-generator key
    bool ds_explicit;
    PassiveStatus status;
    std::vector<std::string> reported;  // ChainVerdict::explicit_ec_params, in chain order (part)
    const char* reason;                 // part of the reason when not valid
  } rows[] = {
      // Everything named: no leniency.
      {"named DS, named CSCA", "P-256", false, "P-256", false, PassiveStatus::kValid, {}, ""},
      // The DS key explicit (as the United Kingdom writes P-256).
      {"explicit P-256 DS", "P-256", false, "P-256", true, PassiveStatus::kValid, {"DS UT (secp256r1)"}, ""},
      // The DS key explicit brainpoolP384r1 (as Germany), the CSCA explicit brainpoolP256r1 too.
      {"explicit DS and CSCA", "brainpoolP256r1", true, "brainpoolP384r1", true, PassiveStatus::kValid,
       {"DS UT (brainpoolP384r1)", "CSCA UT (brainpoolP256r1)"}, ""},
      // Only the CSCA explicit.
      {"explicit CSCA", "brainpoolP512r1", true, "P-256", false, PassiveStatus::kValid, {"CSCA UT (brainpoolP512r1)"}, ""},
      // Explicit parameters of a valid group that is no standardized curve (P-256 with generator
      // 2G): refused, though the CSCA signed the certificate and the DS key signed EF.SOD.
      {"custom generator", "P-256", false, nullptr, true, PassiveStatus::kInvalid, {}, "not a standardized curve"},
  };
  for (const auto& row : rows) {
    INFO(row.name);
    EvpKey csca_key = row.csca_explicit ? explicit_key(row.csca_curve) : make_ec_key(row.csca_curve);
    Cert csca = make_cert(CertSpec{.common_name = "CSCA UT", .country = "UT", .ca = true, .serial = 1,
                                   .not_before = -1000 * kDay, .not_after = 3650 * kDay},
                          csca_key.get(), nullptr, csca_key.get());
    EvpKey ds_key = row.ds_curve == nullptr ? custom_generator_key()
                    : row.ds_explicit       ? explicit_key(row.ds_curve)
                                            : make_ec_key(row.ds_curve);
    Cert ds = make_cert(CertSpec{.common_name = "DS UT", .country = "UT", .serial = 7, .not_before = -10 * kDay,
                                 .not_after = 300 * kDay},
                        ds_key.get(), csca.get(), csca_key.get());
    TrustStore trust;
    REQUIRE(trust.add_certificates(cert_der(csca.get()), "csca.der").ok());
    const Bytes sod = make_sod(ds_key.get(), ds.get());

    auto v = verify_sod(sod, PassiveOptions{.trust = &trust});
    REQUIRE(v.ok());
    CHECK(v->status == row.status);
    CHECK_MESSAGE(contains(v->reason, row.reason), v->reason);
    // The leniency is named whenever explicit parameters were met, also when they were refused.
    CHECK(v->leniencies.explicit_ec_params == (row.ds_explicit || !row.reported.empty()));
    if (row.status == PassiveStatus::kValid) {
      REQUIRE(v->chain.has_value());
      REQUIRE(v->chain->explicit_ec_params.size() == row.reported.size());
      for (size_t i = 0; i < row.reported.size(); ++i) CHECK(contains(v->chain->explicit_ec_params[i], row.reported[i]));
    }
    // The chain alone (TrustStore::verify_signer), as `idtap` checks any DS certificate.
    auto chain = trust.verify_signer(cert_der(ds.get()));
    CHECK(chain.ok() == (row.status == PassiveStatus::kValid));
    if (!chain.ok()) CHECK_MESSAGE(contains(chain.error().context, row.reason), chain.error().context);
    // Without a trust store the DS key's own parameters are still checked.
    auto untrusted = verify_sod(sod);
    REQUIRE(untrusted.ok());
    CHECK(untrusted->status == (row.status == PassiveStatus::kValid ? PassiveStatus::kNoTrustAnchor : PassiveStatus::kInvalid));
    CHECK(untrusted->leniencies.explicit_ec_params == row.ds_explicit);
  }
}

TEST_CASE("an explicit-parameter chain still fails every other check") {
  EvpKey csca_key = explicit_key("brainpoolP256r1");
  Cert csca = make_cert(CertSpec{.common_name = "CSCA UT", .country = "UT", .ca = true, .serial = 1,
                                 .not_before = -1000 * kDay, .not_after = 3650 * kDay},
                        csca_key.get(), nullptr, csca_key.get());
  EvpKey ds_key = explicit_key("brainpoolP256r1");
  TrustStore trust;
  REQUIRE(trust.add_certificates(cert_der(csca.get()), "csca.der").ok());
  struct Row {
    const char* name;
    CertSpec ds;
    const char* reason;
  } rows[] = {
      // Expired: the explicit-parameter forgiveness does not reach the validity check.
      {"expired DS", CertSpec{.common_name = "DS UT", .country = "UT", .serial = 8, .not_before = -400 * kDay,
                              .not_after = -5 * kDay},
       "expired"},
      // No digitalSignature key usage.
      {"DS without digitalSignature", CertSpec{.common_name = "DS UT", .country = "UT", .serial = 9, .key_usage = KU_KEY_CERT_SIGN},
       "digitalSignature"},
  };
  for (const auto& row : rows) {
    INFO(row.name);
    Cert ds = make_cert(row.ds, ds_key.get(), csca.get(), csca_key.get());
    auto v = verify_sod(make_sod(ds_key.get(), ds.get()), PassiveOptions{.trust = &trust});
    REQUIRE(v.ok());
    CHECK(v->status == PassiveStatus::kInvalid);
    CHECK_MESSAGE(contains(v->reason, row.reason), v->reason);
  }
  // A DS issued by another CSCA with the same name and explicit parameters: not chained.
  EvpKey impostor_key = explicit_key("brainpoolP256r1");
  Cert impostor = make_cert(CertSpec{.common_name = "CSCA UT", .country = "UT", .ca = true, .serial = 1}, impostor_key.get(),
                            nullptr, impostor_key.get());
  Cert ds = make_cert(CertSpec{.common_name = "DS UT", .country = "UT", .serial = 10}, ds_key.get(), impostor.get(),
                      impostor_key.get());
  auto v = verify_sod(make_sod(ds_key.get(), ds.get()), PassiveOptions{.trust = &trust});
  REQUIRE(v.ok());
  CHECK(v->status != PassiveStatus::kValid);
}

TEST_CASE("EF.SOD labelled id-data: accepted as a named leniency only while the signed contentType agrees") {
  EvpKey csca_key = make_ec_key("P-256");
  Cert csca = make_cert(CertSpec{.common_name = "CSCA UT", .country = "UT", .ca = true, .serial = 1,
                                 .not_before = -1000 * kDay, .not_after = 3650 * kDay},
                        csca_key.get(), nullptr, csca_key.get());
  EvpKey ds_key = make_ec_key("P-256");
  Cert ds = make_cert(CertSpec{.common_name = "DS UT", .country = "UT", .serial = 5}, ds_key.get(), csca.get(), csca_key.get());
  TrustStore trust;
  REQUIRE(trust.add_certificates(cert_der(csca.get()), "csca.der").ok());
  const Bytes icao = make_sod(ds_key.get(), ds.get());
  const Bytes id_data = make_sod(ds_key.get(), ds.get(), lds::oid::kData);

  struct Row {
    const char* name;
    Bytes sod;
    PassiveStatus status;
    bool id_data_leniency;
    const char* reason;
  } rows[] = {
      // ICAO 9303-10 §4.6.2.2: the ICAO content type, no leniency.
      {"ldsSecurityObject", icao, PassiveStatus::kValid, false, ""},
      // id-data on both eContentType and the signed contentType attribute: what some states issue.
      {"id-data, signed as id-data", id_data, PassiveStatus::kValid, true, ""},
      // eContentType relabelled id-data after signing (the contentType attribute still says
      // ldsSecurityObject): RFC 5652 §11.1 says they must be equal.
      {"relabelled id-data", with_econtent_type(icao, "1.2.840.113549.1.7.1"), PassiveStatus::kInvalid, true,
       "contentType attribute is not its eContentType"},
      // Signed as id-data, relabelled ldsSecurityObject: refused the same way, no leniency claimed.
      {"id-data relabelled ICAO", with_econtent_type(id_data, "2.23.136.1.1.1"), PassiveStatus::kInvalid, false,
       "contentType attribute is not its eContentType"},
  };
  for (const auto& row : rows) {
    INFO(row.name);
    auto v = verify_sod(row.sod, PassiveOptions{.trust = &trust});
    REQUIRE(v.ok());
    CHECK(v->status == row.status);
    CHECK(v->leniencies.id_data_content_type == row.id_data_leniency);
    CHECK_MESSAGE(contains(v->reason, row.reason), v->reason);
    if (row.status == PassiveStatus::kValid) {
      CHECK(v->hashes.size() == data_groups().size());
      for (const auto& [n, raw] : data_groups()) CHECK(check_data_group(*v, n, raw).value() == DataGroupCheck::kHashOk);
    }
  }
  // Any other content type is still malformed, and id-data over something that is not an
  // LDSSecurityObject too.
  CHECK(verify_sod(with_econtent_type(icao, "1.2.840.113549.1.7.5")).error().code == ErrorCode::kMalformed);
  const lds::CmsSigner signer{.private_key_pkcs8 = pkcs8_der(ds_key.get()), .certificate = cert_der(ds.get())};
  auto not_lso = lds::create_signed_data(lds::oid::kData, Bytes{0x04, 0x02, 'h', 'i'}, signer);
  REQUIRE(not_lso.ok());
  CHECK(verify_sod(apdu::encode_tlv(0x77, *not_lso)).error().code == ErrorCode::kMalformed);
}

TEST_CASE("SignerInfo issuer with its RDNs in another order: the named certificate signs, no other") {
  EvpKey csca_key = make_rsa_key(2048);
  Cert csca = make_cert(CertSpec{.common_name = "CSCA UT", .country = "UT", .ca = true, .serial = 1,
                                 .not_before = -1000 * kDay, .not_after = 3650 * kDay},
                        csca_key.get(), nullptr, csca_key.get());
  EvpKey ds_key = make_rsa_key(2048), other_key = make_rsa_key(2048);
  Cert ds = make_cert(CertSpec{.common_name = "DS UT", .country = "UT", .serial = 0x21}, ds_key.get(), csca.get(), csca_key.get());
  Cert other = make_cert(CertSpec{.common_name = "DS UT 2", .country = "UT", .serial = 0x22}, other_key.get(), csca.get(),
                         csca_key.get());
  TrustStore trust;
  REQUIRE(trust.add_certificates(cert_der(csca.get()), "csca.der").ok());
  const Bytes sod = make_sod(ds_key.get(), ds.get());
  const Bytes reordered = rdn_reordered(sod);
  const lds::EfSod reordered_sod = parsed(reordered);  // kept: `si` refers into it
  const auto& si = reordered_sod.signed_data.signer_infos.at(0);
  const Bytes other_serial = {0x22};

  struct Row {
    const char* name;
    Bytes sod;
    PassiveStatus status;
    bool rdn_order;
    const char* reason;
  } rows[] = {
      // As OpenSSL writes it: the certificate's own issuer Name.
      {"strict", sod, PassiveStatus::kValid, false, ""},
      // The issuer's RDNs rotated (the Malaysian quirk): the DS certificate is still the one named.
      {"rdn order", reordered, PassiveStatus::kValid, true, ""},
      // Rotated and another serial number: EF.SOD carries no such certificate.
      {"rdn order, serial of no carried certificate", with_signer_id(reordered, *si.issuer, other_serial),
       PassiveStatus::kInvalid, false, "names no certificate"},
      // Rotated, naming another certificate EF.SOD carries (whose key did not sign): the named
      // certificate is used, and the signature does not verify with it.
      {"rdn order, naming the other certificate",
       with_signer_id(with_extra_certificate(reordered, other.get()), *si.issuer, other_serial), PassiveStatus::kInvalid, true,
       "signature does not verify"},
      // Strictly naming the other certificate: the same refusal without the leniency.
      {"strict, naming the other certificate",
       with_signer_id(with_extra_certificate(sod, other.get()), *parsed(sod).signed_data.signer_infos.at(0).issuer, other_serial),
       PassiveStatus::kInvalid, false, "signature does not verify"},
  };
  for (const auto& row : rows) {
    INFO(row.name);
    auto v = verify_sod(row.sod, PassiveOptions{.trust = &trust});
    REQUIRE(v.ok());
    CHECK(v->status == row.status);
    CHECK(v->leniencies.signer_issuer_rdn_order == row.rdn_order);
    CHECK_MESSAGE(contains(v->reason, row.reason), v->reason);
    if (row.status == PassiveStatus::kValid) CHECK(contains(v->signer_subject, "DS UT"));
  }
}

TEST_CASE("leniency_names: every leniency by its name, in a fixed order") {
  CHECK(leniency_names(Leniencies{}).empty());
  CHECK(leniency_names(Leniencies{.ber = true, .id_data_content_type = true, .explicit_ec_params = true,
                                  .signer_issuer_rdn_order = true}) ==
        std::vector<std::string>{"ber", "id_data_content_type", "explicit_ec_params", "signer_issuer_rdn_order"});
  CHECK(leniency_names(Leniencies{.explicit_ec_params = true}) == std::vector<std::string>{"explicit_ec_params"});
}
