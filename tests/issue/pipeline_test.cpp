// The issuance pipeline over the simulated card: read -> rules -> ledger -> credential.
#include "idtap/issue/pipeline.h"

#include <doctest/doctest.h>

#include "idtap/auth/trust_store.h"
#include "idtap/base/file_io.h"
#include "idtap/sim/sim_transport.h"
#include "issue_fixtures.h"
#include "reader/read_requests.h"
#include "support/test_card.h"

using namespace idtap;
using namespace idtap::issue;
using namespace idtap::issue::testing;

// Card: a personalized simulated card and a trust store holding its CSCA.
using Card = test::TrustedTestCard;

TEST_CASE("read_holder: a genuine card gives its holder; a tampered one is refused with its verdict") {
  {
    Card card(test::test_card_personalization());
    auto t = card.open();
    reader::Verification verdict;
    auto h = read_holder(*t, test::can_request(&card.trust), &verdict);
    REQUIRE_MESSAGE(h.ok(), h.error().message());
    CHECK(h->genuine);
    CHECK(h->evidence == Evidence::kChip);
    CHECK(h->family_name == "HONG");
    CHECK(h->masked_resident_number() == "900101-1******");
    CHECK_FALSE(h->portrait_jpeg.empty());
  }
  {
    test::TestCardOptions o;
    o.tamper_dg = 11;  // DG11 changed after EF.SOD was signed: passive authentication fails
    Card card(test::test_card_personalization(o));
    auto t = card.open();
    reader::Verification verdict;
    auto h = read_holder(*t, test::can_request(&card.trust), &verdict);
    REQUIRE_FALSE(h.ok());
    CHECK(h.error().code == ErrorCode::kVerificationFailed);
    CHECK(h.error().context.find("not read as genuine") != std::string::npos);
    CHECK_FALSE(verdict.genuine);
  }
  {
    // no trust anchor: never genuine
    Card card(test::test_card_personalization());
    auto t = card.open();
    auto h = read_holder(*t, test::can_request(nullptr));
    REQUIRE_FALSE(h.ok());
    CHECK(h.error().code == ErrorCode::kVerificationFailed);
  }
}

TEST_CASE("the pipeline from card to phone: a card read, a file credential, then an offer for a new phone") {
  Desk desk;
  Card card(test::test_card_personalization());
  auto t = card.open();
  auto holder = read_holder(*t, test::can_request(&card.trust)).value();
  const UnixSeconds now = now_seconds();
  // `idtap provision`: a file, a challenge-signed proof
  auto phone = EcPrivateKey::generate().value();
  FileIssue file;
  file.holder = &holder;
  file.device_key = phone.public_key();
  file.proof.challenge = desk.ledger->new_challenge(now).value();
  file.proof.signature = sign_possession(phone, file.proof.challenge).value();
  file.now = now;
  file.path = desk.dir.file("phone.mdoc");
  auto issued = desk.pipeline->issue_to_file(file);
  REQUIRE_MESSAGE(issued.ok(), issued.error().message());
  CHECK(read_file(file.path).value() == issued->issuer_signed);
  // a replayed proof is refused (the ledger's challenge rule, unchanged)
  file.path = desk.dir.file("again.mdoc");
  CHECK(desk.pipeline->issue_to_file(file).error().code == ErrorCode::kRefused);

  // `idtap provision offer`: the same holder, a new phone through an offer
  auto offer = desk.pipeline->create_offer({&holder, now});
  REQUIRE_MESSAGE(offer.ok(), offer.error().message());
  auto redeemed = desk.pipeline->redeem_offer(offer->pre_authorized_code, offer->tx_code, now).value();
  auto new_phone = EcPrivateKey::generate().value();
  auto by_offer = desk.pipeline->issue_offer(redeemed.offer_id, new_phone.public_key(), now + 1);
  REQUIRE_MESSAGE(by_offer.ok(), by_offer.error().message());
  REQUIRE(by_offer->revoked.size() == 1);
  CHECK(by_offer->revoked[0] == issued->credential_id);  // the first phone, revoked in that transaction
  auto v = desk.verify(by_offer->issuer_signed, now + 1);
  REQUIRE_MESSAGE(v.ok(), v.error().message());
  CHECK(v->mso.device_key == new_phone.public_key());
}

TEST_CASE("a 16-year-old's card is refused at the desk") {
  sim::PersonalizeOptions o = test::test_card_personalization();
  const Date today = date_of(now_seconds());
  o.holder.date_of_birth = Date{today.year - 16, 1, 1};
  char rrn[32];
  std::snprintf(rrn, sizeof rrn, "%02d0101-3234567", (today.year - 16) % 100);
  o.holder.personal_number = lds::PersonalNumber{rrn};
  Card card(o);
  auto t = card.open();
  auto holder = read_holder(*t, test::can_request(&card.trust));
  REQUIRE_MESSAGE(holder.ok(), holder.error().message());
  Desk desk;
  auto offer = desk.pipeline->create_offer({&*holder, now_seconds()});
  REQUIRE_FALSE(offer.ok());
  CHECK(offer.error().code == ErrorCode::kRefused);
  CHECK(offer.error().context.find("under 17") != std::string::npos);
}

TEST_CASE("Pipeline::open loads the issuer and refuses one whose certificate would not cover the credential") {
  Desk desk;
  REQUIRE(write_file_atomic(desk.dir.file("issuer.key"), bytes_of(string_of(desk.pki.ds_key.to_pem().value())), 0600).ok());
  REQUIRE(write_file_atomic(desk.dir.file("issuer.pem"), bytes_of(desk.pki.ds.to_pem() + desk.pki.ca.to_pem()), 0600).ok());
  PipelineConfig config;
  config.issuer = IssuerFiles{desk.dir.file("issuer.key"), desk.dir.file("issuer.pem"), ""};
  auto ok = Pipeline::open(*desk.ledger, config, fixture_now());
  REQUIRE_MESSAGE(ok.ok(), ok.error().message());
  CHECK(ok->credential_configuration_id() == kResidentIdDocType);
  // the test DS certificate ends on 2040-01-01: a credential issued in 2038 would outlive it
  auto late = Pipeline::open(*desk.ledger, config, start_of_day(Date{2038, 1, 1}));
  REQUIRE_FALSE(late.ok());
  CHECK(late.error().code == ErrorCode::kRefused);
  // a key file that is not there
  config.issuer.key_path = desk.dir.file("none.key");
  CHECK_FALSE(Pipeline::open(*desk.ledger, config, fixture_now()).ok());
}
