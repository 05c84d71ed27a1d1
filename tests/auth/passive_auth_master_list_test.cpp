// Trust for Passive Authentication from a CSCA master list (ICAO 9303-12 §9, CscaMasterList in
// a signed CMS): the certificates in order, malformed lists refused, relabelled content refused,
// and a DER CSCA whose name holds PEM armour text.
#include "idtap/auth/passive_auth.h"

#include <doctest/doctest.h>

#include "auth/passive_auth_fixture.h"

using namespace idtap;
using namespace idtap::auth;
using namespace idtap::testing;
using crypto::HashAlg;
using lds::SignatureScheme;
using namespace idtap::testing::passive;

TEST_CASE("trust from a CSCA master list instead of a directory") {
  Pki pki;
  EvpKey ds_key = make_ec_key("P-256");
  Cert ds = pki.ds(CertSpec{.common_name = "DS ML", .country = "UT", .serial = 30}, ds_key.get());
  const Bytes sod = make_sod(SodSpec{}, ds_key.get(), ds.get());

  // The master list signer is issued by the EC CSCA, which the list itself carries (ICAO
  // 9303-12 §8); a second state's CSCA rides along.
  EvpKey mls_key = make_ec_key("P-256");
  Cert mls = make_cert(CertSpec{.common_name = "Master List Signer UT", .country = "UT", .serial = 31}, mls_key.get(),
                       pki.csca_ec.get(), pki.csca_ec_key.get());
  EvpKey de_key = make_ec_key("brainpoolP256r1");
  Cert csca_de = make_cert(CertSpec{.common_name = "CSCA DE", .country = "DE", .ca = true}, de_key.get(), nullptr, de_key.get());
  const Bytes ml = make_master_list({csca_de.get(), pki.csca_ec.get()}, mls.get(), mls_key.get());

  TrustStore from_list;
  REQUIRE(from_list.add_master_list(ml, "UT.ml").ok());
  CHECK(from_list.anchor_count() == 2);
  auto v = verify_sod(sod, PassiveOptions{.trust = &from_list});
  REQUIRE(v.ok());
  CHECK(v->status == PassiveStatus::kValid);
  REQUIRE(v->chain.has_value());
  CHECK(v->chain->anchor_subject.find("CSCA UT EC") != std::string::npos);

  // A master list whose CMS signature was altered is refused and trusts nothing: the SOD then
  // has no trust anchor.
  Bytes broken = ml;
  broken[broken.size() - 2] ^= 0x01;  // inside the SignerInfo's signature, the last field
  TrustStore refused;
  auto st = refused.add_master_list(broken, "broken.ml");
  REQUIRE_FALSE(st.ok());
  CHECK(st.error().code == ErrorCode::kVerificationFailed);
  CHECK(refused.anchor_count() == 0);
  auto none = verify_sod(sod, PassiveOptions{.trust = &refused});
  REQUIRE(none.ok());
  CHECK(none->status == PassiveStatus::kNoTrustAnchor);

  // A list that does not carry the UT CSCA does not make the UT Document Signer trusted, even
  // though it is correctly signed (its signer chains to the DE CSCA it lists).
  EvpKey mls_de_key = make_ec_key("P-256");
  Cert mls_de = make_cert(CertSpec{.common_name = "Master List Signer DE", .country = "DE", .serial = 32}, mls_de_key.get(),
                          csca_de.get(), de_key.get());
  TrustStore de_only;
  REQUIRE(de_only.add_master_list(make_master_list({csca_de.get()}, mls_de.get(), mls_de_key.get()), "DE.ml").ok());
  auto foreign = verify_sod(sod, PassiveOptions{.trust = &de_only});
  REQUIRE(foreign.ok());
  CHECK(foreign->status == PassiveStatus::kNoTrustAnchor);
}

namespace {

Bytes der_tlv(uint8_t tag, const Bytes& value) { return apdu::encode_tlv(tag, value); }

// csca_master_list: CscaMasterList ::= SEQUENCE { version, certList SET OF Certificate }.
Bytes csca_master_list(const Bytes& version, const Bytes& set_content, const Bytes& extra_in_sequence = {}) {
  Bytes seq = der_tlv(0x02, version);
  append(seq, der_tlv(0x31, set_content));
  append(seq, extra_in_sequence);
  return der_tlv(0x30, seq);
}

}  // namespace

TEST_CASE("CscaMasterList content: the certificates in order, and malformed lists refused") {
  EvpKey k1 = make_ec_key("P-256");
  EvpKey k2 = make_ec_key("brainpoolP256r1");
  Cert c1 = make_cert(CertSpec{.common_name = "CSCA one", .ca = true}, k1.get(), nullptr, k1.get());
  Cert c2 = make_cert(CertSpec{.common_name = "CSCA two", .ca = true}, k2.get(), nullptr, k2.get());
  Bytes both = cert_der(c1.get());
  append(both, cert_der(c2.get()));

  auto good = parse_csca_master_list(csca_master_list({0x00}, both));
  REQUIRE(good.ok());
  REQUIRE(good->size() == 2);
  CHECK((*good)[0] == cert_der(c1.get()));
  CHECK((*good)[1] == cert_der(c2.get()));

  Bytes with_trailing = csca_master_list({0x00}, both);
  with_trailing.push_back(0x00);
  Bytes not_cert = der_tlv(0x30, der_tlv(0x02, {0x05}));
  struct Case {
    Bytes content;
    const char* why;
  } cases[] = {
      {{}, "empty"},
      {csca_master_list({0x01}, both), "version v1 does not exist (ICAO 9303-12 §8.1: v0)"},
      {csca_master_list({0x00, 0x00}, both), "version not minimally encoded"},
      {csca_master_list({0x00}, {}), "no certificate in the list"},
      {with_trailing, "a byte after the SEQUENCE"},
      {csca_master_list({0x00}, both, der_tlv(0x05, {})), "an element after certList"},
      {csca_master_list({0x00}, der_tlv(0x02, {0x01})), "an INTEGER where a certificate belongs"},
      {csca_master_list({0x00}, not_cert), "a SEQUENCE that is no certificate"},
      {der_tlv(0x30, der_tlv(0x31, both)), "the version is missing"},
      {Bytes(both.begin(), both.end() - 3), "a certificate cut short"},
  };
  for (const auto& c : cases) {
    INFO(c.why);
    auto r = parse_csca_master_list(c.content);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code == ErrorCode::kMalformed);
  }

  // A correctly signed master list whose content is malformed is refused and trusts nothing.
  EvpKey mls_key = make_ec_key("P-256");
  Cert mls = make_cert(CertSpec{.common_name = "MLS", .serial = 9}, mls_key.get(), c1.get(), k1.get());
  auto ci = lds::create_signed_data(lds::oid_or_die("2.23.136.1.1.2"), csca_master_list({0x01}, both),
                                    lds::CmsSigner{.private_key_pkcs8 = pkcs8(mls_key.get()), .certificate = cert_der(mls.get())});
  REQUIRE(ci.ok());
  TrustStore store;
  auto st = store.add_master_list(*ci, "v1.ml");
  REQUIRE_FALSE(st.ok());
  CHECK(st.error().code == ErrorCode::kMalformed);
  CHECK(store.anchor_count() == 0);
  // The same signer over a v0 list is accepted.
  auto v0 = lds::create_signed_data(lds::oid_or_die("2.23.136.1.1.2"), csca_master_list({0x00}, both),
                                    lds::CmsSigner{.private_key_pkcs8 = pkcs8(mls_key.get()), .certificate = cert_der(mls.get())});
  REQUIRE(v0.ok());
  REQUIRE(store.add_master_list(*v0, "v0.ml").ok());
  CHECK(store.anchor_count() == 2);
  // A list signed as another content type (an LDSSecurityObject), relabelled as a master list:
  // the signature verifies, but the signed contentType attribute gives it away.
  auto other = lds::create_signed_data(lds::oid::kLdsSecurityObject, csca_master_list({0x00}, both),
                                       lds::CmsSigner{.private_key_pkcs8 = pkcs8(mls_key.get()), .certificate = cert_der(mls.get())});
  REQUIRE(other.ok());
  TrustStore relabelled_store;
  auto relabelled = relabelled_store.add_master_list(relabel(*other, "2.23.136.1.1.2"), "relabelled.ml");
  REQUIRE_FALSE(relabelled.ok());
  CHECK(relabelled.error().code == ErrorCode::kVerificationFailed);
  CHECK(relabelled.error().context.find("contentType") != std::string::npos);
  CHECK(relabelled_store.anchor_count() == 0);
}

TEST_CASE("a DER CSCA certificate whose name holds PEM armour text loads as DER") {
  EvpKey key = make_ec_key("P-256");
  Cert csca = make_cert(CertSpec{.common_name = "-----BEGIN CERTIFICATE-----", .ca = true}, key.get(), nullptr, key.get());
  EvpKey ds_key = make_ec_key("P-256");
  Cert ds = make_cert(CertSpec{.common_name = "DS", .serial = 4}, ds_key.get(), csca.get(), key.get());
  TrustStore store;
  auto added = store.add_certificates(cert_der(csca.get()), "odd.der");
  if (!added.ok()) MESSAGE(added.error().message());
  REQUIRE(added.ok());
  CHECK(store.anchor_count() == 1);
  CHECK(store.verify_signer(cert_der(ds.get())).ok());
  // And PEM still loads as PEM.
  TrustStore pem;
  REQUIRE(pem.add_certificates(bytes_of(cert_pem(csca.get())), "odd.pem").ok());
  CHECK(pem.anchor_count() == 1);
}
