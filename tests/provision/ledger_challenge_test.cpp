// tests/provision/ledger_challenge_test.cpp: a challenge's times (created_at, expires_at) are
// covered by its tag (lib/provision/ledger_challenge.cpp): an expiry moved in the database
// (one SQL statement, no key) does not make an old challenge, or a proof captured over it,
// usable again, and `ledger verify` reports the edited row. On both backends.
#include <doctest/doctest.h>

#include <string>

#include "idtap/base/hex.h"
#include "idtap/provision/ledger.h"
#include "ledger_fixture.h"

using namespace idtap;
using namespace idtap::provision;
using namespace idtap::provision::testing;

namespace {

template <typename B>
std::string blob_of(const Bytes& b) {
  return std::string(B::kName) == "sqlite" ? "X'" + to_hex(b) + "'" : "'\\x" + to_hex(b) + "'::bytea";
}

std::string all_of(const LedgerReport& r) {
  std::string all;
  for (const auto& f : r.findings) all += f.what + "\n";
  return all;
}

}  // namespace

TEST_CASE_TEMPLATE("an expired challenge whose expiry was moved in the database is still refused, and verify reports it", B,
                   LEDGER_BACKENDS) {
  LedgerWorld<B> w;
  VerifiedHolder holder = sample_holder();
  auto phone = EcPrivateKey::generate().value();
  IssueRequest r = request_for(w.ledger, holder, phone, w.now);  // valid 300 s
  CHECK(w.reopen().verify()->consistent());                      // an unused challenge, as made: nothing to report

  // Ten minutes on, the challenge has expired; its expiry is moved an hour ahead.
  r.now = w.now + 600;
  const std::string where = " WHERE challenge = " + blob_of<B>(r.proof.challenge);
  w.backend.run_sql(("UPDATE challenges SET expires_at = expires_at + 3600" + where).c_str());
  Ledger fresh = w.reopen();
  auto refused = fresh.issue(r, w.signer);
  REQUIRE_FALSE(refused.ok());
  CHECK(refused.error().code == ErrorCode::kRefused);
  CHECK_MESSAGE(refused.error().context.find("do not match its tag") != std::string::npos, refused.error().context);
  CHECK(w.backend.count_rows("credentials") == 0);
  const LedgerReport report = fresh.verify().value();
  CHECK_FALSE(report.consistent());
  const std::string all = all_of(report);
  const std::string row = "challenges[" + to_hex(r.proof.challenge).substr(0, 16) + "…].created_at expires_at: (" +
                          std::to_string(w.now) + ", " + std::to_string(w.now + 300 + 3600) + ") do not match";
  CHECK_MESSAGE(all.find(row) != std::string::npos, row << "\nin:\n" << all);
  REQUIRE(report.findings.size() == 1);
  CHECK(report.findings[0].table == "challenges");

  // Put back, the challenge is only expired (the rule's own refusal), and verify is clean again.
  w.backend.run_sql(("UPDATE challenges SET expires_at = expires_at - 3600" + where).c_str());
  auto expired = fresh.issue(r, w.signer);
  REQUIRE_FALSE(expired.ok());
  CHECK(expired.error().context.find("the challenge expired") != std::string::npos);
  CHECK(fresh.verify()->consistent());

  // created_at is covered too.
  w.backend.run_sql(("UPDATE challenges SET created_at = created_at + 1" + where).c_str());
  CHECK(all_of(fresh.verify().value()).find("].created_at expires_at: (" + std::to_string(w.now + 1)) != std::string::npos);
}

TEST_CASE_TEMPLATE("a challenge inserted into the database is refused and reported; made ones are used as before", B, LEDGER_BACKENDS) {
  LedgerWorld<B> w;
  VerifiedHolder holder = sample_holder();
  auto phone = EcPrivateKey::generate().value();
  // 32 bytes of the attacker's choosing, unexpired: the phone signs them, the ledger refuses them.
  IssueRequest r;
  r.holder = &holder;
  r.device_key = phone.public_key();
  r.now = w.now;
  r.proof.challenge = Bytes(32, 0x5a);
  r.proof.signature = sign_possession(phone, r.proof.challenge).value();
  w.backend.run_sql(("INSERT INTO challenges(challenge, created_at, expires_at) VALUES(" + blob_of<B>(r.proof.challenge) + ", " +
                     std::to_string(w.now) + ", " + std::to_string(w.now + 300) + ")").c_str());
  auto refused = w.ledger.issue(r, w.signer);
  REQUIRE_FALSE(refused.ok());
  CHECK(refused.error().code == ErrorCode::kRefused);
  CHECK(all_of(w.ledger.verify().value()).find("challenges[5a5a5a5a5a5a5a5a…]") != std::string::npos);

  // A challenge the ledger made is used as before; once used, its row is no longer checked.
  auto issued = w.ledger.issue(request_for(w.ledger, holder, phone, w.now + 1), w.signer);
  REQUIRE_MESSAGE(issued.ok(), issued.error().message());
  w.backend.run_sql(("DELETE FROM challenges WHERE challenge = " + blob_of<B>(r.proof.challenge)).c_str());
  CHECK(w.ledger.verify()->consistent());
}
