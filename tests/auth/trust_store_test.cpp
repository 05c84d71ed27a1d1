#include "idtap/auth/trust_store.h"

#include <doctest/doctest.h>
#include <openssl/x509v3.h>

#include "support/scratch_dir.h"
#include "support/test_pki.h"

using namespace idtap;
using namespace idtap::auth;
using namespace idtap::testing;

namespace {

struct Pki {
  EvpKey csca_key = make_ec_key("P-256");
  Cert csca = make_cert(CertSpec{.common_name = "CSCA KR", .ca = true, .serial = 1, .not_before = -1000L * 86400, .not_after = 3650L * 86400}, csca_key.get(), nullptr, csca_key.get());
  EvpKey ds_key = make_ec_key("P-256");
  Cert ds = make_cert(CertSpec{.common_name = "DS KR", .serial = 7}, ds_key.get(), csca.get(), csca_key.get());
};

}  // namespace

TEST_CASE("a Document Signer chains to a CSCA loaded from a directory of PEM and DER files") {
  Pki pki;
  test::ScratchDir dir("trust");
  write_file(dir.path() + "/csca.pem", cert_pem(pki.csca.get()));
  write_file(dir.path() + "/notes.txt", std::string("ignored: not a certificate extension"));
  TrustStore store;
  REQUIRE(store.add_path(dir.path()).ok());
  CHECK(store.anchor_count() == 1);
  auto verdict = store.verify_signer(cert_der(pki.ds.get()));
  REQUIRE(verdict.ok());
  CHECK(verdict->signer_subject.find("DS KR") != std::string::npos);
  CHECK(verdict->anchor_subject.find("CSCA KR") != std::string::npos);
  CHECK_FALSE(verdict->crl_checked);

  TrustStore der_store;
  write_file(dir.path() + "/csca.der", cert_der(pki.csca.get()));
  REQUIRE(der_store.add_path(dir.path() + "/csca.der").ok());
  CHECK(der_store.verify_signer(cert_der(pki.ds.get())).ok());
}

TEST_CASE("document signers that must not verify") {
  Pki pki;
  EvpKey other_key = make_ec_key("P-256");
  Cert other_csca = make_cert(CertSpec{.common_name = "CSCA XX", .ca = true}, other_key.get(), nullptr, other_key.get());
  Cert expired = make_cert(CertSpec{.common_name = "DS expired", .serial = 8, .not_before = -400L * 86400, .not_after = -86400},
                           pki.ds_key.get(), pki.csca.get(), pki.csca_key.get());
  Cert future = make_cert(CertSpec{.common_name = "DS future", .serial = 9, .not_before = 86400, .not_after = 400L * 86400},
                          pki.ds_key.get(), pki.csca.get(), pki.csca_key.get());
  Cert no_sign = make_cert(CertSpec{.common_name = "DS no signing", .serial = 10, .key_usage = KU_KEY_ENCIPHERMENT},
                           pki.ds_key.get(), pki.csca.get(), pki.csca_key.get());
  Cert foreign = make_cert(CertSpec{.common_name = "DS foreign", .serial = 11}, pki.ds_key.get(), other_csca.get(), other_key.get());
  Cert no_key_usage = make_cert(CertSpec{.common_name = "DS without keyUsage", .serial = 12, .key_usage = 0}, pki.ds_key.get(),
                                pki.csca.get(), pki.csca_key.get());

  TrustStore store;
  REQUIRE(store.add_certificates(bytes_of(cert_pem(pki.csca.get())), "csca").ok());
  struct Case {
    Cert cert;
    ErrorCode code;
    const char* reason;
    const char* why;
  } cases[] = {
      {expired, ErrorCode::kVerificationFailed, "expired", "validity ended yesterday"},
      {future, ErrorCode::kVerificationFailed, "not yet valid", "validity starts tomorrow"},
      {no_sign, ErrorCode::kVerificationFailed, "digitalSignature", "key usage without digitalSignature"},
      {foreign, ErrorCode::kNoTrustAnchor, "no trusted CSCA", "issued by a CSCA we do not trust"},
      {no_key_usage, ErrorCode::kVerificationFailed, "no keyUsage", "no keyUsage at all (ICAO 9303-12 makes it mandatory)"},
  };
  for (const auto& c : cases) {
    INFO(std::string(c.why));
    auto r = store.verify_signer(cert_der(c.cert.get()));
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code == c.code);
    CHECK(r.error().context.find(c.reason) != std::string::npos);
  }
  CHECK(store.verify_signer(bytes_of("not a certificate")).error().code == ErrorCode::kMalformed);
  // Checked at a time when the expired signer was still valid, it passes.
  CHECK(store.verify_signer(cert_der(expired.get()), std::time(nullptr) - 100L * 86400).ok());
}

TEST_CASE("a CRL of the issuing CSCA revokes a document signer") {
  Pki pki;
  EvpKey key2 = make_ec_key("P-256");
  Cert ds2 = make_cert(CertSpec{.common_name = "DS two", .serial = 8}, key2.get(), pki.csca.get(), pki.csca_key.get());
  test::ScratchDir dir("trust");
  write_file(dir.path() + "/a-csca.pem", cert_pem(pki.csca.get()));
  write_file(dir.path() + "/b.crl", make_crl(pki.csca.get(), pki.csca_key.get(), {7}));
  TrustStore store;
  REQUIRE(store.add_path(dir.path()).ok());
  CHECK(store.crl_count() == 1);
  auto revoked = store.verify_signer(cert_der(pki.ds.get()));
  REQUIRE_FALSE(revoked.ok());
  CHECK(revoked.error().code == ErrorCode::kVerificationFailed);
  CHECK(revoked.error().context.find("revoked") != std::string::npos);
  auto fine = store.verify_signer(cert_der(ds2.get()));
  REQUIRE(fine.ok());
  CHECK(fine->crl_checked);

  // An out-of-date CRL is itself a failure, not a silent pass.
  TrustStore stale;
  REQUIRE(stale.add_certificates(bytes_of(cert_pem(pki.csca.get())), "csca").ok());
  REQUIRE(stale.add_crl(make_crl(pki.csca.get(), pki.csca_key.get(), {}, true, -60), "stale.crl").ok());
  auto r = stale.verify_signer(cert_der(ds2.get()));
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().context.find("CRL has expired") != std::string::npos);
}

TEST_CASE("a CSCA master list is verified and its CSCAs trusted") {
  Pki pki;
  EvpKey other_key = make_ec_key("P-256");
  Cert other_csca = make_cert(CertSpec{.common_name = "CSCA DE", .country = "DE", .ca = true}, other_key.get(), nullptr, other_key.get());
  EvpKey mls_key = make_ec_key("P-256");
  Cert mls = make_cert(CertSpec{.common_name = "Master List Signer", .serial = 3}, mls_key.get(), pki.csca.get(), pki.csca_key.get());
  Bytes ml = make_master_list({pki.csca.get(), other_csca.get()}, mls.get(), mls_key.get());

  test::ScratchDir dir("trust");
  write_file(dir.path() + "/list.ml", ml);
  TrustStore store;
  REQUIRE(store.add_path(dir.path() + "/list.ml").ok());
  CHECK(store.anchor_count() == 2);
  CHECK(store.verify_signer(cert_der(pki.ds.get())).ok());

  // Detected without the .ml extension too.
  write_file(dir.path() + "/list.bin", ml);
  TrustStore by_content;
  REQUIRE(by_content.add_path(dir.path() + "/list.bin").ok());
  CHECK(by_content.anchor_count() == 2);

  SUBCASE("an end-entity certificate in the list does not become a trust anchor") {
    Bytes with_ds = make_master_list({pki.csca.get(), pki.ds.get()}, mls.get(), mls_key.get());
    TrustStore s;
    REQUIRE(s.add_master_list(with_ds, "with-ds.ml").ok());
    CHECK(s.anchor_count() == 1);
    REQUIRE(s.skipped().size() == 1);
    CHECK(s.skipped()[0].find("DS KR") != std::string::npos);
    // A list of nothing but end-entity certificates trusts nothing: an error, not an empty load.
    TrustStore none;
    auto only_ds = none.add_master_list(make_master_list({pki.ds.get()}, mls.get(), mls_key.get()), "only-ds.ml");
    REQUIRE_FALSE(only_ds.ok());
    CHECK(only_ds.error().code == ErrorCode::kMalformed);
    CHECK(none.anchor_count() == 0);
  }
  SUBCASE("a master list whose signer no listed CSCA issued is refused") {
    Bytes rogue = make_master_list({other_csca.get()}, mls.get(), mls_key.get());
    TrustStore s;
    auto st = s.add_master_list(rogue, "rogue.ml");
    REQUIRE_FALSE(st.ok());
    CHECK(st.error().code == ErrorCode::kVerificationFailed);
    CHECK(s.anchor_count() == 0);  // nothing trusted from a refused list
  }
  SUBCASE("a tampered master list is refused") {
    Bytes tampered = ml;
    // Flip a byte inside the second certificate's body (well inside the list content).
    tampered[tampered.size() / 2] ^= 0x01;
    TrustStore s;
    auto st = s.add_master_list(tampered, "tampered.ml");
    REQUIRE_FALSE(st.ok());
    CHECK(s.anchor_count() == 0);
  }
}

TEST_CASE("link certificates and RSA-PSS signers") {
  Pki pki;
  // A new CSCA key, certified by the old one through a link certificate.
  EvpKey new_key = make_ec_key("P-256");
  Cert link = make_cert(CertSpec{.common_name = "CSCA KR 2", .ca = true, .serial = 2}, new_key.get(), pki.csca.get(), pki.csca_key.get());
  Cert ds_new = make_cert(CertSpec{.common_name = "DS new", .serial = 20}, pki.ds_key.get(), link.get(), new_key.get());
  TrustStore store;
  REQUIRE(store.add_certificates(bytes_of(cert_pem(pki.csca.get()) + cert_pem(link.get())), "cscas.pem").ok());
  CHECK(store.anchor_count() == 2);
  CHECK(store.verify_signer(cert_der(ds_new.get())).ok());

  EvpKey rsa_csca_key = make_rsa_key(2048);
  Cert rsa_csca = make_cert(CertSpec{.common_name = "CSCA RSA", .ca = true, .pss = true}, rsa_csca_key.get(), nullptr, rsa_csca_key.get());
  EvpKey rsa_ds_key = make_rsa_key(2048);
  Cert rsa_ds = make_cert(CertSpec{.common_name = "DS RSA-PSS", .serial = 5, .pss = true}, rsa_ds_key.get(), rsa_csca.get(), rsa_csca_key.get());
  TrustStore rsa;
  REQUIRE(rsa.add_certificates(cert_der(rsa_csca.get()), "rsa.der").ok());
  CHECK(rsa.verify_signer(cert_der(rsa_ds.get())).ok());
}

TEST_CASE("bad trust inputs give typed errors") {
  test::ScratchDir dir("trust");
  write_file(dir.path() + "/junk.pem", std::string("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"));
  write_file(dir.path() + "/junk.der", Bytes{0x30, 0x03, 0x02, 0x01, 0x00});
  TrustStore store;
  struct Case {
    std::string path;
    ErrorCode code;
    const char* why;
  } cases[] = {
      {dir.path() + "/missing.pem", ErrorCode::kNotFound, "the file does not exist"},
      {dir.path() + "/junk.pem", ErrorCode::kMalformed, "PEM armour around garbage"},
      {dir.path() + "/junk.der", ErrorCode::kMalformed, "DER that is no certificate, CRL or master list"},
  };
  for (const auto& c : cases) {
    INFO(std::string(c.why));
    auto st = store.add_path(c.path);
    REQUIRE_FALSE(st.ok());
    CHECK(st.error().code == c.code);
  }
  CHECK(store.anchor_count() == 0);
  CHECK(store.verify_signer(Bytes{}).error().code == ErrorCode::kMalformed);
}

TEST_CASE("a trust directory takes its CSCAs and CRLs and passes over keys and Document Signers") {
  // What `idtap sim personalize` leaves in pki/: the CSCA, its key, the Document Signer and its
  // key, and a CRL; here the CSCA and the CRL share one PEM bundle.
  Pki pki;
  test::ScratchDir dir("trust");
  Bytes crl = make_crl(pki.csca.get(), pki.csca_key.get(), {7}, true);
  write_file(dir.path() + "/csca_bundle.pem", cert_pem(pki.csca.get()) + string_of(crl));
  write_file(dir.path() + "/csca_key.pem", key_pem(pki.csca_key.get()));
  write_file(dir.path() + "/ds_cert.pem", cert_pem(pki.ds.get()));
  write_file(dir.path() + "/ds_cert.der", cert_der(pki.ds.get()));
  TrustStore store;
  auto st = store.add_path(dir.path());
  if (!st.ok()) MESSAGE(st.error().message());
  REQUIRE(st.ok());
  CHECK(store.anchor_count() == 1);
  CHECK(store.crl_count() == 1);  // the CRL in the bundle is loaded with the certificate
  REQUIRE(store.skipped().size() == 3);
  int key_notes = 0, ds_notes = 0;
  for (const auto& note : store.skipped()) {
    INFO(note);
    if (note.find("csca_key.pem") != std::string::npos && note.find("no certificate") != std::string::npos) ++key_notes;
    if (note.find("ds_cert.") != std::string::npos && note.find("not a CA certificate") != std::string::npos) ++ds_notes;
  }
  CHECK(key_notes == 1);
  CHECK(ds_notes == 2);
  // The Document Signer did not become an anchor: it still chains to the CSCA, and the bundle's
  // CRL revokes it (serial 7).
  auto verdict = store.verify_signer(cert_der(pki.ds.get()));
  REQUIRE_FALSE(verdict.ok());
  CHECK(verdict.error().context.find("revoked") != std::string::npos);

  // Named on their own, the same files are errors.
  struct Case {
    std::string file;
    ErrorCode code;
    const char* why;
  } cases[] = {
      {"/csca_key.pem", ErrorCode::kMalformed, "a key, no certificate"},
      {"/ds_cert.pem", ErrorCode::kRefused, "a Document Signer (PEM) is not a CSCA"},
      {"/ds_cert.der", ErrorCode::kRefused, "a Document Signer (DER) is not a CSCA"},
  };
  for (const auto& c : cases) {
    INFO(c.why);
    TrustStore one;
    auto r = one.add_path(dir.path() + c.file);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code == c.code);
    CHECK(one.anchor_count() == 0);
  }
  // A bundle with a CSCA and a Document Signer is refused whole through add_certificates.
  TrustStore bundle;
  auto mixed = bundle.add_certificates(bytes_of(cert_pem(pki.csca.get()) + cert_pem(pki.ds.get())), "mixed.pem");
  REQUIRE_FALSE(mixed.ok());
  CHECK(mixed.error().code == ErrorCode::kRefused);
  CHECK(mixed.error().context.find("DS KR") != std::string::npos);
  CHECK(bundle.anchor_count() == 0);
}

TEST_CASE("a trust directory with nothing to load is an error, not an empty trust store") {
  Pki pki;
  test::ScratchDir dir("trust");
  write_file(dir.path() + "/notes.txt", std::string("not a certificate extension"));
  write_file(dir.path() + "/ds_key.pem", key_pem(pki.ds_key.get()));
  TrustStore store;
  auto st = store.add_path(dir.path());
  REQUIRE_FALSE(st.ok());
  CHECK(st.error().code == ErrorCode::kNotFound);
  CHECK(st.error().context.find("no CSCA certificate") != std::string::npos);
  test::ScratchDir empty("trust-empty");
  CHECK(TrustStore().add_path(empty.path()).error().code == ErrorCode::kNotFound);
}
