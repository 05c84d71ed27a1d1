// tests/provision/ledger_cli_test.cpp: the ledger commands as a clerk runs them against a ledger
// another process holds: exit 11 ("busy") with a message that says so, not exit 4 (a reader or
// card problem) as before.
#include <sqlite3.h>

#include "cli_fixture.h"
#include "ledger_fixture.h"

using namespace idtap;
using namespace idtap::provision;
using namespace idtap::provision::testing;
using namespace idtap::provision::testing::cli;

TEST_CASE("every ledger command exits 11 (busy) when another process holds the ledger's lock too long") {
  TempDir dir;
  const std::string db = dir.file("ledger.db");
  init_ledger(db);
  sqlite3* other = nullptr;
  REQUIRE(sqlite3_open(db.c_str(), &other) == SQLITE_OK);
  REQUIRE(sqlite3_exec(other, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr) == SQLITE_OK);
  const std::string env = "IDTAP_LEDGER_BUSY_TIMEOUT_MS=150 ";
  const std::string commands[] = {
      "provision challenge --ledger " + db,
      "credential revoke 00112233445566778899aabbccddeeff --ledger " + db,
      "card report-lost --ledger " + db + " --document-number M12345678 --unknown-ok",
      "ledger verify --ledger " + db,
  };
  for (const auto& command : commands) {
    CAPTURE(command);
    // Run through env(1): the variable for this one command.
    auto r = run_with_env(env, command);
    CHECK(r.rc == 11);
    CHECK_MESSAGE(contains(r.out, "the ledger is busy: another process held its lock longer than the busy timeout"), r.out);
  }
  sqlite3_exec(other, "ROLLBACK", nullptr, nullptr, nullptr);
  sqlite3_close(other);
  // Once the lock is free the same command works.
  CHECK(run_with_env(env, "card report-lost --ledger " + db + " --document-number M12345678 --unknown-ok").rc == 0);
}

TEST_CASE("idtap credential list --site: the credentials issued at one site; --site on a change records the acting site") {
  TempDir dir;
  const std::string db = dir.file("ledger.db");
  init_ledger(db);
  TestIssuer pki = make_test_issuer();
  SoftwareIssuer signer = signer_of(pki);
  std::string at_a;
  {
    LedgerOptions o;
    o.site = "KR-SEOUL-JONGNO";
    Ledger ledger = Ledger::open(db, o).value();
    auto phone = EcPrivateKey::generate().value();
    VerifiedHolder holder = sample_holder();
    at_a = ledger.issue(request_for(ledger, holder, phone, fixture_now()), signer).value().credential_id;
  }
  auto listed = run("credential list --ledger " + db + " --site KR-SEOUL-JONGNO --json");
  REQUIRE_MESSAGE(listed.rc == 0, listed.out);
  CHECK(contains(listed.out, at_a));
  CHECK(contains(listed.out, "\"site\":\"KR-SEOUL-JONGNO\""));
  auto other = run("credential list --ledger " + db + " --site EMB-US-LA");
  CHECK(other.rc == 0);
  CHECK(contains(other.out, "no credentials"));
  // A card reported lost at another site (an embassy) suspends it; the event names that site.
  auto lost = run("card report-lost --ledger " + db + " --document-number M12345678 --site EMB-US-LA");
  REQUIRE_MESSAGE(lost.rc == 0, lost.out);
  auto shown = run("credential show " + at_a + " --ledger " + db);
  CHECK(contains(shown.out, "suspended"));
  CHECK(contains(shown.out, "site:         KR-SEOUL-JONGNO"));
  sqlite3* raw = nullptr;
  REQUIRE(sqlite3_open(db.c_str(), &raw) == SQLITE_OK);
  sqlite3_stmt* s = nullptr;
  REQUIRE(sqlite3_prepare_v2(raw, "SELECT site FROM events WHERE kind = 'card_lost'", -1, &s, nullptr) == SQLITE_OK);
  REQUIRE(sqlite3_step(s) == SQLITE_ROW);
  CHECK(std::string(reinterpret_cast<const char*>(sqlite3_column_text(s, 0))) == "EMB-US-LA");
  sqlite3_finalize(s);
  sqlite3_close(raw);
  // Not a site code: a usage error.
  CHECK(run("credential list --ledger " + db + " --site 'a b'").rc == 2);
}

TEST_CASE("--busy-timeout and --ledger-key-file: flags for what was only the environment; ledger report --by-site") {
  TempDir dir;
  const std::string db = dir.file("ledger.db");
  init_ledger(db);
  // --busy-timeout, as IDTAP_LEDGER_BUSY_TIMEOUT_MS: a held lock is busy (exit 11) after it.
  sqlite3* other = nullptr;
  REQUIRE(sqlite3_open(db.c_str(), &other) == SQLITE_OK);
  REQUIRE(sqlite3_exec(other, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr) == SQLITE_OK);
  auto busy = run("card report-lost --ledger " + db + " --document-number M12345678 --unknown-ok --busy-timeout 150");
  CHECK(busy.rc == 11);
  sqlite3_exec(other, "ROLLBACK", nullptr, nullptr, nullptr);
  sqlite3_close(other);
  auto bad = run("ledger verify --ledger " + db + " --busy-timeout soon");
  CHECK(bad.rc == 2);
  CHECK_MESSAGE(contains(bad.out, "--busy-timeout must be milliseconds"), bad.out);
  CHECK(contains(run("ledger --help").out, "--ledger-key-file FILE"));

  // --ledger-key-file names the key of a PostgreSQL ledger (without it: refused).
  PostgresBackend pg;
  const std::string key = pg.options().key_file;
  auto init = run("ledger init --ledger '" + pg.location() + "' --status-uri https://status.example.kr/lists/1 --ledger-key-file " + key);
  REQUIRE_MESSAGE(init.rc == 0, init.out);
  CHECK(run("ledger verify --ledger '" + pg.location() + "'").rc == 2);
  {
    LedgerOptions o = pg.options();
    o.site = "KR-BUSAN";
    Ledger ledger = Ledger::open(pg.location(), o).value();
    TestIssuer pki = make_test_issuer();
    SoftwareIssuer signer = signer_of(pki);
    auto phone = EcPrivateKey::generate().value();
    VerifiedHolder holder = sample_holder();
    REQUIRE(ledger.issue(request_for(ledger, holder, phone, fixture_now()), signer).ok());
  }
  auto report = run("ledger report --by-site --ledger '" + pg.location() + "' --ledger-key-file " + key + " --json");
  REQUIRE_MESSAGE(report.rc == 0, report.out);
  CHECK_MESSAGE(contains(report.out, "\"site\":\"KR-BUSAN\""), report.out);
  CHECK(contains(report.out, "\"issued\":1"));
  auto table = run("ledger report --by-site --ledger '" + pg.location() + "' --ledger-key-file " + key);
  CHECK(table.rc == 0);
  CHECK_MESSAGE(contains(table.out, "KR-BUSAN"), table.out);
  CHECK(run("ledger report --ledger '" + pg.location() + "' --ledger-key-file " + key).rc == 2);  // which report?
}
