// tests/provision/ledger_publish_test.cpp: issue 16's smaller fixes: record first and publish
// after (no signed credential without its record, at every point a crash can stop
// issue_to_file), two provisions to the same --out, a ledger held too long is busy, and a
// status list publication's leftover temp file is repaired.
#include <doctest/doctest.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <future>
#include <map>
#include <set>
#include <thread>

#include "idtap/base/hex.h"
#include "idtap/crypto/hash.h"
#include "idtap/provision/files.h"
#include "idtap/provision/ledger.h"
#include "idtap/provision/provisioning.h"
#include "ledger_fixture.h"

using namespace idtap;
using namespace idtap::provision;
using namespace idtap::provision::testing;

namespace {


Bytes sha256(ByteView b) { return crypto::digest(crypto::HashAlg::kSha256, b).value(); }

// signed_files_without_record: every non-empty file under `dir` whose bytes are no recorded
// credential's (a signed credential the ledger could never revoke).
std::vector<std::string> signed_files_without_record(Ledger& ledger, const std::string& dir) {
  std::set<std::string> recorded;
  const auto records = ledger.credentials().value();
  for (const auto& c : records) recorded.insert(to_hex(c.file_sha256));
  std::vector<std::string> out;
  for (const auto& e : std::filesystem::directory_iterator(dir)) {
    auto bytes = read_file(e.path().string()).value();
    if (!bytes.empty() && !recorded.count(to_hex(sha256(bytes)))) out.push_back(e.path().string());
  }
  return out;
}

}  // namespace

TEST_CASE("record first, publish after: wherever issue_to_file stops, no signed credential lacks its record") {
  struct Case {
    const char* why;
    FileIssueStep step;
    const char* finding;  // what verify reports before repair
    bool revoked;         // repair revokes the credential (it never left the process)
  };
  const Case cases[] = {
      // Killed inside the transaction: only an empty marker exists, and no record.
      {"stopped before the commit", FileIssueStep::kReserved, "orphan temp file", false},
      // The record is durable, the marker still empty: the signed bytes never reached the disk.
      {"stopped after the commit (the kill at the first fsync)", FileIssueStep::kCommitted, "recorded but never published", true},
      // The bytes are in the temp file: repair publishes them.
      {"stopped before the rename", FileIssueStep::kWritten, "committed but not yet renamed", false},
  };
  for (const auto& c : cases) {
    CAPTURE(c.why);
    World w;
    auto phone = EcPrivateKey::generate().value();
    VerifiedHolder holder = sample_holder();
    const std::string out_dir = w.dir.file("out");
    REQUIRE(::mkdir(out_dir.c_str(), 0700) == 0);
    IssueRequest r = request_for(w.ledger, holder, phone, w.now);
    r.file_path = out_dir + "/phone.mdoc";
    FileIssueHooks hooks{[&](FileIssueStep s) { return s == c.step; }};
    auto stopped = issue_to_file(w.ledger, r, w.signer, &hooks);
    REQUIRE_FALSE(stopped.ok());
    CHECK(stopped.error().code == ErrorCode::kCancelled);
    CHECK(signed_files_without_record(w.ledger, out_dir).empty());

    auto found = w.ledger.verify({false, {out_dir}}).value();
    REQUIRE(found.findings.size() == 1);
    CHECK_MESSAGE(found.findings[0].what.find(c.finding) != std::string::npos, found.findings[0].what);
    auto repaired = w.ledger.verify({true, {out_dir}}).value();
    CHECK(repaired.consistent());
    CHECK(w.ledger.verify({false, {out_dir}})->findings.empty());
    CHECK(signed_files_without_record(w.ledger, out_dir).empty());
    auto records = w.ledger.credentials().value();
    if (c.step == FileIssueStep::kReserved) {
      CHECK(records.empty());
      continue;
    }
    REQUIRE(records.size() == 1);
    if (c.revoked) {
      CHECK(records[0].state == CredentialState::kRevoked);
      CHECK(records[0].state_reason == "never published (issuance interrupted)");
      CHECK(::access(r.file_path.c_str(), F_OK) != 0);
    } else {
      CHECK(records[0].state == CredentialState::kActive);
      CHECK(sha256(read_file(r.file_path).value()) == records[0].file_sha256);
    }
  }
}

TEST_CASE("two provisions to the same --out: the one that succeeds holds the active credential") {
  // Provision B (the same holder, another phone) runs while provision A is at `step`.
  struct Case {
    const char* why;
    FileIssueStep step;
  };
  const Case cases[] = {
      {"B runs after A committed, before A wrote its bytes", FileIssueStep::kCommitted},
      {"B runs after A wrote its bytes, before A's rename", FileIssueStep::kWritten},
      {"B commits after A's rename, before A's last check", FileIssueStep::kPublished},
  };
  for (const auto& c : cases) {
    CAPTURE(c.why);
    World w;
    VerifiedHolder holder = sample_holder();
    auto phone_a = EcPrivateKey::generate().value();
    auto phone_b = EcPrivateKey::generate().value();
    const std::string out = w.dir.file("phone.mdoc");
    std::optional<Result<IssuedCredential>> b;
    std::thread b_thread;
    // run_b: provision B to completion. With `sync` (the third case), B checks --out before A's
    // rename, then waits inside its transaction until A has renamed, then commits, as a process
    // that read its card meanwhile would.
    struct Sync {
      std::promise<void> b_reserved, a_renamed, b_committed;
    } sync;
    auto run_b = [&](Sync* sy) {
      Ledger ledger_b = w.reopen();  // B's own connection, as another process has
      IssueRequest r = request_for(ledger_b, holder, phone_b, w.now + 1);
      r.file_path = out;
      bool reserved = false, committed = false;
      FileIssueHooks b_hooks{[&](FileIssueStep s) {
        if (sy != nullptr && s == FileIssueStep::kReserved) {
          reserved = true;
          sy->b_reserved.set_value();
          sy->a_renamed.get_future().wait();
        }
        if (sy != nullptr && s == FileIssueStep::kCommitted) {
          committed = true;
          sy->b_committed.set_value();
        }
        return false;
      }};
      b = issue_to_file(ledger_b, r, w.signer, &b_hooks);
      if (sy != nullptr && !reserved) sy->b_reserved.set_value();  // B failed early: nobody waits forever
      if (sy != nullptr && !committed) sy->b_committed.set_value();
    };
    FileIssueHooks a_hooks{[&](FileIssueStep s) {
      if (c.step != FileIssueStep::kPublished) {
        if (s == c.step) run_b(nullptr);
        return false;
      }
      if (s == FileIssueStep::kWritten) {
        b_thread = std::thread(run_b, &sync);
        sync.b_reserved.get_future().wait();
      }
      if (s == FileIssueStep::kPublished) {
        sync.a_renamed.set_value();
        sync.b_committed.get_future().wait();  // B waits for the directory's lock A holds
      }
      return false;
    }};
    IssueRequest ra = request_for(w.ledger, holder, phone_a, w.now);
    ra.file_path = out;
    auto a = issue_to_file(w.ledger, ra, w.signer, &a_hooks);
    if (b_thread.joinable()) b_thread.join();
    REQUIRE(b.has_value());
    REQUIRE_MESSAGE(b->ok(), b->error().message());
    // B's credential revoked A's: A fails, and the file is B's active credential.
    REQUIRE_FALSE(a.ok());
    CHECK(a.error().code == ErrorCode::kState);
    CHECK_MESSAGE(a.error().context.find("another provision for the same holder replaced it") != std::string::npos,
                  a.error().context);
    CHECK(equal_bytes(read_file(out).value(), (*b)->issuer_signed));
    CHECK(w.ledger.credential((*b)->credential_id)->state == CredentialState::kActive);
    auto report = w.ledger.verify({true, {}}).value();
    for (const auto& f : report.findings) MESSAGE(f.what);
    CHECK(report.consistent());
    CHECK(w.ledger.verify({false, {}})->findings.empty());
  }
}

TEST_CASE("a ledger whose lock another process holds too long is busy, with its own error") {
  World w;
  auto phone = EcPrivateKey::generate().value();
  VerifiedHolder holder = sample_holder();
  auto c = w.ledger.issue(request_for(w.ledger, holder, phone, w.now), w.signer).value();
  // Another process holds the write lock.
  sqlite3* other = nullptr;
  REQUIRE(sqlite3_open(w.backend.location().c_str(), &other) == SQLITE_OK);
  REQUIRE(sqlite3_exec(other, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr) == SQLITE_OK);
  LedgerOptions impatient = w.backend.options();
  impatient.busy_timeout_ms = 100;
  auto opened = Ledger::open(w.backend.location(), impatient);
  REQUIRE_FALSE(opened.ok());
  CHECK(opened.error().code == ErrorCode::kBusy);
  CHECK(std::string(error_code_name(opened.error().code)) == "busy");
  CHECK_MESSAGE(opened.error().context.find("the ledger is busy: another process held its lock longer than the busy timeout") == 0,
                opened.error().context);
  sqlite3_exec(other, "COMMIT", nullptr, nullptr, nullptr);
  Ledger second = Ledger::open(w.backend.location(), impatient).value();
  REQUIRE(sqlite3_exec(other, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr) == SQLITE_OK);
  auto suspended = second.suspend(c.credential_id, "phone_lost", w.now + 1);
  REQUIRE_FALSE(suspended.ok());
  CHECK(suspended.error().code == ErrorCode::kBusy);
  sqlite3_exec(other, "ROLLBACK", nullptr, nullptr, nullptr);
  sqlite3_close(other);
  CHECK(second.suspend(c.credential_id, "phone_lost", w.now + 1).ok());  // nothing was half done
  CHECK(second.verify()->consistent());
}

TEST_CASE("a status list publication's leftover temp file is reported and removed by repair") {
  World w;
  const std::string dir = w.dir.file("pub");
  REQUIRE(::mkdir(dir.c_str(), 0700) == 0);
  std::ofstream(dir + "/status.cwt", std::ios::binary) << "the published list";
  // What `status-list publish --out status.cwt` leaves when killed before its rename.
  std::ofstream(dir + "/status.cwt.tmp-Ab3xY9", std::ios::binary) << "half a list";
  // Not leftovers: other names that merely look alike.
  std::ofstream(dir + "/notes.tmp-12", std::ios::binary) << "x";
  std::ofstream(dir + "/.tmp-abcdef", std::ios::binary) << "x";
  auto found = w.ledger.verify({false, {dir}}).value();
  REQUIRE(found.findings.size() == 1);
  CHECK_MESSAGE(found.findings[0].what.find("leftover temp file " + dir + "/status.cwt.tmp-Ab3xY9 of an interrupted publication of " +
                                            dir + "/status.cwt") == 0,
                found.findings[0].what);
  CHECK_FALSE(found.consistent());
  auto repaired = w.ledger.verify({true, {dir}}).value();
  CHECK(repaired.consistent());
  CHECK(::access((dir + "/status.cwt.tmp-Ab3xY9").c_str(), F_OK) != 0);
  CHECK(::access((dir + "/status.cwt").c_str(), F_OK) == 0);
  CHECK(::access((dir + "/notes.tmp-12").c_str(), F_OK) == 0);
  CHECK(w.ledger.verify({false, {dir}})->findings.empty());
}
