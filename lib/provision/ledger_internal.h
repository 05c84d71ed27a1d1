// lib/provision/ledger_internal.h: the ledger's connection as the files of lib/provision that
// work on the ledger's tables see it (ledger.cpp; offer_store.cpp). Not installed; not for
// other layers, which go through idtap/provision/ledger.h.
#pragma once

#include <sqlite3.h>

#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "idtap/base/bytes.h"
#include "idtap/base/result.h"
#include "idtap/base/secure_bytes.h"
#include "idtap/provision/ledger.h"

namespace idtap::provision {

// EventHead: meta 'event_head' = "SEQ:HASH:TAG" (hex), TAG = HMAC(key, kHeadLabel || SEQ as 8
// big-endian bytes || HASH). The tag is what makes rewinding the head to an earlier row (its
// hash is in the table) detectable: only the key holder can make a tag.
struct EventHead {
  int64_t seq = 0;
  Bytes hash;
  Bytes tag;
};

// ledger_error: a SQLite failure as an idtap error (busy: kTimeout, constraint: kState, else kIo).
inline Error ledger_error(sqlite3* db, int rc, const std::string& what) {
  std::string msg = "ledger: " + what + ": " + (db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
  int primary = rc & 0xFF;
  if (primary == SQLITE_BUSY || primary == SQLITE_LOCKED) return make_error(ErrorCode::kTimeout, msg);
  if (primary == SQLITE_CONSTRAINT) return make_error(ErrorCode::kState, msg);
  return make_error(ErrorCode::kIo, msg);
}

// Stmt: a cached prepared statement in use; reset and unbound when it goes out of scope.
class Stmt {
 public:
  Stmt(sqlite3* db, sqlite3_stmt* s) : db_(db), s_(s) {}
  Stmt(Stmt&& o) noexcept : db_(o.db_), s_(o.s_) { o.s_ = nullptr; }
  Stmt(const Stmt&) = delete;
  ~Stmt() {
    if (s_ != nullptr) {
      sqlite3_reset(s_);
      sqlite3_clear_bindings(s_);
    }
  }
  Stmt& bind(int i, int64_t v) { sqlite3_bind_int64(s_, i, v); return *this; }
  Stmt& bind(int i, std::string_view v) { sqlite3_bind_text(s_, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT); return *this; }
  Stmt& bind(int i, const char* v) { return bind(i, std::string_view(v)); }
  Stmt& bind(int i, const std::string& v) { return bind(i, std::string_view(v)); }
  Stmt& bind_blob(int i, ByteView v) { sqlite3_bind_blob(s_, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT); return *this; }
  // step: true for a row, false when done.
  Result<bool> step() {
    int rc = sqlite3_step(s_);
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) return false;
    return ledger_error(db_, sqlite3_extended_errcode(db_), sqlite3_sql(s_));
  }
  Status run() {
    while (true) {
      IDTAP_ASSIGN_OR_RETURN(bool row, step());
      if (!row) return ok_status();
    }
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
  int64_t i64(int c) const { return sqlite3_column_int64(s_, c); }
  bool is_null(int c) const { return sqlite3_column_type(s_, c) == SQLITE_NULL; }
  std::string text(int c) const {
    const unsigned char* t = sqlite3_column_text(s_, c);
    return t ? std::string(reinterpret_cast<const char*>(t), sqlite3_column_bytes(s_, c)) : std::string();
  }
  Bytes blob(int c) const {
    const auto* b = static_cast<const uint8_t*>(sqlite3_column_blob(s_, c));
    return b ? Bytes(b, b + sqlite3_column_bytes(s_, c)) : Bytes();
  }

 private:
  sqlite3* db_;
  sqlite3_stmt* s_;
};

// Ledger::Impl: one connection (the database, its key, the prepared statement cache).
struct Ledger::Impl {
  sqlite3* db = nullptr;
  std::string path;
  SecureBytes key;
  std::string status_uri;
  uint64_t status_size = 0;
  bool allow_attested = false;  // meta 'allow_attested' with a valid tag
  bool in_group = false;        // inside run_in_one_transaction: a Txn is a savepoint
  std::unordered_map<const char*, sqlite3_stmt*> cache;
  // The issuer chain last checked and its validity window: parsing the chain for every
  // issuance cost more than half the issuance rate (provision_bench).
  std::vector<Bytes> checked_chain;
  IssuerValidity checked_window;
  ~Impl();
  Result<Stmt> prepare(const char* sql);
  Status exec(const char* sql);
  Result<std::string> meta(const char* key);
  Status set_meta(const char* key, const std::string& value);

  // event_link: one link of the event chain: HMAC-SHA256(key, previous link || canonical row).
  Result<Bytes> event_link(ByteView prev, ByteView canonical) const;

  // head_tag: the HMAC that authenticates the head (seq, hash): see EventHead.
  Result<Bytes> head_tag(int64_t seq, ByteView hash) const;
  Status set_event_head(int64_t seq, ByteView hash);

  // event_head: the authenticated head; kMalformed when it does not parse or its tag is wrong.
  Result<EventHead> event_head();

  // append_event: the next chained row and the new head, inside the caller's transaction.
  Status append_event(UnixSeconds at, std::string_view kind, std::string_view credential_id, int64_t card_id,
                      std::string_view detail);
  Status set_credential_state(const std::string& id, CredentialState state, const std::string& reason, UnixSeconds now,
                              const char* event_kind);
  Result<uint64_t> allocate_status_index();
  Result<IssuedCredential> issue_locked(const IssueRequest& r, IssuerSigner& signer);
};

// Txn: BEGIN IMMEDIATE ... COMMIT, rolled back unless committed. Inside
// Ledger::run_in_one_transaction it is a savepoint of the group's transaction instead (SAVEPOINT
// ... RELEASE, ROLLBACK TO): its changes are undone alone, and are durable with the group's
// commit.
class Txn {
 public:
  static Result<Txn> begin(Ledger::Impl& l) {
    IDTAP_TRY(l.exec(l.in_group ? "SAVEPOINT txn" : "BEGIN IMMEDIATE"));
    return Txn(l, l.in_group);
  }
  Txn(Txn&& o) noexcept : l_(o.l_), open_(o.open_), nested_(o.nested_) { o.open_ = false; }
  ~Txn() {
    if (!open_) return;
    if (nested_) {
      (void)l_.exec("ROLLBACK TO txn");
      (void)l_.exec("RELEASE txn");
    } else {
      (void)l_.exec("ROLLBACK");
    }
  }
  Status commit() {
    IDTAP_TRY(l_.exec(nested_ ? "RELEASE txn" : "COMMIT"));
    open_ = false;
    return ok_status();
  }

 private:
  Txn(Ledger::Impl& l, bool nested) : l_(l), nested_(nested) {}
  Ledger::Impl& l_;
  bool open_ = true;
  bool nested_ = false;
};

}  // namespace idtap::provision
