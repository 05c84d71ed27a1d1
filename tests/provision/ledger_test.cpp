#include "idtap/provision/ledger.h"

#include <doctest/doctest.h>
#include <signal.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <functional>
#include <set>
#include <thread>

#include "fixtures.h"
#include "idtap/provision/files.h"
#include "idtap/provision/provisioning.h"

using namespace idtap;
using namespace idtap::provision;
using namespace idtap::provision::testing;

namespace {

LedgerOptions fast_options() {
  LedgerOptions o;
  o.status_uri = "https://status.example.kr/lists/1";
  o.status_list_size = 4096;
  o.durable = true;
  return o;
}

struct World {
  TempDir dir;
  TestIssuer pki = make_test_issuer();
  SoftwareIssuer signer = signer_of(pki);
  Ledger ledger = Ledger::create(dir.file("ledger.db"), fast_options()).value();
  UnixSeconds now = fixture_now();
};

int64_t count_rows(const std::string& db_path, const char* table) {
  sqlite3* db = nullptr;
  sqlite3_open(db_path.c_str(), &db);
  std::string sql = std::string("SELECT count(*) FROM ") + table;
  sqlite3_stmt* s = nullptr;
  sqlite3_prepare_v2(db, sql.c_str(), -1, &s, nullptr);
  int64_t n = sqlite3_step(s) == SQLITE_ROW ? sqlite3_column_int64(s, 0) : -1;
  sqlite3_finalize(s);
  sqlite3_close(db);
  return n;
}

void run_sql(const std::string& db_path, const char* sql) {
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open(db_path.c_str(), &db) == SQLITE_OK);
  char* err = nullptr;
  int rc = sqlite3_exec(db, sql, nullptr, nullptr, &err);
  INFO(sql << " -> " << (err ? err : "ok"));
  sqlite3_free(err);
  sqlite3_close(db);
  REQUIRE(rc == SQLITE_OK);
}

}  // namespace

TEST_CASE("issue: a genuine card of an adult gets one credential bound to the phone") {
  World w;
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
  auto db = read_file(w.dir.file("ledger.db")).value();
  std::string raw(db.begin(), db.end());
  CHECK(raw.find("900515") == std::string::npos);
  CHECK(raw.find("9005151234567") == std::string::npos);
  struct stat st;
  REQUIRE(::stat(w.dir.file("ledger.db.key").c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);

  auto report = w.ledger.verify().value();
  CHECK(report.consistent());
  CHECK(report.events == 1);
}

TEST_CASE("refusals: nothing is issued or recorded") {
  World w;
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
  CHECK(count_rows(w.dir.file("ledger.db"), "credentials") == 0);
  CHECK(count_rows(w.dir.file("ledger.db"), "events") == 0);
  CHECK(count_rows(w.dir.file("ledger.db"), "holders") == 0);

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
    CHECK(count_rows(w.dir.file("ledger.db"), "credentials") == 0);
  }
}

TEST_CASE("proof of possession: bad or replayed proofs are refused") {
  World w;
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
    CHECK(count_rows(w.dir.file("ledger.db"), "credentials") == 1);
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

TEST_CASE("one phone per holder: a new phone revokes the previous credential") {
  World w;
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

TEST_CASE("one phone per holder holds under two concurrent issuers") {
  TempDir dir;
  TestIssuer pki = make_test_issuer();
  const std::string path = dir.file("ledger.db");
  { REQUIRE(Ledger::create(path, fast_options()).ok()); }
  VerifiedHolder holder = sample_holder();
  constexpr int kPerThread = 12;
  std::atomic<int> issued{0}, failed{0};
  auto worker = [&](int) {
    SoftwareIssuer signer = signer_of(pki);
    Ledger ledger = Ledger::open(path, fast_options()).value();  // its own connection
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
  Ledger ledger = Ledger::open(path, fast_options()).value();
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
  CHECK(report.events == 2 * 2 * kPerThread - 1);  // every issue but the first revoked one
}

TEST_CASE("suspension: card lost suspends all, phone lost only that one; resume and revoke") {
  World w;
  auto phone = EcPrivateKey::generate().value();
  VerifiedHolder holder = sample_holder();
  auto c = w.ledger.issue(request_for(w.ledger, holder, phone, w.now), w.signer).value();

  SUBCASE("card reported lost") {
    auto suspended = w.ledger.report_card_lost(holder.card, w.now + 1).value();
    REQUIRE(suspended.size() == 1);
    CHECK(suspended[0] == c.credential_id);
    auto rec = w.ledger.credential(c.credential_id).value();
    CHECK(rec.state == CredentialState::kSuspended);
    CHECK(rec.state_reason == "card_lost");
    CHECK(rec.card_state == "lost");
    CHECK(w.ledger.report_card_lost(holder.card, w.now + 2).error().code == ErrorCode::kState);
    // Resume is refused while the card is lost; finding the card resumes it.
    CHECK(w.ledger.resume(c.credential_id, w.now + 3).error().code == ErrorCode::kRefused);
    auto resumed = w.ledger.card_found(holder.card, w.now + 4).value();
    CHECK(resumed == std::vector<std::string>{c.credential_id});
    CHECK(w.ledger.credential(c.credential_id)->state == CredentialState::kActive);
  }
  SUBCASE("phone reported lost, then resumed, then suspended and revoked") {
    REQUIRE(w.ledger.suspend(c.credential_id, "phone_lost", w.now + 1).ok());
    CHECK(w.ledger.credential(c.credential_id)->state_reason == "phone_lost");
    CHECK(w.ledger.status_list()->get(c.status_idx).value() == kStatusInvalid);
    CHECK(w.ledger.suspend(c.credential_id, "phone_lost", w.now + 2).error().code == ErrorCode::kState);
    REQUIRE(w.ledger.resume(c.credential_id, w.now + 3).ok());
    CHECK(w.ledger.status_list()->get(c.status_idx).value() == kStatusValid);
    REQUIRE(w.ledger.suspend(c.credential_id, "phone_lost", w.now + 4).ok());
    REQUIRE(w.ledger.revoke(c.credential_id, "phone not found", w.now + 5).ok());
    CHECK(w.ledger.credential(c.credential_id)->state == CredentialState::kRevoked);
    CHECK(w.ledger.resume(c.credential_id, w.now + 6).error().code == ErrorCode::kState);
    CHECK(w.ledger.revoke("0000", "x", w.now).error().code == ErrorCode::kNotFound);
  }
  SUBCASE("expiry after three years") {
    CHECK(w.ledger.expire_due(c.validity.valid_until - 1)->empty());
    CHECK(w.ledger.expire_due(c.validity.valid_until).value() == std::vector<std::string>{c.credential_id});
    CHECK(w.ledger.credential(c.credential_id)->state == CredentialState::kExpired);
  }
  auto report = w.ledger.verify().value();
  for (const auto& f : report.findings) MESSAGE(f.what);
  CHECK(report.consistent());
}

TEST_CASE("a card first reported lost while unknown gets its holder at issuance (H1)") {
  World w;
  auto phone = EcPrivateKey::generate().value();
  VerifiedHolder holder = sample_holder();
  // Unknown card: recorded lost with no holder, nothing suspended.
  CHECK(w.ledger.report_card_lost(holder.card, w.now, Ledger::UnknownCard::kRecord).value().empty());
  CHECK(w.ledger.card_found(holder.card, w.now + 1).value().empty());
  auto c = w.ledger.issue(request_for(w.ledger, holder, phone, w.now + 2), w.signer).value();
  // The second report finds the holder through the card and suspends the credential.
  auto suspended = w.ledger.report_card_lost(holder.card, w.now + 3).value();
  CHECK(suspended == std::vector<std::string>{c.credential_id});
  CHECK(w.ledger.credential(c.credential_id)->state == CredentialState::kSuspended);
  CHECK(w.ledger.status_list()->get(c.status_idx).value() == kStatusInvalid);
  // Once the card has a holder, another holder presenting it is still refused.
  REQUIRE(w.ledger.card_found(holder.card, w.now + 4).ok());
  VerifiedHolder other = sample_holder("850101-2345678", Date{1985, 1, 1});
  auto others_phone = EcPrivateKey::generate().value();  // one person per phone (issue 14 item 2)
  auto r = w.ledger.issue(request_for(w.ledger, other, others_phone, w.now + 5), w.signer);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().context == "the card is recorded for another holder");
  CHECK(w.ledger.verify()->consistent());
}

TEST_CASE("an existing ledger without its key file is refused, not given a new key (H2)") {
  TempDir dir;
  const std::string db = dir.file("ledger.db");
  const std::string key = db + ".key";
  TestIssuer pki = make_test_issuer();
  SoftwareIssuer signer = signer_of(pki);
  {
    Ledger ledger = Ledger::create(db, fast_options()).value();
    auto phone = EcPrivateKey::generate().value();
    VerifiedHolder holder = sample_holder();
    REQUIRE(ledger.issue(request_for(ledger, holder, phone, fixture_now()), signer).ok());
  }
  const std::string saved = read_text_file(key);
  REQUIRE(saved.size() == 65);
  REQUIRE(::unlink(key.c_str()) == 0);
  auto reopened = Ledger::open(db, fast_options());
  REQUIRE_FALSE(reopened.ok());
  CHECK(reopened.error().code == ErrorCode::kNotFound);
  CHECK_MESSAGE(reopened.error().context.find("is missing but the ledger") != std::string::npos, reopened.error().context);
  CHECK(::access(key.c_str(), F_OK) != 0);  // no new key was made
  // With the key restored the ledger opens and the holder keeps its id (one phone per holder).
  {
    std::ofstream out(key, std::ios::binary);
    out << saved;
  }
  REQUIRE(::chmod(key.c_str(), 0600) == 0);
  Ledger ledger = Ledger::open(db, fast_options()).value();
  auto phone = EcPrivateKey::generate().value();
  VerifiedHolder holder = sample_holder();
  CHECK(ledger.issue(request_for(ledger, holder, phone, fixture_now() + 1), signer).value().revoked.size() == 1);
}

TEST_CASE("card found resumes only credentials whose own card is no longer lost (M1)") {
  World w;
  auto phone = EcPrivateKey::generate().value();
  VerifiedHolder on_a = sample_holder("900515-1234567", Date{1990, 5, 15}, "M00000001");
  VerifiedHolder on_b = sample_holder("900515-1234567", Date{1990, 5, 15}, "M00000002");
  REQUIRE(w.ledger.issue(request_for(w.ledger, on_a, phone, w.now), w.signer).ok());
  auto x = w.ledger.issue(request_for(w.ledger, on_b, phone, w.now + 1), w.signer).value();  // from card B
  CHECK(w.ledger.report_card_lost(on_a.card, w.now + 2).value() == std::vector<std::string>{x.credential_id});
  CHECK(w.ledger.report_card_lost(on_b.card, w.now + 3).value().empty());  // already suspended
  // Card A found: X's own card B is still lost, so X stays suspended.
  CHECK(w.ledger.card_found(on_a.card, w.now + 4).value().empty());
  CHECK(w.ledger.credential(x.credential_id)->state == CredentialState::kSuspended);
  CHECK(w.ledger.status_list()->get(x.status_idx).value() == kStatusInvalid);
  // Card B found: now it is resumed.
  CHECK(w.ledger.card_found(on_b.card, w.now + 5).value() == std::vector<std::string>{x.credential_id});
  CHECK(w.ledger.credential(x.credential_id)->state == CredentialState::kActive);
  CHECK(w.ledger.verify()->consistent());
}

TEST_CASE("a corrupt meta row is a typed error, not a crash (L1)") {
  struct Case {
    const char* why;
    const char* sql;
    bool open_fails;  // else open succeeds and the next event append fails
  };
  const Case cases[] = {
      // status_list_size 0 would divide by zero when allocating an index.
      {"status size zero", "UPDATE meta SET value = '0' WHERE key = 'status_list_size'", true},
      {"status size not a number", "UPDATE meta SET value = 'many' WHERE key = 'status_list_size'", true},
      {"status size with trailing junk", "UPDATE meta SET value = '4096x' WHERE key = 'status_list_size'", true},
      {"status size negative", "UPDATE meta SET value = '-1' WHERE key = 'status_list_size'", true},
      {"status size past 2^64", "UPDATE meta SET value = '99999999999999999999999' WHERE key = 'status_list_size'", true},
      {"status size past 2^24", "UPDATE meta SET value = '16777217' WHERE key = 'status_list_size'", true},
      {"status size empty", "UPDATE meta SET value = '' WHERE key = 'status_list_size'", true},
      {"event head sequence not a number", "UPDATE meta SET value = 'x:' || substr(value, instr(value, ':') + 1) WHERE key = 'event_head'", false},
      {"event head sequence too large", "UPDATE meta SET value = '99999999999999999999:00' WHERE key = 'event_head'", false},
      {"event head without ':'", "UPDATE meta SET value = '0' WHERE key = 'event_head'", false},
  };
  for (const auto& c : cases) {
    CAPTURE(c.why);
    TempDir dir;
    const std::string db = dir.file("ledger.db");
    { REQUIRE(Ledger::create(db, fast_options()).ok()); }
    run_sql(db, c.sql);
    auto opened = Ledger::open(db, fast_options());
    if (c.open_fails) {
      REQUIRE_FALSE(opened.ok());
      CHECK(opened.error().code == ErrorCode::kMalformed);
      CHECK_MESSAGE(opened.error().context.find("ledger is corrupt: meta 'status_list_size'") == 0, opened.error().context);
      continue;
    }
    REQUIRE(opened.ok());
    VerifiedHolder holder = sample_holder();
    auto lost = opened->report_card_lost(holder.card, fixture_now(), Ledger::UnknownCard::kRecord);
    REQUIRE_FALSE(lost.ok());
    CHECK(lost.error().code == ErrorCode::kMalformed);
    CHECK_MESSAGE(lost.error().context.find("ledger is corrupt: meta 'event_head'") == 0, lost.error().context);
    auto report = opened->verify();
    REQUIRE(report.ok());
    CHECK_FALSE(report->consistent());
  }
}

TEST_CASE("a relative --out is recorded absolute; a missing desk copy is reported, never revoked (M4, issue 14.4)") {
  World w;
  auto phone = EcPrivateKey::generate().value();
  VerifiedHolder holder = sample_holder();
  const std::string sub = w.dir.file("out");
  REQUIRE(::mkdir(sub.c_str(), 0700) == 0);
  std::string issued_id;
  {
    const auto cwd = std::filesystem::current_path();
    std::filesystem::current_path(sub);
    IssueRequest r = request_for(w.ledger, holder, phone, w.now);
    r.file_path = "./x/../phone.mdoc";
    REQUIRE(::mkdir("x", 0700) == 0);
    auto issued = issue_to_file(w.ledger, r, w.signer);
    std::filesystem::current_path(cwd);
    REQUIRE_MESSAGE(issued.ok(), issued.error().message());
    issued_id = issued->credential_id;
  }
  const std::string abs = sub + "/phone.mdoc";
  CHECK(w.ledger.credential(issued_id)->file_path == abs);
  // Verified and repaired from another directory: the file is found, nothing is revoked.
  {
    const auto cwd = std::filesystem::current_path();
    std::filesystem::current_path(w.dir.path());
    auto report = w.ledger.verify({true, {}});
    std::filesystem::current_path(cwd);
    REQUIRE(report.ok());
    CHECK(report->findings.empty());
  }
  CHECK(w.ledger.credential(issued_id)->state == CredentialState::kActive);
  // Something unreadable in its place (a directory: read() fails with EISDIR): reported, not repaired.
  REQUIRE(::rename(abs.c_str(), (abs + ".away").c_str()) == 0);
  REQUIRE(::mkdir(abs.c_str(), 0700) == 0);
  auto unreadable = w.ledger.verify({true, {}}).value();
  REQUIRE(unreadable.findings.size() == 1);
  CHECK(unreadable.findings[0].what.find("cannot be read") != std::string::npos);
  CHECK_FALSE(unreadable.findings[0].repaired);
  CHECK(w.ledger.credential(issued_id)->state == CredentialState::kActive);
  // Really gone (ENOENT): reported, and the credential stays active (issue 14 item 4: repair
  // never revokes; the file was the desk's copy, the phone holds the credential).
  REQUIRE(::rmdir(abs.c_str()) == 0);
  auto gone = w.ledger.verify({true, {}}).value();
  REQUIRE(gone.findings.size() == 1);
  CHECK_MESSAGE(gone.findings[0].what.find("the desk copy of credential " + issued_id + " is gone") == 0, gone.findings[0].what);
  CHECK_FALSE(gone.findings[0].repaired);
  CHECK(w.ledger.credential(issued_id)->state == CredentialState::kActive);
  CHECK(w.ledger.status_list()->get(w.ledger.credential(issued_id)->status_idx).value() == kStatusValid);
}

TEST_CASE("an issuer certificate not valid for the credential's whole life issues nothing (M3)") {
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
    TempDir dir;
    Ledger ledger = Ledger::create(dir.file("ledger.db"), fast_options()).value();
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
    CHECK(count_rows(dir.file("ledger.db"), "credentials") == 0);
    CHECK(count_rows(dir.file("ledger.db"), "events") == 0);
  }
}

TEST_CASE("batched issuance: one commit, each request on its own") {
  World w;
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

TEST_CASE("ledger verify detects an edited, inserted or deleted row") {
  World w;
  auto phone = EcPrivateKey::generate().value();
  VerifiedHolder holder = sample_holder();
  auto c = w.ledger.issue(request_for(w.ledger, holder, phone, w.now), w.signer).value();
  REQUIRE(w.ledger.suspend(c.credential_id, "phone_lost", w.now + 1).ok());
  REQUIRE(w.ledger.resume(c.credential_id, w.now + 2).ok());
  REQUIRE(w.ledger.verify()->consistent());
  const std::string db = w.dir.file("ledger.db");

  // The event log refuses edits through SQL; an attacker drops the triggers first.
  sqlite3* raw = nullptr;
  sqlite3_open(db.c_str(), &raw);
  CHECK(sqlite3_exec(raw, "UPDATE events SET detail = 'x'", nullptr, nullptr, nullptr) != SQLITE_OK);
  sqlite3_close(raw);
  run_sql(db, "DROP TRIGGER events_append_only_update; DROP TRIGGER events_append_only_delete;");

  auto findings_of = [&] {
    Ledger fresh = Ledger::open(db, fast_options()).value();
    auto r = fresh.verify().value();
    std::string all;
    for (const auto& f : r.findings) all += f.what + "\n";
    return all;
  };
  SUBCASE("a credential's state edited (revoked -> active would be the attack)") {
    run_sql(db, "UPDATE credentials SET state = 'suspended'");
    CHECK(findings_of().find("is 'suspended' but its events say 'active' (edited)") != std::string::npos);
  }
  SUBCASE("an event's detail edited") {
    run_sql(db, "UPDATE events SET detail = 'device someone-else' WHERE seq = 1");
    CHECK(findings_of().find("row 1 does not match the hash chain (edited)") != std::string::npos);
  }
  SUBCASE("a middle event deleted") {
    run_sql(db, "DELETE FROM events WHERE seq = 2");
    CHECK(findings_of().find("rows 2..2 are missing (deleted)") != std::string::npos);
  }
  SUBCASE("the last event deleted") {
    run_sql(db, "DELETE FROM events WHERE seq = 3");
    CHECK(findings_of().find("rows were removed or added") != std::string::npos);
  }
  SUBCASE("a credential row deleted") {
    run_sql(db, "DELETE FROM credentials");
    CHECK(findings_of().find("has events but no record (deleted)") != std::string::npos);
  }
}

TEST_CASE("the event chain is keyed: truncating the log and rewinding the head is reported (M2)") {
  struct Case {
    const char* why;
    const char* rewind;  // the SQL that points meta.event_head at row 1
  };
  const Case cases[] = {
      // The head as the old format wrote it: "SEQ:HASH", HASH copied from the table.
      {"head rewound to row 1's stored hash", "UPDATE meta SET value = '1:' || lower(hex((SELECT hash FROM events WHERE seq = 1))) "
                                              "WHERE key = 'event_head'"},
      // The same, keeping the tag that authenticated row 2 as the head.
      {"head rewound, old tag kept", "UPDATE meta SET value = '1:' || lower(hex((SELECT hash FROM events WHERE seq = 1))) || "
                                     "substr(value, -65) WHERE key = 'event_head'"},
  };
  for (const auto& c : cases) {
    CAPTURE(c.why);
    World w;
    auto phone = EcPrivateKey::generate().value();
    VerifiedHolder holder = sample_holder();
    auto cred = w.ledger.issue(request_for(w.ledger, holder, phone, w.now), w.signer).value();
    REQUIRE(w.ledger.suspend(cred.credential_id, "phone_lost", w.now + 1).ok());
    REQUIRE(w.ledger.verify()->consistent());
    const std::string db = w.dir.file("ledger.db");
    // The attacker undoes the suspension: the last event goes, the credential is active again.
    run_sql(db, "DROP TRIGGER events_append_only_update; DROP TRIGGER events_append_only_delete;");
    run_sql(db, "DELETE FROM events WHERE seq = 2; UPDATE credentials SET state = 'active', state_reason = ''");
    run_sql(db, c.rewind);
    Ledger fresh = Ledger::open(db, fast_options()).value();
    auto report = fresh.verify().value();
    std::string all;
    for (const auto& f : report.findings) all += f.what + "\n";
    CHECK_FALSE(report.consistent());
    CHECK_MESSAGE(all.find("event log: the recorded head is not authentic (rewound or forged)") != std::string::npos, all);
    // Nothing more is appended on top of a forged head.
    auto more = fresh.revoke(cred.credential_id, "x", w.now + 2);
    REQUIRE_FALSE(more.ok());
    CHECK(more.error().code == ErrorCode::kMalformed);
  }
}

TEST_CASE("a ledger of the old format (plain SHA-256 chain) is refused with a clear message (M2)") {
  TempDir dir;
  const std::string db = dir.file("ledger.db");
  { REQUIRE(Ledger::create(db, fast_options()).ok()); }
  run_sql(db, "UPDATE meta SET value = '1' WHERE key = 'schema_version'");
  auto opened = Ledger::open(db, fast_options());
  REQUIRE_FALSE(opened.ok());
  CHECK(opened.error().code == ErrorCode::kNotSupported);
  CHECK_MESSAGE(opened.error().context.find("has format version 1") != std::string::npos, opened.error().context);
}

TEST_CASE("crash consistency: kill -9 during a batch of issuances leaves a repairable, consistent ledger") {
  TempDir dir;
  TestIssuer pki = make_test_issuer();
  const std::string path = dir.file("ledger.db");
  const std::string out_dir = dir.file("out");
  REQUIRE(::mkdir(out_dir.c_str(), 0700) == 0);
  { REQUIRE(Ledger::create(path, fast_options()).ok()); }
  uint64_t seed = fixture_now();
  for (int round = 0; round < 4; ++round) {
    pid_t child = ::fork();
    REQUIRE(child >= 0);
    if (child == 0) {
      // The child issues in a loop (two holders alternating, new phone each time) until killed.
      SoftwareIssuer signer = signer_of(pki);
      Ledger ledger = Ledger::open(path, fast_options()).value();
      VerifiedHolder holders[2] = {sample_holder(), sample_holder("850101-2345678", Date{1985, 1, 1}, "M00000001")};
      for (int i = 0;; ++i) {
        auto phone = EcPrivateKey::generate().value();
        IssueRequest r = request_for(ledger, holders[i % 2], phone, fixture_now() + i);
        r.file_path = out_dir + "/r" + std::to_string(round) + "-" + std::to_string(i) + ".mdoc";
        (void)issue_to_file(ledger, r, signer);
      }
    }
    seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
    ::usleep(static_cast<useconds_t>(20000 + (seed >> 33) % 120000));
    ::kill(child, SIGKILL);
    int status = 0;
    ::waitpid(child, &status, 0);
    CHECK(WIFSIGNALED(status));

    Ledger ledger = Ledger::open(path, fast_options()).value();
    LedgerVerifyOptions repair{true, {out_dir}};
    auto first = ledger.verify(repair).value();
    for (const auto& f : first.findings) MESSAGE("round " << round << ": " << f.what << std::string(f.repaired ? " [repaired]" : ""));
    CHECK(first.consistent());
    auto second = ledger.verify({false, {out_dir}}).value();
    CHECK(second.findings.empty());

    // Every credential file has its record with the same bytes, and every live record its file.
    std::set<std::string> recorded;
    int active_per_holder_max = 0;
    std::map<std::string, int> live_by_card;
    auto records = ledger.credentials().value();
    for (const auto& c : records) {
      if (c.state == CredentialState::kActive || c.state == CredentialState::kSuspended) {
        auto bytes = read_file(c.file_path);
        REQUIRE_MESSAGE(bytes.ok(), c.file_path);
        ++live_by_card[c.card.document_number];
      }
      recorded.insert(c.file_path);
    }
    for (const auto& [card, n] : live_by_card) active_per_holder_max = std::max(active_per_holder_max, n);
    CHECK(active_per_holder_max <= 1);
    for (const auto& entry : std::filesystem::directory_iterator(out_dir)) {
      std::string p = entry.path().string();
      CHECK_MESSAGE(p.find(kTempMarker) == std::string::npos, p);
      CHECK_MESSAGE(recorded.count(p) == 1, p);
    }
  }
}

namespace {

// RacingSigner: signs with `inner`, but first puts another file at `path`, as a concurrent
// `idtap provision --out` of the same path would between issue_to_file's existence check and
// its final rename.
class RacingSigner final : public IssuerSigner {
 public:
  RacingSigner(IssuerSigner& inner, std::string path) : inner_(inner), path_(std::move(path)) {}
  Result<Bytes> sign(ByteView to_be_signed) override {
    std::ofstream(path_, std::ios::binary) << "the other provision's credential";
    return inner_.sign(to_be_signed);
  }
  const std::vector<Bytes>& certificate_chain() const override { return inner_.certificate_chain(); }

 private:
  IssuerSigner& inner_;
  std::string path_;
};

}  // namespace

TEST_CASE("no-replace publication: a file that appears at --out meanwhile is never overwritten (L4)") {
  // The move itself (rename_no_replace_durable) is tested in tests/base/file_io_test.cpp.
  World w;
  auto phone = EcPrivateKey::generate().value();
  VerifiedHolder holder = sample_holder();
  const std::string out = w.dir.file("phone.mdoc");
  RacingSigner racing(w.signer, out);
  IssueRequest r = request_for(w.ledger, holder, phone, w.now);
  r.file_path = out;
  auto issued = issue_to_file(w.ledger, r, racing);
  REQUIRE_FALSE(issued.ok());
  CHECK(issued.error().code == ErrorCode::kIo);
  CHECK_MESSAGE(issued.error().context.find("already exists (not overwritten") != std::string::npos, issued.error().context);
  CHECK(read_text_file(out) == "the other provision's credential");
  // The credential is recorded and its bytes wait in the temp file; verify says the file at
  // --out is not the recorded one and repair does not replace it.
  auto records = w.ledger.credentials().value();
  REQUIRE(records.size() == 1);
  CHECK(::access(credential_temp_path(out, records[0].id).c_str(), F_OK) == 0);
  auto report = w.ledger.verify({true, {}}).value();
  CHECK_FALSE(report.consistent());
  CHECK(read_text_file(out) == "the other provision's credential");
}

// ----- issue 14: desk daily use ------------------------------------------------------------------

TEST_CASE("document numbers are taken as the MRZ writes them, wherever they enter (issue 14 item 1)") {
  struct Good {
    const char* typed;
    const char* normalized;
  };
  const Good goods[] = {
      {"M12345678", "M12345678"},    // as printed
      {"m12345678", "M12345678"},    // lower case (the desk bug: matched nothing)
      {"m1234 5678", "M12345678"},   // spaces as read aloud
      {" M12345678 ", "M12345678"},  // pasted with blanks
      {"M12345678<", "M12345678"},   // copied from the MRZ with its filler
      {"kr<123<4567", "KR1234567"},  // fillers inside, as a TD1 line shows them
  };
  for (const auto& g : goods) {
    CAPTURE(g.typed);
    CHECK(normalize_document_number(g.typed).value() == g.normalized);
  }
  struct Bad {
    const char* typed;
    const char* why;
  };
  const Bad bads[] = {
      {"", "nothing typed"},
      {"<<< ", "only fillers and spaces"},
      {"M1234-5678", "a dash is not an MRZ character"},
      {"M12345678\xC3\xA9", "a non-ASCII letter"},
      {"M1234\t5678", "a tab is not a space"},
  };
  for (const auto& b : bads) {
    CAPTURE(b.why);
    auto n = normalize_document_number(b.typed);
    REQUIRE_FALSE(n.ok());
    CHECK(n.error().code == ErrorCode::kInvalidArgument);
  }
  CHECK(normalize_issuing_state("kor").value() == "KOR");
  CHECK(normalize_issuing_state("d<<").value() == "D");  // as lds::Mrz keeps Germany's code
  CHECK_FALSE(normalize_issuing_state("KOREA").ok());     // not a 3-letter code
  CHECK_FALSE(normalize_issuing_state("K0R").ok());       // a digit

  // Through the ledger: every spelling finds the card the MRZ recorded.
  for (const char* typed : {"m12345678", "m1234 5678", "M12345678<"}) {
    CAPTURE(typed);
    World w;
    auto phone = EcPrivateKey::generate().value();
    VerifiedHolder holder = sample_holder();  // MRZ document number M12345678
    auto c = w.ledger.issue(request_for(w.ledger, holder, phone, w.now), w.signer).value();
    const CardIdentity lower{typed, "kor"};
    CHECK(w.ledger.credentials(lower).value().size() == 1);
    CHECK(w.ledger.report_card_lost(lower, w.now + 1).value() == std::vector<std::string>{c.credential_id});
    CHECK(w.ledger.credential(c.credential_id)->state == CredentialState::kSuspended);
    CHECK(w.ledger.card_found(lower, w.now + 2).value() == std::vector<std::string>{c.credential_id});
    CHECK(count_rows(w.dir.file("ledger.db"), "cards") == 1);  // no second, lower-case card
  }
}

TEST_CASE("a card the ledger does not know is refused unless recording it is asked for (issue 14 item 1)") {
  World w;
  const std::string db = w.dir.file("ledger.db");
  const CardIdentity unknown{"X9999999", "KOR"};
  bool known = true;
  auto refused = w.ledger.report_card_lost(unknown, w.now, Ledger::UnknownCard::kRefuse, &known);
  REQUIRE_FALSE(refused.ok());
  CHECK(refused.error().code == ErrorCode::kNotFound);
  CHECK_MESSAGE(refused.error().context.find("no card KOR X9999999 in the ledger") == 0, refused.error().context);
  CHECK_FALSE(known);
  CHECK(count_rows(db, "cards") == 0);
  CHECK(count_rows(db, "events") == 0);
  // A malformed number is refused before anything is looked up.
  CHECK(w.ledger.report_card_lost(CardIdentity{"X-1", "KOR"}, w.now).error().code == ErrorCode::kInvalidArgument);
  // On purpose: recorded as lost, and a later provisioning from it is refused.
  auto recorded = w.ledger.report_card_lost(CardIdentity{"x999 9999", "KOR"}, w.now, Ledger::UnknownCard::kRecord, &known);
  REQUIRE(recorded.ok());
  CHECK(recorded->empty());
  CHECK_FALSE(known);
  CHECK(count_rows(db, "cards") == 1);
  VerifiedHolder holder = sample_holder("900515-1234567", Date{1990, 5, 15}, "X9999999");
  auto phone = EcPrivateKey::generate().value();
  auto issued = w.ledger.issue(request_for(w.ledger, holder, phone, w.now + 1), w.signer);
  REQUIRE_FALSE(issued.ok());
  CHECK(issued.error().context == "the card is reported lost");
}

TEST_CASE("a device key is bound to one holder (issue 14 item 2)") {
  World w;
  const std::string db = w.dir.file("ledger.db");
  auto phone = EcPrivateKey::generate().value();
  VerifiedHolder a = sample_holder("900515-1234567", Date{1990, 5, 15}, "M00000001");
  VerifiedHolder b = sample_holder("850101-2345678", Date{1985, 1, 1}, "M00000002");
  auto first = w.ledger.issue(request_for(w.ledger, a, phone, w.now), w.signer).value();

  auto check_refused = [&](const char* why, UnixSeconds at) {
    CAPTURE(why);
    const int64_t credentials = count_rows(db, "credentials");
    const int64_t events = count_rows(db, "events");
    IssueRequest r = request_for(w.ledger, b, phone, at);
    auto refused = w.ledger.issue(r, w.signer);
    REQUIRE_FALSE(refused.ok());
    CHECK(refused.error().code == ErrorCode::kRefused);
    CHECK_MESSAGE(refused.error().context.find("this phone's device key already holds another holder's mobile ID (credential " +
                                               first.credential_id) == 0,
                  refused.error().context);
    CHECK(count_rows(db, "credentials") == credentials);  // nothing issued or recorded
    CHECK(count_rows(db, "events") == events);
    // The batch path applies the same rule.
    IssueRequest again = request_for(w.ledger, b, phone, at);
    auto batch = w.ledger.issue_batch(std::span<const IssueRequest>(&again, 1), w.signer).value();
    REQUIRE_FALSE(batch[0].ok());
    CHECK(batch[0].error().code == ErrorCode::kRefused);
    CHECK(count_rows(db, "credentials") == credentials);
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

TEST_CASE("only create makes a ledger; open refuses what is not one and leaves it untouched (issue 14 item 5)") {
  TempDir dir;
  auto write_bytes = [](const std::string& path, const std::string& bytes) {
    std::ofstream(path, std::ios::binary) << bytes;
  };
  auto foreign_db = [](const std::string& path) {
    run_sql(path, "CREATE TABLE contacts(name TEXT); INSERT INTO contacts VALUES('x');");
  };
  struct Case {
    const char* why;
    std::function<void(const std::string&)> make;  // what is at the path beforehand
    ErrorCode code;
    const char* says;
  };
  const Case cases[] = {
      // A mistyped path: before, a new ledger (and key) was made and reported consistent.
      {"nothing there", [](const std::string&) {}, ErrorCode::kNotFound, "(no such file)"},
      // SQLite takes an empty file for an empty database.
      {"an empty file", [&](const std::string& p) { write_bytes(p, ""); }, ErrorCode::kMalformed, "(an empty file)"},
      // Another program's database got idtap's tables added.
      {"another program's SQLite database", foreign_db, ErrorCode::kMalformed, "(a SQLite database without idtap's tables)"},
      // A text file where the ledger should be.
      {"a text file", [&](const std::string& p) { write_bytes(p, "hello, this is not a database at all\n"); }, ErrorCode::kMalformed,
       "(not a SQLite database)"},
      // A directory.
      {"a directory", [](const std::string& p) { REQUIRE(::mkdir(p.c_str(), 0700) == 0); }, ErrorCode::kMalformed,
       "(not a regular file)"},
  };
  int n = 0;
  for (const auto& c : cases) {
    CAPTURE(c.why);
    const std::string path = dir.file("case" + std::to_string(n++) + ".db");
    c.make(path);
    struct stat before {};
    const bool existed = ::stat(path.c_str(), &before) == 0;
    const int64_t tables = existed && S_ISREG(before.st_mode) && before.st_size > 0 ? count_rows(path, "sqlite_master") : -1;
    auto opened = Ledger::open(path, fast_options());
    REQUIRE_FALSE(opened.ok());
    CHECK(opened.error().code == c.code);
    CHECK_MESSAGE(opened.error().context.find("ledger " + path + " is not an idtap ledger " + c.says) == 0, opened.error().context);
    CHECK(::access((path + ".key").c_str(), F_OK) != 0);  // no key made
    struct stat after {};
    CHECK((::stat(path.c_str(), &after) == 0) == existed);  // nothing created
    if (existed) CHECK(after.st_size == before.st_size);
    if (tables >= 0) CHECK(count_rows(path, "sqlite_master") == tables);  // no tables added
    // create() refuses a path that holds something else too (only an absent path is created).
    if (existed) CHECK_FALSE(Ledger::create(path, fast_options()).ok());
  }
}

TEST_CASE("create: the status URI is required, and an existing ledger's settings are not silently changed (issue 14 item 5)") {
  TempDir dir;
  const std::string db = dir.file("ledger.db");
  LedgerOptions no_uri = fast_options();
  no_uri.status_uri.clear();
  auto refused = Ledger::create(db, no_uri);
  REQUIRE_FALSE(refused.ok());
  CHECK(refused.error().code == ErrorCode::kInvalidArgument);
  CHECK(::access(db.c_str(), F_OK) != 0);
  LedgerOptions zero = fast_options();
  zero.status_list_size = 0;
  CHECK(Ledger::create(db, zero).error().code == ErrorCode::kInvalidArgument);
  CHECK(::access(db.c_str(), F_OK) != 0);

  REQUIRE(Ledger::create(db, fast_options()).ok());
  // The same settings again: the ledger as it is (init is idempotent).
  auto same = Ledger::create(db, fast_options());
  REQUIRE(same.ok());
  CHECK(same->status_uri() == fast_options().status_uri);
  struct Case {
    const char* why;
    std::string uri;
    uint64_t size;
    const char* says;
  };
  const Case cases[] = {
      // Another URI would leave every issued credential pointing at the old list.
      {"another URI", "https://status.example.kr/lists/2", 4096, "already exists with status list URI https://status.example.kr/lists/1"},
      // Another size: the indexes were allocated in the old one.
      {"another size", "https://status.example.kr/lists/1", 8192, "already exists with a status list of 4096 entries, not 8192"},
  };
  for (const auto& c : cases) {
    CAPTURE(c.why);
    LedgerOptions o = fast_options();
    o.status_uri = c.uri;
    o.status_list_size = c.size;
    auto r = Ledger::create(db, o);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code == ErrorCode::kRefused);
    CHECK_MESSAGE(r.error().context.find(c.says) != std::string::npos, r.error().context);
  }
  auto opened = Ledger::open(db);
  REQUIRE(opened.ok());
  CHECK(opened->status_uri() == "https://status.example.kr/lists/1");
  CHECK(opened->status_list_size() == 4096);
}

TEST_CASE("a key file that is not the ledger's is one finding that says so, not a row-by-row list (issue 14 item 16)") {
  TempDir dir;
  TestIssuer pki = make_test_issuer();
  SoftwareIssuer signer = signer_of(pki);
  const std::string db = dir.file("ledger.db"), other = dir.file("other.db");
  {
    Ledger ledger = Ledger::create(db, fast_options()).value();
    for (int i = 0; i < 4; ++i) {  // several rows: before, each one was its own "(edited)" finding
      auto phone = EcPrivateKey::generate().value();
      VerifiedHolder holder = sample_holder();
      REQUIRE(ledger.issue(request_for(ledger, holder, phone, fixture_now() + i), signer).ok());
    }
    REQUIRE(Ledger::create(other, fast_options()).ok());
  }
  // another ledger's key put in place of this one's
  const std::string other_key = read_text_file(other + ".key");
  {
    std::ofstream out(db + ".key", std::ios::binary | std::ios::trunc);
    out << other_key;
  }
  REQUIRE(::chmod((db + ".key").c_str(), 0600) == 0);
  auto opened = Ledger::open(db, fast_options());
  REQUIRE_MESSAGE(opened.ok(), (opened.ok() ? std::string() : opened.error().message()));
  auto report = opened->verify();
  REQUIRE(report.ok());
  REQUIRE(report->findings.size() == 1);
  CHECK(report->findings[0].what.find("the key file does not belong to this ledger") != std::string::npos);
  CHECK(report->findings[0].what.find("run `idtap ledger verify`") == std::string::npos);  // verify is what runs
  CHECK_FALSE(report->consistent());
}
