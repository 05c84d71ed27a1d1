// The console's clerks (clerks.h): scrypt-hashed passwords in the ledger, and their actions as
// chained events that `verify` accepts, on both backends.
#include "idtap/provision/clerks.h"

#include <doctest/doctest.h>

#include "ledger_fixture.h"

using namespace idtap;
using namespace idtap::provision;
using namespace idtap::provision::testing;

TEST_CASE_TEMPLATE("clerks: add, check the password, record actions in the event chain", B, LEDGER_BACKENDS) {
  B backend;
  { REQUIRE(Ledger::create(backend.location(), backend.options()).ok()); }
  LedgerOptions at = backend.options();
  at.site = "KR-SEOUL-JONGNO";
  Ledger ledger = Ledger::open(backend.location(), at).value();
  ClerkRegistry clerks(ledger);
  REQUIRE(clerks.add("kim.minji", "correct horse battery", fixture_now()).ok());
  CHECK(clerks.check_password("kim.minji", "correct horse battery").ok());
  // A wrong password and an unknown name are the same answer.
  CHECK(clerks.check_password("kim.minji", "correct horse batterY").error().code == ErrorCode::kAuthFailed);
  CHECK(clerks.check_password("lee", "correct horse battery").error().code == ErrorCode::kAuthFailed);
  CHECK(clerks.check_password("", "").error().code == ErrorCode::kAuthFailed);
  // The same name twice changes nothing.
  CHECK(clerks.add("kim.minji", "another password", fixture_now()).error().code == ErrorCode::kState);
  CHECK(clerks.check_password("kim.minji", "correct horse battery").ok());
  // Bad names and passwords.
  CHECK(clerks.add("Kim", "long enough password", fixture_now()).error().code == ErrorCode::kInvalidArgument);  // upper case
  CHECK(clerks.add("a b", "long enough password", fixture_now()).error().code == ErrorCode::kInvalidArgument);  // space
  CHECK(clerks.add("lee", "short", fixture_now()).error().code == ErrorCode::kInvalidArgument);                  // < 10
  CHECK(clerks.names().value() == std::vector<std::string>{"kim.minji"});
  // The password is not stored, only its hash.
  CHECK(backend.query_text("SELECT password_hash FROM clerks").rfind("scrypt$32768$8$1$", 0) == 0);
  CHECK(backend.query_text("SELECT password_hash FROM clerks").find("horse") == std::string::npos);

  REQUIRE(clerks.record("card_lost", "kim.minji", "document KR1234567", fixture_now() + 1).ok());
  CHECK(clerks.record("Card Lost", "kim.minji", "", fixture_now()).error().code == ErrorCode::kInvalidArgument);
  CHECK(backend.query_text("SELECT detail FROM events WHERE kind = 'clerk' ORDER BY seq DESC LIMIT 1") ==
        "card_lost by kim.minji document KR1234567");
  CHECK(backend.query_text("SELECT site FROM events WHERE kind = 'clerk' ORDER BY seq DESC LIMIT 1") == "KR-SEOUL-JONGNO");
  auto report = ledger.verify();
  REQUIRE(report.ok());
  CHECK(report->consistent());
}
