// tests/provision/ledger_anchor_test.cpp: rollback and truncation (issue 16). A ledger restored
// from an older copy is consistent in itself; only an anchor kept outside the database (the
// anchor log, a published status list) shows it is older than it was. A truncated file is never
// taken for a new ledger.
#include <doctest/doctest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "cli_fixture.h"
#include "idtap/provision/ledger.h"
#include "idtap/provision/status_list.h"
#include "ledger_fixture.h"

using namespace idtap;
using namespace idtap::provision;
using namespace idtap::provision::testing;
namespace fs = std::filesystem;

namespace {

// copy_ledger: the ledger file (and its WAL, if any) from `from` to `to`, as a backup copies it.
void copy_ledger(const std::string& from, const std::string& to) {
  for (const char* suffix : {"", "-wal", "-shm"}) {
    fs::remove(to + suffix);
    if (fs::exists(from + suffix)) fs::copy_file(from + suffix, to + suffix);
  }
}

std::string all_findings(const LedgerReport& r) {
  std::string all;
  for (const auto& f : r.findings) all += f.what + "\n";
  return all;
}

}  // namespace

TEST_CASE("a SQLite ledger restored from an older copy is reported rolled back by its anchor log and its status list") {
  TempDir dir;
  const std::string db = dir.file("ledger.db");
  const std::string anchors = db + ".anchors";
  TestIssuer pki = make_test_issuer();
  SoftwareIssuer signer = signer_of(pki);
  VerifiedHolder holder = sample_holder();
  auto phone = EcPrivateKey::generate().value();
  std::string id;
  {
    Ledger ledger = Ledger::create(db, fast_options()).value();
    CHECK(ledger.anchor_file() == anchors);
    id = ledger.issue(request_for(ledger, holder, phone, fixture_now()), signer).value().credential_id;
    REQUIRE(ledger.anchor(ledger.anchor_file()).ok());
  }
  copy_ledger(db, dir.file("backup.db"));
  {
    // The credential is revoked, and published: the list and the log anchor the newer head.
    Ledger ledger = Ledger::open(db, fast_options()).value();
    REQUIRE(ledger.revoke(id, "phone_lost", fixture_now() + 10).ok());
    StatusListToken token{ledger.status_uri(), fixture_now() + 10, std::nullopt, std::nullopt, ledger.status_list().value(), std::nullopt};
    token.ledger_head = ledger.anchor(ledger.anchor_file()).value();
    REQUIRE(write_file_atomic(dir.file("status.cwt"), sign_status_list_token(token, signer).value(), 0644).ok());
    auto head = status_list_ledger_head(read_file(dir.file("status.cwt")).value()).value();
    REQUIRE(head.has_value());
    CHECK(head->seq == 3);  // the holder, the issuance, the revocation
  }
  copy_ledger(dir.file("backup.db"), db);  // the attacker restores the copy: the revocation is gone
  Ledger restored = Ledger::open(db, fast_options()).value();
  CHECK(restored.credential(id)->state == CredentialState::kActive);
  // From inside, the old copy is consistent.
  CHECK(restored.verify()->consistent());
  for (const std::string& anchor : {anchors, dir.file("status.cwt")}) {
    CAPTURE(anchor);
    auto report = restored.verify(LedgerVerifyOptions{false, {}, {anchor}}).value();
    CHECK(report.rolled_back);
    CHECK_FALSE(report.consistent());
    CHECK_MESSAGE(all_findings(report).find("ROLLED BACK: the ledger is older than its anchor " + anchor) != std::string::npos,
                  all_findings(report));
  }
  // Written again after the rollback: event 3 exists but is not the anchored one.
  REQUIRE(restored.suspend(id, "x", fixture_now() + 20).ok());
  auto forked = restored.verify(LedgerVerifyOptions{false, {}, {anchors}}).value();
  CHECK(forked.rolled_back);
  CHECK_MESSAGE(all_findings(forked).find("event 3 is not the one anchored in") != std::string::npos, all_findings(forked));
}

TEST_CASE("an anchor log of another ledger, or one that is not an anchor log, is not taken for a rollback") {
  TempDir dir;
  World a, b;
  const std::string log = dir.file("a.anchors");
  REQUIRE(a.ledger.anchor(log).ok());
  auto report = b.ledger.verify(LedgerVerifyOptions{false, {}, {log}}).value();
  CHECK_FALSE(report.rolled_back);
  CHECK(all_findings(report).find("is not this ledger's (its tag does not verify under the ledger key)") != std::string::npos);
  std::ofstream(dir.file("junk")) << "hello\n";
  auto junk = b.ledger.verify(LedgerVerifyOptions{false, {}, {dir.file("junk")}});
  REQUIRE_FALSE(junk.ok());
  CHECK(junk.error().code == ErrorCode::kMalformed);
  auto missing = b.ledger.verify(LedgerVerifyOptions{false, {}, {dir.file("nothing")}});
  REQUIRE_FALSE(missing.ok());
  CHECK(missing.error().code == ErrorCode::kIo);
}

TEST_CASE("a PostgreSQL ledger whose newest events are deleted and head rewound is reported rolled back by its anchor") {
  LedgerWorld<PostgresBackend> w;
  const std::string anchors = w.dir.file("anchors");
  CHECK(w.ledger.anchor_file().empty());  // a server ledger's log is named, never guessed
  VerifiedHolder holder = sample_holder();
  auto phone = EcPrivateKey::generate().value();
  const std::string id = w.ledger.issue(request_for(w.ledger, holder, phone, w.now), w.signer).value().credential_id;
  // What a database administrator without the key can keep: the head row as it was.
  const std::string old_head = w.backend.query_text("SELECT value FROM meta WHERE key = 'event_head'");
  REQUIRE(w.ledger.revoke(id, "phone_lost", w.now + 1).ok());
  REQUIRE(w.ledger.anchor(anchors).ok());
  w.backend.drop_append_only_guards();
  w.backend.run_sql(("DELETE FROM events WHERE seq > 2; UPDATE meta SET value = '" + old_head +
                     "' WHERE key = 'event_head'; UPDATE credentials SET state = 'active', state_reason = ''").c_str());
  Ledger fresh = w.reopen();
  CHECK(fresh.verify()->consistent());  // consistent in itself
  auto report = fresh.verify(LedgerVerifyOptions{false, {}, {anchors}}).value();
  CHECK(report.rolled_back);
  CHECK_MESSAGE(all_findings(report).find("its last event is 2 but event 3 was anchored") != std::string::npos, all_findings(report));
}

TEST_CASE("a ledger file truncated to 0 bytes is refused by every command, `ledger init` included, and left as it is") {
  TempDir dir;
  const std::string db = dir.file("ledger.db");
  cli::init_ledger(db);
  { std::ofstream truncate(db, std::ios::trunc); }
  REQUIRE(fs::file_size(db) == 0);
  auto opened = Ledger::open(db, fast_options());
  REQUIRE_FALSE(opened.ok());
  CHECK(opened.error().code == ErrorCode::kMalformed);
  CHECK_MESSAGE(opened.error().context.find("the ledger file is empty: truncated?") != std::string::npos, opened.error().context);
  CHECK_FALSE(Ledger::create(db, fast_options()).ok());
  for (const std::string& command : {"ledger verify --ledger " + db, "credential list --ledger " + db, "ledger migrate --ledger " + db,
                                     "ledger init --ledger " + db + " --status-uri " + cli::kStatusUri}) {
    CAPTURE(command);
    auto r = cli::run(command);
    CHECK(r.rc == 9);
    CHECK_MESSAGE(cli::contains(r.out, "the ledger file is empty: truncated?"), r.out);
  }
  CHECK(fs::file_size(db) == 0);
}

TEST_CASE("idtap ledger anchor, status-list publish and ledger verify --anchor: a restored copy exits 12 (rolled back)") {
  TempDir dir;
  const std::string db = dir.file("ledger.db");
  TestIssuer pki = make_test_issuer();
  cli::write_issuer_files(dir, pki);
  const std::string id = cli::issue_sample_to_file(db, pki, dir.file("phone.mdoc"));
  auto anchored = cli::run("ledger anchor --ledger " + db + " --json");
  REQUIRE_MESSAGE(anchored.rc == 0, anchored.out);
  CHECK(cli::contains(anchored.out, "\"seq\":2"));
  CHECK(cli::contains(anchored.out, "\"anchor_file\":\"" + db + ".anchors\""));
  copy_ledger(db, dir.file("backup.db"));
  fs::copy_file(db + ".anchors", dir.file("old.anchors"));  // the log as it was when the copy was made
  REQUIRE(cli::run("credential revoke " + id + " --ledger " + db).rc == 0);
  auto published = cli::run("status-list publish --ledger " + db + " --issuer-key " + dir.file("issuer.key") + " --issuer-cert " +
                            dir.file("issuer.pem") + " --out " + dir.file("status.cwt") + " --json");
  REQUIRE_MESSAGE(published.rc == 0, published.out);
  CHECK_MESSAGE(cli::contains(published.out, "\"ledger_head_seq\":3,\"anchor_file\":\"" + db + ".anchors\""), published.out);
  auto shown = cli::run("status-list show " + dir.file("status.cwt") + " --issuer-cert " + dir.file("issuer.pem"));
  CHECK_MESSAGE(cli::contains(shown.out, "ledger head at event 3"), shown.out);
  auto clean = cli::run("ledger verify --ledger " + db + " --json");
  CHECK_MESSAGE(clean.rc == 0, clean.out);
  CHECK(cli::contains(clean.out, "\"anchors\":[\"" + db + ".anchors\"]"));  // its own log, checked by default
  copy_ledger(dir.file("backup.db"), db);
  for (const std::string& anchor : {std::string(""), " --anchor " + dir.file("status.cwt")}) {
    auto r = cli::run("ledger verify --ledger " + db + anchor);
    CHECK_MESSAGE(r.rc == 12, r.out);
    CHECK_MESSAGE(cli::contains(r.out, "ROLLED BACK"), r.out);
  }
  auto json = cli::run("ledger verify --ledger " + db + " --json");
  CHECK(json.rc == 12);
  CHECK(cli::contains(json.out, "\"rolled_back\":true"));
  // An edited column: exit 1, and the finding's parts in --json.
  run_sql(db, ("UPDATE credentials SET status_idx = 7 WHERE id = '" + id + "'").c_str());
  auto edited = cli::run("ledger verify --ledger " + db + " --json --anchor " + dir.file("old.anchors"));
  CHECK_MESSAGE(edited.rc == 1, edited.out);
  CHECK_MESSAGE(cli::contains(edited.out, "\"table\":\"credentials\",\"row\":\"" + id + "\",\"column\":\"status_idx\""), edited.out);
  CHECK(cli::contains(edited.out, "\"found\":\"7\""));
}
