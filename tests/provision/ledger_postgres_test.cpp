// tests/provision/ledger_postgres_test.cpp: what only the PostgreSQL backend has: how --ledger
// names it, the one ledger key every site must hold, and sites as separate connections. The
// rest of the ledger's behaviour is the backend-templated suite (LEDGER_BACKENDS).
#include <doctest/doctest.h>

#include <fstream>

#include "ledger_fixture.h"

using namespace idtap;
using namespace idtap::provision;
using namespace idtap::provision::testing;

TEST_CASE("a PostgreSQL ledger is named by a postgresql:// URI or a libpq keyword string") {
  PostgresBackend b;
  CHECK(Ledger::create(b.location(), b.options()).ok());  // the keyword string
  auto by_uri = Ledger::open(PostgresServer::instance().uri(b.db), b.options());
  REQUIRE_MESSAGE(by_uri.ok(), by_uri.error().message());
  CHECK(by_uri->status_uri() == fast_options().status_uri);
  // An empty database is not a ledger until `ledger init` makes it one.
  PostgresBackend empty;
  auto refused = Ledger::open(empty.location(), empty.options());
  REQUIRE_FALSE(refused.ok());
  CHECK(refused.error().context.find("is not an idtap ledger") != std::string::npos);
  // A server that is not there: libpq's reason, as a file error.
  // (ledger_connect_test.cpp: the wait for a server that comes up later.)
  LedgerOptions short_wait = b.options();
  short_wait.reconnect_timeout_ms = 300;
  auto nowhere = Ledger::open("host=127.0.0.1 port=1 dbname=x connect_timeout=2", short_wait);
  REQUIRE_FALSE(nowhere.ok());
  CHECK(nowhere.error().code == ErrorCode::kIo);
  CHECK_MESSAGE(nowhere.error().context.find("no PostgreSQL server at host 127.0.0.1 port 1 accepted the connection within 300 ms") !=
                    std::string::npos,
                nowhere.error().context);
  // Without a key file named: refused before connecting.
  LedgerOptions no_key = fast_options();
  CHECK(Ledger::open(b.location(), no_key).error().code == ErrorCode::kInvalidArgument);
}

TEST_CASE("a site whose ledger key is not the ledger's is refused at connect") {
  PostgresBackend b;
  TestIssuer pki = make_test_issuer();
  SoftwareIssuer signer = signer_of(pki);
  {
    Ledger ledger = Ledger::create(b.location(), b.options()).value();
    auto phone = EcPrivateKey::generate().value();
    VerifiedHolder holder = sample_holder();
    REQUIRE(ledger.issue(request_for(ledger, holder, phone, fixture_now()), signer).ok());
  }
  // Site B made its own key (another `ledger init` elsewhere) instead of installing the ledger's.
  TempDir site_b;
  LedgerOptions other = b.options();
  other.key_file = site_b.file("ledger.key");
  {
    std::ofstream(other.key_file) << std::string(64, 'a') << "\n";
  }
  REQUIRE(::chmod(other.key_file.c_str(), 0600) == 0);
  auto refused = Ledger::open(b.location(), other);
  REQUIRE_FALSE(refused.ok());
  CHECK(refused.error().code == ErrorCode::kRefused);
  CHECK_MESSAGE(refused.error().context.find("does not match the key check value of the ledger") != std::string::npos,
                refused.error().context);
  CHECK(b.count_rows("events") == 2);  // nothing written (the holder and the issuance before)
  // The ledger's own key, copied to site B, connects, and the holder keeps one credential.
  std::filesystem::copy_file(b.options().key_file, other.key_file, std::filesystem::copy_options::overwrite_existing);
  Ledger at_b = Ledger::open(b.location(), other).value();
  auto phone = EcPrivateKey::generate().value();
  VerifiedHolder holder = sample_holder();
  CHECK(at_b.issue(request_for(at_b, holder, phone, fixture_now() + 1), signer).value().revoked.size() == 1);
}

TEST_CASE("a card lost at one site suspends the credential another site issued (one shared ledger)") {
  PostgresBackend b;
  TestIssuer pki = make_test_issuer();
  SoftwareIssuer signer = signer_of(pki);
  { REQUIRE(Ledger::create(b.location(), b.options()).ok()); }
  Ledger site_a = Ledger::open(b.location(), b.options()).value();
  Ledger site_b = Ledger::open(b.location(), b.options()).value();
  auto phone = EcPrivateKey::generate().value();
  VerifiedHolder holder = sample_holder();
  auto issued_at_b = site_b.issue(request_for(site_b, holder, phone, fixture_now()), signer).value();
  auto suspended = site_a.report_card_lost(holder.card, fixture_now() + 60).value();
  CHECK(suspended == std::vector<std::string>{issued_at_b.credential_id});
  CHECK(site_b.credential(issued_at_b.credential_id)->state == CredentialState::kSuspended);
  CHECK(site_b.status_list()->get(issued_at_b.status_idx).value() == kStatusInvalid);
  CHECK(site_a.verify()->consistent());
}

TEST_CASE("serialization failures and deadlocks are retried inside the ledger, never shown to a clerk") {
  PostgresBackend b;
  TestIssuer pki = make_test_issuer();
  SoftwareIssuer signer = signer_of(pki);
  Ledger ledger = Ledger::create(b.location(), b.options()).value();
  auto phone = EcPrivateKey::generate().value();
  VerifiedHolder holder = sample_holder();
  auto c = ledger.issue(request_for(ledger, holder, phone, fixture_now()), signer).value();
  // An event insert fails with 40001, then 40P01, then succeeds (a sequence: not undone by the
  // rollback), as another session's conflicting transaction would make it fail.
  b.run_sql(
      "CREATE SEQUENCE injected_failures; "
      "CREATE FUNCTION inject_failure() RETURNS trigger LANGUAGE plpgsql AS $$ DECLARE n bigint := nextval('injected_failures'); "
      "BEGIN IF n = 1 THEN RAISE EXCEPTION 'injected serialization failure' USING ERRCODE = '40001'; END IF; "
      "IF n = 2 THEN RAISE EXCEPTION 'injected deadlock' USING ERRCODE = '40P01'; END IF; "
      "IF n > 100 THEN RAISE EXCEPTION 'injected, for ever' USING ERRCODE = '40001'; END IF; RETURN NEW; END $$; "
      "CREATE TRIGGER inject_failure BEFORE INSERT ON events FOR EACH ROW EXECUTE FUNCTION inject_failure();");
  auto suspended = ledger.suspend(c.credential_id, "phone_lost", fixture_now() + 1);
  REQUIRE_MESSAGE(suspended.ok(), suspended.error().message());
  CHECK(ledger.credential(c.credential_id)->state == CredentialState::kSuspended);
  CHECK(b.count_rows("events") == 3);  // the holder, the issuance and one suspension: the retries left nothing
  CHECK(b.query_text("SELECT last_value FROM injected_failures") == "3");
  // A conflict that never clears ends after a bounded number of attempts, as busy.
  b.run_sql("SELECT setval('injected_failures', 100)");
  auto resumed = ledger.resume(c.credential_id, fixture_now() + 2);
  REQUIRE_FALSE(resumed.ok());
  CHECK(resumed.error().code == ErrorCode::kBusy);
  CHECK(std::stoll(b.query_text("SELECT last_value FROM injected_failures")) == 109);  // 1 + 8 retries
  b.run_sql("DROP TRIGGER inject_failure ON events");
  CHECK(ledger.credential(c.credential_id)->state == CredentialState::kSuspended);
  CHECK(ledger.verify()->consistent());
}

// The writes an issuance does not wait for (DbStatement::run_deferred: the credential row, a
// revocation, the idempotency record, the events and the head) travel with the next statement
// that needs an answer. A failure of one is still the operation's failure, and nothing of the
// operation stays; in a batch it is the whole batch's (the writers' lock rules out every
// conflict these writes could meet, so one failing means the database is in trouble).
TEST_CASE("a write sent ahead without waiting that fails is its operation's failure, and leaves nothing") {
  PostgresBackend b;
  TestIssuer pki = make_test_issuer();
  SoftwareIssuer signer = signer_of(pki);
  Ledger ledger = Ledger::create(b.location(), b.options()).value();
  VerifiedHolder first = sample_holder("800101-1000001", Date{1980, 1, 1}, "M10000001");
  VerifiedHolder second = sample_holder("800101-1000002", Date{1980, 1, 1}, "M10000002");
  auto p1 = EcPrivateKey::generate().value(), p2 = EcPrivateKey::generate().value();
  REQUIRE(ledger.issue(request_for(ledger, first, p1, fixture_now()), signer).ok());
  const int64_t events = b.count_rows("events");
  b.run_sql(
      "CREATE FUNCTION refuse_credential() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
      "RAISE EXCEPTION 'injected: the disk is full' USING ERRCODE = '53100'; END $$; "
      "CREATE TRIGGER refuse_credential BEFORE INSERT ON credentials FOR EACH ROW EXECUTE FUNCTION refuse_credential();");
  auto one = ledger.issue(request_for(ledger, second, p2, fixture_now()), signer);
  REQUIRE_FALSE(one.ok());
  CHECK(one.error().message().find("the disk is full") != std::string::npos);
  std::vector<IssueRequest> batch{request_for(ledger, second, p2, fixture_now()),
                                  request_for(ledger, first, EcPrivateKey::generate().value(), fixture_now())};
  auto both = ledger.issue_batch(batch, signer);
  REQUIRE_FALSE(both.ok());
  CHECK(both.error().message().find("the disk is full") != std::string::npos);
  CHECK(b.count_rows("credentials") == 1);
  CHECK(b.count_rows("holders") == 1);
  CHECK(b.count_rows("events") == events);
  // The connection goes on once the cause is gone.
  b.run_sql("DROP TRIGGER refuse_credential ON credentials");
  auto later = ledger.issue(request_for(ledger, second, p2, fixture_now()), signer);
  REQUIRE_MESSAGE(later.ok(), later.error().message());
  CHECK(b.count_rows("credentials") == 2);
  CHECK(ledger.verify()->consistent());
}
