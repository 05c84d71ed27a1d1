// `Ledger::verify`'s cross-check of the offers table against the offers' chained events
// (lib/provision/ledger_verify_offers.cpp): the chain itself is intact in every case here; only
// an offers row is edited, as someone holding the database file could, and each contradiction
// is reported. An untouched ledger at every stage of an offer's life is clean.
#include <doctest/doctest.h>
#include <sqlite3.h>

#include <string>
#include <vector>

#include "idtap/provision/pending_offers.h"
#include "issue_fixtures.h"

using namespace idtap;
using namespace idtap::issue;
using namespace idtap::issue::testing;

namespace {

// run_sql: runs `sql` on the ledger file as another program would.
void run_sql(const std::string& db, const std::string& sql) {
  sqlite3* raw = nullptr;
  REQUIRE(sqlite3_open(db.c_str(), &raw) == SQLITE_OK);
  char* err = nullptr;
  const int rc = sqlite3_exec(raw, sql.c_str(), nullptr, nullptr, &err);
  if (rc != SQLITE_OK) MESSAGE(std::string(err ? err : "?"));
  sqlite3_free(err);
  sqlite3_close(raw);
  CHECK(rc == SQLITE_OK);
}

// findings: the verify report's findings, each printed when the test fails.
std::vector<std::string> findings(Desk& desk) {
  auto report = desk.ledger->verify();
  REQUIRE_MESSAGE(report.ok(), report.error().message());
  std::vector<std::string> out;
  for (const auto& f : report->findings) out.push_back(f.what);
  return out;
}

bool has(const std::vector<std::string>& all, const std::string& needle) {
  for (const auto& f : all)
    if (f.find(needle) != std::string::npos) return true;
  for (const auto& f : all) MESSAGE(f);
  return false;
}

}  // namespace

TEST_CASE("verify: offers rows that agree with their events are clean at every stage") {
  Desk desk;
  const UnixSeconds now = fixture_now();
  VerifiedHolder holder = sample_holder();
  auto pending = desk.pipeline->create_offer({&holder, now, 60}).value();
  auto killed = desk.pipeline->create_offer({&holder, now, 600}).value();
  auto issued = desk.pipeline->create_offer({&holder, now, 600}).value();
  auto redeemed = desk.pipeline->create_offer({&holder, now, 600}).value();
  const std::string wrong = killed.tx_code == "000000" ? "000001" : "000000";
  for (int i = 0; i < kMaxTxCodeAttempts; ++i) (void)desk.pipeline->redeem_offer(killed.pre_authorized_code, wrong, now + 1);
  (void)desk.pipeline->redeem_offer(issued.pre_authorized_code, wrong, now + 1);  // one wrong try, then right
  auto r = desk.pipeline->redeem_offer(issued.pre_authorized_code, issued.tx_code, now + 1).value();
  REQUIRE(desk.pipeline->redeem_offer(redeemed.pre_authorized_code, redeemed.tx_code, now + 1).ok());
  auto phone = EcPrivateKey::generate().value();
  REQUIRE(desk.pipeline->issue_offer(r.offer_id, phone.public_key(), now + 2).ok());
  CHECK(findings(desk).empty());
  // The sweep: the pending one expires (an event), then everything (issued and killed silently).
  PendingOffers offers(*desk.ledger);
  REQUIRE(offers.sweep(now + 60).value() == 1);
  CHECK(findings(desk).empty());
  REQUIRE(offers.sweep(now + 1 + kIssueWindowSeconds + 600).value() == 3);
  CHECK(findings(desk).empty());
}

TEST_CASE("verify: an offers row edited against its events is reported") {
  Desk desk;
  const UnixSeconds now = fixture_now();
  VerifiedHolder holder = sample_holder();
  auto offer = desk.pipeline->create_offer({&holder, now, 600}).value();
  auto other = desk.pipeline->create_offer({&holder, now, 600}).value();
  REQUIRE(findings(desk).empty());

  // Each case: the edit (a comment says what it would gain), and the finding it must produce.
  SUBCASE("a redeemed offer set back to pending: its code would be redeemed twice") {
    REQUIRE(desk.pipeline->redeem_offer(offer.pre_authorized_code, offer.tx_code, now + 1).ok());
    run_sql(desk.db, "UPDATE offers SET state = 'pending' WHERE id = '" + offer.offer_id + "'");
    CHECK(has(findings(desk), "offer " + offer.offer_id + " is 'pending' but its events say 'redeemed' (edited)"));
  }
  SUBCASE("a killed offer brought back: five more tx_code guesses") {
    const std::string wrong = offer.tx_code == "000000" ? "000001" : "000000";
    for (int i = 0; i < kMaxTxCodeAttempts; ++i) (void)desk.pipeline->redeem_offer(offer.pre_authorized_code, wrong, now + 1);
    run_sql(desk.db, "UPDATE offers SET state = 'pending', failed_attempts = 0 WHERE id = '" + offer.offer_id + "'");
    CHECK(has(findings(desk), "offer " + offer.offer_id + " is 'pending' but its events say 'killed' (edited)"));
  }
  SUBCASE("the failed attempts reset without the state: still reported when over the limit") {
    run_sql(desk.db, "UPDATE offers SET failed_attempts = 7 WHERE id = '" + offer.offer_id + "'");
    CHECK(has(findings(desk), "still 'pending' after 7 wrong transaction codes"));
  }
  SUBCASE("a pending offer marked issued without a credential") {
    run_sql(desk.db, "UPDATE offers SET state = 'issued', credential_id = 'feed' WHERE id = '" + offer.offer_id + "'");
    const auto f = findings(desk);
    CHECK(has(f, "offer " + offer.offer_id + " is 'issued' but its events say 'pending' (edited)"));
    CHECK(has(f, "names no recorded credential ('feed')"));
  }
  SUBCASE("an offer inserted outside idtap (a copy of another row under a new id)") {
    run_sql(desk.db, "INSERT INTO offers(id, code_tag, tx_code_tag, configuration_id, evidence, created_at, expires_at, state, "
                     "sealed_holder) SELECT 'ab' || id, x'00' || code_tag, tx_code_tag, configuration_id, evidence, created_at, "
                     "expires_at, state, sealed_holder FROM offers WHERE id = '" + other.offer_id + "'");
    CHECK(has(findings(desk), "offer ab" + other.offer_id + " (pending) has no 'offer_created' event"));
  }
  SUBCASE("a pending offer deleted without its offer_expired event") {
    run_sql(desk.db, "DELETE FROM offers WHERE id = '" + offer.offer_id + "'");
    CHECK(has(findings(desk), "offer " + offer.offer_id + " is pending by its events but has no row"));
  }
  SUBCASE("a swept offer put back") {
    PendingOffers offers(*desk.ledger);
    run_sql(desk.db, "CREATE TABLE saved AS SELECT * FROM offers WHERE id = '" + offer.offer_id + "'");
    REQUIRE(offers.sweep(now + 600).value() == 2);
    run_sql(desk.db, "INSERT INTO offers SELECT * FROM saved");
    CHECK(has(findings(desk), "offer " + offer.offer_id + " is 'pending' but its events say it expired and was deleted (put back)"));
  }
  SUBCASE("the evidence of a row changed (chip to a clerk)") {
    run_sql(desk.db, "UPDATE offers SET evidence = 'clerk:x' WHERE id = '" + offer.offer_id + "'");
    CHECK(has(findings(desk), "has evidence 'clerk:x' but its offer_created event says 'chip' (edited)"));
  }
  SUBCASE("a pending offer's expiry pushed out") {
    run_sql(desk.db, "UPDATE offers SET expires_at = expires_at + 86400 WHERE id = '" + offer.offer_id + "'");
    CHECK(has(findings(desk), "offer " + offer.offer_id + " expires at " + std::to_string(now + 600 + 86400) +
                                  " but its offer_created event says " + std::to_string(now + 600) + " (edited)"));
  }
  // The other offer was never touched: nothing is said of it.
  for (const auto& f : findings(desk)) {
    const bool about_other = f.find(other.offer_id) != std::string::npos && f.find("ab" + other.offer_id) == std::string::npos;
    CHECK_FALSE(about_other);
  }
}
