// tests/provision/ledger_open_test.cpp: opening and creating a SQLite ledger file: what is refused
// (not a ledger, no key, an old format, changed settings, a corrupt meta row, another key).
#include <doctest/doctest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <functional>
#include <vector>

#include <fmt/format.h>

#include "idtap/provision/ledger.h"
#include "ledger_fixture.h"

using namespace idtap;
using namespace idtap::provision;
using namespace idtap::provision::testing;

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
      {"an empty file", [&](const std::string& p) { write_bytes(p, ""); }, ErrorCode::kMalformed, "(the ledger file is empty: truncated?"},
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

// LedgerOptions::sync_by_caller (a group-commit writer's connection): its commits neither wait
// for the disk nor checkpoint the WAL into the database; sync_committed syncs, and checkpoints
// once the WAL has passed SQLite's usual threshold (4 MB).
TEST_CASE("sync_by_caller: commits leave the WAL alone; sync_committed checkpoints a large one") {
  TempDir dir;
  const std::string db = dir.file("ledger.db");
  TestIssuer pki = make_test_issuer();
  SoftwareIssuer signer = signer_of(pki);
  LedgerOptions options = fast_options();
  options.sync_by_caller = true;
  { REQUIRE(Ledger::create(db, fast_options()).ok()); }
  Ledger ledger = Ledger::open(db, options).value();
  auto size_of = [](const std::string& path) {
    struct stat st {};
    return ::stat(path.c_str(), &st) == 0 ? static_cast<int64_t>(st.st_size) : -1;
  };
  const int64_t db_before = size_of(db);
  // Issue until the WAL is past 4 MB (bounded: 4,000 issuances at most).
  std::vector<VerifiedHolder> holders;
  holders.reserve(4000);
  for (int round = 0; round < 160 && size_of(db + "-wal") <= 4 * 1024 * 1024; ++round) {
    std::vector<IssueRequest> batch;
    for (int i = 0; i < 25; ++i) {
      const int n = round * 25 + i;
      holders.push_back(sample_holder(fmt::format("800101-1{:06d}", n), Date{1980, 1, 1}, fmt::format("M3{:07d}", n)));
      IssueRequest r;
      r.holder = &holders.back();
      r.device_key = EcPrivateKey::generate().value().public_key();
      r.possession = PossessionCheck::kCaller;
      r.now = fixture_now();
      batch.push_back(std::move(r));
    }
    auto results = ledger.issue_batch(batch, signer);
    REQUIRE(results.ok());
    for (const auto& result : *results) REQUIRE(result.ok());
  }
  REQUIRE(size_of(db + "-wal") > 4 * 1024 * 1024);
  CHECK(size_of(db) == db_before);  // no checkpoint at a commit
  REQUIRE(ledger.sync_committed().ok());
  CHECK(size_of(db) > db_before + 1024 * 1024);  // the WAL's pages copied into the database
  CHECK(ledger.verify()->consistent());
}
