// tests/provision/ledger_idempotency_test.cpp: idempotency ids of issuances (issue 16,
// Failover): a retry with the same id returns the same credential and changes nothing; the id
// cannot be reused for another holder or phone; a malformed id is refused. On every backend.
#include <doctest/doctest.h>

#include "idtap/provision/ledger.h"
#include "idtap/provision/files.h"
#include "idtap/provision/provisioning.h"
#include "ledger_fixture.h"

using namespace idtap;
using namespace idtap::provision;
using namespace idtap::provision::testing;

TEST_CASE_TEMPLATE("idempotency: the same id returns the same credential; never a second one", B, LEDGER_BACKENDS) {
  LedgerWorld<B> w;
  auto phone = EcPrivateKey::generate().value();
  VerifiedHolder holder = sample_holder();
  IssueRequest r = request_for(w.ledger, holder, phone, w.now);
  r.idempotency_id = "desk-7:2026-12-07:0001";
  auto first = w.ledger.issue(r, w.signer);
  REQUIRE_MESSAGE(first.ok(), first.error().message());
  CHECK_FALSE(first->replayed);
  CHECK(first->idempotency_id == r.idempotency_id);
  const int64_t events = w.backend.count_rows("events");

  // The same request again (its challenge is used by now: the replay comes first), from
  // another connection, as a caller cut off before the answer would retry.
  Ledger other = w.reopen();
  auto again = other.issue(r, w.signer);
  REQUIRE_MESSAGE(again.ok(), again.error().message());
  CHECK(again->replayed);
  CHECK(again->credential_id == first->credential_id);
  CHECK(again->issuer_signed == first->issuer_signed);
  CHECK(again->status_idx == first->status_idx);
  CHECK(again->revoked.empty());
  CHECK(w.backend.count_rows("credentials") == 1);
  CHECK(w.backend.count_rows("events") == events);

  // Reused for another phone (or another holder): refused, nothing issued.
  auto phone2 = EcPrivateKey::generate().value();
  IssueRequest stolen = request_for(w.ledger, holder, phone2, w.now + 1);
  stolen.idempotency_id = r.idempotency_id;
  auto refused = w.ledger.issue(stolen, w.signer);
  REQUIRE_FALSE(refused.ok());
  CHECK(refused.error().code == ErrorCode::kRefused);
  VerifiedHolder someone_else = sample_holder("850101-2345678", Date{1985, 1, 1}, "M87654321");
  IssueRequest other_holder = request_for(w.ledger, someone_else, phone, w.now + 1);
  other_holder.idempotency_id = r.idempotency_id;
  CHECK(w.ledger.issue(other_holder, w.signer).error().code == ErrorCode::kRefused);
  CHECK(w.backend.count_rows("credentials") == 1);

  // Without an id the ledger makes one; each call is then a new issuance.
  IssueRequest fresh = request_for(w.ledger, holder, phone, w.now + 2);
  auto second = w.ledger.issue(fresh, w.signer).value();
  CHECK(second.idempotency_id.rfind("idt-", 0) == 0);
  CHECK(second.revoked == std::vector<std::string>{first->credential_id});

  // The bytes kept for a replay for a day; later the id still names its credential, refusing a
  // second issuance rather than making one.
  (void)w.ledger.new_challenge(w.now + kIdempotencyReplaySeconds + 10);  // prunes
  auto late = w.ledger.issue(r, w.signer);
  REQUIRE_FALSE(late.ok());
  CHECK(late.error().code == ErrorCode::kState);
  CHECK(late.error().context.find(first->credential_id) != std::string::npos);

  // Bad ids: refused before anything is touched.
  for (const char* bad : {"has space", "semi;colon", "ü", ""}) {
    IssueRequest b = request_for(w.ledger, holder, phone, w.now + 3);
    b.idempotency_id = bad;
    if (std::string(bad).empty()) continue;  // "" means: make one
    CHECK(w.ledger.issue(b, w.signer).error().code == ErrorCode::kInvalidArgument);
  }
  IssueRequest too_long = request_for(w.ledger, holder, phone, w.now + 3);
  too_long.idempotency_id = std::string(129, 'a');
  CHECK(w.ledger.issue(too_long, w.signer).error().code == ErrorCode::kInvalidArgument);
  CHECK(w.ledger.verify()->consistent());
}

TEST_CASE("idempotency: issue_to_file retried after a cut-off writes the recorded credential, never a second one") {
  World w;
  auto phone = EcPrivateKey::generate().value();
  VerifiedHolder holder = sample_holder();
  const std::string out = w.dir.file("holder.mdoc");
  IssueRequest r = request_for(w.ledger, holder, phone, w.now);
  r.file_path = out;
  r.idempotency_id = "desk-1:0001";
  auto first = issue_to_file(w.ledger, r, w.signer);
  REQUIRE_MESSAGE(first.ok(), first.error().message());
  // The same call again, the file there: the same credential, the file untouched.
  auto again = issue_to_file(w.ledger, r, w.signer);
  REQUIRE_MESSAGE(again.ok(), again.error().message());
  CHECK(again->replayed);
  CHECK(again->credential_id == first->credential_id);
  // Cut off before the file was written (here: removed): the retry writes the recorded bytes.
  REQUIRE(::unlink(out.c_str()) == 0);
  auto rewritten = issue_to_file(w.ledger, r, w.signer);
  REQUIRE_MESSAGE(rewritten.ok(), rewritten.error().message());
  CHECK(read_file(out).value() == first->issuer_signed);
  CHECK(w.backend.count_rows("credentials") == 1);
  // A new issuance (another id) to the existing file: refused, nothing recorded.
  IssueRequest other = request_for(w.ledger, holder, phone, w.now + 1);
  other.file_path = out;
  other.idempotency_id = "desk-1:0002";
  CHECK(issue_to_file(w.ledger, other, w.signer).error().code == ErrorCode::kInvalidArgument);
  CHECK(w.backend.count_rows("credentials") == 1);
  CHECK(w.ledger.verify()->consistent());
}
