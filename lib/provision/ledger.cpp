// lib/provision/ledger.cpp: opening and creating a ledger (its meta rows, its key, the
// backend), the state <-> SQL mapping, the one card lookup, challenges, and the read-only
// queries. Issuance and state changes are in ledger_issue.cpp, the event chain in
// ledger_events.cpp, the key file in ledger_key.cpp, audit and repair in ledger_verify.cpp, the
// SQLite backend in ledger_sqlite.cpp.
#include "idtap/provision/ledger.h"

#include <errno.h>
#include <sys/stat.h>

#include "idtap/base/hex.h"
#include "idtap/crypto/mac.h"
#include "idtap/crypto/random.h"
#include "ledger_challenge.h"
#include "ledger_connect.h"
#include "ledger_internal.h"

namespace idtap::provision {
namespace {

// The schema versions (ledger_migrate.cpp holds the steps between them): 1 was a plain SHA-256
// chain, which anyone who can write the database can recompute (refused, not migrated); 2 = the
// event chain links and the head are HMAC-SHA256 under the ledger key; 3 = every column a rule
// or a publication reads is in the events or under a tag (ledger_rebuild.cpp checks them), and
// the issuances table holds each issuance's idempotency id (made by the schema text on migration).
// kPolicyLabel: the HMAC domain of meta 'allow_attested' = hex(HMAC(key, kPolicyLabel)): the
// policy is on only when that tag verifies, so an edited row reads as off.
constexpr std::string_view kPolicyLabel = "idtap ledger policy allow_attested";
constexpr uint64_t kMaxStatusListSize = uint64_t(1) << 24;
// kKeyCheckLabel: meta 'key_check' = hex(HMAC(key, kKeyCheckLabel)): which key the ledger was
// created with, checked when a site connects to a shared (PostgreSQL) ledger.
constexpr std::string_view kKeyCheckLabel = "idtap ledger key check";

// redact_location: a connection string without its password (for messages).
std::string redact_location(const std::string& location) {
  std::string out = location;
  const auto at = out.find('@');
  const auto scheme = out.find("://");
  if (scheme != std::string::npos && at != std::string::npos && at > scheme) {
    const auto colon = out.find(':', scheme + 3);
    if (colon != std::string::npos && colon < at) out.replace(colon + 1, at - colon - 1, "***");
  }
  const auto pw = out.find("password=");
  if (pw != std::string::npos) {
    const auto end = out.find(' ', pw);
    out.replace(pw + 9, (end == std::string::npos ? out.size() : end) - pw - 9, "***");
  }
  return out;
}

}  // namespace

// ----- states ----------------------------------------------------------------------------------

const char* credential_state_name(CredentialState s) {
  switch (s) {
    case CredentialState::kActive: return "active";
    case CredentialState::kSuspended: return "suspended";
    case CredentialState::kRevoked: return "revoked";
    case CredentialState::kExpired: return "expired";
  }
  return "?";
}

Result<CredentialState> parse_credential_state(std::string_view s) {
  for (auto st : {CredentialState::kActive, CredentialState::kSuspended, CredentialState::kRevoked, CredentialState::kExpired})
    if (s == credential_state_name(st)) return st;
  return make_error(ErrorCode::kMalformed, "ledger: unknown credential state '" + std::string(s) + "'");
}

const char* card_state_name(CardState s) { return s == CardState::kLost ? "lost" : "valid"; }

Result<CardState> parse_card_state(std::string_view s) {
  if (s == "valid") return CardState::kValid;
  if (s == "lost") return CardState::kLost;
  return make_error(ErrorCode::kMalformed, "ledger: unknown card state '" + std::string(s) + "'");
}

bool LedgerReport::consistent() const {
  for (const auto& f : findings)
    if (!f.repaired) return false;
  return true;
}

Error not_a_ledger(ErrorCode code, const std::string& path, const std::string& why) {
  return make_error(code, "ledger " + path + " is not an idtap ledger (" + why + "); only `idtap ledger init` creates one");
}

// ----- the connection --------------------------------------------------------------------------

Result<std::string> Ledger::Impl::meta(const char* key) {
  IDTAP_ASSIGN_OR_RETURN(Stmt s, prepare("SELECT value FROM meta WHERE key = ?1"));
  s.bind(1, key);
  IDTAP_ASSIGN_OR_RETURN(bool row, s.step());
  if (!row) return make_error(ErrorCode::kMalformed, std::string("ledger: meta '") + key + "' missing");
  return s.text(0);
}

Status Ledger::Impl::set_meta(const char* key, const std::string& value, bool ahead) {
  IDTAP_ASSIGN_OR_RETURN(Stmt s, prepare("INSERT INTO meta(key, value) VALUES(?1, ?2) "
                                         "ON CONFLICT(key) DO UPDATE SET value = excluded.value"));
  s.bind(1, key).bind(2, value);
  return ahead ? s.run_deferred() : s.run();
}

Result<std::optional<CardRow>> Ledger::Impl::find_card(const CardIdentity& card) {
  IDTAP_ASSIGN_OR_RETURN(Stmt s, prepare("SELECT id, state, holder_id FROM cards WHERE issuing_state = ?1 AND document_number = ?2"));
  s.bind(1, card.issuing_state).bind(2, card.document_number);
  IDTAP_ASSIGN_OR_RETURN(bool row, s.step());
  if (!row) return std::optional<CardRow>();
  CardRow out;
  out.id = s.i64(0);
  IDTAP_ASSIGN_OR_RETURN(out.state, parse_card_state(s.text(1)));
  out.holder_id = s.is_null(2) ? 0 : s.i64(2);
  return std::optional<CardRow>(out);
}

Ledger::Ledger(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Ledger::Ledger(Ledger&&) noexcept = default;
Ledger& Ledger::operator=(Ledger&&) noexcept = default;
Ledger::~Ledger() = default;

const std::string& Ledger::status_uri() const { return impl_->status_uri; }
uint64_t Ledger::status_list_size() const { return impl_->status_size; }
bool Ledger::allow_attested() const { return impl_->allow_attested; }
const std::string& Ledger::site() const { return impl_->site; }
uint64_t Ledger::round_trips() const { return impl_->db->round_trips(); }
const char* Ledger::backend() const { return impl_->db->backend(); }
Status Ledger::sync_committed() const { return impl_->db->sync_committed(); }

Result<Ledger> Ledger::open(const std::string& path, const LedgerOptions& options) {
  return open_or_create(path, options, OpenMode::kOpen);
}

Result<LedgerMigration> Ledger::migrate(const std::string& path, const LedgerOptions& options) {
  LedgerMigration done;
  IDTAP_ASSIGN_OR_RETURN(Ledger ledger, open_or_create(path, options, OpenMode::kMigrate, &done));
  (void)ledger;
  return done;
}

Result<Ledger> Ledger::create(const std::string& path, const LedgerOptions& options) {
  if (options.status_uri.empty())
    return make_error(ErrorCode::kInvalidArgument, "ledger " + path + ": a status list URI is required to create a ledger");
  if (options.status_list_size == 0 || options.status_list_size > kMaxStatusListSize)
    return make_error(ErrorCode::kInvalidArgument, "status list size must be 1 .. 2^24");
  return open_or_create(path, options, OpenMode::kCreate);
}

Result<Ledger> Ledger::open_or_create(const std::string& path, const LedgerOptions& options, OpenMode mode,
                                      LedgerMigration* migration) {
  const bool create = mode == OpenMode::kCreate;
  int migrate_from = 0;  // the schema version found (0: a new ledger)
  if (options.site.size() > 64 || options.site.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-") != std::string::npos)
    return make_error(ErrorCode::kInvalidArgument, "site '" + options.site + "': 1..64 of A-Z a-z 0-9 . _ - (a center or embassy code)");
  auto impl = std::make_unique<Impl>();
  impl->path = path;
  impl->site = options.site;
  impl->anchor_file = !options.anchor_file.empty() ? options.anchor_file : is_postgres_location(path) ? "" : path + ".anchors";
  const std::string key_path = options.key_file.empty() ? path + ".key" : options.key_file;
  bool creating = false;
  const bool server = is_postgres_location(path);
  if (server && options.key_file.empty())
    return make_error(ErrorCode::kInvalidArgument, "a PostgreSQL ledger needs its key file named (LedgerOptions::key_file; "
                                                   "the commands: IDTAP_LEDGER_KEY_FILE): every site uses the same ledger key");
  if (server) {
    IDTAP_ASSIGN_OR_RETURN(impl->db, connect_postgres_ledger_db(path, options));  // waits for a server not up yet
  } else {
    IDTAP_ASSIGN_OR_RETURN(impl->db, open_sqlite_ledger_db(path, options, create, &creating));
  }
  {
    IDTAP_ASSIGN_OR_RETURN(Txn txn, Txn::begin(*impl));
    IDTAP_ASSIGN_OR_RETURN(bool has_meta, impl->db->has_ledger_meta());
    if (server) creating = !has_meta;
    if (!has_meta) {
      // A new ledger (only create() gets here: open() refused a database without idtap's tables).
      if (!create)
        return not_a_ledger(ErrorCode::kMalformed, server ? redact_location(path) : path,
                            server ? "a PostgreSQL database without idtap's tables: dropped or truncated? restore it from its backup"
                                   : "a SQLite database without idtap's tables");
      IDTAP_TRY(impl->exec(impl->db->schema_sql().c_str()));
      IDTAP_TRY(impl->db->upgrade_schema());
      const std::string version = std::to_string(current_schema_version());
      // Only a new ledger gets a key: holder ids, the event chain and the meta tags are HMACs under it.
      IDTAP_TRY(ensure_key_file(key_path));
      IDTAP_ASSIGN_OR_RETURN(impl->key, read_key_file(key_path));
      IDTAP_TRY(impl->set_tagged_meta("schema_version", version));
      IDTAP_TRY(impl->set_tagged_meta("status_uri", options.status_uri));
      IDTAP_TRY(impl->set_tagged_meta("status_list_size", std::to_string(options.status_list_size)));
      IDTAP_TRY(impl->set_event_head(0, kGenesis));
      IDTAP_ASSIGN_OR_RETURN(Bytes check, crypto::hmac_sha256(impl->key, bytes_of(kKeyCheckLabel)));
      IDTAP_TRY(impl->set_meta("key_check", to_hex(check)));
    } else {
      IDTAP_ASSIGN_OR_RETURN(std::string version_text, impl->meta("schema_version"));
      const int current = current_schema_version();
      const std::string shown = server ? redact_location(path) : path;  // never a password in a message
      auto version_number = parse_meta_number("schema_version", version_text, 1, 1000000);
      const int version = version_number.ok() ? static_cast<int>(*version_number) : 0;
      if (version == 1)
        return make_error(ErrorCode::kNotSupported,
                          "ledger " + shown + " has format version 1 (its event log is a plain SHA-256 chain); this idtap " +
                              "needs version " + std::to_string(current) + " (an HMAC chain under the ledger key): create a new " +
                              "ledger with `idtap ledger init`");
      if (version == 0 || version > current)
        return make_error(ErrorCode::kNotSupported, "ledger " + shown + " has schema version '" + version_text +
                                                        "', which this idtap does not know (it writes version " +
                                                        std::to_string(current) + "): use the idtap that made it");
      if (version < current && mode != OpenMode::kMigrate)
        return make_error(ErrorCode::kNotSupported,
                          "ledger " + shown + " has schema version " + version_text + "; this idtap needs version " +
                              std::to_string(current) + ": run `idtap ledger migrate --ledger " + shown +
                              "` first (it keeps every row, and records a keyed snapshot so that `idtap ledger verify` covers " +
                              "every column)");
      migrate_from = version;
      IDTAP_TRY(impl->exec(impl->db->schema_sql().c_str()));  // idempotent: indexes and triggers a later idtap added
      IDTAP_TRY(impl->db->upgrade_schema());
      struct stat st;
      if (::stat(key_path.c_str(), &st) != 0 && errno == ENOENT)
        // A new key would give every holder a new id and silently break one phone per holder.
        return make_error(ErrorCode::kNotFound, "ledger key " + key_path + " is missing but the ledger " + path +
                                                    " exists: restore the key file from its backup (a new key would give every holder a new id)");
      IDTAP_ASSIGN_OR_RETURN(impl->key, read_key_file(key_path));
      if (server) {
        // Every site must hold the one ledger key: another would give holders other ids and
        // break the event chain. Refused before anything is read or written.
        IDTAP_ASSIGN_OR_RETURN(std::string stored, impl->meta("key_check"));
        IDTAP_ASSIGN_OR_RETURN(Bytes check, crypto::hmac_sha256(impl->key, bytes_of(kKeyCheckLabel)));
        auto stored_bytes = from_hex(stored);
        if (!stored_bytes.ok() || !crypto::constant_time_equal(*stored_bytes, check))
          return make_error(ErrorCode::kRefused, "ledger key " + key_path + " does not match the key check value of the " +
                                                     "ledger at " + redact_location(path) + ": this site has another key than " +
                                                     "the one the ledger was created with; install the ledger's key (every " +
                                                     "site uses the same one)");
      }
    }
    if (mode == OpenMode::kMigrate && migrate_from != 0 && migrate_from < current_schema_version()) {
      IDTAP_ASSIGN_OR_RETURN(std::vector<std::string> steps, migrate_schema(*impl, migrate_from, now_seconds()));
      if (migration != nullptr) *migration = LedgerMigration{migrate_from, current_schema_version(), std::move(steps)};
    } else if (migration != nullptr) {
      *migration = LedgerMigration{migrate_from, migrate_from, {}};
    }
    IDTAP_ASSIGN_OR_RETURN(Bytes policy_tag, crypto::hmac_sha256(impl->key, bytes_of(kPolicyLabel)));
    {
      IDTAP_ASSIGN_OR_RETURN(Stmt s, impl->prepare("SELECT value FROM meta WHERE key = 'allow_attested'"));
      IDTAP_ASSIGN_OR_RETURN(bool row, s.step());
      auto tag = row ? from_hex(s.text(0)) : Result<Bytes>(Bytes());
      impl->allow_attested = row && tag.ok() && crypto::constant_time_equal(*tag, policy_tag);
    }
    if (create && options.allow_attested && !impl->allow_attested) {
      IDTAP_TRY(impl->set_meta("allow_attested", to_hex(policy_tag)));
      IDTAP_TRY(impl->append_event(now_seconds(), "policy", "", 0, "allow_attested on"));
      impl->allow_attested = true;
    }
    IDTAP_TRY(txn.commit());
  }
  IDTAP_ASSIGN_OR_RETURN(impl->status_uri, impl->meta("status_uri"));
  IDTAP_ASSIGN_OR_RETURN(std::string size, impl->meta("status_list_size"));
  IDTAP_ASSIGN_OR_RETURN(impl->status_size, parse_meta_number("status_list_size", size, 1, kMaxStatusListSize));
  {
    // The settings the rules and the publications read are under tags: an edited row is
    // reported by verify and stops issuance (issue_locked), and never reaches a credential.
    IDTAP_ASSIGN_OR_RETURN(std::vector<std::string> edited, impl->untagged_meta());
    impl->meta_authentic = edited.empty();
  }
  if (create && !creating) {
    // `ledger init` on an existing ledger: the same settings are fine (nothing to do), others
    // are refused rather than silently ignored (they are fixed at creation).
    if (impl->status_uri != options.status_uri)
      return make_error(ErrorCode::kRefused, "ledger " + path + " already exists with status list URI " + impl->status_uri +
                                                 ", not " + options.status_uri + " (fixed at creation)");
    if (impl->status_size != options.status_list_size)
      return make_error(ErrorCode::kRefused, "ledger " + path + " already exists with a status list of " +
                                                 std::to_string(impl->status_size) + " entries, not " +
                                                 std::to_string(options.status_list_size) + " (fixed at creation)");
  }
  return Ledger(std::move(impl));
}


// ----- challenges ------------------------------------------------------------------------------

Result<Bytes> Ledger::new_challenge(UnixSeconds now, int64_t ttl_seconds) {
  IDTAP_ASSIGN_OR_RETURN(std::vector<Bytes> one, new_challenges(1, now, ttl_seconds));
  return std::move(one.front());
}

Result<std::vector<Bytes>> Ledger::new_challenges(size_t count, UnixSeconds now, int64_t ttl_seconds) {
  return retrying(*impl_, [&]() -> Result<std::vector<Bytes>> {
    if (count == 0 || ttl_seconds <= 0) return make_error(ErrorCode::kInvalidArgument, "challenges: count and ttl must be positive");
    IDTAP_ASSIGN_OR_RETURN(Txn txn, Txn::begin(*impl_));
    IDTAP_ASSIGN_OR_RETURN(Stmt prune, impl_->prepare("DELETE FROM challenges WHERE expires_at < ?1"));
    IDTAP_TRY(prune.bind(1, now - 86400).run());
    IDTAP_TRY(impl_->forget_replay_bytes(now));
    std::vector<Bytes> out;
    out.reserve(count);
    for (size_t i = 0; i < count; ++i) {
      IDTAP_ASSIGN_OR_RETURN(Bytes c, make_challenge(*impl_, now, now + ttl_seconds));  // its times under its tag
      IDTAP_ASSIGN_OR_RETURN(Stmt s, impl_->prepare("INSERT INTO challenges(challenge, created_at, expires_at) VALUES(?1, ?2, ?3)"));
      IDTAP_TRY(s.bind_blob(1, c).bind(2, now).bind(3, now + ttl_seconds).run());
      out.push_back(std::move(c));
    }
    IDTAP_TRY(txn.commit());
    return out;
  });
}

// ----- queries ---------------------------------------------------------------------------------

namespace {

constexpr const char* kCredentialSelect =
    "SELECT c.id, k.issuing_state, k.document_number, k.state, c.device_thumbprint, c.doc_type, c.issued_at, c.valid_from, "
    "c.valid_until, c.state, c.state_reason, c.status_idx, c.file_path, c.file_sha256, c.evidence, c.site FROM credentials c JOIN cards k ON k.id = c.card_id";

Result<CredentialRecord> record_of(const Stmt& s) {
  CredentialRecord r;
  r.id = s.text(0);
  r.card = CardIdentity{s.text(2), s.text(1)};
  r.card_state = s.text(3);
  r.device_thumbprint = s.text(4);
  r.doc_type = s.text(5);
  r.issued_at = s.i64(6);
  r.valid_from = s.i64(7);
  r.valid_until = s.i64(8);
  IDTAP_ASSIGN_OR_RETURN(r.state, parse_credential_state(s.text(9)));
  r.state_reason = s.text(10);
  r.status_idx = static_cast<uint64_t>(s.i64(11));
  r.file_path = s.text(12);
  r.file_sha256 = s.blob(13);
  r.evidence = s.text(14);
  r.site = s.text(15);
  return r;
}

// records_of: every row of a kCredentialSelect query.
Result<std::vector<CredentialRecord>> records_of(Stmt& s) {
  std::vector<CredentialRecord> out;
  while (true) {
    IDTAP_ASSIGN_OR_RETURN(bool row, s.step());
    if (!row) break;
    IDTAP_ASSIGN_OR_RETURN(CredentialRecord r, record_of(s));
    out.push_back(std::move(r));
  }
  return out;
}

}  // namespace

Result<CredentialRecord> Ledger::credential(const std::string& id) {
  static const std::string sql = std::string(kCredentialSelect) + " WHERE c.id = ?1";
  IDTAP_ASSIGN_OR_RETURN(Stmt s, impl_->prepare(sql.c_str()));
  s.bind(1, id);
  IDTAP_ASSIGN_OR_RETURN(bool row, s.step());
  if (!row) return make_error(ErrorCode::kNotFound, "no credential " + id);
  return record_of(s);
}

Result<std::optional<CredentialRecord>> Ledger::credential_by_file(const std::string& path, ByteView sha256) {
  static const std::string sql = std::string(kCredentialSelect) + " WHERE c.file_path = ?1 AND c.file_sha256 = ?2";
  IDTAP_ASSIGN_OR_RETURN(Stmt s, impl_->prepare(sql.c_str()));
  s.bind(1, path).bind_blob(2, sha256);
  IDTAP_ASSIGN_OR_RETURN(bool row, s.step());
  if (!row) return std::optional<CredentialRecord>();
  IDTAP_ASSIGN_OR_RETURN(CredentialRecord r, record_of(s));
  return std::optional<CredentialRecord>(std::move(r));
}

Result<std::vector<CredentialRecord>> Ledger::credentials_of_site(const std::string& site) {
  static const std::string sql = std::string(kCredentialSelect) + " WHERE c.site = ?1 ORDER BY c.issued_at, c.id";
  IDTAP_ASSIGN_OR_RETURN(Stmt s, impl_->prepare(sql.c_str()));
  s.bind(1, site);
  return records_of(s);
}

Result<std::vector<CredentialRecord>> Ledger::credentials(const std::optional<CardIdentity>& card) {
  static const std::string all_sql = std::string(kCredentialSelect) + " ORDER BY c.issued_at, c.id";
  static const std::string card_sql =
      std::string(kCredentialSelect) + " WHERE k.issuing_state = ?1 AND k.document_number = ?2 ORDER BY c.issued_at, c.id";
  std::optional<CardIdentity> normalized;
  if (card) {
    IDTAP_ASSIGN_OR_RETURN(normalized, normalize_card_identity(*card));
  }
  IDTAP_ASSIGN_OR_RETURN(Stmt s, impl_->prepare(card ? card_sql.c_str() : all_sql.c_str()));
  if (normalized) s.bind(1, normalized->issuing_state).bind(2, normalized->document_number);
  return records_of(s);
}

Result<StatusList> Ledger::status_list() {
  if (!impl_->meta_authentic)
    return make_error(ErrorCode::kRefused, "the ledger's settings (meta status_uri, status_list_size or schema_version) do not "
                                           "match their tag: they were edited; no status list is made until `idtap ledger verify` "
                                           "has been run and the ledger restored");
  IDTAP_ASSIGN_OR_RETURN(StatusList list, StatusList::create(impl_->status_size, 1));
  IDTAP_ASSIGN_OR_RETURN(Stmt s, impl_->prepare("SELECT status_idx FROM credentials WHERE state IN ('suspended', 'revoked')"));
  while (true) {
    IDTAP_ASSIGN_OR_RETURN(bool row, s.step());
    if (!row) break;
    IDTAP_TRY(list.set(static_cast<uint64_t>(s.i64(0)), kStatusInvalid));
  }
  return list;
}

}  // namespace idtap::provision
