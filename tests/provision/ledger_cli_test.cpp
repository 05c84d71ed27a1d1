// tests/provision/ledger_cli_test.cpp: the ledger commands as a clerk runs them against a ledger
// another process holds: exit 11 ("busy") with a message that says so, not exit 4 (a reader or
// card problem) as before.
#include <sqlite3.h>

#include "cli_fixture.h"

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
