// Passive Authentication's named leniencies (Leniencies in idtap/auth/passive_auth.h) on faithful
// synthetic reproductions of real documents' quirks: explicit EC parameters, id-data content,
// reordered issuer RDNs, and the forgeries each leniency must still refuse. The real EF.SODs:
// passive_auth_real_sod_test.cpp.
#include <doctest/doctest.h>

#include "auth/passive_auth_leniency_fixture.h"

using namespace idtap;
using namespace idtap::auth;
using namespace idtap::testing;
using crypto::HashAlg;
using namespace idtap::testing::leniency;

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
  const lds::CmsSigner signer{.private_key_pkcs8 = pkcs8(ds_key.get()), .certificate = cert_der(ds.get())};
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
