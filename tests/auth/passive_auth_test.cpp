// Passive Authentication (ICAO 9303-11 §5.1): verify_sod + check_data_group over EF.SOD files
// built here with every digest the LDSSecurityObject may name and every Document Signer
// signature scheme, then the ways a document must fail, each with its reason.
#include "idtap/auth/passive_auth.h"

#include <doctest/doctest.h>

#include "auth/passive_auth_fixture.h"

using namespace idtap;
using namespace idtap::auth;
using namespace idtap::testing;
using crypto::HashAlg;
using lds::SignatureScheme;
using namespace idtap::testing::passive;

TEST_CASE("EF.SOD verifies with every LDSSecurityObject digest and every Document Signer scheme") {
  Pki pki;
  EvpKey rsa_key = make_rsa_key(2048);
  struct Row {
    const char* name;
    const char* curve;  // nullptr: the RSA key
    SodSpec sod;
    bool cert_pss;             // the CSCA signs the DS certificate with RSA-PSS
    const char* signature_oid;  // what the SignerInfo must name
  } rows[] = {
      // Older passports: SHA-1 throughout, RSA PKCS#1 v1.5 (OpenSSL writes rsaEncryption).
      {"SHA-1 LDSSecurityObject, RSA PKCS#1 v1.5 with SHA-1", nullptr,
       {HashAlg::kSha1, HashAlg::kSha1, SignatureScheme::kRsaPkcs1}, false, "1.2.840.113549.1.1.1"},
      {"SHA-224 LDSSecurityObject, ECDSA P-256 with SHA-224", "P-256",
       {HashAlg::kSha224, HashAlg::kSha224, SignatureScheme::kEcdsa}, false, "1.2.840.10045.4.3.1"},
      {"SHA-256 LDSSecurityObject, ECDSA P-256 with SHA-256", "P-256",
       {HashAlg::kSha256, HashAlg::kSha256, SignatureScheme::kEcdsa}, false, "1.2.840.10045.4.3.2"},
      {"SHA-256 LDSSecurityObject, ECDSA brainpoolP256r1 with SHA-256", "brainpoolP256r1",
       {HashAlg::kSha256, HashAlg::kSha256, SignatureScheme::kEcdsa}, false, "1.2.840.10045.4.3.2"},
      {"SHA-384 LDSSecurityObject, ECDSA brainpoolP384r1 with SHA-384", "brainpoolP384r1",
       {HashAlg::kSha384, HashAlg::kSha384, SignatureScheme::kEcdsa}, false, "1.2.840.10045.4.3.3"},
      {"SHA-512 LDSSecurityObject, ECDSA brainpoolP512r1 with SHA-512", "brainpoolP512r1",
       {HashAlg::kSha512, HashAlg::kSha512, SignatureScheme::kEcdsa}, false, "1.2.840.10045.4.3.4"},
      {"SHA-256 LDSSecurityObject, RSA PKCS#1 v1.5 with SHA-256", nullptr,
       {HashAlg::kSha256, HashAlg::kSha256, SignatureScheme::kRsaPkcs1}, false, "1.2.840.113549.1.1.1"},
      {"SHA-256 LDSSecurityObject, RSA-PSS with SHA-256, DS certificate signed with RSA-PSS", nullptr,
       {HashAlg::kSha256, HashAlg::kSha256, SignatureScheme::kRsaPss}, true, "1.2.840.113549.1.1.10"},
      {"SHA-512 LDSSecurityObject, RSA-PSS with SHA-512", nullptr,
       {HashAlg::kSha512, HashAlg::kSha512, SignatureScheme::kRsaPss}, false, "1.2.840.113549.1.1.10"},
      // The two digests need not agree: many states hash data groups with one, sign with another.
      {"SHA-1 LDSSecurityObject, ECDSA P-256 with SHA-256", "P-256",
       {HashAlg::kSha1, HashAlg::kSha256, SignatureScheme::kEcdsa}, false, "1.2.840.10045.4.3.2"},
      {"SHA-384 LDSSecurityObject, RSA PKCS#1 v1.5 with SHA-256", nullptr,
       {HashAlg::kSha384, HashAlg::kSha256, SignatureScheme::kRsaPkcs1}, false, "1.2.840.113549.1.1.1"},
  };
  long serial = 100;
  for (const auto& row : rows) {
    INFO(row.name);
    EvpKey key = row.curve ? make_ec_key(row.curve) : rsa_key;
    const std::string cn = std::string("DS ") + std::to_string(serial);
    Cert ds = pki.ds(CertSpec{.common_name = cn, .country = "UT", .serial = serial++, .pss = row.cert_pss}, key.get());
    const Bytes sod = make_sod(row.sod, key.get(), ds.get());

    // The SOD really is what the row says.
    lds::EfSod p = parsed(sod);
    REQUIRE(p.signed_data.signer_infos.size() == 1);
    CHECK(oid_text(p.signed_data.signer_infos[0].signature_algorithm.algorithm) == row.signature_oid);
    CHECK(p.signed_data.signer_infos[0].digest_algorithm.algorithm == lds::digest_oid(row.sod.cms_hash));
    CHECK(p.security_object.hash_alg() == row.sod.lso_hash);

    auto v = verify_sod(sod, PassiveOptions{.trust = &pki.trust});
    REQUIRE(v.ok());
    CHECK(v->status == PassiveStatus::kValid);
    CHECK(v->reason.empty());
    CHECK(v->signature_ok);
    REQUIRE(v->chain.has_value());
    CHECK(v->chain->anchor_subject.find(row.curve ? "CSCA UT EC" : "CSCA UT RSA") != std::string::npos);
    CHECK(v->signer_subject.find(cn) != std::string::npos);
    CHECK(v->hash == row.sod.lso_hash);
    CHECK(v->hashes.size() == data_groups().size());
    CHECK_FALSE(v->used_ber);

    for (const auto& [n, raw] : data_groups()) {
      CAPTURE(n);
      CHECK(check_data_group(*v, n, raw).value() == DataGroupCheck::kHashOk);
      Bytes tampered = raw;
      tampered.back() ^= 0x20;  // one bit of the file as read
      CHECK(check_data_group(*v, n, tampered).value() == DataGroupCheck::kHashMismatch);
      Bytes longer = raw;
      longer.push_back(0x00);  // a trailing byte the signer never hashed
      CHECK(check_data_group(*v, n, longer).value() == DataGroupCheck::kHashMismatch);
    }
    CHECK(check_data_group(*v, 3, Bytes{0x63, 0x00}).value() == DataGroupCheck::kNotSigned);

    // The same SOD with its signature altered, and with its signed content altered (one hash
    // byte of the LDSSecurityObject: the signed attributes' messageDigest no longer matches).
    auto bad_sig = verify_sod(flip_last_byte_of(sod, p.signed_data.signer_infos[0].signature), PassiveOptions{.trust = &pki.trust});
    REQUIRE(bad_sig.ok());
    CHECK(bad_sig->status == PassiveStatus::kInvalid);
    CHECK_FALSE(bad_sig->signature_ok);
    CHECK(bad_sig->reason.find("signature does not verify") != std::string::npos);
    auto bad_digest = verify_sod(flip_last_byte_of(sod, p.signed_data.econtent), PassiveOptions{.trust = &pki.trust});
    REQUIRE(bad_digest.ok());
    CHECK(bad_digest->status == PassiveStatus::kInvalid);
    CHECK_FALSE(bad_digest->signature_ok);
    CHECK(bad_digest->reason.find("messageDigest") != std::string::npos);
  }
}

TEST_CASE("EF.SOD that must not pass, each with its reason") {
  Pki pki;
  EvpKey ds_key = make_ec_key("P-256");
  auto ds = [&](CertSpec spec) {
    spec.country = "UT";
    return pki.ds(spec, ds_key.get());
  };
  Cert good = ds(CertSpec{.common_name = "DS good", .serial = 7});
  Cert expired = ds(CertSpec{.common_name = "DS expired", .serial = 8, .not_before = -400 * kDay, .not_after = -kDay});
  Cert future = ds(CertSpec{.common_name = "DS future", .serial = 9, .not_before = kDay, .not_after = 400 * kDay});
  Cert no_sign = ds(CertSpec{.common_name = "DS encipher only", .serial = 10, .key_usage = KU_KEY_ENCIPHERMENT});
  Cert revoked = ds(CertSpec{.common_name = "DS revoked", .serial = 11});
  const SodSpec spec;

  // A CSCA nobody loaded, and an impostor with the real CSCA's name but another key.
  EvpKey other_key = make_ec_key("P-256");
  Cert other_csca = make_cert(CertSpec{.common_name = "CSCA XX", .country = "XX", .ca = true}, other_key.get(), nullptr, other_key.get());
  Cert impostor = make_cert(CertSpec{.common_name = "CSCA UT EC", .country = "UT", .ca = true, .serial = 1}, other_key.get(), nullptr,
                            other_key.get());
  TrustStore wrong_csca;
  REQUIRE(wrong_csca.add_certificates(cert_der(other_csca.get()), "other").ok());
  TrustStore impostor_csca;
  REQUIRE(impostor_csca.add_certificates(cert_der(impostor.get()), "impostor").ok());

  // The real CSCA with its CRL revoking serial 11; with an out-of-date CRL; with a CRL in the
  // CSCA's name signed by someone else.
  TrustStore with_crl;
  REQUIRE(with_crl.add_certificates(cert_der(pki.csca_ec.get()), "csca").ok());
  REQUIRE(with_crl.add_crl(make_crl(pki.csca_ec.get(), pki.csca_ec_key.get(), {11}), "csca.crl").ok());
  TrustStore stale_crl;
  REQUIRE(stale_crl.add_certificates(cert_der(pki.csca_ec.get()), "csca").ok());
  REQUIRE(stale_crl.add_crl(make_crl(pki.csca_ec.get(), pki.csca_ec_key.get(), {}, false, -60), "stale.crl").ok());
  // A CRL in the CSCA's name signed with another key is refused when it is loaded (a set-up
  // error, said at once), so it never reaches a chain check.
  TrustStore forged_crl;
  REQUIRE(forged_crl.add_certificates(cert_der(pki.csca_ec.get()), "csca").ok());
  auto forged = forged_crl.add_crl(make_crl(pki.csca_ec.get(), other_key.get(), {}), "forged.crl");
  REQUIRE_FALSE(forged.ok());
  CHECK(forged.error().code == ErrorCode::kVerificationFailed);
  CHECK(forged.error().context.find("signed by none of the trusted CSCAs") != std::string::npos);
  CHECK(forged_crl.crl_count() == 0);
  // A CRL given before its CSCA is loaded is refused the same way (load the CSCAs first).
  TrustStore crl_first;
  CHECK_FALSE(crl_first.add_crl(make_crl(pki.csca_ec.get(), pki.csca_ec_key.get(), {}), "early.crl").ok());

  // A CSCA whose own validity ended: what it issued no longer chains.
  EvpKey old_key = make_ec_key("P-256");
  Cert old_csca = make_cert(CertSpec{.common_name = "CSCA UT old", .country = "UT", .ca = true, .serial = 3,
                                     .not_before = -4000 * kDay, .not_after = -kDay},
                            old_key.get(), nullptr, old_key.get());
  Cert ds_old = make_cert(CertSpec{.common_name = "DS under old CSCA", .country = "UT", .serial = 12, .not_before = -kDay},
                          ds_key.get(), old_csca.get(), old_key.get());
  TrustStore old_trust;
  REQUIRE(old_trust.add_certificates(cert_der(old_csca.get()), "old").ok());

  // An LDSSecurityObject naming MD5 (1.2.840.113549.2.5), which ICAO 9303 does not allow.
  lds::LdsSecurityObject md5_lso = lso_for(HashAlg::kSha256);
  md5_lso.hash_algorithm.algorithm = lds::oid_or_die("1.2.840.113549.2.5");
  for (auto& h : md5_lso.hashes) h.hash.resize(16);
  auto md5_sod = lds::create_ef_sod(md5_lso, signer_for(spec, ds_key.get(), good.get()));
  REQUIRE(md5_sod.ok());

  // A signer that signed id-SecurityObject content (BSI TR-03110, EF.CardSecurity), relabelled
  // as an LDSSecurityObject: eContentType is not signed, the contentType attribute is
  // (RFC 5652 §11.1).
  auto lso_der = lds::encode_lds_security_object(lso_for(HashAlg::kSha256));
  REQUIRE(lso_der.ok());
  auto as_security_object = lds::create_signed_data(lds::oid::kSecurityObject, *lso_der, signer_for(spec, ds_key.get(), good.get()));
  REQUIRE(as_security_object.ok());
  const Bytes relabelled = apdu::encode_tlv(0x77, relabel(*as_security_object, "2.23.136.1.1.1"));

  const Bytes good_sod = make_sod(spec, ds_key.get(), good.get());
  struct Row {
    const char* why;
    Bytes sod;
    const TrustStore* trust;
    PassiveStatus status;
    bool signature_ok;
    const char* reason;
  } rows[] = {
      // The baseline every other row departs from.
      {"a good SOD under the trusted CSCA", good_sod, &pki.trust, PassiveStatus::kValid, true, ""},
      // Wrong CSCA: the signature holds, nothing trusted issued the Document Signer.
      {"only an unrelated CSCA is trusted", good_sod, &wrong_csca, PassiveStatus::kNoTrustAnchor, true, "no trusted CSCA"},
      {"a CSCA with the right name but another key is trusted", good_sod, &impostor_csca, PassiveStatus::kNoTrustAnchor, true,
       "no trusted CSCA"},
      {"no trust store at all", good_sod, nullptr, PassiveStatus::kNoTrustAnchor, true, "no trust store"},
      // The Document Signer certificate itself.
      {"the DS certificate expired yesterday", make_sod(spec, ds_key.get(), expired.get()), &pki.trust, PassiveStatus::kInvalid, true,
       "certificate has expired"},
      {"the DS certificate is valid from tomorrow", make_sod(spec, ds_key.get(), future.get()), &pki.trust, PassiveStatus::kInvalid,
       true, "not yet valid"},
      {"the DS certificate's key usage lacks digitalSignature (ICAO 9303-12 §7.1.1)", make_sod(spec, ds_key.get(), no_sign.get()),
       &pki.trust, PassiveStatus::kInvalid, true, "digitalSignature"},
      {"the DS certificate is revoked by its CSCA's CRL", make_sod(spec, ds_key.get(), revoked.get()), &with_crl,
       PassiveStatus::kInvalid, true, "revoked"},
      {"the CRL consulted is out of date", good_sod, &stale_crl, PassiveStatus::kInvalid, true, "CRL has expired"},
      {"the CSCA itself expired", make_sod(spec, ds_key.get(), ds_old.get()), &old_trust, PassiveStatus::kInvalid, true, "expired"},
      // EF.SOD's own structure.
      {"the LDSSecurityObject names MD5", *md5_sod, &pki.trust, PassiveStatus::kInvalid, false, "unsupported hash algorithm"},
      {"the signed contentType attribute is not the LDSSecurityObject's", relabelled, &pki.trust, PassiveStatus::kInvalid, false,
       "contentType"},
  };
  for (const auto& row : rows) {
    INFO(row.why);
    auto v = verify_sod(row.sod, PassiveOptions{.trust = row.trust});
    REQUIRE(v.ok());
    CHECK(v->status == row.status);
    CHECK(v->signature_ok == row.signature_ok);
    CAPTURE(v->reason);
    CHECK(v->reason.find(row.reason) != std::string::npos);
    CHECK(v->chain.has_value() == (row.status == PassiveStatus::kValid));
    // Whatever the verdict, the data groups can still be reported: the hashes were read.
    if (row.signature_ok) CHECK(v->hashes.size() == data_groups().size());
  }

  // `when`: checked at a time the expired signer was valid, the same SOD passes; checked at a
  // time before the good signer's validity, it does not.
  auto then = verify_sod(make_sod(spec, ds_key.get(), expired.get()),
                         PassiveOptions{.trust = &pki.trust, .when = std::time(nullptr) - 100 * kDay});
  REQUIRE(then.ok());
  CHECK(then->status == PassiveStatus::kValid);
  auto before = verify_sod(good_sod, PassiveOptions{.trust = &pki.trust, .when = std::time(nullptr) - 2 * kDay});
  REQUIRE(before.ok());
  CHECK(before->status == PassiveStatus::kInvalid);

  // Files that are not EF.SOD at all are errors, not verdicts.
  struct Bad {
    Bytes file;
    const char* why;
  } bad[] = {
      {{}, "empty"},
      {Bytes{0x77, 0x00}, "an empty 77 wrapper"},
      {Bytes(good_sod.begin(), good_sod.end() - 1), "truncated by one byte"},
      {apdu::encode_tlv(0x6E, ByteView(good_sod).subspan(4)), "another file's tag"},
  };
  for (const auto& b : bad) {
    INFO(b.why);
    auto v = verify_sod(b.file);
    REQUIRE_FALSE(v.ok());
    CHECK(v.error().code == ErrorCode::kMalformed);
  }
}

TEST_CASE("a tampered data group fails its hash and EF.COM's extra data groups are unsigned") {
  Pki pki;
  EvpKey ds_key = make_ec_key("brainpoolP256r1");
  Cert ds = pki.ds(CertSpec{.common_name = "DS UT", .country = "UT", .serial = 5}, ds_key.get());
  auto v = verify_sod(make_sod(SodSpec{}, ds_key.get(), ds.get()), PassiveOptions{.trust = &pki.trust});
  REQUIRE(v.ok());
  REQUIRE(v->status == PassiveStatus::kValid);

  // EF.COM claims DG1, DG2, DG3, DG14; EF.SOD signs DG1, DG2, DG14. EF.COM is not signed
  // (ICAO 9303-10 §4.6.1): DG3 is reported as unsigned, never as verified.
  lds::EfCom com;
  com.tags = {0x61, 0x75, 0x63, 0x6E};
  auto com_bytes = lds::encode_ef_com(com);
  REQUIRE(com_bytes.ok());
  auto back = lds::parse_ef_com(*com_bytes);
  REQUIRE(back.ok());
  std::vector<int> unsigned_groups;
  for (int n : back->data_groups())
    if (check_data_group(*v, n, data_groups().count(n) ? data_groups().at(n) : Bytes{0x63, 0x00}).value() ==
        DataGroupCheck::kNotSigned)
      unsigned_groups.push_back(n);
  CHECK(unsigned_groups == std::vector<int>{3});

  // A data group swapped for another signed one (DG2's bytes offered as DG1) fails too: the
  // hash is bound to the number.
  CHECK(check_data_group(*v, 1, data_groups().at(2)).value() == DataGroupCheck::kHashMismatch);
  // Empty bytes (a file that read as nothing) never match.
  CHECK(check_data_group(*v, 1, Bytes{}).value() == DataGroupCheck::kHashMismatch);
  // That a mismatching data group is then never decoded is the read session's rule, tested
  // end to end in tests/reader/session_test.cpp ("a data group altered after signing ...").
}

TEST_CASE("an EF.SOD in BER (indefinite lengths) verifies and says so") {
  Pki pki;
  EvpKey ds_key = make_ec_key("P-256");
  Cert ds = pki.ds(CertSpec{.common_name = "DS BER", .country = "UT", .serial = 6}, ds_key.get());
  const Bytes sod = make_sod(SodSpec{}, ds_key.get(), ds.get());
  // 77 L { 30 L' {...} } -> 77 80 { 30 80 {...} 00 00 } 00 00
  apdu::TlvReader outer(sod);
  auto wrapper = outer.next();
  REQUIRE(wrapper.ok());
  apdu::TlvReader inner(wrapper->value);
  auto ci = inner.next();
  REQUIRE(ci.ok());
  Bytes ber = {0x77, 0x80, 0x30, 0x80};
  append(ber, ci->value);
  append(ber, Bytes{0x00, 0x00, 0x00, 0x00});
  auto v = verify_sod(ber, PassiveOptions{.trust = &pki.trust});
  REQUIRE(v.ok());
  CHECK(v->used_ber);
  CHECK(v->status == PassiveStatus::kValid);
  CHECK(check_data_group(*v, 2, data_groups().at(2)).value() == DataGroupCheck::kHashOk);

  // Deeper BER: SignedData and encapContentInfo indefinite, eContent chunked (X.690 §8.7.3):
  // the messageDigest covers the joined segments, so the signature still verifies.
  const Bytes deep = test::reencode_sod_ber(sod, {.signed_data = true, .encap_content_info = true, .econtent_chunk = 50});
  auto d = verify_sod(deep, PassiveOptions{.trust = &pki.trust});
  REQUIRE_MESSAGE(d.ok(), (d.ok() ? std::string() : d.error().message()));
  CHECK(d->used_ber);
  CHECK(d->status == PassiveStatus::kValid);
  CHECK(check_data_group(*d, 2, data_groups().at(2)).value() == DataGroupCheck::kHashOk);
  // A segment changed: the content no longer matches the signed messageDigest.
  Bytes altered = deep;
  const Bytes segment_start = {0x24, 0x80, 0x04, 50};
  auto at = std::search(altered.begin(), altered.end(), segment_start.begin(), segment_start.end());
  REQUIRE(at != altered.end());
  at[4 + 49] ^= 0x01;  // the first segment's last byte
  auto bad = verify_sod(altered, PassiveOptions{.trust = &pki.trust});
  REQUIRE(bad.ok());
  CHECK(bad->status == PassiveStatus::kInvalid);
  CHECK(bad->reason.find("messageDigest") != std::string::npos);
}


TEST_CASE("EF.CardSecurity gets the same signature, signed attribute and chain checks") {
  Pki pki;
  EvpKey key = make_ec_key("brainpoolP256r1");
  Cert signer = pki.ds(CertSpec{.common_name = "CardSecurity Signer", .country = "UT", .serial = 40}, key.get());
  lds::SecurityInfos infos;
  infos.pace.push_back(lds::PaceInfo{.protocol = lds::oid_or_die("0.4.0.127.0.7.2.2.4.2.2"), .version = 2, .parameter_id = 13});
  const lds::CmsSigner cms_signer = signer_for(SodSpec{}, key.get(), signer.get());
  auto file = lds::create_card_security(infos, cms_signer);
  REQUIRE(file.ok());
  auto good = verify_card_security(*file, PassiveOptions{.trust = &pki.trust});
  REQUIRE(good.ok());
  CHECK(good->status == PassiveStatus::kValid);
  CHECK(good->infos.pace.size() == 1);

  // SecurityInfos signed under another content type, relabelled id-SecurityObject.
  auto infos_der = lds::encode_security_infos(infos);
  REQUIRE(infos_der.ok());
  auto other = lds::create_signed_data(lds::oid::kLdsSecurityObject, *infos_der, cms_signer);
  REQUIRE(other.ok());
  auto relabelled = verify_card_security(relabel(*other, "0.4.0.127.0.7.3.2.1"), PassiveOptions{.trust = &pki.trust});
  REQUIRE(relabelled.ok());
  CHECK(relabelled->status == PassiveStatus::kInvalid);
  CHECK(relabelled->reason.find("contentType") != std::string::npos);

  // The signed SecurityInfos altered (the PACE parameter ID 13 -> 12): the messageDigest fails.
  auto parsed_cs = lds::parse_card_security(*file);
  REQUIRE(parsed_cs.ok());
  auto altered = verify_card_security(flip_last_byte_of(*file, parsed_cs->signed_data.econtent), PassiveOptions{.trust = &pki.trust});
  REQUIRE(altered.ok());
  CHECK(altered->infos.pace.at(0).parameter_id == 12);  // it parsed as altered
  CHECK(altered->status == PassiveStatus::kInvalid);
  CHECK(altered->reason.find("messageDigest") != std::string::npos);
}
