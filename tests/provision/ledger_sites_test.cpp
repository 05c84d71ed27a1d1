// tests/provision/ledger_sites_test.cpp: sites (issue 16): the center or embassy each connection
// acts for is stored on the events it appends and the credentials it issues; a card reported lost
// at one site suspends what another site issued. On every backend.
#include <doctest/doctest.h>

#include "idtap/provision/ledger.h"
#include "ledger_fixture.h"

using namespace idtap;
using namespace idtap::provision;
using namespace idtap::provision::testing;

TEST_CASE_TEMPLATE("sites: recorded on events and credentials; a card lost at site A suspends site B's credential", B,
                   LEDGER_BACKENDS) {
  B backend;
  TestIssuer pki = make_test_issuer();
  SoftwareIssuer signer = signer_of(pki);
  { REQUIRE(Ledger::create(backend.location(), backend.options()).ok()); }
  LedgerOptions at_a = backend.options(), at_b = backend.options();
  at_a.site = "KR-SEOUL-JONGNO";
  at_b.site = "EMB-US-LA";  // a consulate
  Ledger site_a = Ledger::open(backend.location(), at_a).value();
  Ledger site_b = Ledger::open(backend.location(), at_b).value();
  CHECK(site_b.site() == "EMB-US-LA");

  auto phone = EcPrivateKey::generate().value();
  VerifiedHolder holder = sample_holder();
  auto issued = site_b.issue(request_for(site_b, holder, phone, fixture_now()), signer).value();
  CHECK(site_a.credential(issued.credential_id)->site == "EMB-US-LA");
  auto suspended = site_a.report_card_lost(holder.card, fixture_now() + 60).value();
  CHECK(suspended == std::vector<std::string>{issued.credential_id});
  CHECK(site_b.credential(issued.credential_id)->state == CredentialState::kSuspended);
  CHECK(site_b.status_list()->get(issued.status_idx).value() == kStatusInvalid);

  // Each event names the site that made it: issued at B; card_lost and suspended at A.
  CHECK(backend.query_text("SELECT site FROM events WHERE kind = 'issued'") == "EMB-US-LA");
  CHECK(backend.query_text("SELECT site FROM events WHERE kind = 'card_lost'") == "KR-SEOUL-JONGNO");
  CHECK(backend.query_text("SELECT site FROM events WHERE kind = 'suspended'") == "KR-SEOUL-JONGNO");
  CHECK(site_a.credentials_of_site("EMB-US-LA")->size() == 1);
  CHECK(site_a.credentials_of_site("KR-SEOUL-JONGNO")->empty());

  // The site is under the event chain's MAC: an edited site is found.
  CHECK(site_a.verify()->consistent());
  backend.drop_append_only_guards();
  backend.run_sql("UPDATE events SET site = 'KR-BUSAN' WHERE kind = 'issued'");
  auto report = site_a.verify().value();
  CHECK_FALSE(report.consistent());
  // The edited row breaks the chain; the credential's site differs from what the (edited) event says.
  REQUIRE(report.findings.size() == 2);
  CHECK(report.findings[0].what == "event log: row 2 does not match the hash chain (edited)");
  CHECK(report.findings[1].column == "site");

  // A site code that is not one is refused before anything is opened.
  LedgerOptions bad = backend.options();
  bad.site = "Seoul; DROP TABLE";
  auto refused = Ledger::open(backend.location(), bad);
  REQUIRE_FALSE(refused.ok());
  CHECK(refused.error().code == ErrorCode::kInvalidArgument);
}

TEST_CASE_TEMPLATE("site_report: issued, suspended and revoked per site and UTC day", B, LEDGER_BACKENDS) {
  B backend;
  TestIssuer pki = make_test_issuer();
  SoftwareIssuer signer = signer_of(pki);
  { REQUIRE(Ledger::create(backend.location(), backend.options()).ok()); }
  LedgerOptions at_a = backend.options(), at_b = backend.options();
  at_a.site = "KR-SEOUL-JONGNO";
  at_b.site = "EMB-US-LA";
  Ledger site_a = Ledger::open(backend.location(), at_a).value();
  Ledger site_b = Ledger::open(backend.location(), at_b).value();
  const UnixSeconds day0 = fixture_now() - fixture_now() % 86400;
  auto phone = EcPrivateKey::generate().value();
  VerifiedHolder holder = sample_holder();
  // Day 0: B issues twice to one holder (the second revokes the first, at B); A issues to another.
  REQUIRE(site_b.issue(request_for(site_b, holder, phone, day0 + 100), signer).ok());
  REQUIRE(site_b.issue(request_for(site_b, holder, phone, day0 + 200), signer).ok());
  auto phone2 = EcPrivateKey::generate().value();
  VerifiedHolder other = sample_holder("850101-2345678", Date{1985, 1, 1}, "M87654321");
  REQUIRE(site_a.issue(request_for(site_a, other, phone2, day0 + 300), signer).ok());
  // Day 1: A takes the loss report of B's holder's card: the suspension counts at A.
  REQUIRE(site_a.report_card_lost(holder.card, day0 + 86400 + 5).value().size() == 1);

  auto rows = site_a.site_report().value();
  REQUIRE(rows.size() == 3);
  CHECK(rows[0].site == "EMB-US-LA");
  CHECK(rows[0].day_start == day0);
  CHECK(rows[0].issued == 2);
  CHECK(rows[0].revoked == 1);
  CHECK(rows[0].suspended == 0);
  CHECK(rows[1].site == "KR-SEOUL-JONGNO");
  CHECK(rows[1].day_start == day0);
  CHECK(rows[1].issued == 1);
  CHECK(rows[2].site == "KR-SEOUL-JONGNO");
  CHECK(rows[2].day_start == day0 + 86400);
  CHECK(rows[2].issued == 0);
  CHECK(rows[2].suspended == 1);
}
