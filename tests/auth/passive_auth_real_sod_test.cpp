// Passive Authentication of what genuine documents really carry (issue 13): the EF.SOD files of
// real passports and ID cards (tests/vectors/lds/real/, see its README) verify with the named
// leniency each needs, chain to their own country's CSCA only, and the SignerInfo names the only
// certificate that may sign.
#include <doctest/doctest.h>

#include "auth/passive_auth_leniency_fixture.h"

using namespace idtap;
using namespace idtap::auth;
using namespace idtap::testing;
using crypto::HashAlg;
using namespace idtap::testing::leniency;

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
