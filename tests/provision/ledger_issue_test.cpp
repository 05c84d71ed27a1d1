// tests/provision/ledger_issue_test.cpp: issuance: the rules, proof of possession, one phone per
// holder and one holder per phone, the issuer chain, batches; on every backend.
#include <doctest/doctest.h>
#include <sys/stat.h>

#include <atomic>
#include <thread>
#include <type_traits>

#include <fmt/format.h>

#include "idtap/provision/files.h"
#include "idtap/provision/ledger.h"
#include "ledger_fixture.h"

using namespace idtap;
using namespace idtap::provision;
using namespace idtap::provision::testing;

TEST_CASE_TEMPLATE("issue: a genuine card of an adult gets one credential bound to the phone", B, LEDGER_BACKENDS) {
  LedgerWorld<B> w;
  auto phone = EcPrivateKey::generate().value();
  VerifiedHolder holder = sample_holder();
  auto issued = w.ledger.issue(request_for(w.ledger, holder, phone, w.now), w.signer);
  REQUIRE_MESSAGE(issued.ok(), issued.error().message());
  CHECK(issued->credential_id.size() == 32);
  CHECK(issued->revoked.empty());
  CHECK(issued->device_thumbprint == phone.public_key().thumbprint());
  CHECK(issued->status_idx < 4096);

  auto rec = w.ledger.credential(issued->credential_id).value();
  CHECK(rec.state == CredentialState::kActive);
  CHECK(rec.card.document_number == "M12345678");
  CHECK(rec.valid_until == issued->validity.valid_until);
  CHECK(format_tdate(rec.valid_until) == "2029-03-02T09:00:00Z");

  // The credential verifies on its own and names the ledger's status list entry.
  MdocVerifyOptions o{{w.pki.ca}, w.now, nullptr, 0};
  auto v = verify_mdoc(issued->issuer_signed, o);
  REQUIRE_MESSAGE(v.ok(), v.error().message());
  CHECK(v->mso.status->idx == issued->status_idx);
  CHECK(v->mso.status->uri == w.ledger.status_uri());
  CHECK(v->mso.device_key == phone.public_key());

  // The resident number is not in the database, and the key file is private.
  const std::string raw = w.backend.raw_contents();
  CHECK(raw.find("900515") == std::string::npos);
  CHECK(raw.find("9005151234567") == std::string::npos);
  struct stat st;
  REQUIRE(::stat(w.backend.options().key_file.empty() ? (w.backend.location() + ".key").c_str() : w.backend.options().key_file.c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);

  auto report = w.ledger.verify().value();
  CHECK(report.consistent());
  CHECK(report.events == 2);  // the holder, the issuance
}

TEST_CASE_TEMPLATE("refusals: nothing is issued or recorded", B, LEDGER_BACKENDS) {
  LedgerWorld<B> w;
  auto phone = EcPrivateKey::generate().value();
  struct Case {
    const char* why;
    VerifiedHolder holder;
    const char* reason;
  };
  VerifiedHolder not_genuine = sample_holder();
  not_genuine.genuine = false;
  not_genuine.verdict_reason = "passive authentication failed: DG2 hash mismatch";
  // Born 2009-03-03: 17 on 2026-03-03, the day after fixture_now().
  VerifiedHolder under_17 = sample_holder("090303-3123456", Date{2009, 3, 3});
  VerifiedHolder expired_card = sample_holder();
  expired_card.expiry_date = Date{2026, 3, 1};
  VerifiedHolder lost_card = sample_holder();
  lost_card.card_status = CardStatus::kReportedLost;
  VerifiedHolder wrong_rrn = sample_holder("900516-1234567");
  const Case cases[] = {
      {"not genuine", not_genuine, "not read as genuine (passive authentication failed"},
      {"the day before the 17th birthday", under_17, "under 17 on 2026-03-02 (age 16)"},
      {"card expired yesterday", expired_card, "the card expired on 2026-03-01"},
      {"card reported lost (as read)", lost_card, "the card is reported lost"},
      {"resident number disagrees with the birth date", wrong_rrn, "does not agree with the date of birth"},
  };
  for (const auto& c : cases) {
    CAPTURE(c.why);
    auto r = w.ledger.issue(request_for(w.ledger, c.holder, phone, w.now), w.signer);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code == ErrorCode::kRefused);
    CHECK_MESSAGE(r.error().context.find(c.reason) != std::string::npos, r.error().context);
  }
  CHECK(w.backend.count_rows("credentials") == 0);
  CHECK(w.backend.count_rows("events") == 0);
  CHECK(w.backend.count_rows("holders") == 0);

  SUBCASE("on the 17th birthday it is accepted") {
    auto r = w.ledger.issue(request_for(w.ledger, under_17, phone, w.now + 86400), w.signer);
    REQUIRE_MESSAGE(r.ok(), r.error().message());
  }
  SUBCASE("a card the ledger has as lost") {
    VerifiedHolder h = sample_holder();
    REQUIRE(w.ledger.report_card_lost(h.card, w.now, Ledger::UnknownCard::kRecord).ok());
    auto r = w.ledger.issue(request_for(w.ledger, h, phone, w.now), w.signer);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().context == "the card is reported lost");
    CHECK(w.backend.count_rows("credentials") == 0);
  }
}

TEST_CASE_TEMPLATE("proof of possession: bad or replayed proofs are refused", B, LEDGER_BACKENDS) {
  LedgerWorld<B> w;
  auto phone = EcPrivateKey::generate().value();
  auto other = EcPrivateKey::generate().value();
  VerifiedHolder holder = sample_holder();

  SUBCASE("signed by another key") {
    IssueRequest r = request_for(w.ledger, holder, other, w.now);
    r.device_key = phone.public_key();
    auto out = w.ledger.issue(r, w.signer);
    REQUIRE_FALSE(out.ok());
    CHECK(out.error().code == ErrorCode::kRefused);
    CHECK(out.error().context.find("bad proof of possession") == 0);
  }
  SUBCASE("a signature over another challenge") {
    IssueRequest r = request_for(w.ledger, holder, phone, w.now);
    r.proof.signature = sign_possession(phone, w.ledger.new_challenge(w.now).value()).value();
    CHECK(w.ledger.issue(r, w.signer).error().code == ErrorCode::kRefused);
  }
  SUBCASE("a signature over the bare challenge (made for another protocol) is refused") {
    IssueRequest r = request_for(w.ledger, holder, phone, w.now);
    r.proof.signature = phone.sign_der(r.proof.challenge).value();
    auto out = w.ledger.issue(r, w.signer);
    REQUIRE_FALSE(out.ok());
    CHECK(out.error().code == ErrorCode::kRefused);
    CHECK(out.error().context.find("bad proof of possession") == 0);
    CHECK(possession_message(r.proof.challenge).size() == kPossessionLabel.size() + 1 + kChallengeBytes);
  }
  SUBCASE("a challenge idtap never issued") {
    IssueRequest r;
    r.holder = &holder;
    r.device_key = phone.public_key();
    r.now = w.now;
    r.proof.challenge = Bytes(32, 7);
    r.proof.signature = sign_possession(phone, r.proof.challenge).value();
    auto out = w.ledger.issue(r, w.signer);
    CHECK(out.error().context == "bad proof of possession: unknown challenge");
  }
  SUBCASE("a replayed proof") {
    IssueRequest r = request_for(w.ledger, holder, phone, w.now);
    REQUIRE(w.ledger.issue(r, w.signer).ok());
    auto again = w.ledger.issue(r, w.signer);
    REQUIRE_FALSE(again.ok());
    CHECK(again.error().context == "bad proof of possession: the challenge was already used (replayed proof)");
    CHECK(w.backend.count_rows("credentials") == 1);
  }
  SUBCASE("an expired challenge") {
    IssueRequest r = request_for(w.ledger, holder, phone, w.now);
    r.now = w.now + 301;
    CHECK(w.ledger.issue(r, w.signer).error().context == "bad proof of possession: the challenge expired");
  }
  SUBCASE("the proof file round trip (raw r||s signature)") {
    PossessionProof p{w.ledger.new_challenge(w.now).value(), {}};
    p.signature = phone.sign_es256(possession_message(p.challenge)).value();  // raw r||s
    auto parsed = parse_proof(format_proof(p)).value();
    CHECK(equal_bytes(parsed.challenge, p.challenge));
    CHECK(verify_possession_signature(parsed, phone.public_key()).ok());
    CHECK(parse_proof("challenge: 00\nsignature: 00\n").error().code == ErrorCode::kInvalidArgument);
    CHECK(parse_proof("signature: 0011\n").error().code == ErrorCode::kInvalidArgument);
  }
}

TEST_CASE_TEMPLATE("one phone per holder: a new phone revokes the previous credential", B, LEDGER_BACKENDS) {
  LedgerWorld<B> w;
  auto phone_a = EcPrivateKey::generate().value();
  auto phone_b = EcPrivateKey::generate().value();
  VerifiedHolder holder = sample_holder();
  auto a = w.ledger.issue(request_for(w.ledger, holder, phone_a, w.now), w.signer).value();
  auto b = w.ledger.issue(request_for(w.ledger, holder, phone_b, w.now + 10), w.signer).value();
  REQUIRE(b.revoked.size() == 1);
  CHECK(b.revoked[0] == a.credential_id);
  CHECK(w.ledger.credential(a.credential_id)->state == CredentialState::kRevoked);
  CHECK(w.ledger.credential(a.credential_id)->state_reason == "replaced by " + b.credential_id);
  CHECK(w.ledger.credential(b.credential_id)->state == CredentialState::kActive);
  // Another holder is unaffected.
  VerifiedHolder other = sample_holder("850101-2345678", Date{1985, 1, 1}, "M00000001");
  auto c = w.ledger.issue(request_for(w.ledger, other, phone_a, w.now + 20), w.signer).value();
  CHECK(c.revoked.empty());
  // The status list marks the revoked one only.
  auto list = w.ledger.status_list().value();
  CHECK(list.get(a.status_idx).value() == kStatusInvalid);
  CHECK(list.get(b.status_idx).value() == kStatusValid);
  CHECK(w.ledger.verify()->consistent());
}

TEST_CASE_TEMPLATE("one phone per holder holds under two concurrent issuers", B, LEDGER_BACKENDS) {
  B backend;
  TestIssuer pki = make_test_issuer();
  const std::string path = backend.location();
  { REQUIRE(Ledger::create(path, backend.options()).ok()); }
  VerifiedHolder holder = sample_holder();
  constexpr int kPerThread = 12;
  std::atomic<int> issued{0}, failed{0};
  auto worker = [&](int) {
    SoftwareIssuer signer = signer_of(pki);
    Ledger ledger = Ledger::open(path, backend.options()).value();  // its own connection
    auto phone = EcPrivateKey::generate().value();
    for (int i = 0; i < kPerThread; ++i) {
      auto r = ledger.issue(request_for(ledger, holder, phone, fixture_now() + i), signer);
      if (r.ok()) ++issued;
      else {
        ++failed;
        MESSAGE(r.error().message());
      }
    }
  };
  std::thread t1(worker, 1), t2(worker, 2);
  t1.join();
  t2.join();
  CHECK(issued == 2 * kPerThread);
  CHECK(failed == 0);
  Ledger ledger = Ledger::open(path, backend.options()).value();
  auto all = ledger.credentials().value();
  REQUIRE(all.size() == 2 * kPerThread);
  int active = 0;
  for (const auto& c : all) {
    if (c.state == CredentialState::kActive) ++active;
    else CHECK(c.state == CredentialState::kRevoked);
  }
  CHECK(active == 1);
  auto report = ledger.verify().value();
  for (const auto& f : report.findings) MESSAGE(f.what);
  CHECK(report.consistent());
  CHECK(report.events == 2 * 2 * kPerThread - 1 + 1);  // every issue but the first revoked one, and the holder
}

TEST_CASE_TEMPLATE("an issuer certificate not valid for the credential's whole life issues nothing (M3)", B, LEDGER_BACKENDS) {
  // The credential issued at fixture_now() (2026-03-02T09:00:00Z) is valid until 2029-03-02T09:00:00Z.
  struct Case {
    const char* why;
    Date ca_from, ca_until, ds_from, ds_until;
    const char* says;  // "" when issued
  };
  const Case cases[] = {
      {"valid from 2020 to 2040", {2020, 1, 1}, {2040, 1, 1}, {2020, 1, 1}, {2040, 1, 1}, ""},
      {"valid until the day after validUntil", {2020, 1, 1}, {2040, 1, 1}, {2020, 1, 1}, {2029, 3, 3}, ""},
      // The document signer expired last year: the credential would fail verification at once.
      {"expired", {2020, 1, 1}, {2040, 1, 1}, {2020, 1, 1}, {2025, 1, 1},
       "(valid 2020-01-01T00:00:00Z .. 2025-01-01T00:00:00Z) expired before 2026-03-02T09:00:00Z"},
      {"not yet valid", {2020, 1, 1}, {2040, 1, 1}, {2026, 6, 1}, {2040, 1, 1}, "is not valid yet at 2026-03-02T09:00:00Z"},
      // Valid today but not for the credential's three years.
      {"expires before validUntil", {2020, 1, 1}, {2040, 1, 1}, {2020, 1, 1}, {2028, 1, 1},
       "(valid 2020-01-01T00:00:00Z .. 2028-01-01T00:00:00Z) expires before the credential's validUntil 2029-03-02T09:00:00Z"},
      // The CA in the chain expires first.
      {"the CA expires before validUntil", {2020, 1, 1}, {2027, 1, 1}, {2020, 1, 1}, {2040, 1, 1}, "IACA,C=KR (valid 2020-01-01T00:00:00Z .. 2027-01-01T00:00:00Z) expires before"},
  };
  for (const auto& c : cases) {
    INFO(std::string(c.why));
    B backend;
    Ledger ledger = Ledger::create(backend.location(), backend.options()).value();
    auto ca_key = EcPrivateKey::generate().value();
    CertificateRequest ca_req{"idtap test IACA", "KR", start_of_day(c.ca_from), start_of_day(c.ca_until), true};
    auto ca = make_certificate(ca_req, ca_key.public_key(), ca_key, nullptr).value();
    auto ds_key = EcPrivateKey::generate().value();
    CertificateRequest ds_req{"idtap test DS", "KR", start_of_day(c.ds_from), start_of_day(c.ds_until), false};
    auto ds = make_certificate(ds_req, ds_key.public_key(), ca_key, &ca).value();
    SoftwareIssuer signer = SoftwareIssuer::create(std::move(ds_key), {ds, ca}).value();
    auto phone = EcPrivateKey::generate().value();
    VerifiedHolder holder = sample_holder();
    auto r = ledger.issue(request_for(ledger, holder, phone, fixture_now()), signer);
    if (std::string(c.says).empty()) {
      REQUIRE_MESSAGE(r.ok(), r.error().message());
      MdocVerifyOptions o{{ca}, r->validity.valid_until - 1, nullptr, 0};
      CHECK(verify_mdoc(r->issuer_signed, o).ok());  // still verifies on its last day
      // The ledger keeps the chain's window from the first issuance; two days later the same
      // chain no longer covers a new credential's three years, and the kept window says so.
      auto later = ledger.issue(request_for(ledger, holder, phone, fixture_now() + 2 * 86400), signer);
      if (c.ds_until.year == 2029) {
        REQUIRE_FALSE(later.ok());
        CHECK(later.error().code == ErrorCode::kRefused);
        CHECK(later.error().context.find("expires before the credential's validUntil") != std::string::npos);
      } else {
        CHECK(later.ok());
      }
      continue;
    }
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code == ErrorCode::kRefused);
    CHECK_MESSAGE(r.error().context.find(c.says) != std::string::npos, r.error().context);
    CHECK(backend.count_rows("credentials") == 0);
    CHECK(backend.count_rows("events") == 0);
  }
}

TEST_CASE_TEMPLATE("batched issuance: one commit, each request on its own", B, LEDGER_BACKENDS) {
  LedgerWorld<B> w;
  auto phone = EcPrivateKey::generate().value();
  VerifiedHolder a = sample_holder();
  VerifiedHolder minor = sample_holder("120101-3123456", Date{2012, 1, 1}, "M00000002");
  VerifiedHolder b = sample_holder("850101-2345678", Date{1985, 1, 1}, "M00000001");
  auto b_phone = EcPrivateKey::generate().value();  // one person per phone (issue 14 item 2)
  std::vector<IssueRequest> reqs{request_for(w.ledger, a, phone, w.now), request_for(w.ledger, minor, phone, w.now),
                                 request_for(w.ledger, b, b_phone, w.now)};
  auto results = w.ledger.issue_batch(reqs, w.signer).value();
  REQUIRE(results.size() == 3);
  CHECK(results[0].ok());
  CHECK(results[1].error().code == ErrorCode::kRefused);
  CHECK(results[2].ok());
  CHECK(w.ledger.credentials()->size() == 2);
  CHECK(w.ledger.verify()->consistent());
}

// The events of a write transaction wait in memory and go in at its commit, after which the
// head is written once (ledger_internal.h, ChainTip): an item of a batch that fails after it
// chained its events must take them back with its savepoint, and the next item chain on from
// the one before it.
TEST_CASE_TEMPLATE("batched issuance: an item that fails after chaining its events leaves no event", B, LEDGER_BACKENDS) {
  LedgerWorld<B> w;
  VerifiedHolder a = sample_holder("800101-1000001", Date{1980, 1, 1}, "M10000001");
  VerifiedHolder b = sample_holder("800101-1000002", Date{1980, 1, 1}, "M10000002");
  VerifiedHolder c = sample_holder("800101-1000003", Date{1980, 1, 1}, "M10000003");
  auto pa = EcPrivateKey::generate().value(), pb = EcPrivateKey::generate().value(), pc = EcPrivateKey::generate().value();
  std::vector<IssueRequest> reqs{request_for(w.ledger, a, pa, w.now), request_for(w.ledger, b, pb, w.now),
                                 request_for(w.ledger, c, pc, w.now)};
  // b fails at the last moment: its holder row, its card, its credential and its events
  // ('holder', 'issued') were all made by then.
  reqs[1].before_commit = [](const IssuedCredential&) -> Status { return make_error(ErrorCode::kState, "refused at the end"); };
  const int64_t events_before = w.backend.count_rows("events");
  auto results = w.ledger.issue_batch(reqs, w.signer).value();
  REQUIRE(results.size() == 3);
  REQUIRE(results[0].ok());
  CHECK(results[1].error().code == ErrorCode::kState);
  REQUIRE(results[2].ok());
  CHECK(w.backend.count_rows("holders") == 2);
  CHECK(w.backend.count_rows("credentials") == 2);
  CHECK(w.backend.count_rows("events") == events_before + 4);  // a and c: 'holder' and 'issued' each
  auto report = w.ledger.verify().value();
  for (const auto& f : report.findings) MESSAGE(f.what);
  CHECK(report.consistent());
  // The head in meta is the last event's, and a later transaction chains on from it.
  auto head = w.ledger.head().value();
  CHECK(head.seq == events_before + 4);
  auto again = w.ledger.issue(request_for(w.ledger, b, pb, w.now), w.signer);
  REQUIRE(again.ok());
  CHECK(w.ledger.head().value().seq == events_before + 6);
  CHECK(w.ledger.verify()->consistent());
}

TEST_CASE_TEMPLATE("a group transaction: an operation undone alone takes its events with it", B, LEDGER_BACKENDS) {
  LedgerWorld<B> w;
  VerifiedHolder a = sample_holder("800101-1000001", Date{1980, 1, 1}, "M10000001");
  VerifiedHolder b = sample_holder("800101-1000002", Date{1980, 1, 1}, "M10000002");
  auto pa = EcPrivateKey::generate().value(), pb = EcPrivateKey::generate().value();
  IssueRequest ra = request_for(w.ledger, a, pa, w.now), rb = request_for(w.ledger, b, pb, w.now);
  rb.before_commit = [](const IssuedCredential&) -> Status { return make_error(ErrorCode::kState, "refused at the end"); };
  std::string suspended_id;
  std::vector<std::function<Status()>> operations{
      [&]() -> Status { auto r = w.ledger.issue(ra, w.signer); return r.ok() ? ok_status() : Status(r.error()); },
      [&]() -> Status { auto r = w.ledger.issue(rb, w.signer); return r.ok() ? ok_status() : Status(r.error()); },
      [&]() -> Status {
        auto list = w.ledger.credentials();
        if (!list.ok() || list->empty()) return make_error(ErrorCode::kInternal, "no credential");
        suspended_id = list->front().id;
        return w.ledger.suspend(suspended_id, "test", w.now);
      }};
  REQUIRE(w.ledger.run_in_one_transaction(operations).ok());
  CHECK(w.backend.count_rows("credentials") == 1);
  CHECK(w.backend.count_rows("events") == 3);  // a's 'holder' and 'issued', the suspension
  CHECK(w.ledger.head().value().seq == 3);
  CHECK(w.ledger.verify()->consistent());
}

// Round trips are what an issuance costs under the writers' lock on a server (every site waits
// for them): counted, not timed. A batch reads each item's state in one statement, chains its
// events in memory and writes them in one INSERT at the commit.
TEST_CASE_TEMPLATE("batched issuance: round trips to the server per issuance are bounded", B, LEDGER_BACKENDS) {
  LedgerWorld<B> w;
  std::vector<VerifiedHolder> holders;
  std::vector<EcPrivateKey> phones;
  for (int i = 0; i < 20; ++i) {
    holders.push_back(sample_holder(fmt::format("800101-1{:06d}", i), Date{1980, 1, 1}, fmt::format("M2{:07d}", i)));
    phones.push_back(EcPrivateKey::generate().value());
  }
  auto batch = [&](int round) {
    std::vector<IssueRequest> reqs;
    for (size_t i = 0; i < holders.size(); ++i) {
      IssueRequest r;
      r.holder = &holders[i];
      r.device_key = round == 0 ? phones[i].public_key() : EcPrivateKey::generate().value().public_key();
      r.possession = PossessionCheck::kCaller;
      r.now = w.now;
      reqs.push_back(std::move(r));
    }
    const uint64_t before = w.ledger.round_trips();
    auto results = w.ledger.issue_batch(reqs, w.signer).value();
    for (auto& r : results) REQUIRE(r.ok());
    return static_cast<double>(w.ledger.round_trips() - before) / static_cast<double>(holders.size());
  };
  const double new_holders = batch(0);  // holder, card and credential rows; two events each
  const double replacing = batch(1);    // a new phone: the previous credential revoked; two events each
  if constexpr (std::is_same_v<B, SqliteBackend>) {
    CHECK(new_holders == 0);  // SQLite: no server
    CHECK(replacing == 0);
  } else {
    INFO("round trips per issuance: " << new_holders << " new, " << replacing << " replacing");
    // savepoint, the snapshot, holder, card, credential, idempotency record (+ statements
    // prepared on first use, and begin/commit/events/head once per batch)
    CHECK(new_holders <= 7.5);
    CHECK(replacing <= 6.5);
  }
  CHECK(w.ledger.verify()->consistent());
}

TEST_CASE_TEMPLATE("a device key is bound to one holder (issue 14 item 2)", B, LEDGER_BACKENDS) {
  LedgerWorld<B> w;
  auto phone = EcPrivateKey::generate().value();
  VerifiedHolder a = sample_holder("900515-1234567", Date{1990, 5, 15}, "M00000001");
  VerifiedHolder b = sample_holder("850101-2345678", Date{1985, 1, 1}, "M00000002");
  auto first = w.ledger.issue(request_for(w.ledger, a, phone, w.now), w.signer).value();

  auto check_refused = [&](const char* why, UnixSeconds at) {
    CAPTURE(why);
    const int64_t credentials = w.backend.count_rows("credentials");
    const int64_t events = w.backend.count_rows("events");
    IssueRequest r = request_for(w.ledger, b, phone, at);
    auto refused = w.ledger.issue(r, w.signer);
    REQUIRE_FALSE(refused.ok());
    CHECK(refused.error().code == ErrorCode::kRefused);
    CHECK_MESSAGE(refused.error().context.find("this phone's device key already holds another holder's mobile ID (credential " +
                                               first.credential_id) == 0,
                  refused.error().context);
    CHECK(w.backend.count_rows("credentials") == credentials);  // nothing issued or recorded
    CHECK(w.backend.count_rows("events") == events);
    // The batch path applies the same rule.
    IssueRequest again = request_for(w.ledger, b, phone, at);
    auto batch = w.ledger.issue_batch(std::span<const IssueRequest>(&again, 1), w.signer).value();
    REQUIRE_FALSE(batch[0].ok());
    CHECK(batch[0].error().code == ErrorCode::kRefused);
    CHECK(w.backend.count_rows("credentials") == credentials);
  };
  check_refused("holder A's credential is active", w.now + 1);
  REQUIRE(w.ledger.suspend(first.credential_id, "phone_lost", w.now + 2).ok());
  check_refused("holder A's credential is suspended (it could be resumed)", w.now + 3);

  // The same holder may renew on the same phone (the old credential is replaced).
  auto renewed = w.ledger.issue(request_for(w.ledger, a, phone, w.now + 4), w.signer).value();
  CHECK(renewed.revoked == std::vector<std::string>{first.credential_id});
  first = renewed;
  check_refused("holder A's renewed credential is active", w.now + 5);

  // Once the clerk revokes A's credential, the phone is free for B.
  REQUIRE(w.ledger.revoke(renewed.credential_id, "phone handed over", w.now + 6).ok());
  auto for_b = w.ledger.issue(request_for(w.ledger, b, phone, w.now + 7), w.signer);
  REQUIRE_MESSAGE(for_b.ok(), for_b.error().message());
  CHECK(w.ledger.verify()->consistent());
}
