// tests/provision/ledger_verify_test.cpp: audit and repair: edits found by verify, the keyed chain,
// credential files and crash consistency.
#include <doctest/doctest.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <set>

#include "idtap/provision/files.h"
#include "idtap/provision/provisioning.h"

#include "idtap/provision/ledger.h"
#include "ledger_fixture.h"

using namespace idtap;
using namespace idtap::provision;
using namespace idtap::provision::testing;

TEST_CASE_TEMPLATE("ledger verify detects an edited, inserted or deleted row", B, LEDGER_BACKENDS) {
  LedgerWorld<B> w;
  auto phone = EcPrivateKey::generate().value();
  VerifiedHolder holder = sample_holder();
  auto c = w.ledger.issue(request_for(w.ledger, holder, phone, w.now), w.signer).value();
  REQUIRE(w.ledger.suspend(c.credential_id, "phone_lost", w.now + 1).ok());
  REQUIRE(w.ledger.resume(c.credential_id, w.now + 2).ok());
  REQUIRE(w.ledger.verify()->consistent());

  // The event log refuses edits through SQL; an attacker drops the guards first.
  CHECK_FALSE(w.backend.try_sql("UPDATE events SET detail = 'x'"));
  w.backend.drop_append_only_guards();

  auto findings_of = [&] {
    Ledger fresh = w.reopen();
    auto r = fresh.verify().value();
    std::string all;
    for (const auto& f : r.findings) all += f.what + "\n";
    return all;
  };
  SUBCASE("a credential's state edited (revoked -> active would be the attack)") {
    w.backend.run_sql("UPDATE credentials SET state = 'suspended'");
    CHECK(findings_of().find("credentials[" + c.credential_id + "].state: the events say 'active', the table has 'suspended' (edited)") !=
          std::string::npos);
  }
  SUBCASE("an event's detail edited") {
    w.backend.run_sql("UPDATE events SET detail = 'device someone-else' WHERE seq = 1");
    CHECK(findings_of().find("row 1 does not match the hash chain (edited)") != std::string::npos);
  }
  SUBCASE("a middle event deleted") {
    w.backend.run_sql("DELETE FROM events WHERE seq = 2");
    CHECK(findings_of().find("rows 2..2 are missing (deleted)") != std::string::npos);
  }
  SUBCASE("the last event deleted") {
    // 1 the holder, 2 issued, 3 suspended, 4 resumed.
    w.backend.run_sql("DELETE FROM events WHERE seq = 4");
    CHECK(findings_of().find("rows were removed or added") != std::string::npos);
  }
  SUBCASE("a credential row deleted") {
    w.backend.run_sql("DELETE FROM credentials");
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
    run_sql(db, "DELETE FROM events WHERE seq = 3; UPDATE credentials SET state = 'active', state_reason = ''");  // 3: suspended
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
