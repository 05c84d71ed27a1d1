// The offers' lifecycle in the ledger's HMAC event chain: offer_created, offer_redeemed,
// offer_killed, offer_expired, each written with its state change, none holding a secret, and an
// edited one caught by `Ledger::verify`.
#include <doctest/doctest.h>
#include <sqlite3.h>

#include <string>
#include <vector>

#include "idtap/issue/ledger_offer_backend.h"
#include "idtap/provision/pending_offers.h"
#include "issue_fixtures.h"

using namespace idtap;
using namespace idtap::issue;
using namespace idtap::issue::testing;

namespace {

struct EventRow {
  int64_t seq = 0;
  int64_t at = 0;
  std::string kind, credential_id, detail, site;
};

// events: the ledger's event rows, read with SQLite directly (as a second process would).
std::vector<EventRow> events(const std::string& db) {
  sqlite3* raw = nullptr;
  REQUIRE(sqlite3_open_v2(db.c_str(), &raw, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK);
  sqlite3_stmt* s = nullptr;
  REQUIRE(sqlite3_prepare_v2(raw, "SELECT seq, at, kind, credential_id, detail, site FROM events ORDER BY seq", -1, &s, nullptr) ==
          SQLITE_OK);
  std::vector<EventRow> out;
  auto text = [&](int c) {
    const unsigned char* t = sqlite3_column_text(s, c);
    return t ? std::string(reinterpret_cast<const char*>(t)) : std::string();
  };
  while (sqlite3_step(s) == SQLITE_ROW) out.push_back({sqlite3_column_int64(s, 0), sqlite3_column_int64(s, 1), text(2), text(3), text(4), text(5)});
  sqlite3_finalize(s);
  sqlite3_close(raw);
  return out;
}

std::vector<EventRow> of_kind(const std::vector<EventRow>& all, const std::string& kind) {
  std::vector<EventRow> out;
  for (const auto& e : all)
    if (e.kind == kind) out.push_back(e);
  return out;
}

// try_sql: runs `sql` on the file as another program would; whether it succeeded.
bool try_sql(const std::string& db, const std::string& sql) {
  sqlite3* raw = nullptr;
  REQUIRE(sqlite3_open(db.c_str(), &raw) == SQLITE_OK);
  char* err = nullptr;
  int rc = sqlite3_exec(raw, sql.c_str(), nullptr, nullptr, &err);
  if (rc != SQLITE_OK) MESSAGE(std::string(err ? err : "?"));
  sqlite3_free(err);
  sqlite3_close(raw);
  return rc == SQLITE_OK;
}
void run_sql(const std::string& db, const std::string& sql) { CHECK(try_sql(db, sql)); }

std::string wrong_code(const std::string& right) { return right == "000000" ? "000001" : "000000"; }

// no_secret: no event of the ledger holds the code, the tx_code or the resident number.
void check_no_secret(const std::string& db, const CreatedOffer& offer, const VerifiedHolder& h) {
  const std::string rrn(h.resident_registration_number.begin(), h.resident_registration_number.end());
  for (const auto& e : events(db)) {
    CAPTURE(e.kind);
    CAPTURE(e.detail);
    for (const std::string* field : {&e.detail, &e.credential_id, &e.site}) {
      CHECK(field->find(offer.pre_authorized_code) == std::string::npos);
      CHECK(field->find(offer.tx_code) == std::string::npos);
      CHECK(field->find(rrn) == std::string::npos);
    }
  }
}

bool consistent(Desk& desk) {
  auto report = desk.ledger->verify();
  REQUIRE_MESSAGE(report.ok(), report.error().message());
  for (const auto& f : report->findings) MESSAGE(f.what);
  return report->consistent();
}

}  // namespace

TEST_CASE("offer_created: the offer id, the evidence and the expiry, in the transaction that stores the offer") {
  Desk desk;
  const UnixSeconds now = fixture_now();
  VerifiedHolder holder = sample_holder();
  auto offer = desk.pipeline->create_offer({&holder, now, 300});
  REQUIRE_MESSAGE(offer.ok(), offer.error().message());
  auto created = of_kind(events(desk.db), "offer_created");
  REQUIRE(created.size() == 1);
  CHECK(created[0].at == now);
  CHECK(created[0].credential_id.empty());
  CHECK(created[0].detail == "offer " + offer->offer_id + " evidence chip expires " + std::to_string(now + 300));
  check_no_secret(desk.db, *offer, holder);
  CHECK(consistent(desk));

  SUBCASE("a refused offer (under 17) leaves no event") {
    VerifiedHolder young = sample_holder();
    young.birth_date = Date{date_of(now).year - 16, 1, 1};
    auto refused = desk.pipeline->create_offer({&young, now});
    REQUIRE_FALSE(refused.ok());
    CHECK(of_kind(events(desk.db), "offer_created").size() == 1);
  }
  SUBCASE("a clerk-attested offer records clerk:ID") {
    Desk attested_desk(/*allow_attested=*/true);
    VerifiedHolder attested = sample_holder();
    attested.genuine = false;
    attested.verdict_reason = "attested by clerk";
    attested.evidence = Evidence::kClerk;
    attested.clerk_id = "clerk-042";
    auto o = attested_desk.pipeline->create_offer({&attested, now});
    REQUIRE_MESSAGE(o.ok(), o.error().message());
    auto c = of_kind(events(attested_desk.db), "offer_created");
    REQUIRE(c.size() == 1);
    CHECK(c[0].detail.find(" evidence clerk:clerk-042 ") != std::string::npos);
  }
}

TEST_CASE("offer_redeemed: once, with the redemption; a wrong tx_code alone writes no event") {
  Desk desk;
  const UnixSeconds now = fixture_now();
  VerifiedHolder holder = sample_holder();
  auto offer = desk.pipeline->create_offer({&holder, now}).value();
  LedgerOfferBackend backend(*desk.pipeline);
  REQUIRE_FALSE(backend.redeem(offer.pre_authorized_code, wrong_code(offer.tx_code), now + 5).ok());
  CHECK(of_kind(events(desk.db), "offer_redeemed").empty());
  CHECK(of_kind(events(desk.db), "offer_killed").empty());
  auto redeemed = backend.redeem(offer.pre_authorized_code, offer.tx_code, now + 10);
  REQUIRE_MESSAGE(redeemed.ok(), redeemed.error().message());
  REQUIRE_FALSE(backend.redeem(offer.pre_authorized_code, offer.tx_code, now + 11).ok());  // once
  auto r = of_kind(events(desk.db), "offer_redeemed");
  REQUIRE(r.size() == 1);
  CHECK(r[0].at == now + 10);
  CHECK(r[0].detail == "offer " + offer.offer_id);
  // the issuance that follows is the credential's own 'issued' event, after the redemption
  auto phone = EcPrivateKey::generate().value();
  auto credential = backend.issue(*redeemed, point_of(phone), now + 20);
  REQUIRE_MESSAGE(credential.ok(), credential.error().message());
  auto issued = of_kind(events(desk.db), "issued");
  REQUIRE(issued.size() == 1);
  CHECK(issued[0].seq > r[0].seq);
  check_no_secret(desk.db, offer, holder);
  CHECK(consistent(desk));
}

TEST_CASE("offer_killed: the fifth wrong tx_code, in the transaction that voids the offer") {
  Desk desk;
  const UnixSeconds now = fixture_now();
  VerifiedHolder holder = sample_holder();
  auto offer = desk.pipeline->create_offer({&holder, now}).value();
  for (int i = 0; i < kMaxTxCodeAttempts; ++i) {
    CAPTURE(i);
    CHECK(of_kind(events(desk.db), "offer_killed").empty());
    REQUIRE_FALSE(desk.pipeline->redeem_offer(offer.pre_authorized_code, wrong_code(offer.tx_code), now + i).ok());
  }
  auto k = of_kind(events(desk.db), "offer_killed");
  REQUIRE(k.size() == 1);
  CHECK(k[0].detail == "offer " + offer.offer_id + " after 5 wrong transaction codes");
  // the right code afterwards changes nothing and writes nothing
  REQUIRE_FALSE(desk.pipeline->redeem_offer(offer.pre_authorized_code, offer.tx_code, now + 10).ok());
  CHECK(of_kind(events(desk.db), "offer_redeemed").empty());
  // a killed offer swept later does not also 'expire'
  PendingOffers offers(*desk.ledger);
  CHECK(offers.sweep(now + kOfferDefaultTtlSeconds + 1).value() == 1);
  CHECK(of_kind(events(desk.db), "offer_expired").empty());
  check_no_secret(desk.db, offer, holder);
  CHECK(consistent(desk));
}

TEST_CASE("offer_expired: a pending or a redeemed-but-never-issued offer swept; an issued one goes silently") {
  Desk desk;
  const UnixSeconds now = fixture_now();
  VerifiedHolder holder = sample_holder();
  auto pending = desk.pipeline->create_offer({&holder, now, 60}).value();
  auto redeemed_only = desk.pipeline->create_offer({&holder, now, 60}).value();
  auto issued = desk.pipeline->create_offer({&holder, now, 60}).value();
  REQUIRE(desk.pipeline->redeem_offer(redeemed_only.pre_authorized_code, redeemed_only.tx_code, now + 1).ok());
  auto r = desk.pipeline->redeem_offer(issued.pre_authorized_code, issued.tx_code, now + 1).value();
  auto phone = EcPrivateKey::generate().value();
  REQUIRE(desk.pipeline->issue_offer(r.offer_id, phone.public_key(), now + 2).ok());

  PendingOffers offers(*desk.ledger);
  CHECK(offers.sweep(now + 59).value() == 0);
  CHECK(of_kind(events(desk.db), "offer_expired").empty());
  CHECK(offers.sweep(now + 60).value() == 1);  // the pending one (ttl 60)
  auto e = of_kind(events(desk.db), "offer_expired");
  REQUIRE(e.size() == 1);
  CHECK(e[0].at == now + 60);
  CHECK(e[0].detail == "offer " + pending.offer_id + " unused (pending)");
  // past the issue window: the redeemed one expires with an event, the issued one without
  CHECK(offers.sweep(now + 1 + kIssueWindowSeconds).value() == 2);
  e = of_kind(events(desk.db), "offer_expired");
  REQUIRE(e.size() == 2);
  CHECK(e[1].detail == "offer " + redeemed_only.offer_id + " unused (redeemed)");
  // an expiry found by a redemption attempt is recorded too, in that transaction
  auto late = desk.pipeline->create_offer({&holder, now + 1000, 30}).value();
  REQUIRE_FALSE(desk.pipeline->redeem_offer(late.pre_authorized_code, late.tx_code, now + 1030).ok());
  e = of_kind(events(desk.db), "offer_expired");
  REQUIRE(e.size() == 3);
  CHECK(e[2].detail == "offer " + late.offer_id + " unused (pending)");
  CHECK(consistent(desk));
}

TEST_CASE("the chain catches an edited, a deleted or a forged offer event") {
  Desk desk;
  const UnixSeconds now = fixture_now();
  VerifiedHolder holder = sample_holder();
  auto offer = desk.pipeline->create_offer({&holder, now}).value();
  REQUIRE(desk.pipeline->redeem_offer(offer.pre_authorized_code, offer.tx_code, now + 1).ok());
  REQUIRE(consistent(desk));
  // The triggers refuse an edit through SQL; someone with the file drops them first.
  CHECK_FALSE(try_sql(desk.db, "UPDATE events SET detail = 'x' WHERE kind = 'offer_created'"));
  run_sql(desk.db, "DROP TRIGGER events_append_only_update; DROP TRIGGER events_append_only_delete;");
  auto finds = [&](const std::string& needle) {
    auto report = desk.ledger->verify().value();
    CHECK_FALSE(report.consistent());
    bool found = false;
    for (const auto& f : report.findings) found = found || f.what.find(needle) != std::string::npos;
    return found;
  };
  SUBCASE("the expiry pushed out") {
    run_sql(desk.db, "UPDATE events SET detail = replace(detail, 'expires ', 'expires 9') WHERE kind = 'offer_created'");
    CHECK(finds("does not match the hash chain (edited)"));
  }
  SUBCASE("the evidence changed to a clerk") {
    run_sql(desk.db, "UPDATE events SET detail = replace(detail, 'evidence chip', 'evidence clerk:x') WHERE kind = 'offer_created'");
    CHECK(finds("does not match the hash chain (edited)"));
  }
  SUBCASE("the redemption's time moved") {
    run_sql(desk.db, "UPDATE events SET at = at + 3600 WHERE kind = 'offer_redeemed'");
    CHECK(finds("does not match the hash chain (edited)"));
  }
  SUBCASE("the redemption deleted (the last row)") {
    run_sql(desk.db, "DELETE FROM events WHERE kind = 'offer_redeemed'");
    CHECK(finds("is not the last row"));
  }
  SUBCASE("an offer event's kind renamed") {
    run_sql(desk.db, "UPDATE events SET kind = 'offer_killed' WHERE kind = 'offer_redeemed'");
    CHECK(finds("does not match the hash chain (edited)"));
  }
}
