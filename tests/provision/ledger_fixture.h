// tests/provision/ledger_fixture.h: the ledger tests' backends. A test that holds for every
// backend is a TEST_CASE_TEMPLATE over LEDGER_BACKENDS and reaches the database only through its
// backend fixture B: B::location (what --ledger takes), B::options, B::count_rows, B::run_sql and
// B::drop_append_only_guards (what an attacker with write access to the database does first).
#pragma once

#include <doctest/doctest.h>
#include <sqlite3.h>

#include <string>

#include "fixtures.h"
#include "idtap/provision/files.h"
#include "idtap/provision/ledger.h"
#include "postgres_server.h"

namespace idtap::provision::testing {

inline LedgerOptions fast_options() {
  LedgerOptions o;
  o.status_uri = "https://status.example.kr/lists/1";
  o.status_list_size = 4096;
  o.durable = true;
  return o;
}

// count_rows / run_sql: straight to a SQLite ledger file, around idtap.
inline int64_t count_rows(const std::string& db_path, const char* table) {
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

// try_sql: whether `sql` ran; `error` (optional) gets the database's message.
inline bool try_sql(const std::string& db_path, const char* sql, std::string* error = nullptr) {
  sqlite3* db = nullptr;
  if (sqlite3_open(db_path.c_str(), &db) != SQLITE_OK) return false;
  char* err = nullptr;
  int rc = sqlite3_exec(db, sql, nullptr, nullptr, &err);
  if (error != nullptr) *error = err ? err : "";
  sqlite3_free(err);
  sqlite3_close(db);
  return rc == SQLITE_OK;
}

inline void run_sql(const std::string& db_path, const char* sql) {
  std::string err;
  const bool ran = try_sql(db_path, sql, &err);
  INFO(sql << " -> " << (ran ? "ok" : err));
  REQUIRE(ran);
}

// SqliteBackend: a ledger file in a private directory.
struct SqliteBackend {
  static constexpr const char* kName = "sqlite";
  TempDir dir;
  std::string location() const { return dir.file("ledger.db"); }
  LedgerOptions options() const { return fast_options(); }
  int64_t count_rows(const char* table) const { return testing::count_rows(location(), table); }
  void run_sql(const char* sql) const { testing::run_sql(location(), sql); }
  bool try_sql(const char* sql) const { return testing::try_sql(location(), sql); }
  // query_text: the first column of the first row of `sql`, as text ("" when none).
  std::string query_text(const std::string& sql) const {
    sqlite3* db = nullptr;
    sqlite3_open(location().c_str(), &db);
    sqlite3_stmt* s = nullptr;
    sqlite3_prepare_v2(db, sql.c_str(), -1, &s, nullptr);
    std::string out;
    if (sqlite3_step(s) == SQLITE_ROW && sqlite3_column_text(s, 0) != nullptr)
      out = reinterpret_cast<const char*>(sqlite3_column_text(s, 0));
    sqlite3_finalize(s);
    sqlite3_close(db);
    return out;
  }
  // raw_contents: every byte the backend stores (to show what is not in it).
  std::string raw_contents() const {
    std::string all;
    for (const std::string& f : {location(), location() + "-wal"}) {  // the WAL holds the latest pages
      auto bytes = read_file(f);
      if (bytes.ok()) all.append(bytes->begin(), bytes->end());
    }
    return all;
  }
  void drop_append_only_guards() const {
    run_sql("DROP TRIGGER events_append_only_update; DROP TRIGGER events_append_only_delete;");
  }
};

// PostgresBackend: a database of its own on the test binary's PostgreSQL server
// (postgres_server.h), the ledger key in a private directory.
struct PostgresBackend {
  static constexpr const char* kName = "postgresql";
  TempDir dir;
  std::string db = PostgresServer::instance().create_database();
  std::string location() const { return PostgresServer::instance().conninfo(db); }
  LedgerOptions options() const {
    LedgerOptions o = fast_options();
    o.key_file = dir.file("ledger.key");
    return o;
  }
  bool try_sql(const char* sql, std::string* error = nullptr) const {
    PGconn* c = PQconnectdb(location().c_str());
    PGresult* r = PQexec(c, sql);
    const bool ran = PQresultStatus(r) == PGRES_COMMAND_OK || PQresultStatus(r) == PGRES_TUPLES_OK;
    if (error != nullptr) *error = PQresultErrorMessage(r);
    PQclear(r);
    PQfinish(c);
    return ran;
  }
  void run_sql(const char* sql) const {
    std::string err;
    const bool ran = try_sql(sql, &err);
    INFO(sql << " -> " << (ran ? "ok" : err));
    REQUIRE(ran);
  }
  // query_text: the first column of the first row of `sql`, as text ("" when none).
  std::string query_text(const std::string& sql) const {
    PGconn* c = PQconnectdb(location().c_str());
    PGresult* r = PQexec(c, sql.c_str());
    std::string out = PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) > 0 ? PQgetvalue(r, 0, 0) : "";
    PQclear(r);
    PQfinish(c);
    return out;
  }
  int64_t count_rows(const char* table) const {
    const std::string n = query_text(std::string("SELECT count(*) FROM ") + table);
    return n.empty() ? -1 : std::stoll(n);
  }
  void drop_append_only_guards() const {
    run_sql("DROP TRIGGER events_append_only_update ON events; DROP TRIGGER events_append_only_delete ON events;");
  }
  std::string raw_contents() const {
    std::string all;
    for (const char* t : {"meta", "holders", "cards", "credentials", "challenges", "events", "issuances"})
      all += query_text(std::string("SELECT coalesce(string_agg(t::text, E'\\n'), '') FROM ") + t + " t") + "\n";
    return all;
  }
};

// LedgerWorld: a backend, a ledger created in it, a test issuer and the fixed clock.
template <typename B>
struct LedgerWorld {
  B backend;
  TestIssuer pki = make_test_issuer();
  SoftwareIssuer signer = signer_of(pki);
  Ledger ledger = Ledger::create(backend.location(), backend.options()).value();
  UnixSeconds now = fixture_now();
  const TempDir& dir = backend.dir;
  // reopen: a second connection to the same ledger (another process or thread would hold one).
  Ledger reopen() const { return Ledger::open(backend.location(), backend.options()).value(); }
};

// World: the SQLite world, for the cases that test what only the embedded backend has (files,
// crash points, the key file beside the database).
using World = LedgerWorld<SqliteBackend>;

}  // namespace idtap::provision::testing

// LEDGER_BACKENDS: the backends every backend-independent ledger test runs against.
#define LEDGER_BACKENDS idtap::provision::testing::SqliteBackend, idtap::provision::testing::PostgresBackend
