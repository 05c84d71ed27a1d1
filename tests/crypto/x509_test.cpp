#include "idtap/crypto/x509.h"

#include <doctest/doctest.h>
#include <openssl/x509v3.h>

#include <ctime>

using namespace idtap;
using namespace idtap::crypto;

namespace {

constexpr std::time_t kDay = 86400;
constexpr std::time_t kNow = 1767225600;  // 2026-01-01T00:00:00Z

EvpPkeyPtr ec_key() {
  EvpPkeyPtr k(EVP_EC_gen("P-256"));
  REQUIRE(k);
  return k;
}

// Pki: a root CA, an intermediate CA and a leaf, each valid from a day before kNow for a year.
struct Pki {
  EvpPkeyPtr root_key = ec_key(), mid_key = ec_key(), leaf_key = ec_key();
  X509Ptr root, mid, leaf;
};

CertificateRequest request(const char* cn, EVP_PKEY* subject_key, X509* issuer, EVP_PKEY* issuer_key, bool ca) {
  CertificateRequest r;
  r.subject = {{"C", "KR"}, {"O", "idtap x509 test"}, {"CN", cn}};
  r.subject_key = subject_key;
  r.issuer = issuer;
  r.issuer_key = issuer_key;
  r.not_before = kNow - kDay;
  r.not_after = kNow + 365 * kDay;
  r.basic_constraints = ca ? BasicConstraints::kCa : BasicConstraints::kEndEntity;
  return r;
}

X509Ptr mint(const CertificateRequest& r) {
  auto cert = mint_certificate(r);
  REQUIRE(cert.ok());
  return std::move(cert).value();
}

Pki make_pki() {
  Pki p;
  p.root = mint(request("Root", p.root_key.get(), nullptr, p.root_key.get(), true));
  p.mid = mint(request("Intermediate", p.mid_key.get(), p.root.get(), p.root_key.get(), true));
  p.leaf = mint(request("Leaf", p.leaf_key.get(), p.mid.get(), p.mid_key.get(), false));
  return p;
}

ChainResult verify(X509* leaf, std::vector<X509*> untrusted, std::vector<X509*> anchors, std::time_t at,
                   bool partial = true) {
  ChainOptions options;
  options.at = at;
  options.partial_chain = partial;
  auto result = verify_chain(leaf, untrusted, anchors, options);
  REQUIRE(result.ok());
  return std::move(result).value();
}

}  // namespace

TEST_CASE("a minted chain verifies, leaf first and anchor last") {
  Pki p = make_pki();
  ChainResult r = verify(p.leaf.get(), {p.mid.get()}, {p.root.get()}, kNow);
  CHECK(r.ok());
  CHECK(r.error == X509_V_OK);
  REQUIRE(r.chain.size() == 3);
  CHECK(X509_cmp(r.chain.front().get(), p.leaf.get()) == 0);
  CHECK(X509_cmp(r.chain.back().get(), p.root.get()) == 0);
  // Partial chain: the intermediate alone is an anchor.
  ChainResult partial = verify(p.leaf.get(), {}, {p.mid.get()}, kNow);
  CHECK(partial.ok());
  CHECK(partial.chain.size() == 2);
  // Without the partial-chain flag an intermediate is no anchor.
  CHECK_FALSE(verify(p.leaf.get(), {}, {p.mid.get()}, kNow, false).ok());
}

TEST_CASE("a minted certificate carries the requested fields and extensions") {
  Pki p = make_pki();
  CHECK(name_rfc2253(X509_get_subject_name(p.leaf.get())) == "CN=Leaf,O=idtap x509 test,C=KR");
  CHECK(name_rfc2253(X509_get_issuer_name(p.leaf.get())) == "CN=Intermediate,O=idtap x509 test,C=KR");
  CHECK(asn1_time_unix(X509_get0_notBefore(p.leaf.get())) == kNow - kDay);
  CHECK(asn1_time_unix(X509_get0_notAfter(p.leaf.get())) == kNow + 365 * kDay);
  CHECK(X509_check_ca(p.root.get()) != 0);
  CHECK(X509_check_ca(p.leaf.get()) == 0);
  CHECK((X509_get_key_usage(p.leaf.get()) & KU_DIGITAL_SIGNATURE) != 0);
  CHECK((X509_get_key_usage(p.mid.get()) & (KU_KEY_CERT_SIGN | KU_CRL_SIGN)) == (KU_KEY_CERT_SIGN | KU_CRL_SIGN));
  CHECK(X509_get0_subject_key_id(p.mid.get()) != nullptr);
  CHECK(X509_get0_authority_key_id(p.root.get()) == nullptr);  // self-signed: kWhenIssued leaves it out
  REQUIRE(X509_get0_authority_key_id(p.leaf.get()) != nullptr);
  CHECK(ASN1_OCTET_STRING_cmp(X509_get0_authority_key_id(p.leaf.get()), X509_get0_subject_key_id(p.mid.get())) == 0);
  // A random serial is positive and 16 bytes long.
  BnPtr serial(ASN1_INTEGER_to_BN(X509_get0_serialNumber(p.leaf.get()), nullptr));
  CHECK(BN_num_bytes(serial.get()) == 16);
  CHECK(!BN_is_negative(serial.get()));
}

TEST_CASE("path length, extended key usage, fixed serial and a bare certificate") {
  EvpPkeyPtr key = ec_key();
  CertificateRequest r = request("Signer", key.get(), nullptr, key.get(), true);
  r.path_len = 0;
  r.serial = 4242;
  r.extended_key_usage = {"1.0.18013.5.1.2"};  // ISO 18013-5 id-mdl-kp-mdlDS
  X509Ptr cert = mint(r);
  CHECK(X509_get_pathlen(cert.get()) == 0);
  CHECK(ASN1_INTEGER_get(X509_get0_serialNumber(cert.get())) == 4242);
  auto* eku = static_cast<EXTENDED_KEY_USAGE*>(X509_get_ext_d2i(cert.get(), NID_ext_key_usage, nullptr, nullptr));
  REQUIRE(eku != nullptr);
  REQUIRE(sk_ASN1_OBJECT_num(eku) == 1);
  char oid[64];
  OBJ_obj2txt(oid, sizeof oid, sk_ASN1_OBJECT_value(eku, 0), 1);
  CHECK(std::string(oid) == "1.0.18013.5.1.2");
  EXTENDED_KEY_USAGE_free(eku);

  CertificateRequest bare = request("Bare", key.get(), nullptr, key.get(), false);
  bare.basic_constraints = BasicConstraints::kNone;
  bare.key_usage = 0;
  bare.subject_key_id = false;
  X509Ptr plain = mint(bare);
  CHECK(X509_get_ext_count(plain.get()) == 0);
}

TEST_CASE("an RSA-PSS signature with SHA-384") {
  EvpPkeyPtr rsa(EVP_RSA_gen(2048));
  REQUIRE(rsa);
  CertificateRequest r = request("PSS root", rsa.get(), nullptr, rsa.get(), true);
  r.digest = "SHA384";
  r.rsa_pss = true;
  X509Ptr cert = mint(r);
  CHECK(X509_get_signature_nid(cert.get()) == NID_rsassaPss);
  CHECK(verify(cert.get(), {}, {cert.get()}, kNow).ok());
}

TEST_CASE("chains that must be refused") {
  Pki p = make_pki();
  // Each case names why OpenSSL refuses the chain.
  SUBCASE("expired: checked a day after the leaf's notAfter") {
    ChainResult r = verify(p.leaf.get(), {p.mid.get()}, {p.root.get()}, kNow + 366 * kDay);
    CHECK(r.error == X509_V_ERR_CERT_HAS_EXPIRED);
    CHECK_FALSE(r.reason.empty());
    CHECK(r.chain.empty());
  }
  SUBCASE("not yet valid: checked two days before notBefore") {
    CHECK(verify(p.leaf.get(), {p.mid.get()}, {p.root.get()}, kNow - 2 * kDay).error == X509_V_ERR_CERT_NOT_YET_VALID);
  }
  SUBCASE("wrong issuer: another root of the same name does not hold the signing key") {
    EvpPkeyPtr other_key = ec_key();
    X509Ptr other = mint(request("Root", other_key.get(), nullptr, other_key.get(), true));
    ChainResult r = verify(p.leaf.get(), {p.mid.get()}, {other.get()}, kNow);
    CHECK_FALSE(r.ok());
  }
  SUBCASE("wrong issuer: no anchor at all for the chain") {
    EvpPkeyPtr other_key = ec_key();
    X509Ptr other = mint(request("Other root", other_key.get(), nullptr, other_key.get(), true));
    ChainResult r = verify(p.leaf.get(), {p.mid.get()}, {other.get()}, kNow);
    CHECK(r.error == X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY);
  }
  SUBCASE("not a CA: an end-entity certificate cannot issue") {
    EvpPkeyPtr sub_key = ec_key();
    X509Ptr sub = mint(request("Under a leaf", sub_key.get(), p.leaf.get(), p.leaf_key.get(), false));
    ChainResult r = verify(sub.get(), {p.leaf.get(), p.mid.get()}, {p.root.get()}, kNow);
    CHECK(r.error == X509_V_ERR_INVALID_CA);
  }
}

TEST_CASE("PEM and DER round trips") {
  Pki p = make_pki();
  auto der = certificate_der(p.leaf.get());
  REQUIRE(der.ok());
  auto back = parse_certificate_der(*der);
  REQUIRE(back.ok());
  CHECK(X509_cmp(back->get(), p.leaf.get()) == 0);

  auto leaf_pem = certificate_pem(p.leaf.get());
  auto mid_pem = certificate_pem(p.mid.get());
  REQUIRE(leaf_pem.ok());
  REQUIRE(mid_pem.ok());
  std::string bundle = *leaf_pem + "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n" + *mid_pem;
  auto certs = parse_certificates_pem(bytes_of(bundle));
  REQUIRE(certs.ok());
  REQUIRE(certs->size() == 2);
  CHECK(X509_cmp((*certs)[0].get(), p.leaf.get()) == 0);
  CHECK(X509_cmp((*certs)[1].get(), p.mid.get()) == 0);
}

TEST_CASE("malformed input is refused") {
  Pki p = make_pki();
  Bytes der = certificate_der(p.leaf.get()).value();
  // Trailing bytes after the certificate.
  Bytes trailing = der;
  trailing.push_back(0x00);
  CHECK(parse_certificate_der(trailing).error().code == ErrorCode::kMalformed);
  // A truncated certificate.
  CHECK(parse_certificate_der(ByteView(der).first(der.size() - 1)).error().code == ErrorCode::kMalformed);
  // Empty input.
  CHECK(parse_certificate_der({}).error().code == ErrorCode::kMalformed);
  // PEM without a certificate block.
  CHECK(parse_certificates_pem(bytes_of(std::string("no armour here"))).error().code == ErrorCode::kMalformed);
  // A request without keys.
  CHECK(mint_certificate(CertificateRequest{}).error().code == ErrorCode::kInvalidArgument);
}

TEST_CASE("a minted CRL carries its fields, verifies under its issuer and revokes what it lists") {
  Pki p = make_pki();
  CertificateRequest leaf7 = request("Leaf 7", p.leaf_key.get(), p.mid.get(), p.mid_key.get(), false);
  leaf7.serial = 7;
  CertificateRequest leaf8 = leaf7;
  leaf8.serial = 8;
  X509Ptr revoked_leaf = mint(leaf7), good_leaf = mint(leaf8);

  CrlRequest r;
  r.issuer = p.mid.get();
  r.issuer_key = p.mid_key.get();
  r.this_update = kNow - kDay;
  r.next_update = kNow + 30 * kDay;
  r.revoked = {{9, kNow - 3600}, {7, kNow - 7200}};  // out of order: mint_crl sorts
  r.crl_number = 3;
  r.authority_key_id = true;
  auto minted = mint_crl(r);
  REQUIRE(minted.ok());
  X509_CRL* crl = minted->get();

  // RFC 5280 §5.1: v2, the issuer's subject, thisUpdate / nextUpdate, signed by the issuer.
  CHECK(X509_CRL_get_version(crl) == X509_CRL_VERSION_2);
  CHECK(name_rfc2253(X509_CRL_get_issuer(crl)) == "CN=Intermediate,O=idtap x509 test,C=KR");
  CHECK(asn1_time_unix(X509_CRL_get0_lastUpdate(crl)) == kNow - kDay);
  CHECK(asn1_time_unix(X509_CRL_get0_nextUpdate(crl)) == kNow + 30 * kDay);
  CHECK(X509_CRL_verify(crl, X509_get0_pubkey(p.mid.get())) == 1);
  CHECK(X509_CRL_verify(crl, X509_get0_pubkey(p.root.get())) != 1);
  // The entries, sorted by serial, with their revocation dates.
  STACK_OF(X509_REVOKED)* entries = X509_CRL_get_REVOKED(crl);
  REQUIRE(sk_X509_REVOKED_num(entries) == 2);
  CHECK(ASN1_INTEGER_get(X509_REVOKED_get0_serialNumber(sk_X509_REVOKED_value(entries, 0))) == 7);
  CHECK(asn1_time_unix(X509_REVOKED_get0_revocationDate(sk_X509_REVOKED_value(entries, 0))) == kNow - 7200);
  CHECK(ASN1_INTEGER_get(X509_REVOKED_get0_serialNumber(sk_X509_REVOKED_value(entries, 1))) == 9);
  // RFC 5280 §5.2.3 cRLNumber and §5.2.1 authorityKeyIdentifier (the issuer's SKI).
  auto* number = static_cast<ASN1_INTEGER*>(X509_CRL_get_ext_d2i(crl, NID_crl_number, nullptr, nullptr));
  REQUIRE(number != nullptr);
  CHECK(ASN1_INTEGER_get(number) == 3);
  ASN1_INTEGER_free(number);
  auto* aki = static_cast<AUTHORITY_KEYID*>(X509_CRL_get_ext_d2i(crl, NID_authority_key_identifier, nullptr, nullptr));
  REQUIRE(aki != nullptr);
  REQUIRE(aki->keyid != nullptr);
  CHECK(ASN1_OCTET_STRING_cmp(aki->keyid, X509_get0_subject_key_id(p.mid.get())) == 0);
  AUTHORITY_KEYID_free(aki);

  // With the CRL checked, the listed serial is refused and another leaf of the same issuer is not.
  X509_CRL* crls[] = {crl};
  ChainOptions options;
  options.at = kNow;
  options.crls = crls;
  options.crl_check = true;
  X509* mid[] = {p.mid.get()};
  X509* root[] = {p.root.get()};
  auto refused = verify_chain(revoked_leaf.get(), mid, root, options);
  REQUIRE(refused.ok());
  CHECK(refused->error == X509_V_ERR_CERT_REVOKED);
  auto accepted = verify_chain(good_leaf.get(), mid, root, options);
  REQUIRE(accepted.ok());
  CHECK(accepted->ok());

  // The encodings: DER parses back to the same CRL, PEM is an "X509 CRL" block.
  auto der = crl_der(crl);
  REQUIRE(der.ok());
  const unsigned char* q = der->data();
  X509CrlPtr back(d2i_X509_CRL(nullptr, &q, static_cast<long>(der->size())));
  REQUIRE(back);
  CHECK(X509_CRL_cmp(back.get(), crl) == 0);
  CHECK(q == der->data() + der->size());
  auto pem = crl_pem(crl);
  REQUIRE(pem.ok());
  CHECK(pem->rfind("-----BEGIN X509 CRL-----\n", 0) == 0);

  // A bare CRL: no entries, no extensions.
  CrlRequest bare = r;
  bare.revoked.clear();
  bare.crl_number.reset();
  bare.authority_key_id = false;
  auto plain = mint_crl(bare);
  REQUIRE(plain.ok());
  CHECK(sk_X509_REVOKED_num(X509_CRL_get_REVOKED(plain->get())) <= 0);
  CHECK(X509_CRL_get_ext_count(plain->get()) == 0);
}

TEST_CASE("a CRL request without an issuer or its key is refused") {
  Pki p = make_pki();
  CrlRequest no_issuer;
  no_issuer.issuer_key = p.mid_key.get();
  CHECK(mint_crl(no_issuer).error().code == ErrorCode::kInvalidArgument);
  CrlRequest no_key;
  no_key.issuer = p.mid.get();
  CHECK(mint_crl(no_key).error().code == ErrorCode::kInvalidArgument);
}

TEST_CASE("private_key_pkcs8: the key's PKCS#8 DER reads back as the same key; a public key alone is refused") {
  for (EVP_PKEY* raw : {EVP_EC_gen("P-256"), EVP_RSA_gen(2048)}) {
    EvpPkeyPtr key(raw);
    REQUIRE(key);
    auto der = private_key_pkcs8(key.get());
    REQUIRE(der.ok());
    const unsigned char* p = der->data();
    EvpPkeyPtr back(d2i_AutoPrivateKey(nullptr, &p, static_cast<long>(der->size())));
    REQUIRE(back);
    CHECK(p == der->data() + der->size());
    CHECK(EVP_PKEY_eq(back.get(), key.get()) == 1);
  }
  // The public half only (SubjectPublicKeyInfo): there is no private key to encode.
  EvpPkeyPtr key = ec_key();
  unsigned char* spki = nullptr;
  const int n = i2d_PUBKEY(key.get(), &spki);
  REQUIRE(n > 0);
  const unsigned char* q = spki;
  EvpPkeyPtr pub(d2i_PUBKEY(nullptr, &q, n));
  OPENSSL_free(spki);
  REQUIRE(pub);
  auto refused = private_key_pkcs8(pub.get());
  REQUIRE_FALSE(refused.ok());
  CHECK(refused.error().code == ErrorCode::kInternal);
}
