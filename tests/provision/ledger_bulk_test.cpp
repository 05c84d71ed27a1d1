// LedgerBulkLoad (idtap/provision/ledger_bulk.h): rows written straight into the tables (here a
// SQLite ledger through sqlite3, as the scale benchmark COPYs them into PostgreSQL) make a
// ledger that verify finds consistent and that issues on; an edit of a loaded row is reported;
// bad input is refused.
#include <doctest/doctest.h>
#include <sqlite3.h>

#include <string>
#include <vector>

#include "idtap/crypto/hash.h"
#include "idtap/provision/keys.h"
#include "idtap/provision/ledger_bulk.h"
#include "ledger_fixture.h"

using namespace idtap;
using namespace idtap::provision;
using namespace idtap::provision::testing;

namespace {

VerifiedHolder bulk_holder(size_t i) {
  char rrn[16], doc[16];
  std::snprintf(rrn, sizeof rrn, "700101-1%06zu", i);
  std::snprintf(doc, sizeof doc, "B%08zu", i);
  return sample_holder(rrn, Date{1970, 1, 1}, doc);
}

Bytes sha256_text(const std::string& s) {
  return crypto::digest(crypto::HashAlg::kSha256, ByteView(reinterpret_cast<const uint8_t*>(s.data()), s.size())).value();
}

// Inserter: the rows of a load, through one sqlite3 connection in one transaction.
struct Inserter {
  sqlite3* db = nullptr;
  explicit Inserter(const std::string& path) {
    REQUIRE(sqlite3_open(path.c_str(), &db) == SQLITE_OK);
    REQUIRE(sqlite3_exec(db, "BEGIN", nullptr, nullptr, nullptr) == SQLITE_OK);
  }
  ~Inserter() { sqlite3_close(db); }
  void commit() { REQUIRE(sqlite3_exec(db, "COMMIT", nullptr, nullptr, nullptr) == SQLITE_OK); }
  // row: `sql` with `values` bound in order (int64, text, or bytes).
  struct Value {
    enum { kInt, kText, kBlob } type;
    int64_t i = 0;
    std::string s;
    Bytes b;
  };
  static Value I(int64_t v) { return {Value::kInt, v, {}, {}}; }
  static Value T(std::string v) { return {Value::kText, 0, std::move(v), {}}; }
  static Value B(Bytes v) { return {Value::kBlob, 0, {}, std::move(v)}; }
  void row(const char* sql, const std::vector<Value>& values) {
    sqlite3_stmt* s = nullptr;
    REQUIRE(sqlite3_prepare_v2(db, sql, -1, &s, nullptr) == SQLITE_OK);
    for (size_t k = 0; k < values.size(); ++k) {
      const int at = static_cast<int>(k + 1);
      const Value& v = values[k];
      if (v.type == Value::kInt) sqlite3_bind_int64(s, at, v.i);
      else if (v.type == Value::kText) sqlite3_bind_text(s, at, v.s.c_str(), -1, SQLITE_TRANSIENT);
      else sqlite3_bind_blob(s, at, v.b.data(), static_cast<int>(v.b.size()), SQLITE_TRANSIENT);
    }
    const int rc = sqlite3_step(s);
    INFO(sql << ": " << sqlite3_errmsg(db));
    sqlite3_finalize(s);
    REQUIRE(rc == SQLITE_DONE);
  }
  void event(const BulkEvent& e) {
    row("INSERT INTO events(seq, at, kind, credential_id, card_id, detail, site, hash) VALUES(?, ?, ?, ?, ?, ?, ?, ?)",
        {I(e.seq), I(e.at), T(e.kind), T(e.credential_id), I(e.card_id), T(e.detail), T(e.site), B(e.hash)});
  }
};

// load: `n` bulk issuances into the new ledger at `path`; the ids of their credentials.
std::vector<std::string> load(Ledger& ledger, const std::string& path, size_t n, UnixSeconds at) {
  auto bulk = LedgerBulkLoad::start(ledger);
  REQUIRE(bulk.ok());
  std::vector<std::string> ids;
  Inserter in(path);
  for (size_t i = 0; i < n; ++i) {
    const VerifiedHolder h = bulk_holder(i);
    BulkIssuance b;
    b.holder = &h;
    b.device_thumbprint = base64url(sha256_text("phone " + std::to_string(i)));
    b.at = at;
    b.status_idx = 7 * i + 3;
    b.file_sha256 = sha256_text("credential " + std::to_string(i));
    auto rows = bulk->next(b);
    REQUIRE(rows.ok());
    const BulkRows& r = *rows;
    using V = Inserter;
    in.row("INSERT INTO holders(id, holder_key, created_at) VALUES(?, ?, ?)", {V::I(r.holder_id), V::B(r.holder_key), V::I(b.at)});
    in.row("INSERT INTO cards(id, issuing_state, document_number, holder_id, state) VALUES(?, ?, ?, ?, 'valid')",
           {V::I(r.card_id), V::T(r.card.issuing_state), V::T(r.card.document_number), V::I(r.holder_id)});
    in.row("INSERT INTO credentials(id, holder_id, card_id, device_thumbprint, doc_type, issued_at, valid_from, valid_until, state, "
           "state_reason, status_idx, file_path, file_sha256, evidence, site) VALUES(?, ?, ?, ?, ?, ?, ?, ?, 'active', '', ?, '', ?, ?, ?)",
           {V::T(r.credential_id), V::I(r.holder_id), V::I(r.card_id), V::T(b.device_thumbprint), V::T(b.doc_type), V::I(b.at), V::I(b.at),
            V::I(r.valid_until), V::I(static_cast<int64_t>(b.status_idx)), V::B(b.file_sha256), V::T(r.evidence), V::T(r.site)});
    in.event(r.holder_event);
    in.event(r.issued_event);
    ids.push_back(r.credential_id);
  }
  in.commit();
  REQUIRE(bulk->finish().ok());
  CHECK(bulk->loaded() == static_cast<int64_t>(n));
  return ids;
}

}  // namespace

TEST_CASE("a bulk-loaded ledger verifies consistent and issues on from where the load ended") {
  SqliteBackend b;
  LedgerOptions o = b.options();
  o.site = "SEOUL-01";  // the site is in every row and link: the load writes it as issue() does
  TestIssuer pki = make_test_issuer();
  SoftwareIssuer signer = signer_of(pki);
  const UnixSeconds now = fixture_now();
  Ledger ledger = Ledger::create(b.location(), o).value();
  const std::vector<std::string> ids = load(ledger, b.location(), 40, now - 86400);

  auto report = ledger.verify();
  REQUIRE(report.ok());
  for (const auto& f : report->findings) INFO(f.what);
  CHECK(report->consistent());
  CHECK(report->credentials == 40);
  CHECK(report->events == 80);

  // A loaded holder re-issued through the API: its loaded credential is revoked (one phone per
  // holder finds it by the holder key the load wrote); a new holder gets the next id.
  const VerifiedHolder again = bulk_holder(5);
  const VerifiedHolder fresh = bulk_holder(1000);
  EcPrivateKey phone1 = EcPrivateKey::generate().value();
  EcPrivateKey phone2 = EcPrivateKey::generate().value();
  auto reissued = ledger.issue(request_for(ledger, again, phone1, now), signer);
  REQUIRE(reissued.ok());
  CHECK(reissued->revoked == std::vector<std::string>{ids[5]});
  REQUIRE(ledger.issue(request_for(ledger, fresh, phone2, now), signer).ok());
  CHECK(b.query_text("SELECT max(id) FROM holders") == "41");
  CHECK(b.query_text("SELECT max(id) FROM cards") == "41");

  report = ledger.verify();
  REQUIRE(report.ok());
  for (const auto& f : report->findings) INFO(f.what);
  CHECK(report->consistent());
  CHECK(report->credentials == 42);
}

TEST_CASE("an edit of a bulk-loaded row is reported by verify") {
  SqliteBackend b;
  Ledger ledger = Ledger::create(b.location(), b.options()).value();
  const std::vector<std::string> ids = load(ledger, b.location(), 10, fixture_now());
  b.run_sql(("UPDATE credentials SET status_idx = 4000 WHERE id = '" + ids[3] + "'").c_str());
  auto report = ledger.verify();
  REQUIRE(report.ok());
  CHECK_FALSE(report->consistent());
  bool found = false;
  for (const auto& f : report->findings) found = found || (f.row == ids[3] && f.column == "status_idx");
  CHECK(found);
}

TEST_CASE("a bulk load refuses a ledger in use and bad rows") {
  SqliteBackend b;
  TestIssuer pki = make_test_issuer();
  SoftwareIssuer signer = signer_of(pki);
  Ledger ledger = Ledger::create(b.location(), b.options()).value();
  const VerifiedHolder h = bulk_holder(1);
  auto bulk = LedgerBulkLoad::start(ledger);
  REQUIRE(bulk.ok());
  BulkIssuance in;
  in.holder = &h;
  in.device_thumbprint = "x";
  in.at = fixture_now();
  in.file_sha256 = Bytes(32, 1);
  // A status index outside the list (4096 entries).
  in.status_idx = 4096;
  CHECK(bulk->next(in).error().code == ErrorCode::kInvalidArgument);
  // A digest that is not SHA-256.
  in.status_idx = 1;
  in.file_sha256 = Bytes(31, 1);
  CHECK(bulk->next(in).error().code == ErrorCode::kInvalidArgument);
  // A resident number that is not 13 digits.
  VerifiedHolder short_number = h;
  short_number.resident_registration_number = SecureBytes{'1', '2'};
  in.file_sha256 = Bytes(32, 1);
  in.holder = &short_number;
  CHECK(bulk->next(in).error().code == ErrorCode::kInvalidArgument);
  // No holder.
  in.holder = nullptr;
  CHECK(bulk->next(in).error().code == ErrorCode::kInvalidArgument);
  // Nothing was chained by the refused rows: the head is still the genesis.
  CHECK(bulk->loaded() == 0);

  // A ledger that has issued is not a load's.
  EcPrivateKey phone = EcPrivateKey::generate().value();
  REQUIRE(ledger.issue(request_for(ledger, h, phone, fixture_now()), signer).ok());
  auto refused = LedgerBulkLoad::start(ledger);
  REQUIRE_FALSE(refused.ok());
  CHECK(refused.error().code == ErrorCode::kState);
}
