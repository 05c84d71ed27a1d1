// tests/provision/ledger_verify_issuances_test.cpp: `ledger verify` checks the issuances table
// (the idempotency ids, issue 16 Failover) against the events: a row that names a credential
// the events do not record, or another credential, or holds bytes that are not its own, would
// answer a retried issuance with the wrong credential. Each edit is one SQL statement without
// the ledger key, on both backends; each is reported as issuances[ID].column.
#include <doctest/doctest.h>

#include <functional>
#include <string>

#include "idtap/provision/ledger.h"
#include "ledger_fixture.h"

using namespace idtap;
using namespace idtap::provision;
using namespace idtap::provision::testing;

namespace {

// IssuancesWorld: two holders, each issued once under an idempotency id of the desk's.
template <typename B>
struct IssuancesWorld : LedgerWorld<B> {
  VerifiedHolder a = sample_holder();
  VerifiedHolder b = sample_holder("850101-2345678", Date{1985, 1, 1}, "M00000001");
  EcPrivateKey phone_a = EcPrivateKey::generate().value();
  EcPrivateKey phone_b = EcPrivateKey::generate().value();
  IssuedCredential first, second;
  IssuancesWorld() {
    IssueRequest ra = request_for(this->ledger, a, phone_a, this->now);
    ra.idempotency_id = "desk-1:0001";
    first = this->ledger.issue(ra, this->signer).value();
    IssueRequest rb = request_for(this->ledger, b, phone_b, this->now + 60);
    rb.idempotency_id = "desk-1:0002";
    second = this->ledger.issue(rb, this->signer).value();
  }
  LedgerReport verify() { return this->reopen().verify().value(); }
};

std::string all_of(const LedgerReport& r) {
  std::string all;
  for (const auto& f : r.findings) all += f.what + "\n";
  return all;
}

}  // namespace

TEST_CASE_TEMPLATE("verify reports an issuances row that does not match the credential its events record", B, LEDGER_BACKENDS) {
  struct Case {
    const char* why;
    std::function<std::string(IssuancesWorld<B>&)> sql;  // the edit, without the key
    const char* column;                                  // the column verify must name
    std::function<std::string(IssuancesWorld<B>&)> expect;
  };
  const Case cases[] = {
      // The row names a credential that was never issued: a retry would be refused or answered wrongly.
      {"credential_id set to a credential no event records",
       [](auto&) { return "UPDATE issuances SET credential_id = '" + std::string(32, 'f') + "' WHERE idempotency_id = 'desk-1:0001'"; },
       "credential_id",
       [](auto&) {
         return "issuances[desk-1:0001].credential_id: names credential '" + std::string(32, 'f') + "', which no event records";
       }},
      // The row moved to holder B's credential (B's own row removed first, the column is unique): a
      // retry of A's issuance would hand out B's credential.
      {"moved to another holder's credential",
       [](auto& w) {
         return "DELETE FROM issuances WHERE idempotency_id = 'desk-1:0002'; UPDATE issuances SET credential_id = '" +
                w.second.credential_id + "' WHERE idempotency_id = 'desk-1:0001'";
       },
       "issuer_signed",
       [](auto& w) {
         return "issuances[desk-1:0001].issuer_signed: the kept bytes do not open under this ledger's key as credential '" +
                w.second.credential_id + "'";
       }},
      // Another row's sealed bytes copied in: they are sealed to their own id and credential.
      {"issuer_signed copied from another row",
       [](auto&) {
         return std::string("UPDATE issuances SET issuer_signed = (SELECT issuer_signed FROM issuances WHERE idempotency_id = "
                            "'desk-1:0002') WHERE idempotency_id = 'desk-1:0001'");
       },
       "issuer_signed", [](auto&) { return std::string("issuances[desk-1:0001].issuer_signed: the kept bytes do not open"); }},
      // The row deleted: a retry under the id would issue a second credential. The 'issued'
      // event names the id it was issued under.
      {"a row deleted",
       [](auto&) { return std::string("DELETE FROM issuances WHERE idempotency_id = 'desk-1:0001'"); },
       "credential_id",
       [](auto& w) { return "issuances[desk-1:0001].credential_id: is missing: credential '" + w.first.credential_id + "'"; }},
      // The row's id changed: a retry under the old id would issue anew, one under the new id
      // would be answered with this credential.
      {"idempotency_id changed",
       [](auto&) { return std::string("UPDATE issuances SET idempotency_id = 'desk-1:9999' WHERE idempotency_id = 'desk-1:0002'"); },
       "idempotency_id",
       [](auto&) { return std::string("issuances[desk-1:9999].idempotency_id: the events say 'desk-1:0002', the table has 'desk-1:9999'"); }},
      // created_at decides when the kept bytes are forgotten.
      {"created_at moved",
       [](auto&) { return std::string("UPDATE issuances SET created_at = created_at - 86400 WHERE idempotency_id = 'desk-1:0002'"); },
       "created_at",
       [](auto& w) {
         return "issuances[desk-1:0002].created_at: the events say '" + std::to_string(w.now + 60) + "', the table has '" +
                std::to_string(w.now + 60 - 86400) + "' (edited)";
       }},
  };
  for (const auto& c : cases) {
    CAPTURE(c.why);
    IssuancesWorld<B> w;
    {
      const LedgerReport clean = w.verify();
      REQUIRE_MESSAGE(clean.consistent(), all_of(clean));
    }
    const std::string sql = c.sql(w);
    w.backend.run_sql(sql.c_str());
    const LedgerReport report = w.verify();
    const std::string all = all_of(report);
    CHECK_FALSE(report.consistent());
    const std::string expected = c.expect(w);
    CHECK_MESSAGE(all.find(expected) != std::string::npos, expected << "\nin:\n" << all);
    bool located = false;
    for (const auto& f : report.findings) located |= f.table == "issuances" && f.column.rfind(c.column, 0) == 0;
    CHECK_MESSAGE(located, all);
    CHECK(all.find("900515") == std::string::npos);  // never a resident number
    CHECK(all.find("850101") == std::string::npos);
  }
}

TEST_CASE_TEMPLATE("verify: issuances rows whose bytes were forgotten after a day stay consistent", B, LEDGER_BACKENDS) {
  IssuancesWorld<B> w;
  (void)w.ledger.new_challenge(w.now + kIdempotencyReplaySeconds + 120);  // prunes and forgets the kept bytes
  CHECK(w.backend.query_text("SELECT count(*) FROM issuances WHERE issuer_signed IS NULL") == "2");
  const LedgerReport report = w.verify();
  CHECK_MESSAGE(report.consistent(), all_of(report));
  // Still checked without the bytes: the credential the row names.
  w.backend.run_sql(("UPDATE issuances SET credential_id = '" + std::string(32, 'e') + "' WHERE idempotency_id = 'desk-1:0002'").c_str());
  CHECK(all_of(w.verify()).find("issuances[desk-1:0002].credential_id") != std::string::npos);
}
