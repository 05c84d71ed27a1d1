// The issuer chain an mdoc carries in its COSE x5chain (ISO/IEC 18013-5 §9.1.2.4): the document
// signer and any intermediates up to, but not including, the root (IACA), which the verifier
// holds as its trust anchor. Found by the interoperability review (tests/interop): the
// issuer's chain file ends with the IACA, and the credential used to carry it.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "fixtures.h"
#include "idtap/provision/cbor.h"
#include "idtap/provision/cose.h"
#include "idtap/provision/keys.h"
#include "idtap/provision/mdoc.h"
#include "idtap/provision/signer.h"
#include "idtap/provision/status_list.h"

using namespace idtap;
using namespace idtap::provision;
using namespace idtap::provision::testing;

namespace {

// issue_with: an mdoc of the sample holder signed by `key` with `chain`; its x5chain and
// whether it verifies against `anchor` at the fixture's time.
struct Outcome {
  std::vector<Bytes> x5chain;
  bool verifies = false;
  std::string why;
};

Outcome issue_with(const EcPrivateKey& key, std::vector<Certificate> chain, const Certificate& anchor) {
  VerifiedHolder holder = sample_holder();
  EcPrivateKey device = EcPrivateKey::generate().value();
  MdocContent content;
  content.holder = &holder;
  content.device_key = device.public_key();
  const UnixSeconds now = fixture_now();
  content.validity = ValidityInfo{now, now, now + 365 * 86400, std::nullopt};
  SoftwareIssuer signer = SoftwareIssuer::create(EcPrivateKey::from_pem(key.to_pem().value()).value(), std::move(chain)).value();
  Bytes encoded = issue_mdoc(content, signer).value();
  Outcome out;
  out.x5chain = decode_issuer_signed(encoded).value().issuer_auth.x5chain;
  MdocVerifyOptions options;
  options.trusted_issuers = {anchor};
  options.now = now + 60;
  auto v = verify_mdoc(encoded, options);
  out.verifies = v.ok();
  if (!v.ok()) out.why = v.error().message();
  return out;
}

// sign_status_list_with: a status list token signed by `key` with `chain`; its x5chain (read
// back through the COSE parser) and whether it verifies against `anchor`.
Outcome sign_status_list_with(const EcPrivateKey& key, std::vector<Certificate> chain, const Certificate& anchor) {
  SoftwareIssuer signer = SoftwareIssuer::create(EcPrivateKey::from_pem(key.to_pem().value()).value(), std::move(chain)).value();
  const UnixSeconds now = fixture_now();
  auto list = StatusList::create(16, 1).value();
  Bytes cwt = sign_status_list_token(StatusListToken{"https://status.example.kr/lists/1", now, now + 3600, 600, list}, signer).value();
  ByteView body(cwt);
  REQUIRE(body[0] == 0xD2);  // tag 18, read here (status_list.cpp says why)
  cbor::Item item = cbor::decode(body.subspan(1)).value();
  Outcome out;
  out.x5chain = parse_cose_sign1(item.get()).value().x5chain;
  auto v = verify_status_list_token(cwt, {{anchor}, now + 60});
  out.verifies = v.ok();
  if (!v.ok()) out.why = v.error().message();
  return out;
}

}  // namespace

TEST_CASE("x5chain carries the document signer and intermediates, never the self-signed root") {
  const UnixSeconds from = start_of_day(Date{2020, 1, 1}), until = start_of_day(Date{2040, 1, 1});
  auto root_key = EcPrivateKey::generate().value();
  auto root = make_certificate({"x5chain IACA", "KR", from, until, true}, root_key.public_key(), root_key, nullptr).value();
  auto mid_key = EcPrivateKey::generate().value();
  auto mid = make_certificate({"x5chain intermediate", "KR", from, until, true}, mid_key.public_key(), root_key, &root).value();
  auto ds_key = EcPrivateKey::generate().value();
  auto ds = make_certificate({"x5chain DS", "KR", from, until, false}, ds_key.public_key(), root_key, &root).value();
  auto ds2_key = EcPrivateKey::generate().value();
  auto ds2 = make_certificate({"x5chain DS 2", "KR", from, until, false}, ds2_key.public_key(), mid_key, &mid).value();

  CHECK(root.is_self_signed());
  CHECK_FALSE(mid.is_self_signed());  // signed by the root, not by itself
  CHECK_FALSE(ds.is_self_signed());

  SUBCASE("DS and IACA in the chain file: only the DS is carried") {
    auto o = issue_with(ds_key, {ds, root}, root);
    REQUIRE(o.x5chain.size() == 1);
    CHECK(o.x5chain[0] == ds.der());
    CHECK_MESSAGE(o.verifies, o.why);
  }
  // The next two check what is carried only: make_certificate's CAs have pathLenConstraint 0,
  // as an IACA has (ISO/IEC 18013-5 Annex B.1.2), so this intermediate does not verify.
  SUBCASE("DS, intermediate and IACA: DS and intermediate are carried, in order") {
    auto o = issue_with(ds2_key, {ds2, mid, root}, root);
    REQUIRE(o.x5chain.size() == 2);
    CHECK(o.x5chain[0] == ds2.der());
    CHECK(o.x5chain[1] == mid.der());
  }
  SUBCASE("a chain without its root is carried whole") {
    auto o = issue_with(ds2_key, {ds2, mid}, root);
    REQUIRE(o.x5chain.size() == 2);
    CHECK(o.x5chain[1] == mid.der());
  }
  SUBCASE("a lone self-signed issuer certificate (the demo's) is the x5chain") {
    auto o = issue_with(root_key, {root}, root);
    REQUIRE(o.x5chain.size() == 1);
    CHECK(o.x5chain[0] == root.der());
    CHECK_MESSAGE(o.verifies, o.why);
  }
}

// The status list token (a CWT signed by the same issuer, draft-ietf-oauth-status-list) carries
// its chain the same way: the relying party that checks a credential's status holds the IACA.
TEST_CASE("the status list token's x5chain leaves the self-signed root out too") {
  const UnixSeconds from = start_of_day(Date{2020, 1, 1}), until = start_of_day(Date{2040, 1, 1});
  auto root_key = EcPrivateKey::generate().value();
  auto root = make_certificate({"status IACA", "KR", from, until, true}, root_key.public_key(), root_key, nullptr).value();
  auto ds_key = EcPrivateKey::generate().value();
  auto ds = make_certificate({"status DS", "KR", from, until, false}, ds_key.public_key(), root_key, &root).value();
  auto other_key = EcPrivateKey::generate().value();
  auto other = make_certificate({"other IACA", "KR", from, until, true}, other_key.public_key(), other_key, nullptr).value();

  SUBCASE("DS and IACA in the chain file: only the DS is carried, and it verifies under the IACA") {
    auto o = sign_status_list_with(ds_key, {ds, root}, root);
    REQUIRE(o.x5chain.size() == 1);
    CHECK(o.x5chain[0] == ds.der());
    CHECK_MESSAGE(o.verifies, o.why);
  }
  SUBCASE("the root left out is not trusted by itself: another IACA refuses the token") {
    auto o = sign_status_list_with(ds_key, {ds, root}, other);
    CHECK_FALSE(o.verifies);
  }
  SUBCASE("a DS alone is carried whole") {
    auto o = sign_status_list_with(ds_key, {ds}, root);
    REQUIRE(o.x5chain.size() == 1);
    CHECK(o.x5chain[0] == ds.der());
    CHECK_MESSAGE(o.verifies, o.why);
  }
  SUBCASE("a lone self-signed issuer certificate is the x5chain") {
    auto o = sign_status_list_with(root_key, {root}, root);
    REQUIRE(o.x5chain.size() == 1);
    CHECK(o.x5chain[0] == root.der());
    CHECK_MESSAGE(o.verifies, o.why);
  }
}

// SoftwareIssuer works its x5chain out once, from the certificates it parsed at creation: the
// same answer as x5chain_to_carry (which the default IssuerSigner::cose_x5chain gives).
TEST_CASE("SoftwareIssuer::cose_x5chain is x5chain_to_carry of its chain") {
  const UnixSeconds from = start_of_day(Date{2020, 1, 1}), until = start_of_day(Date{2040, 1, 1});
  auto root_key = EcPrivateKey::generate().value();
  auto root = make_certificate({"cached IACA", "KR", from, until, true}, root_key.public_key(), root_key, nullptr).value();
  auto ds_key = EcPrivateKey::generate().value();
  auto ds = make_certificate({"cached DS", "KR", from, until, false}, ds_key.public_key(), root_key, &root).value();
  struct Case {
    const char* what;
    const EcPrivateKey* key;
    std::vector<Certificate> chain;
    size_t carried;
  } cases[] = {
      {"DS and IACA: the DS", &ds_key, {ds, root}, 1},
      {"the DS alone", &ds_key, {ds}, 1},
      {"a lone self-signed certificate: itself", &root_key, {root}, 1},
  };
  for (const auto& c : cases) {
    CAPTURE(c.what);
    SoftwareIssuer signer = SoftwareIssuer::create(EcPrivateKey::from_pem(c.key->to_pem().value()).value(), c.chain).value();
    auto cached = signer.cose_x5chain();
    REQUIRE(cached.ok());
    CHECK(cached->size() == c.carried);
    CHECK(*cached == x5chain_to_carry(signer.certificate_chain()).value());
    CHECK(cached->front() == c.chain.front().der());
  }
  CHECK(x5chain_to_carry({}).error().code == ErrorCode::kInvalidArgument);  // no certificate at all
}
