// lib/provision/ledger_db.h: the seam between the ledger and its database. The ledger's
// logic (ledger.cpp, ledger_events.cpp, ledger_issue.cpp, ledger_verify.cpp, pending_offers.cpp)
// speaks portable SQL through LedgerDb; a backend (ledger_sqlite.cpp, and a server backend
// beside it) implements it. Not installed; not for other layers.
//
// Portable SQL here means: numbered parameters written ?1, ?2, ... (a backend that numbers them
// otherwise rewrites them), INSERT ... RETURNING id for new row ids, ON CONFLICT DO UPDATE,
// SAVEPOINT / RELEASE / ROLLBACK TO, and no backend's pragmas or catalog tables. Integers are
// 64-bit, byte strings are blobs. The schema itself is the backend's (LedgerDb::schema_sql).
#pragma once

#include <initializer_list>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "idtap/base/bytes.h"
#include "idtap/base/result.h"
#include "ledger_schema.h"

namespace idtap::provision {

// DbStatement: one prepared statement of a backend. bind_* number parameters from 1; the
// column accessors number from 0 and read the current row (after step() returned true).
class DbStatement {
 public:
  virtual ~DbStatement() = default;
  virtual void bind_int(int i, int64_t v) = 0;
  virtual void bind_text(int i, std::string_view v) = 0;
  virtual void bind_blob(int i, ByteView v) = 0;
  // DbStatement::step: true for a row, false when done; a database error as a ledger error
  // (kBusy when another writer held the lock too long, kState for a constraint, else kIo).
  virtual Result<bool> step() = 0;
  // DbStatement::run_deferred: an INSERT/UPDATE/DELETE whose outcome the caller does not wait
  // for: a server backend sends it and goes on (PostgreSQL: libpq's pipeline mode), and it
  // travels with the next statement that needs an answer (or the commit), in one round trip.
  // Its error, if any, is that next statement's (or the commit's) error; inside a transaction
  // nothing of it stays. changes() is not known for it. Default: run it now.
  virtual Status run_deferred() {
    while (true) {
      IDTAP_ASSIGN_OR_RETURN(bool row, step());
      if (!row) return ok_status();
    }
  }
  // DbStatement::reset: ready to be bound and stepped again (called when a Stmt is dropped).
  virtual void reset() = 0;
  // DbStatement::changes: rows the last completed INSERT/UPDATE/DELETE changed.
  virtual int64_t changes() const = 0;
  virtual int64_t i64(int c) const = 0;
  virtual bool is_null(int c) const = 0;
  virtual std::string text(int c) const = 0;
  virtual Bytes blob(int c) const = 0;
};

// Stmt: a cached prepared statement in use: reset when it goes out of scope. Borrowed from
// its LedgerDb, which owns and outlives it.
class Stmt {
 public:
  explicit Stmt(DbStatement* s) : s_(s) {}
  Stmt(Stmt&& o) noexcept : s_(o.s_) { o.s_ = nullptr; }
  Stmt(const Stmt&) = delete;
  ~Stmt() {
    if (s_ != nullptr) s_->reset();
  }
  Stmt& bind(int i, int64_t v) { s_->bind_int(i, v); return *this; }
  Stmt& bind(int i, std::string_view v) { s_->bind_text(i, v); return *this; }
  Stmt& bind(int i, const char* v) { return bind(i, std::string_view(v)); }
  Stmt& bind(int i, const std::string& v) { return bind(i, std::string_view(v)); }
  Stmt& bind_blob(int i, ByteView v) { s_->bind_blob(i, v); return *this; }
  // step: true for a row, false when done.
  Result<bool> step() { return s_->step(); }
  // run: steps to the end (an INSERT/UPDATE/DELETE, or a query whose rows are not wanted).
  Status run() {
    while (true) {
      IDTAP_ASSIGN_OR_RETURN(bool row, step());
      if (!row) return ok_status();
    }
  }
  // run_deferred: DbStatement::run_deferred (a write whose answer can wait: it goes to the
  // server with the next statement that needs one).
  Status run_deferred() { return s_->run_deferred(); }
  // run_changes: run(), then the number of rows it changed.
  Result<int64_t> run_changes() {
    IDTAP_TRY(run());
    return s_->changes();
  }
  // texts: column 0 of every remaining row, as text (a list of ids).
  Result<std::vector<std::string>> texts() {
    std::vector<std::string> out;
    while (true) {
      IDTAP_ASSIGN_OR_RETURN(bool row, step());
      if (!row) return out;
      out.push_back(text(0));
    }
  }
  // returning_id: steps an INSERT ... RETURNING id once and hands back the id.
  Result<int64_t> returning_id() {
    IDTAP_ASSIGN_OR_RETURN(bool row, step());
    if (!row) return make_error(ErrorCode::kInternal, "ledger: INSERT ... RETURNING gave no row");
    int64_t id = i64(0);
    IDTAP_TRY(run());
    return id;
  }
  int64_t i64(int c) const { return s_->i64(c); }
  bool is_null(int c) const { return s_->is_null(c); }
  std::string text(int c) const { return s_->text(c); }
  Bytes blob(int c) const { return s_->blob(c); }

 private:
  DbStatement* s_;
};

// LedgerDb: one connection to a ledger database. Not shared between threads.
// StatementCache: a backend's prepared statements by their SQL text (the text, not its address:
// a caller may build the SQL in a temporary string), looked up without a copy.
struct SqlTextHash {
  using is_transparent = void;
  size_t operator()(std::string_view sql) const { return std::hash<std::string_view>{}(sql); }
};
template <class Statement>
using StatementCache = std::unordered_map<std::string, std::unique_ptr<Statement>, SqlTextHash, std::equal_to<>>;

class LedgerDb {
 public:
  virtual ~LedgerDb() = default;
  // LedgerDb::backend: "sqlite" or "postgresql".
  virtual const char* backend() const = 0;
  // LedgerDb::prepare: the statement for `sql` (a string literal or a string that outlives the
  // connection: the cache is keyed by its address).
  virtual Result<Stmt> prepare(const char* sql) = 0;
  // LedgerDb::exec: runs one or more statements without parameters or rows.
  virtual Status exec(const char* sql) = 0;
  // LedgerDb::exec_each: exec of each single statement in turn, stopping at the first error; a
  // server backend sends them together (one round trip).
  virtual Status exec_each(std::initializer_list<const char*> statements) {
    for (const char* sql : statements) IDTAP_TRY(exec(sql));
    return ok_status();
  }
  // LedgerDb::begin: starts a write transaction that holds the ledger's write lock from its
  // first statement (SQLite: BEGIN IMMEDIATE; a server: serializable). commit / rollback end it.
  virtual Status begin() = 0;
  virtual Status commit() = 0;
  virtual Status rollback() = 0;
  // LedgerDb::sql_types / events_guard: how the backend spells the schema's column types
  // (ledger_schema.h) and its own append-only guard of the events.
  virtual SqlTypes sql_types() const = 0;
  virtual const char* events_guard() const = 0;
  // LedgerDb::schema_sql: CREATE ... IF NOT EXISTS for every table, index and guard of the
  // ledger (idempotent), and offers_schema_sql for the OID4VCI offers (pending_offers.cpp).
  std::string schema_sql() const { return ledger_tables_sql(sql_types(), events_guard()); }
  std::string offers_schema_sql() const { return offers_tables_sql(sql_types()); }
  // LedgerDb::has_ledger_meta: whether the database holds idtap's meta row 'schema_version';
  // reads only. kMalformed for a file or server that is not a database of this backend.
  virtual Result<bool> has_ledger_meta() = 0;
  // LedgerDb::upgrade_schema: adds what a later idtap added to an existing ledger, inside the
  // caller's transaction (columns: evidence, site; the index by site).
  virtual Status upgrade_schema() = 0;
  // LedgerDb::integrity_check: the backend's own check of its storage: an empty list when
  // fine, else what it found.
  virtual Result<std::vector<std::string>> integrity_check() = 0;
  // LedgerDb::take_retryable: whether the last failure was a serialization failure or a
  // deadlock (the transaction may simply be run again); clears it.
  virtual bool take_retryable() { return false; }
  // LedgerDb::recover: called before a retryable failure's transaction is run again: a server
  // backend whose connection was lost reconnects (bounded in time); its error when it could not.
  virtual Status recover() { return ok_status(); }
  // LedgerDb::reconnects: how many times recover() made a new connection (tests, the bench).
  virtual uint64_t reconnects() const { return 0; }
  // LedgerDb::round_trips: requests sent to a server and waited for (Ledger::round_trips).
  virtual uint64_t round_trips() const { return 0; }
  // LedgerDb::sync_committed: Ledger::sync_committed. Touches only the database's files, never
  // the connection: safe from another thread while the connection is in use.
  virtual Status sync_committed() const { return ok_status(); }
};

}  // namespace idtap::provision
