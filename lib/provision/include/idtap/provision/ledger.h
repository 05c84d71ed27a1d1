// idtap/provision/ledger.h: the provisioning ledger (SQLite, WAL): holders, cards, mobile
// credentials, proof-of-possession challenges, and an append-only, hash-chained event log.
//
// Holders are keyed by HMAC-SHA256(ledger key, the 13 digits of the resident registration
// number); the number itself is never stored. The ledger key is 32 random bytes in
// "<ledger>.key" (mode 0600), made only when the ledger is created: an existing ledger whose
// key file is missing is refused (a new key would give every holder a new id). Only
// Ledger::create (`idtap ledger init`) makes a ledger; Ledger::open refuses any path that is
// not one (nothing there, an empty file, another program's SQLite database).
//
// Every issuance and state change is one transaction (BEGIN IMMEDIATE). The one-phone rule
// (at most one active or suspended credential per holder) is enforced by the transaction,
// which revokes the previous credential, and backed by a UNIQUE partial index. Its other half,
// one person per phone: a device key holding another holder's active or suspended credential
// is refused (kRefused), never shared.
//
// Events: each row holds hash = HMAC-SHA256(ledger key, previous row's hash || canonical row),
// the canonical row being the deterministic CBOR array [seq, at, kind, credential_id, card_id,
// detail]; the first row chains from 32 zero bytes and the head (seq, last hash, and an HMAC
// of both under the key) is kept in meta, so an edited, inserted or deleted row (even the last
// one, with the head rewound) is found by verify() unless the editor also has the key file.
// Schema version 3; a version 1 ledger (plain SHA-256 chain) is refused (kNotSupported), a
// version 2 one until migrate() has run. The events carry every column of the rows they make
// (an 'issued' event the whole credential row, a 'holder' event the holder row): verify()
// rebuilds holders, cards, credentials and the consumed challenges from them and compares
// every column; the settings in meta carry HMAC tags. The head is anchored outside the
// database (anchor(), and every status list): verify() against an anchor reports a ledger that
// was rolled back to an older copy.
//
// Crash consistency with a credential file (what `idtap provision --out` does, issue_to_file):
// record first, publish after, so that no signed credential is ever on disk without its record.
//   1. inside the issuance transaction, an empty marker credential_temp_path(out, id) is made
//      and fsynced (IssueRequest::before_commit): no signed bytes yet;
//   2. the transaction commits (the record: id, status index, SHA-256 of the signed bytes);
//   3. the signed bytes are written into the temp file and fsynced;
//   4. the temp file is renamed to `out` and the directory fsynced.
// A crash before 2 leaves an orphan marker and no record: verify() reports it and repair
// deletes it. A crash between 2 and 3 leaves a record and an empty (or cut short) marker: the
// credential never left the process, so repair revokes it ("never published") and deletes the
// marker. A crash between 3 and 4 leaves a record whose file is still the temp file: repair
// completes the rename (the bytes are checked against the recorded SHA-256). A revoked or
// expired credential whose path now holds another file (a later credential for the same path)
// is not a finding. A record whose file is gone altogether (ENOENT) is reported
// and never revoked, not even by repair: the file is the desk's copy, the phone holds the
// credential, and revoking it is the clerk's explicit action. A file that cannot be read for
// another reason is reported, not repaired.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "idtap/base/bytes.h"
#include "idtap/base/result.h"
#include "idtap/provision/holder.h"
#include "idtap/provision/keys.h"
#include "idtap/provision/mapping.h"
#include "idtap/provision/mdoc.h"
#include "idtap/provision/proof.h"
#include "idtap/provision/signer.h"
#include "idtap/provision/status_list.h"

namespace idtap::provision {

// LedgerOptions: how a ledger is opened, and (Ledger::create) what it is created with.
struct LedgerOptions {
  uint64_t status_list_size = uint64_t(1) << 17;  // entries in the status list (create)
  std::string status_uri;                          // the status list URI (create: required)
  int busy_timeout_ms = 30000;                     // wait for another writer this long
  // reconnect_timeout_ms: PostgreSQL: after a lost connection (the server gone, a failover),
  // try to connect again (to any host of the location, libpq's multi-host form) this long
  // before the operation fails; the interrupted transaction is then run again.
  int reconnect_timeout_ms = 30000;
  bool durable = true;                             // synchronous=FULL: a commit survives power loss
  // sync_by_caller: SQLite: this connection's commits wait for neither the disk (as if
  // durable were false) nor a checkpoint (SQLite's automatic one copies the WAL into the
  // database and syncs both inside a commit, a few milliseconds every thousand pages); its
  // owner makes them durable with sync_committed, which also checkpoints (a group-commit
  // writer's syncer thread, beside the next batch). PostgreSQL: no effect (`durable` decides).
  bool sync_by_caller = false;
  // allow_attested (create): clerk-attested issuance (Evidence::kClerk) is allowed. Off by
  // default; create() on an existing ledger turns it on (an event 'policy' records it), never
  // off. Kept in meta under an HMAC of the ledger key, so an edited row reads as off.
  bool allow_attested = false;
  // key_file: the ledger key file; "" means "<ledger>.key" beside a SQLite ledger file.
  std::string key_file;
  // site: the center or embassy this connection acts for (1..64 of A-Z a-z 0-9 . _ -, or ""):
  // stored on every event it appends and every credential it issues (kInvalidArgument else).
  std::string site;
  // anchor_file: the anchor log (ledger_anchor.cpp): "" means "<ledger>.anchors" beside a
  // SQLite ledger, and none for a PostgreSQL one (the commands: IDTAP_LEDGER_ANCHOR_FILE).
  std::string anchor_file;
};

enum class CredentialState { kActive, kSuspended, kRevoked, kExpired };
// credential_state_name: "active", "suspended", "revoked", "expired".
const char* credential_state_name(CredentialState state);

// CredentialRecord: one credential as the ledger knows it.
struct CredentialRecord {
  std::string id;                 // 32 hex digits
  CardIdentity card;
  std::string card_state;         // "valid" or "lost"
  std::string device_thumbprint;  // RFC 7638
  std::string doc_type;
  UnixSeconds issued_at = 0;
  UnixSeconds valid_from = 0;
  UnixSeconds valid_until = 0;
  CredentialState state = CredentialState::kActive;
  std::string state_reason;       // "phone_lost", "card_lost", "replaced by …", …
  uint64_t status_idx = 0;
  std::string file_path;
  Bytes file_sha256;
  std::string evidence;           // "chip" or "clerk:ID" (VerifiedHolder::evidence_label)
  std::string site;               // the site that issued it ("" when none was named)
};

// IssuedCredential: what issue() hands back.
struct IssuedCredential {
  std::string credential_id;
  Bytes issuer_signed;              // the IssuerSigned CBOR for the phone
  uint64_t status_idx = 0;
  ValidityInfo validity;
  std::string device_thumbprint;
  std::vector<std::string> revoked; // the holder's previous credentials, revoked by this issue
  std::string file_path;
  std::string idempotency_id;       // the request's (IssueRequest::idempotency_id, or made up)
  // replayed: this is what an earlier call with the same idempotency id issued (its bytes,
  // index and validity); nothing was issued or changed by this call, and `revoked` is empty.
  bool replayed = false;
};

// check_idempotency_id: ok when `id` is a valid IssueRequest::idempotency_id (1..128 of A-Z a-z
// 0-9 . _ : -), kInvalidArgument naming it otherwise: what issue() checks, for a caller (the C
// API) that checks before it touches anything.
Status check_idempotency_id(std::string_view id);

// kIdempotencyReplaySeconds: how long an issuance's signed bytes are kept for a replay under
// its idempotency id (IssueRequest::idempotency_id): one day.
constexpr int64_t kIdempotencyReplaySeconds = 86400;

// PossessionCheck: who checks that the phone holds the device key's private part.
//   kChallenge  the ledger: `proof` signs a challenge of this ledger (`idtap provision`)
//   kCaller     the caller did, before the call (OID4VCI 1.0 §8.2.1.1: lib/issue verified a
//               JWT proof over a live c_nonce); `proof` is not used
enum class PossessionCheck { kChallenge, kCaller };

// IssueRequest: one issuance. `holder` is borrowed for the call.
struct IssueRequest {
  const VerifiedHolder* holder = nullptr;
  EcPublicKey device_key;
  PossessionCheck possession = PossessionCheck::kChallenge;
  PossessionProof proof;
  UnixSeconds now = 0;
  DocTypeMapping mapping = DocTypeMapping::resident_id_default();
  std::string file_path;  // where the caller puts the credential ("" when not a file)
  // idempotency_id: names this issuance across retries (1..128 of A-Z a-z 0-9 . _ : -; ""
  // lets issue() make a random one). A call with the id of an issuance already recorded issues
  // nothing and returns that issuance again (IssuedCredential::replayed), when the holder and
  // the device key are the same (else kRefused): a caller cut off by a lost connection retries
  // with the same id and gets the one outcome, never a second credential. The signed bytes are
  // kept for replay for kIdempotencyReplaySeconds; later the id still refuses a second issuance
  // (kState, naming the credential).
  std::string idempotency_id;
  // before_commit: runs inside the transaction once the credential is built and recorded;
  // an error rolls everything back. `idtap provision` writes the temp file here.
  std::function<Status(const IssuedCredential&)> before_commit;
};

// LedgerVerifyOptions / LedgerReport: what verify() checks and found.
struct LedgerVerifyOptions {
  bool repair = false;
  std::vector<std::string> scan_dirs;  // also look here for orphan temp files
  // anchors: anchor logs or published status lists (Ledger::anchor) the ledger must not be
  // older than; a ledger that is older is reported rolled back (LedgerReport::rolled_back).
  std::vector<std::string> anchors;
};
struct LedgerFinding {
  std::string what;
  bool repaired = false;
  // For a column that differs from what the events say: where, and the two values (a holder
  // key shortened to 8 hex digits); empty otherwise.
  std::string table, row, column, expected, found;
};
struct LedgerReport {
  uint64_t events = 0;
  uint64_t credentials = 0;
  std::vector<LedgerFinding> findings;
  // rolled_back: an anchor shows a newer ledger than this one (restored from an older copy,
  // truncated, or its newest events deleted).
  bool rolled_back = false;
  // LedgerReport::consistent: no finding is left unrepaired.
  bool consistent() const;
};

// LedgerMigration: what Ledger::migrate did: the schema version found and the one reached, and
// one line per step run.
struct LedgerMigration {
  int from = 0;
  int to = 0;
  std::vector<std::string> steps;
};

// Ledger: one connection to a ledger database. Move-only; not shared between threads (open
// one Ledger per thread or process: SQLite serialises the writers).
class Ledger {
 public:
  // Ledger::open: opens the existing ledger at `path` and its key file; creates nothing (the
  // status list options are ignored). kNotFound ("ledger P is not an idtap ledger (no such
  // file) ...") when nothing is at `path` or the ledger exists but its key file does not;
  // kMalformed naming the path for an empty file, a file that is not SQLite or a SQLite
  // database without idtap's tables (left untouched), and ("ledger is corrupt: ...") for a
  // corrupt meta row; kIo for file problems (a key file readable by group or others among
  // them), kNotSupported for a ledger of another format version (version 1: a plain SHA-256
  // event chain).
  static Result<Ledger> open(const std::string& path, const LedgerOptions& options = {});
  // Ledger::create: creates the ledger at `path` (and its key file) with options.status_uri
  // (required: kInvalidArgument when empty) and options.status_list_size (1..2^24, else
  // kInvalidArgument). An existing ledger created with the same URI and size is opened as is;
  // one with another URI or size is kRefused (they are fixed at creation); an existing path
  // that is not an idtap ledger is refused as by open().
  static Result<Ledger> create(const std::string& path, const LedgerOptions& options);
  // Ledger::migrate: brings the ledger at `path` from an earlier schema version to this idtap's
  // (every other command refuses an older one, kNotSupported naming `idtap ledger migrate`):
  // the steps of ledger_migrate.cpp, in one transaction (all or nothing). A version 2 ledger's
  // events lack what verify needs to rebuild every column; the migration appends a keyed
  // snapshot of every holder, card and credential and an event 'migrated': verify trusts the
  // state before the snapshot as of the migration. Errors as open(); a ledger already current
  // is left as is (from == to).
  static Result<LedgerMigration> migrate(const std::string& path, const LedgerOptions& options = {});
  Ledger(Ledger&&) noexcept;
  Ledger& operator=(Ledger&&) noexcept;
  ~Ledger();

  // Ledger::status_uri / status_list_size: fixed at creation.
  const std::string& status_uri() const;
  uint64_t status_list_size() const;
  // Ledger::allow_attested: whether clerk-attested issuance is allowed (LedgerOptions).
  bool allow_attested() const;

  // Ledger::new_challenge: a fresh one-time challenge valid for `ttl_seconds`.
  Result<Bytes> new_challenge(UnixSeconds now, int64_t ttl_seconds = 300);
  // Ledger::new_challenges: `count` challenges under one commit (a kiosk or a batch run).
  Result<std::vector<Bytes>> new_challenges(size_t count, UnixSeconds now, int64_t ttl_seconds = 300);

  // Ledger::issue: checks the rules (check_issuance_policy, the card not lost in the ledger nor
  // another holder's, the device key not holding another holder's active or suspended
  // credential, a clerk-attested holder only when allow_attested(), the proof of possession
  // (PossessionCheck::kChallenge: signature, challenge known, unused and unexpired), then in one
  // transaction consumes the challenge, revokes the holder's previous credential, allocates a
  // status index, issues and records the credential. kRefused (nothing issued or recorded)
  // when a rule says no.
  Result<IssuedCredential> issue(const IssueRequest& request, IssuerSigner& signer);
  // Ledger::issue_batch: several issuances under one commit (one fsync): each either issues
  // or fails on its own (its changes rolled back to a savepoint). The outer error is a failed
  // commit, in which case nothing of the batch is recorded.
  Result<std::vector<Result<IssuedCredential>>> issue_batch(std::span<const IssueRequest> requests, IssuerSigner& signer);
  // Ledger::run_in_one_transaction: group commit. Runs `operations` in order inside one
  // transaction (BEGIN IMMEDIATE ... COMMIT: one fsync for all of them under synchronous=FULL).
  // Each operation is a separate logical operation: the ledger calls it makes (issue(),
  // PendingOffers' redeem and issue, ...) check their own rules and append their own events,
  // their transactions becoming savepoints of this one, so each sees what the operations
  // before it did (one phone per holder, the event chain). An operation that returns an error
  // has all its changes rolled back (a savepoint of its own); the others stay. Nothing is
  // durable before this returns: the result is the commit's, and on an error nothing of any
  // operation is recorded. kState when called from inside an operation (not reentrant).
  Status run_in_one_transaction(std::span<const std::function<Status()>> operations);

  // Ledger::suspend / resume / revoke: one credential. suspend: active -> suspended
  // (reason e.g. "phone_lost"); resume: suspended -> active (kRefused while its card is
  // lost, kState once expired); revoke: active or suspended -> revoked. kNotFound, kState.
  Status suspend(const std::string& credential_id, const std::string& reason, UnixSeconds now);
  Status resume(const std::string& credential_id, UnixSeconds now);
  Status revoke(const std::string& credential_id, const std::string& reason, UnixSeconds now);
  // UnknownCard: what report_card_lost does with a card the ledger does not know.
  enum class UnknownCard {
    kRefuse,  // kNotFound, nothing recorded (a mistyped number must not look like success)
    kRecord,  // recorded as lost with no holder, on purpose (`card report-lost --unknown-ok`)
  };
  // Ledger::report_card_lost: the card (normalized: normalize_card_identity) is marked lost and
  // every active credential of its holder suspended ("card_lost"); returns their ids. An
  // unknown card is kNotFound, or with UnknownCard::kRecord recorded as lost with no holder (a
  // later provisioning from it is refused; once found, the first issuance from it records its
  // holder). kState if already lost, kInvalidArgument for a malformed document number.
  // `was_known` (optional, caller-owned) is set to whether the ledger knew the card before.
  Result<std::vector<std::string>> report_card_lost(const CardIdentity& card, UnixSeconds now,
                                                    UnknownCard unknown = UnknownCard::kRefuse, bool* was_known = nullptr);
  // Ledger::card_found: lifts a card loss: the card (normalized) is valid again and the
  // holder's credentials suspended for a card loss (still unexpired) whose own card is not lost
  // are resumed; returns their ids. kNotFound, kState, kInvalidArgument.
  Result<std::vector<std::string>> card_found(const CardIdentity& card, UnixSeconds now);
  // Ledger::expire_due: active or suspended credentials past valid_until become expired.
  Result<std::vector<std::string>> expire_due(UnixSeconds now);

  // Ledger::credential / credentials: records (all, or those of one card, normalized;
  // kInvalidArgument for a malformed document number).
  Result<CredentialRecord> credential(const std::string& credential_id);
  Result<std::vector<CredentialRecord>> credentials(const std::optional<CardIdentity>& card = std::nullopt);
  // Ledger::credential_by_file: the credential recorded at `path` whose bytes have SHA-256
  // `sha256`, or nullopt.
  Result<std::optional<CredentialRecord>> credential_by_file(const std::string& path, ByteView sha256);
  // Ledger::credentials_of_site: the credentials issued at `site`, oldest first.
  Result<std::vector<CredentialRecord>> credentials_of_site(const std::string& site);
  // SiteDay: one row of site_report(): what `site` did on one UTC day (day_start: its 00:00).
  struct SiteDay {
    std::string site;  // "" for events recorded without a site
    UnixSeconds day_start = 0;
    uint64_t issued = 0, suspended = 0, revoked = 0;
  };
  // Ledger::site_report: per site and UTC day, from the event log: credentials issued,
  // suspended and revoked by that site's connections (a card lost at site A counts the
  // suspensions at A, whichever site issued them; a re-issuance's revocation of the previous
  // credential counts at the issuing site). Ordered by site, then day; days with no event are
  // absent.
  Result<std::vector<SiteDay>> site_report();
  // Ledger::site: LedgerOptions::site of this connection.
  const std::string& site() const;

  // Ledger::status_list: the current list: 1 (INVALID) for suspended and revoked credentials;
  // kRefused when the settings in meta were edited (their tags do not verify: the list would
  // be published under an edited URI).
  Result<StatusList> status_list();

  // Ledger::verify: checks the database, the event chain, every column of the tables against
  // what the events say (ledger_rebuild.cpp), the anchors named in the options and the
  // credential files; with `repair`, completes or undoes what a crash left half done. kIo /
  // kMalformed for an anchor file that cannot be read or is not one.
  Result<LedgerReport> verify(const LedgerVerifyOptions& options = {});

  // Ledger::head: the authenticated head of the event chain (kMalformed when it is not).
  Result<StatusListLedgerHead> head();
  // Ledger::anchor: appends the head to the anchor log `path` (made 0600 when missing; one
  // line, fsynced) and returns it. kInvalidArgument for an empty path, kIo.
  Result<StatusListLedgerHead> anchor(const std::string& path);
  // Ledger::anchor_file: LedgerOptions::anchor_file, or "<ledger>.anchors" for a SQLite ledger
  // ("" for a PostgreSQL ledger without one).
  const std::string& anchor_file() const;
  // Ledger::round_trips: the requests this connection has sent its database server and waited
  // for (0 for SQLite, which has no server): what an issuance costs under the writers' lock
  // (ledger_sites_bench counts them per issuance).
  uint64_t round_trips() const;
  // Ledger::backend: "sqlite" or "postgresql".
  const char* backend() const;
  // Ledger::sync_committed: makes every transaction committed so far on this ledger durable. A
  // SQLite ledger opened with sync_by_caller commits without waiting for the disk; a group-
  // commit writer (idtap/issue/group_commit.h) calls this after the commit, off the write lock
  // and beside the next batch, and answers its callers only when it returned ok. SQLite: an
  // fdatasync of the WAL; kIo when the disk fails it. With sync_by_caller, then a passive
  // checkpoint when the WAL has grown past SQLite's usual threshold (on a connection of its
  // own: it does not stop the writer). PostgreSQL: nothing to do (a durable
  // connection's commits wait for their WAL flush). Touches only the files: callable from
  // another thread while this connection is in use.
  Status sync_committed() const;

  // Ledger::Impl: the connection and its statement cache (named here only so the helpers in
  // ledger.cpp can take it).
  struct Impl;

 private:
  friend class PendingOffers;  // pending_offers.h: offers live in this ledger's database
  friend class ClerkRegistry;  // clerks.h: the console's clerks and their events
  friend class LedgerBulkLoad;  // ledger_bulk.h: rows chained under this ledger's key
  explicit Ledger(std::unique_ptr<Impl> impl);
  enum class OpenMode { kOpen, kCreate, kMigrate };
  static Result<Ledger> open_or_create(const std::string& path, const LedgerOptions& options, OpenMode mode,
                                       LedgerMigration* migration = nullptr);
  std::unique_ptr<Impl> impl_;
};

}  // namespace idtap::provision
