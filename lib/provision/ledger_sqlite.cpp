// lib/provision/ledger_sqlite.cpp: the SQLite backend of the ledger (one file, WAL): LedgerDb
// over sqlite3, its schema, and the checks that keep Ledger::open from touching a file that is
// not an idtap ledger.
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>
#include <sqlite3.h>
#include <sys/stat.h>

#include <cstring>
#include <unordered_map>

#include "ledger_internal.h"

namespace idtap::provision {
namespace {

constexpr SqlTypes kTypes{"INTEGER PRIMARY KEY", "INTEGER", "BLOB"};

// kEventsGuard: the event log is append-only.
constexpr const char* kEventsGuard = R"sql(CREATE TRIGGER IF NOT EXISTS events_append_only_update BEFORE UPDATE ON events
  BEGIN SELECT RAISE(ABORT, 'the event log is append-only'); END;
CREATE TRIGGER IF NOT EXISTS events_append_only_delete BEFORE DELETE ON events
  BEGIN SELECT RAISE(ABORT, 'the event log is append-only'); END;
)sql";

// sqlite_error: a SQLite failure as an idtap error (busy: kBusy, constraint: kState, else kIo).
Error sqlite_error(int rc, const std::string& what) {
  std::string msg = "ledger: " + what;
  int primary = rc & 0xFF;
  if (primary == SQLITE_BUSY || primary == SQLITE_LOCKED)
    return make_error(ErrorCode::kBusy, "the ledger is busy: another process held its lock longer than the busy timeout; "
                                        "nothing was changed, try again (" + msg + ")");
  if (primary == SQLITE_CONSTRAINT) return make_error(ErrorCode::kState, msg);
  return make_error(ErrorCode::kIo, msg);
}
Error sqlite_error(sqlite3* db, int rc, const std::string& what) {
  return sqlite_error(rc, what + ": " + (db ? sqlite3_errmsg(db) : sqlite3_errstr(rc)));
}

class SqliteStatement final : public DbStatement {
 public:
  SqliteStatement(sqlite3* db, sqlite3_stmt* s) : db_(db), s_(s) {}
  ~SqliteStatement() override { sqlite3_finalize(s_); }
  void bind_int(int i, int64_t v) override { sqlite3_bind_int64(s_, i, v); }
  void bind_text(int i, std::string_view v) override {
    sqlite3_bind_text(s_, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
  }
  void bind_blob(int i, ByteView v) override {
    sqlite3_bind_blob(s_, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
  }
  Result<bool> step() override {
    int rc = sqlite3_step(s_);
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) return false;
    return sqlite_error(db_, sqlite3_extended_errcode(db_), sqlite3_sql(s_));
  }
  void reset() override {
    sqlite3_reset(s_);
    sqlite3_clear_bindings(s_);
  }
  int64_t changes() const override { return sqlite3_changes(db_); }
  int64_t i64(int c) const override { return sqlite3_column_int64(s_, c); }
  bool is_null(int c) const override { return sqlite3_column_type(s_, c) == SQLITE_NULL; }
  std::string text(int c) const override {
    const unsigned char* t = sqlite3_column_text(s_, c);
    return t ? std::string(reinterpret_cast<const char*>(t), sqlite3_column_bytes(s_, c)) : std::string();
  }
  Bytes blob(int c) const override {
    const auto* b = static_cast<const uint8_t*>(sqlite3_column_blob(s_, c));
    return b ? Bytes(b, b + sqlite3_column_bytes(s_, c)) : Bytes();
  }

 private:
  sqlite3* db_;
  sqlite3_stmt* s_;
};

class SqliteDb final : public LedgerDb {
 public:
  SqliteDb(sqlite3* db, std::string path) : db_(db), path_(std::move(path)) {}
  ~SqliteDb() override {
    cache_.clear();  // statements are finalized before the connection closes
    if (checkpointer_ != nullptr) sqlite3_close(checkpointer_);
    sqlite3_close(db_);
  }
  const char* backend() const override { return "sqlite"; }
  Result<Stmt> prepare(const char* sql) override {
    auto it = cache_.find(std::string_view(sql));
    if (it != cache_.end()) return Stmt(it->second.get());
    sqlite3_stmt* s = nullptr;
    int rc = sqlite3_prepare_v3(db_, sql, -1, SQLITE_PREPARE_PERSISTENT, &s, nullptr);
    if (rc != SQLITE_OK) return sqlite_error(db_, rc, std::string("prepare ") + sql);
    auto owned = std::make_unique<SqliteStatement>(db_, s);
    DbStatement* raw = owned.get();
    cache_.emplace(sql, std::move(owned));
    return Stmt(raw);
  }
  Status exec(const char* sql) override {
    char* err = nullptr;
    int rc = sqlite3_exec(db_, sql, nullptr, nullptr, &err);
    if (rc != SQLITE_OK) {
      std::string msg = err ? err : sqlite3_errstr(rc);
      sqlite3_free(err);
      return sqlite_error(rc, std::string(sql).substr(0, 40) + ": " + msg);
    }
    return ok_status();
  }
  Status begin() override { return exec("BEGIN IMMEDIATE"); }
  Status commit() override { return exec("COMMIT"); }
  Status rollback() override { return exec("ROLLBACK"); }
  SqlTypes sql_types() const override { return kTypes; }
  const char* events_guard() const override { return kEventsGuard; }
  Result<bool> has_ledger_meta() override {
    sqlite3_stmt* s = nullptr;
    int rc = sqlite3_prepare_v2(db_, "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'meta'", -1, &s, nullptr);
    if (rc == SQLITE_OK) rc = sqlite3_step(s);
    sqlite3_finalize(s);
    if (rc == SQLITE_DONE) return false;
    if (rc == SQLITE_ROW) {
      // A table named meta alone is not enough: idtap's holds the schema version.
      sqlite3_stmt* v = nullptr;
      int vrc = sqlite3_prepare_v2(db_, "SELECT 1 FROM meta WHERE key = 'schema_version'", -1, &v, nullptr);
      if (vrc == SQLITE_OK) vrc = sqlite3_step(v);
      sqlite3_finalize(v);
      if (vrc == SQLITE_ROW) return true;
      if (vrc == SQLITE_DONE || (vrc & 0xFF) == SQLITE_ERROR) return false;
      return sqlite_error(db_, vrc, "open " + path_);
    }
    if ((rc & 0xFF) == SQLITE_NOTADB) return not_a_ledger(ErrorCode::kMalformed, path_, "not a SQLite database");
    return sqlite_error(db_, rc, "open " + path_);
  }
  Status upgrade_schema() override {
    // A column a later idtap added (the evidence of issue 15): old rows were all chip reads.
    IDTAP_ASSIGN_OR_RETURN(Stmt col, prepare("SELECT 1 FROM pragma_table_info('credentials') WHERE name = 'evidence'"));
    IDTAP_ASSIGN_OR_RETURN(bool has_evidence, col.step());
    if (!has_evidence) IDTAP_TRY(exec("ALTER TABLE credentials ADD COLUMN evidence TEXT NOT NULL DEFAULT 'chip'"));
    // The sites of issue 16: rows made before them have none ("").
    for (const char* table : {"credentials", "events"}) {
      const std::string probe = std::string("SELECT 1 FROM pragma_table_info('") + table + "') WHERE name = 'site'";
      sqlite3_stmt* s = nullptr;
      int rc = sqlite3_prepare_v2(db_, probe.c_str(), -1, &s, nullptr);
      if (rc == SQLITE_OK) rc = sqlite3_step(s);
      sqlite3_finalize(s);
      if (rc == SQLITE_DONE) IDTAP_TRY(exec((std::string("ALTER TABLE ") + table + " ADD COLUMN site TEXT NOT NULL DEFAULT ''").c_str()));
      else if (rc != SQLITE_ROW) return sqlite_error(db_, rc, probe);
    }
    return exec("CREATE INDEX IF NOT EXISTS credentials_by_site ON credentials(site)");
  }
  Result<std::vector<std::string>> integrity_check() override {
    IDTAP_ASSIGN_OR_RETURN(Stmt s, prepare("PRAGMA quick_check"));
    IDTAP_ASSIGN_OR_RETURN(bool row, s.step());
    if (row && s.text(0) == "ok") return std::vector<std::string>{};
    return std::vector<std::string>{"database quick_check: " + (row ? s.text(0) : std::string("no answer"))};
  }

 private:
  sqlite3* db_;
  std::string path_;

 public:
  // SqliteDb::sync_committed: fdatasync of the WAL. A commit with synchronous=NORMAL writes its
  // WAL frames without syncing them; syncing the WAL makes every commit so far durable. Frames
  // a checkpoint has moved into the database meanwhile are durable already (with NORMAL, SQLite
  // syncs the WAL before a checkpoint and the database after it). Without a WAL (no connection
  // open: the last one checkpointed and removed it), the database file is synced instead.
  Status sync_committed() const override {
    std::string file = path_ + "-wal";
    int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0 && errno == ENOENT) {
      file = path_;
      fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
    }
    if (fd < 0) return make_error(ErrorCode::kIo, "ledger " + path_ + ": cannot open " + file + " to sync it: " + std::strerror(errno));
    struct stat st {};
    const bool big_wal = file != path_ && ::fstat(fd, &st) == 0 && st.st_size > kCheckpointWalBytes;
    const int rc = ::fdatasync(fd);
    const int err = errno;
    ::close(fd);
    if (rc != 0)
      return make_error(ErrorCode::kIo, "ledger " + path_ + ": the disk failed to sync " + file + " (" + std::strerror(err) +
                                            "): the last commits may not be durable");
    if (sync_by_caller && big_wal) return checkpoint();
    return ok_status();
  }
  bool sync_by_caller = false;

 private:
  // kCheckpointWalBytes: SQLite's own threshold (wal_autocheckpoint 1000 pages of 4 KiB).
  static constexpr off_t kCheckpointWalBytes = 1000 * 4096;
  // checkpoint: a PASSIVE checkpoint on the syncer's own connection (opened on first use):
  // it copies what no reader still needs and never waits for the writer. SQLite syncs the WAL
  // before and the database after it (synchronous=NORMAL on that connection too).
  Status checkpoint() const {
    if (checkpointer_ == nullptr) {
      if (sqlite3_open_v2(path_.c_str(), &checkpointer_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, nullptr) != SQLITE_OK) {
        std::string msg = checkpointer_ ? sqlite3_errmsg(checkpointer_) : "out of memory";
        sqlite3_close(checkpointer_);
        checkpointer_ = nullptr;
        return make_error(ErrorCode::kIo, "ledger " + path_ + ": cannot open a connection to checkpoint it: " + msg);
      }
      sqlite3_busy_timeout(checkpointer_, 1000);
      sqlite3_exec(checkpointer_, "PRAGMA synchronous = NORMAL", nullptr, nullptr, nullptr);
    }
    const int rc = sqlite3_wal_checkpoint_v2(checkpointer_, nullptr, SQLITE_CHECKPOINT_PASSIVE, nullptr, nullptr);
    if (rc != SQLITE_OK && rc != SQLITE_BUSY)
      return make_error(ErrorCode::kIo, "ledger " + path_ + ": checkpoint failed: " + sqlite3_errmsg(checkpointer_));
    return ok_status();
  }
  mutable sqlite3* checkpointer_ = nullptr;

 public:
  StatementCache<SqliteStatement> cache_;
};

}  // namespace

Result<std::unique_ptr<LedgerDb>> open_sqlite_ledger_db(const std::string& path, const LedgerOptions& options, bool create,
                                                        bool* created) {
  struct stat st;
  bool creating = false;
  if (::stat(path.c_str(), &st) != 0) {
    if (errno != ENOENT) return make_error(ErrorCode::kIo, "ledger " + path + ": " + std::strerror(errno));
    if (!create) return not_a_ledger(ErrorCode::kNotFound, path, "no such file");
    creating = true;
  } else if (!S_ISREG(st.st_mode)) {
    return not_a_ledger(ErrorCode::kMalformed, path, "not a regular file");
  } else if (st.st_size == 0) {
    // SQLite would take an empty file for an empty database and make it a ledger.
    return not_a_ledger(ErrorCode::kMalformed, path, "the ledger file is empty: truncated? restore it from its backup");
  }
  sqlite3* raw = nullptr;
  int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX | (creating ? SQLITE_OPEN_CREATE : 0);
  int rc = sqlite3_open_v2(path.c_str(), &raw, flags, nullptr);
  auto db = std::make_unique<SqliteDb>(raw, path);  // closes `raw` on every path below
  if (rc != SQLITE_OK) return sqlite_error(raw, rc, "open " + path);
  if (creating) ::chmod(path.c_str(), 0600);
  sqlite3_busy_timeout(raw, options.busy_timeout_ms);
  sqlite3_extended_result_codes(raw, 1);
  if (!creating) {
    // Before anything is written: another program's database gets no tables added, and a file
    // that is not SQLite is not turned into a WAL database.
    IDTAP_ASSIGN_OR_RETURN(bool ours, db->has_ledger_meta());
    if (!ours) return not_a_ledger(ErrorCode::kMalformed, path, "a SQLite database without idtap's tables");
  }
  IDTAP_TRY(db->exec("PRAGMA journal_mode = WAL"));
  const bool full = options.durable && !options.sync_by_caller;
  IDTAP_TRY(db->exec(full ? "PRAGMA synchronous = FULL" : "PRAGMA synchronous = NORMAL"));
  if (options.sync_by_caller) {
    IDTAP_TRY(db->exec("PRAGMA wal_autocheckpoint = 0"));
    db->sync_by_caller = true;
  }
  IDTAP_TRY(db->exec("PRAGMA foreign_keys = ON"));
  if (created != nullptr) *created = creating;
  return std::unique_ptr<LedgerDb>(std::move(db));
}

}  // namespace idtap::provision
