// lib/provision/ledger_internal.h: the ledger's connection as the files of lib/provision that
// work on the ledger's tables see it (ledger.cpp and its ledger_*.cpp parts; pending_offers.cpp).
// Not installed; not for other layers, which go through idtap/provision/ledger.h.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "idtap/base/bytes.h"
#include "idtap/base/result.h"
#include "idtap/base/secure_bytes.h"
#include "idtap/provision/ledger.h"
#include "ledger_db.h"

namespace idtap::provision {

// ----- states: the one mapping between the enums and the strings stored in the tables --------

// parse_credential_state: the enum of a stored credential state; kMalformed for another string.
Result<CredentialState> parse_credential_state(std::string_view sql);

// CardState: a card as the ledger has it: valid, or reported lost.
enum class CardState { kValid, kLost };
// card_state_name: "valid" / "lost" (the stored strings); parse_card_state: the reverse.
const char* card_state_name(CardState state);
Result<CardState> parse_card_state(std::string_view sql);

// ----- the key file (ledger_key.cpp) ----------------------------------------------------------

// ensure_key_file: makes `key_path` (32 random bytes as hex, mode 0600) unless it exists;
// published with link() so two creators never both win, its directory fsynced.
Status ensure_key_file(const std::string& key_path);
// read_key_file: the key; kIo when unreadable or readable by group or others, kMalformed when
// it is not 32 hex bytes. The buffers it read through are zeroised.
Result<SecureBytes> read_key_file(const std::string& key_path);

// ----- the event chain (ledger_events.cpp) ----------------------------------------------------

// kGenesis: the link the first event chains from.
extern const Bytes kGenesis;

// EventHead: meta 'event_head' = "SEQ:HASH:TAG" (hex), TAG = HMAC(key, kHeadLabel || SEQ as 8
// big-endian bytes || HASH). The tag is what makes rewinding the head to an earlier row (its
// hash is in the table) detectable: only the key holder can make a tag.
struct EventHead {
  int64_t seq = 0;
  Bytes hash;
  Bytes tag;
};

// canonical_event: the deterministic CBOR array [seq, at, kind, credential_id, card_id, detail]
// an event's link covers, with the site appended when there is one (so the rows of ledgers
// made before sites existed keep their links).
Result<Bytes> canonical_event(int64_t seq, int64_t at, std::string_view kind, std::string_view credential_id, int64_t card_id,
                              std::string_view detail, std::string_view site);

// kTaggedMeta: the meta rows under a tag (Ledger::Impl::meta_tag): an edit is reported by
// verify and stops issuance. (event_head and allow_attested carry tags of their own.)
inline constexpr const char* kTaggedMeta[] = {"schema_version", "status_uri", "status_list_size"};

// parse_meta_number: a meta value that must be a decimal number in [min, max]; kMalformed
// ("ledger is corrupt: ...") otherwise, never an exception.
Result<uint64_t> parse_meta_number(std::string_view key, std::string_view text, uint64_t min, uint64_t max);

// CardRow: one row of cards, as the one card lookup (Ledger::Impl::find_card) reads it.
struct CardRow {
  int64_t id = 0;
  CardState state = CardState::kValid;
  int64_t holder_id = 0;  // 0: recorded without a holder (reported lost before any issuance)
};

// Ledger::Impl: one connection (the database, its key, what was read from meta).
struct Ledger::Impl {
  std::unique_ptr<LedgerDb> db;
  std::string path;
  SecureBytes key;
  std::string status_uri;
  uint64_t status_size = 0;
  bool allow_attested = false;  // meta 'allow_attested' with a valid tag
  bool in_group = false;        // inside run_in_one_transaction: a Txn is a savepoint
  bool meta_authentic = true;   // every row of kTaggedMeta verifies (else issue() refuses)
  std::string site;             // LedgerOptions::site
  std::string anchor_file;      // LedgerOptions::anchor_file, or "<ledger>.anchors" for SQLite
  // The chain's tip as this write transaction has it: read and authenticated from meta at its
  // first event, extended in memory by each append_event, and written back to meta once, just
  // before the outermost commit (flush_tip), after the transaction's event rows, which wait in
  // `unwritten` and go in multi-row INSERTs. Writing each event and meta 'event_head' per event
  // cost three round trips an event on PostgreSQL, all under the writers' lock
  // (ledger_sites_bench). Nothing reads the events table inside a write transaction; the rules
  // read the tables the events describe. tip_saved holds the tip and the number of unwritten
  // rows at each open savepoint, so ROLLBACK TO restores both with the rows.
  struct ChainTip {
    int64_t seq = 0;
    Bytes hash;
    bool dirty = false;  // extended since it was read: meta must be written before the commit
  };
  struct UnwrittenEvent {
    int64_t seq = 0, at = 0, card_id = 0;
    std::string kind, credential_id, detail;
    Bytes hash;
  };
  struct SavedTip {
    std::optional<ChainTip> tip;
    size_t unwritten = 0;
  };
  std::optional<ChainTip> tip;
  std::vector<UnwrittenEvent> unwritten;
  std::vector<SavedTip> tip_saved;
  // The issuer chain last checked and its validity window: parsing the chain for every
  // issuance cost more than half the issuance rate (provision_bench).
  std::vector<Bytes> checked_chain;
  IssuerValidity checked_window;

  Result<Stmt> prepare(const char* sql) { return db->prepare(sql); }
  Status exec(const char* sql) { return db->exec(sql); }
  Result<std::string> meta(const char* key);
  // set_meta: meta `key` := `value`; `ahead`: sent without waiting for its answer
  // (DbStatement::run_deferred), for inside a write transaction only (its commit answers it).
  Status set_meta(const char* key, const std::string& value, bool ahead = false);

  // find_card: the one card lookup: the row of `card` (already normalized), or nullopt.
  Result<std::optional<CardRow>> find_card(const CardIdentity& card);

  // event_link: one link of the event chain: HMAC-SHA256(key, previous link || canonical row).
  Result<Bytes> event_link(ByteView prev, ByteView canonical) const;
  // head_tag: the HMAC that authenticates the head (seq, hash): see EventHead.
  Result<Bytes> head_tag(int64_t seq, ByteView hash) const;
  // set_event_head: meta 'event_head' := "SEQ:HASH:TAG" (set_meta's `ahead`).
  Status set_event_head(int64_t seq, ByteView hash, bool ahead = false);
  // event_head: the authenticated head (the transaction's tip when it has extended the chain);
  // kMalformed when meta's does not parse or its tag is wrong.
  Result<EventHead> event_head();
  // chain_tip: the tip append_event extends (read once per transaction; see `tip`).
  Result<ChainTip*> chain_tip();
  // flush_tip: the unwritten event rows, then meta 'event_head' := the tip, when the
  // transaction extended the chain.
  Status flush_tip();
  // savepoint / rollback_to / release: the SQL statements of that name, keeping `tip` and
  // `unwritten` in step; next_savepoint: RELEASE and SAVEPOINT again in one round trip (the
  // next item of a batch). end_transaction: forgets the tip (after a commit or a rollback:
  // another writer may extend the chain next).
  Status savepoint(const char* name);
  Status rollback_to(const char* name);
  Status release(const char* name);
  Status next_savepoint(const char* name);
  void end_transaction() {
    tip.reset();
    unwritten.clear();
    tip_saved.clear();
  }
  // append_event: the next chained row and the new head, inside the caller's transaction.
  Status append_event(UnixSeconds at, std::string_view kind, std::string_view credential_id, int64_t card_id,
                      std::string_view detail);
  // check_anchors: each anchor in `files` (anchor logs or status list tokens) against the
  // events: a finding (and report.rolled_back) when the ledger is older than one; kIo or
  // kMalformed for a file that cannot be read or is neither.
  Status check_anchors(const std::vector<std::string>& files, LedgerReport& report);
  // append_holder_event: the event 'holder' that records a holders row (id, key, created_at).
  Status append_holder_event(UnixSeconds at, int64_t holder_id, ByteView holder_key, UnixSeconds created_at);
  // meta_tag: HMAC(key, "idtap ledger meta" 0 name 0 value), stored as meta 'tag.NAME' beside
  // the rows of kTaggedMeta (the settings the rules and the publications read).
  Result<Bytes> meta_tag(std::string_view name, std::string_view value) const;
  // set_tagged_meta: the row and its tag.
  Status set_tagged_meta(const char* name, const std::string& value);
  // untagged_meta: the names of kTaggedMeta whose row or tag is missing or does not verify.
  Result<std::vector<std::string>> untagged_meta();

  Status set_credential_state(const std::string& id, CredentialState state, const std::string& reason, UnixSeconds now,
                              const char* event_kind);
  Result<uint64_t> allocate_status_index();
  // replay_issuance (ledger_idempotency.cpp): the issuance already recorded under
  // r.idempotency_id, or nullopt; kRefused when it was another holder's (`holder_key`) or
  // phone's, kState when its bytes are no longer kept. record_issuance: the row for `issued`
  // (inside the issuance's transaction). forget_replay_bytes: drops the bytes kept longer than
  // kIdempotencyReplaySeconds.
  Result<std::optional<IssuedCredential>> replay_issuance(const IssueRequest& r, ByteView holder_key);
  Status record_issuance(const IssuedCredential& issued, UnixSeconds now);
  Status forget_replay_bytes(UnixSeconds now);
  Result<IssuedCredential> issue_locked(const IssueRequest& r, IssuerSigner& signer);
};

// verify_offers (ledger_verify_offers.cpp): Ledger::verify's cross-check of the offers table
// against the offer events of the chain; appends a finding for each contradiction. An error
// only when the database cannot be read.
Status verify_offers(Ledger::Impl& l, std::vector<LedgerFinding>& findings);

// Txn: a write transaction (LedgerDb::begin ... commit), rolled back unless committed. Inside
// Ledger::run_in_one_transaction it is a savepoint of the group's transaction instead (SAVEPOINT
// ... RELEASE, ROLLBACK TO): its changes are undone alone, and are durable with the group's
// commit.
class Txn {
 public:
  static Result<Txn> begin(Ledger::Impl& l) {
    if (l.in_group) {
      IDTAP_TRY(l.savepoint("txn"));
    } else {
      l.end_transaction();
      IDTAP_TRY(l.db->begin());
    }
    return Txn(l, l.in_group);
  }
  Txn(Txn&& o) noexcept : l_(o.l_), open_(o.open_), nested_(o.nested_) { o.open_ = false; }
  ~Txn() {
    if (!open_) return;
    if (nested_) {
      (void)l_.rollback_to("txn");
      (void)l_.release("txn");
    } else {
      (void)l_.db->rollback();
      l_.end_transaction();
    }
  }
  Status commit() {
    if (nested_) {
      IDTAP_TRY(l_.release("txn"));
    } else {
      IDTAP_TRY(l_.flush_tip());
      IDTAP_TRY(l_.db->commit());
      l_.end_transaction();
    }
    open_ = false;
    return ok_status();
  }

 private:
  Txn(Ledger::Impl& l, bool nested) : l_(l), nested_(nested) {}
  Ledger::Impl& l_;
  bool open_ = true;
  bool nested_ = false;
};

// retrying: runs `body` (one whole transaction) and runs it again, up to kRetries times, while
// it fails with a serialization failure or a deadlock (PostgreSQL 40001, 40P01) or a lost
// connection (after LedgerDb::recover reconnected): a clerk never sees one. Inside
// run_in_one_transaction the group's transaction is retried by no one: the error is returned.
template <typename F>
auto retrying(Ledger::Impl& l, F&& body) -> decltype(body()) {
  constexpr int kRetries = 8;
  for (int attempt = 0;; ++attempt) {
    (void)l.db->take_retryable();
    auto result = body();
    if (result.ok() || l.in_group || attempt >= kRetries || !l.db->take_retryable()) return result;
    const Status recovered = l.db->recover();
    if (!recovered.ok()) return recovered.error();
  }
}

// check_idempotency_id: kInvalidArgument unless `id` is 1..128 of A-Z a-z 0-9 . _ : -.
Status check_idempotency_id(std::string_view id);
// new_idempotency_id: "idt-" and 32 random hex digits.
Result<std::string> new_idempotency_id();
// current_schema_version / migrate_schema (ledger_migrate.cpp): the schema version this idtap
// writes, and the migration steps from `from` up to it, run inside the caller's transaction.
int current_schema_version();
Result<std::vector<std::string>> migrate_schema(Ledger::Impl& l, int from, UnixSeconds now);

// is_postgres_location: whether `location` names a PostgreSQL ledger: a postgresql:// (or
// postgres://) URI or a libpq keyword string ("host=... dbname=..."); else it is a SQLite file.
bool is_postgres_location(const std::string& location);

// open_postgres_ledger_db: the PostgreSQL backend (ledger_postgres.cpp) connected to
// `location`; kIo with libpq's message when the connection fails.
Result<std::unique_ptr<LedgerDb>> open_postgres_ledger_db(const std::string& location, const LedgerOptions& options);

// open_sqlite_ledger_db: the SQLite backend (ledger_sqlite.cpp) for the file `path`: refuses
// what is not an idtap ledger as Ledger::open documents (`create`: a missing file is made).
// `created` (caller-owned) is set when the file was made by this call.
Result<std::unique_ptr<LedgerDb>> open_sqlite_ledger_db(const std::string& path, const LedgerOptions& options, bool create,
                                                        bool* created);

// not_a_ledger: the one error for a path that is not an idtap ledger (nothing there, an empty
// file, another program's database, not a database at all).
Error not_a_ledger(ErrorCode code, const std::string& path, const std::string& why);

}  // namespace idtap::provision
