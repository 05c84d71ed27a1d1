#include "idtap/provision/ledger.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <charconv>
#include <cstring>
#include <map>
#include <set>
#include <unordered_map>

#include "idtap/base/hex.h"
#include "idtap/crypto/hash.h"
#include "idtap/crypto/mac.h"
#include "idtap/crypto/random.h"
#include "idtap/provision/files.h"
#include "ledger_internal.h"

namespace idtap::provision {
namespace {

// sha256_matches: SHA-256(`data`) is `sha` (false too if OpenSSL cannot hash).
bool sha256_matches(ByteView data, ByteView sha) {
  auto digest = crypto::digest(crypto::HashAlg::kSha256, data);
  return digest.ok() && equal_bytes(*digest, sha);
}

constexpr const char* kSchema = R"sql(
CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS holders(
  id INTEGER PRIMARY KEY,
  holder_key BLOB NOT NULL UNIQUE,
  created_at INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS cards(
  id INTEGER PRIMARY KEY,
  issuing_state TEXT NOT NULL,
  document_number TEXT NOT NULL,
  holder_id INTEGER REFERENCES holders(id),
  state TEXT NOT NULL CHECK(state IN ('valid', 'lost')),
  UNIQUE(issuing_state, document_number));
CREATE TABLE IF NOT EXISTS credentials(
  id TEXT PRIMARY KEY,
  holder_id INTEGER NOT NULL REFERENCES holders(id),
  card_id INTEGER NOT NULL REFERENCES cards(id),
  device_thumbprint TEXT NOT NULL,
  doc_type TEXT NOT NULL,
  issued_at INTEGER NOT NULL,
  valid_from INTEGER NOT NULL,
  valid_until INTEGER NOT NULL,
  state TEXT NOT NULL CHECK(state IN ('active', 'suspended', 'revoked', 'expired')),
  state_reason TEXT NOT NULL DEFAULT '',
  status_idx INTEGER NOT NULL UNIQUE,
  file_path TEXT NOT NULL DEFAULT '',
  file_sha256 BLOB NOT NULL,
  evidence TEXT NOT NULL DEFAULT 'chip');
CREATE UNIQUE INDEX IF NOT EXISTS one_phone_per_holder ON credentials(holder_id)
  WHERE state IN ('active', 'suspended');
CREATE INDEX IF NOT EXISTS credentials_by_card ON credentials(card_id);
CREATE INDEX IF NOT EXISTS live_credentials_by_device ON credentials(device_thumbprint)
  WHERE state IN ('active', 'suspended');
CREATE TABLE IF NOT EXISTS challenges(
  challenge BLOB PRIMARY KEY,
  created_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL,
  used_at INTEGER);
CREATE TABLE IF NOT EXISTS events(
  seq INTEGER PRIMARY KEY,
  at INTEGER NOT NULL,
  kind TEXT NOT NULL,
  credential_id TEXT NOT NULL DEFAULT '',
  card_id INTEGER NOT NULL DEFAULT 0,
  detail TEXT NOT NULL DEFAULT '',
  hash BLOB NOT NULL);
CREATE TRIGGER IF NOT EXISTS events_append_only_update BEFORE UPDATE ON events
  BEGIN SELECT RAISE(ABORT, 'the event log is append-only'); END;
CREATE TRIGGER IF NOT EXISTS events_append_only_delete BEFORE DELETE ON events
  BEGIN SELECT RAISE(ABORT, 'the event log is append-only'); END;
)sql";

const Bytes kGenesis(32, 0);

// kSchemaVersion: 2 = the event chain links and the head are HMAC-SHA256 under the ledger
// key (1 was a plain SHA-256 chain, which anyone who can write the database can recompute).
constexpr const char* kSchemaVersion = "2";
// kHeadLabel: the HMAC domain of the event head tag (the links are HMAC(prev || row)).
constexpr std::string_view kHeadLabel = "idtap ledger event head";
// kPolicyLabel: the HMAC domain of meta 'allow_attested' = hex(HMAC(key, kPolicyLabel)): the
// policy is on only when that tag verifies, so an edited row reads as off.
constexpr std::string_view kPolicyLabel = "idtap ledger policy allow_attested";




Result<CredentialState> parse_state(const std::string& s) {
  if (s == "active") return CredentialState::kActive;
  if (s == "suspended") return CredentialState::kSuspended;
  if (s == "revoked") return CredentialState::kRevoked;
  if (s == "expired") return CredentialState::kExpired;
  return make_error(ErrorCode::kMalformed, "ledger: unknown credential state '" + s + "'");
}

Result<Bytes> canonical_event(int64_t seq, int64_t at, std::string_view kind, std::string_view credential_id, int64_t card_id,
                              std::string_view detail) {
  std::vector<cbor::Item> row;
  row.push_back(cbor::integer(seq));
  row.push_back(cbor::integer(at));
  row.push_back(cbor::text(kind));
  row.push_back(cbor::text(credential_id));
  row.push_back(cbor::integer(card_id));
  row.push_back(cbor::text(detail));
  return cbor::encode(cbor::array(std::move(row)));
}

// parse_meta_number: a meta value that must be a decimal number in [min, max]; kMalformed
// ("ledger is corrupt: ...") otherwise, never an exception.
Result<uint64_t> parse_meta_number(std::string_view key, std::string_view text, uint64_t min, uint64_t max) {
  uint64_t v = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size() || v < min || v > max)
    return make_error(ErrorCode::kMalformed, "ledger is corrupt: meta '" + std::string(key) + "' is '" + std::string(text) +
                                                 "', not a number in " + std::to_string(min) + ".." + std::to_string(max));
  return v;
}

constexpr uint64_t kMaxStatusListSize = uint64_t(1) << 24;

Result<EventHead> parse_event_head(const std::string& text) {
  auto bad = [&](const std::string& why) {
    return make_error(ErrorCode::kMalformed, "ledger is corrupt: meta 'event_head' " + why);
  };
  auto c1 = text.find(':');
  auto c2 = c1 == std::string::npos ? c1 : text.find(':', c1 + 1);
  if (c2 == std::string::npos) return bad("is not SEQ:HASH:TAG");
  EventHead h;
  IDTAP_ASSIGN_OR_RETURN(uint64_t seq, parse_meta_number("event_head", std::string_view(text).substr(0, c1), 0, INT64_MAX - 1));
  h.seq = static_cast<int64_t>(seq);
  auto hash = from_hex(text.substr(c1 + 1, c2 - c1 - 1));
  auto tag = from_hex(text.substr(c2 + 1));
  if (!hash.ok() || hash->size() != 32 || !tag.ok() || tag->size() != 32) return bad("has a malformed hash or tag");
  h.hash = std::move(hash).value();
  h.tag = std::move(tag).value();
  return h;
}

Status ensure_key_file(const std::string& key_path) {
  struct stat st;
  if (::stat(key_path.c_str(), &st) == 0) return ok_status();
  IDTAP_ASSIGN_OR_RETURN(SecureBytes key, crypto::random_secure_bytes(32));
  std::string hex = to_hex(ByteView(key.data(), key.size())) + "\n";
  IDTAP_ASSIGN_OR_RETURN(Bytes r, crypto::random_bytes(8));
  std::string temp = key_path + ".tmp-" + to_hex(r);
  auto w = write_new_file_durable(temp, bytes_of(hex), 0600);
  secure_zero(hex.data(), hex.size());
  IDTAP_TRY(w);
  // link() publishes the key atomically and fails if another process made one first.
  int rc = ::link(temp.c_str(), key_path.c_str());
  int err = errno;
  ::unlink(temp.c_str());
  if (rc != 0 && err != EEXIST) return make_error(ErrorCode::kIo, "ledger key " + key_path + ": " + std::strerror(err));
  // The key's directory entry is durable before the ledger that depends on it commits.
  return sync_directory(directory_of(key_path));
}

Result<SecureBytes> read_key_file(const std::string& key_path) {
  struct stat st;
  if (::stat(key_path.c_str(), &st) != 0) return make_error(ErrorCode::kIo, "ledger key " + key_path + ": " + std::strerror(errno));
  if ((st.st_mode & 077) != 0)
    return make_error(ErrorCode::kIo, "ledger key " + key_path + " is readable by group or others (chmod 600 it)");
  IDTAP_ASSIGN_OR_RETURN(Bytes text, read_file(key_path, 1024));
  std::string_view sv(reinterpret_cast<const char*>(text.data()), text.size());
  while (!sv.empty() && (sv.back() == '\n' || sv.back() == '\r')) sv.remove_suffix(1);
  auto key = from_hex(sv);
  secure_zero(text.data(), text.size());
  if (!key.ok() || key->size() != 32) return make_error(ErrorCode::kMalformed, "ledger key " + key_path + " is not 32 hex bytes");
  SecureBytes out(key->begin(), key->end());
  secure_zero(key->data(), key->size());
  return out;
}

}  // namespace

const char* credential_state_name(CredentialState s) {
  switch (s) {
    case CredentialState::kActive: return "active";
    case CredentialState::kSuspended: return "suspended";
    case CredentialState::kRevoked: return "revoked";
    case CredentialState::kExpired: return "expired";
  }
  return "?";
}

bool LedgerReport::consistent() const {
  for (const auto& f : findings)
    if (!f.repaired) return false;
  return true;
}

Ledger::Impl::~Impl() {
  for (auto& [sql, s] : cache) sqlite3_finalize(s);
  if (db != nullptr) sqlite3_close(db);
}

Result<Stmt> Ledger::Impl::prepare(const char* sql) {
  auto it = cache.find(sql);
  if (it != cache.end()) return Stmt(db, it->second);
  sqlite3_stmt* s = nullptr;
  int rc = sqlite3_prepare_v3(db, sql, -1, SQLITE_PREPARE_PERSISTENT, &s, nullptr);
  if (rc != SQLITE_OK) return ledger_error(db, rc, std::string("prepare ") + sql);
  cache.emplace(sql, s);
  return Stmt(db, s);
}

Status Ledger::Impl::exec(const char* sql) {
  char* err = nullptr;
  int rc = sqlite3_exec(db, sql, nullptr, nullptr, &err);
  if (rc != SQLITE_OK) {
    std::string msg = err ? err : sqlite3_errstr(rc);
    sqlite3_free(err);
    Error e = ledger_error(nullptr, rc, sql);
    e.context = "ledger: " + std::string(sql).substr(0, 40) + ": " + msg;
    return e;
  }
  return ok_status();
}

Result<std::string> Ledger::Impl::meta(const char* key) {
  IDTAP_ASSIGN_OR_RETURN(Stmt s, prepare("SELECT value FROM meta WHERE key = ?1"));
  s.bind(1, key);
  IDTAP_ASSIGN_OR_RETURN(bool row, s.step());
  if (!row) return make_error(ErrorCode::kMalformed, std::string("ledger: meta '") + key + "' missing");
  return s.text(0);
}

Status Ledger::Impl::set_meta(const char* key, const std::string& value) {
  IDTAP_ASSIGN_OR_RETURN(Stmt s, prepare("INSERT INTO meta(key, value) VALUES(?1, ?2) ON CONFLICT(key) DO UPDATE SET value = excluded.value"));
  return s.bind(1, key).bind(2, value).run();
}

Result<Bytes> Ledger::Impl::event_link(ByteView prev, ByteView canonical) const {
  Bytes data(prev.begin(), prev.end());
  data.insert(data.end(), canonical.begin(), canonical.end());
  return crypto::hmac_sha256(ByteView(key.data(), key.size()), data);
}

Result<Bytes> Ledger::Impl::head_tag(int64_t seq, ByteView hash) const {
  Bytes data(kHeadLabel.begin(), kHeadLabel.end());
  for (int shift = 56; shift >= 0; shift -= 8) data.push_back(static_cast<uint8_t>(static_cast<uint64_t>(seq) >> shift));
  data.insert(data.end(), hash.begin(), hash.end());
  return crypto::hmac_sha256(ByteView(key.data(), key.size()), data);
}

Status Ledger::Impl::set_event_head(int64_t seq, ByteView hash) {
  IDTAP_ASSIGN_OR_RETURN(Bytes tag, head_tag(seq, hash));
  return set_meta("event_head", std::to_string(seq) + ":" + to_hex(hash) + ":" + to_hex(tag));
}

Result<EventHead> Ledger::Impl::event_head() {
  IDTAP_ASSIGN_OR_RETURN(std::string text, meta("event_head"));
  IDTAP_ASSIGN_OR_RETURN(EventHead head, parse_event_head(text));
  IDTAP_ASSIGN_OR_RETURN(Bytes tag, head_tag(head.seq, head.hash));
  if (!crypto::constant_time_equal(tag, head.tag))
    return make_error(ErrorCode::kMalformed, "ledger is corrupt: meta 'event_head' is not authentic (rewound or forged): "
                                             "run `idtap ledger verify`");
  return head;
}

Status Ledger::Impl::append_event(UnixSeconds at, std::string_view kind, std::string_view credential_id, int64_t card_id,
                    std::string_view detail) {
  IDTAP_ASSIGN_OR_RETURN(EventHead head, event_head());
  int64_t seq = head.seq + 1;
  IDTAP_ASSIGN_OR_RETURN(Bytes row, canonical_event(seq, at, kind, credential_id, card_id, detail));
  IDTAP_ASSIGN_OR_RETURN(Bytes hash, event_link(head.hash, row));
  IDTAP_ASSIGN_OR_RETURN(Stmt s, prepare("INSERT INTO events(seq, at, kind, credential_id, card_id, detail, hash) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7)"));
  IDTAP_TRY(s.bind(1, seq).bind(2, at).bind(3, kind).bind(4, credential_id).bind(5, card_id).bind(6, detail).bind_blob(7, hash).run());
  return set_event_head(seq, hash);
}

Status Ledger::Impl::set_credential_state(const std::string& id, CredentialState state, const std::string& reason, UnixSeconds now,
                            const char* event_kind) {
  IDTAP_ASSIGN_OR_RETURN(Stmt s, prepare("UPDATE credentials SET state = ?2, state_reason = ?3 WHERE id = ?1"));
  IDTAP_TRY(s.bind(1, id).bind(2, credential_state_name(state)).bind(3, reason).run());
  return append_event(now, event_kind, id, 0, reason);
}

Result<uint64_t> Ledger::Impl::allocate_status_index() {
  for (int attempt = 0; attempt < 64; ++attempt) {
    IDTAP_ASSIGN_OR_RETURN(Bytes r, crypto::random_bytes(8));
    uint64_t idx = be_uint(r) % status_size;
    IDTAP_ASSIGN_OR_RETURN(Stmt used, prepare("SELECT 1 FROM credentials WHERE status_idx = ?1"));
    used.bind(1, static_cast<int64_t>(idx));
    IDTAP_ASSIGN_OR_RETURN(bool taken, used.step());
    if (!taken) return idx;
  }
  // Dense list: the first free index.
  IDTAP_ASSIGN_OR_RETURN(Stmt all, prepare("SELECT status_idx FROM credentials ORDER BY status_idx"));
  uint64_t expect = 0;
  while (true) {
    IDTAP_ASSIGN_OR_RETURN(bool row, all.step());
    if (!row) break;
    uint64_t idx = static_cast<uint64_t>(all.i64(0));
    if (idx != expect) break;
    ++expect;
  }
  if (expect >= status_size) return make_error(ErrorCode::kRefused, "the status list is full (" + std::to_string(status_size) + " entries)");
  return expect;
}


Ledger::Ledger(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Ledger::Ledger(Ledger&&) noexcept = default;
Ledger& Ledger::operator=(Ledger&&) noexcept = default;
Ledger::~Ledger() = default;

const std::string& Ledger::status_uri() const { return impl_->status_uri; }
uint64_t Ledger::status_list_size() const { return impl_->status_size; }
bool Ledger::allow_attested() const { return impl_->allow_attested; }

namespace {


}  // namespace

namespace {

// not_a_ledger: the one error for a path that is not an idtap ledger (nothing there, an empty
// file, another program's SQLite database, not SQLite at all).
Error not_a_ledger(ErrorCode code, const std::string& path, const std::string& why) {
  return make_error(code, "ledger " + path + " is not an idtap ledger (" + why + "); only `idtap ledger init` creates one");
}

// is_idtap_ledger: whether the open database holds idtap's meta row 'schema_version' (any
// version: a version mismatch is its own error). Reads only; kMalformed for a file that is not
// a SQLite database.
Result<bool> is_idtap_ledger(Ledger::Impl& l, const std::string& path);

}  // namespace

Result<Ledger> Ledger::open(const std::string& path, const LedgerOptions& options) {
  return open_or_create(path, options, false);
}

Result<Ledger> Ledger::create(const std::string& path, const LedgerOptions& options) {
  if (options.status_uri.empty())
    return make_error(ErrorCode::kInvalidArgument, "ledger " + path + ": a status list URI is required to create a ledger");
  if (options.status_list_size == 0 || options.status_list_size > kMaxStatusListSize)
    return make_error(ErrorCode::kInvalidArgument, "status list size must be 1 .. 2^24");
  return open_or_create(path, options, true);
}

Result<Ledger> Ledger::open_or_create(const std::string& path, const LedgerOptions& options, bool create) {
  auto impl = std::make_unique<Impl>();
  impl->path = path;
  const std::string key_path = path + ".key";
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
    return not_a_ledger(ErrorCode::kMalformed, path, "an empty file");
  }
  int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX | (creating ? SQLITE_OPEN_CREATE : 0);
  int rc = sqlite3_open_v2(path.c_str(), &impl->db, flags, nullptr);
  if (rc != SQLITE_OK) return ledger_error(impl->db, rc, "open " + path);
  if (creating) ::chmod(path.c_str(), 0600);
  sqlite3_busy_timeout(impl->db, options.busy_timeout_ms);
  sqlite3_extended_result_codes(impl->db, 1);
  if (!creating) {
    // Before anything is written: another program's database gets no tables added, and a file
    // that is not SQLite is not turned into a WAL database.
    IDTAP_ASSIGN_OR_RETURN(bool ours, is_idtap_ledger(*impl, path));
    if (!ours) return not_a_ledger(ErrorCode::kMalformed, path, "a SQLite database without idtap's tables");
  }
  IDTAP_TRY(impl->exec("PRAGMA journal_mode = WAL"));
  IDTAP_TRY(impl->exec(options.durable ? "PRAGMA synchronous = FULL" : "PRAGMA synchronous = NORMAL"));
  IDTAP_TRY(impl->exec("PRAGMA foreign_keys = ON"));
  {
    IDTAP_ASSIGN_OR_RETURN(Txn txn, Txn::begin(*impl));
    IDTAP_ASSIGN_OR_RETURN(bool has_meta, is_idtap_ledger(*impl, path));
    if (!has_meta) {
      // A new ledger (only create() gets here: open() refused a database without idtap's tables).
      if (!create) return not_a_ledger(ErrorCode::kMalformed, path, "a SQLite database without idtap's tables");
      IDTAP_TRY(impl->exec(kSchema));
      IDTAP_TRY(impl->set_meta("schema_version", kSchemaVersion));
      IDTAP_TRY(impl->set_meta("status_uri", options.status_uri));
      IDTAP_TRY(impl->set_meta("status_list_size", std::to_string(options.status_list_size)));
      // Only a new ledger gets a key: holder ids and the event chain are HMACs under it.
      IDTAP_TRY(ensure_key_file(key_path));
      IDTAP_ASSIGN_OR_RETURN(impl->key, read_key_file(key_path));
      IDTAP_TRY(impl->set_event_head(0, kGenesis));
    } else {
      IDTAP_ASSIGN_OR_RETURN(std::string version, impl->meta("schema_version"));
      if (version != kSchemaVersion)
        return make_error(ErrorCode::kNotSupported,
                          "ledger " + path + " has format version " + version + " (its event log is a plain SHA-256 chain); this idtap " +
                              "needs version " + kSchemaVersion + " (an HMAC chain under the ledger key): create a new ledger with " +
                              "`idtap ledger init`");
      IDTAP_TRY(impl->exec(kSchema));  // idempotent: indexes and triggers a later idtap added
      // A column a later idtap added (the evidence of issue 15): old rows were all chip reads.
      IDTAP_ASSIGN_OR_RETURN(Stmt col, impl->prepare("SELECT 1 FROM pragma_table_info('credentials') WHERE name = 'evidence'"));
      IDTAP_ASSIGN_OR_RETURN(bool has_evidence, col.step());
      if (!has_evidence) IDTAP_TRY(impl->exec("ALTER TABLE credentials ADD COLUMN evidence TEXT NOT NULL DEFAULT 'chip'"));
      if (::stat(key_path.c_str(), &st) != 0 && errno == ENOENT)
        // A new key would give every holder a new id and silently break one phone per holder.
        return make_error(ErrorCode::kNotFound, "ledger key " + key_path + " is missing but the ledger " + path +
                                                    " exists: restore the key file from its backup (a new key would give every holder a new id)");
      IDTAP_ASSIGN_OR_RETURN(impl->key, read_key_file(key_path));
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

namespace {

Result<bool> is_idtap_ledger(Ledger::Impl& l, const std::string& path) {
  sqlite3_stmt* s = nullptr;
  int rc = sqlite3_prepare_v2(l.db, "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'meta'", -1, &s, nullptr);
  if (rc == SQLITE_OK) rc = sqlite3_step(s);
  sqlite3_finalize(s);
  if (rc == SQLITE_DONE) return false;
  if (rc == SQLITE_ROW) {
    // A table named meta alone is not enough: idtap's holds the schema version.
    sqlite3_stmt* v = nullptr;
    int vrc = sqlite3_prepare_v2(l.db, "SELECT 1 FROM meta WHERE key = 'schema_version'", -1, &v, nullptr);
    if (vrc == SQLITE_OK) vrc = sqlite3_step(v);
    sqlite3_finalize(v);
    if (vrc == SQLITE_ROW) return true;
    if (vrc == SQLITE_DONE || (vrc & 0xFF) == SQLITE_ERROR) return false;
    return ledger_error(l.db, vrc, "open " + path);
  }
  if ((rc & 0xFF) == SQLITE_NOTADB) return not_a_ledger(ErrorCode::kMalformed, path, "not a SQLite database");
  return ledger_error(l.db, rc, "open " + path);
}

}  // namespace

Result<Bytes> Ledger::new_challenge(UnixSeconds now, int64_t ttl_seconds) {
  IDTAP_ASSIGN_OR_RETURN(std::vector<Bytes> one, new_challenges(1, now, ttl_seconds));
  return std::move(one.front());
}

Result<std::vector<Bytes>> Ledger::new_challenges(size_t count, UnixSeconds now, int64_t ttl_seconds) {
  if (count == 0 || ttl_seconds <= 0) return make_error(ErrorCode::kInvalidArgument, "challenges: count and ttl must be positive");
  IDTAP_ASSIGN_OR_RETURN(Txn txn, Txn::begin(*impl_));
  IDTAP_ASSIGN_OR_RETURN(Stmt prune, impl_->prepare("DELETE FROM challenges WHERE expires_at < ?1"));
  IDTAP_TRY(prune.bind(1, now - 86400).run());
  std::vector<Bytes> out;
  out.reserve(count);
  for (size_t i = 0; i < count; ++i) {
    IDTAP_ASSIGN_OR_RETURN(Bytes c, crypto::random_bytes(kChallengeBytes));
    IDTAP_ASSIGN_OR_RETURN(Stmt s, impl_->prepare("INSERT INTO challenges(challenge, created_at, expires_at) VALUES(?1, ?2, ?3)"));
    IDTAP_TRY(s.bind_blob(1, c).bind(2, now).bind(3, now + ttl_seconds).run());
    out.push_back(std::move(c));
  }
  IDTAP_TRY(txn.commit());
  return out;
}

Result<IssuedCredential> Ledger::Impl::issue_locked(const IssueRequest& r, IssuerSigner& signer) {
  const VerifiedHolder& h = *r.holder;
  if (h.evidence == Evidence::kClerk && !allow_attested)
    return make_error(ErrorCode::kRefused, "this ledger does not allow clerk-attested issuance (it is off unless the ledger "
                                           "was set up with `idtap ledger init --allow-attested`)");
  // The proof's challenge: known, unused, unexpired; consumed by this transaction.
  if (r.possession == PossessionCheck::kChallenge) {
    IDTAP_ASSIGN_OR_RETURN(Stmt s, prepare("SELECT expires_at, used_at FROM challenges WHERE challenge = ?1"));
    s.bind_blob(1, r.proof.challenge);
    IDTAP_ASSIGN_OR_RETURN(bool row, s.step());
    if (!row) return make_error(ErrorCode::kRefused, "bad proof of possession: unknown challenge");
    if (!s.is_null(1)) return make_error(ErrorCode::kRefused, "bad proof of possession: the challenge was already used (replayed proof)");
    if (s.i64(0) <= r.now) return make_error(ErrorCode::kRefused, "bad proof of possession: the challenge expired");
  }
  if (r.possession == PossessionCheck::kChallenge) {
    IDTAP_ASSIGN_OR_RETURN(Stmt s, prepare("UPDATE challenges SET used_at = ?2 WHERE challenge = ?1"));
    IDTAP_TRY(s.bind_blob(1, r.proof.challenge).bind(2, r.now).run());
  }
  // The holder, keyed by HMAC(ledger key, resident number digits).
  IDTAP_ASSIGN_OR_RETURN(SecureBytes digits, resident_number_digits(h));
  IDTAP_ASSIGN_OR_RETURN(Bytes holder_key, crypto::hmac_sha256(key, ByteView(digits.data(), digits.size())));
  int64_t holder_id = 0;
  {
    IDTAP_ASSIGN_OR_RETURN(Stmt s, prepare("SELECT id FROM holders WHERE holder_key = ?1"));
    s.bind_blob(1, holder_key);
    IDTAP_ASSIGN_OR_RETURN(bool row, s.step());
    if (row) holder_id = s.i64(0);
  }
  if (holder_id == 0) {
    IDTAP_ASSIGN_OR_RETURN(Stmt s, prepare("INSERT INTO holders(holder_key, created_at) VALUES(?1, ?2)"));
    IDTAP_TRY(s.bind_blob(1, holder_key).bind(2, r.now).run());
    holder_id = sqlite3_last_insert_rowid(db);
  }
  // One phone per person: a device key that holds another holder's live (active or suspended)
  // credential is refused; that credential must be revoked first (a suspended one could be
  // resumed, so it still binds the phone).
  const std::string thumbprint = r.device_key.thumbprint();
  {
    IDTAP_ASSIGN_OR_RETURN(Stmt s, prepare("SELECT id, state FROM credentials WHERE device_thumbprint = ?1 AND holder_id <> ?2 "
                                           "AND state IN ('active', 'suspended') LIMIT 1"));
    s.bind(1, thumbprint).bind(2, holder_id);
    IDTAP_ASSIGN_OR_RETURN(bool row, s.step());
    if (row)
      return make_error(ErrorCode::kRefused, "this phone's device key already holds another holder's mobile ID (credential " +
                                                 s.text(0) + ", " + s.text(1) + "): a device key is bound to one holder; " +
                                                 "that credential must be revoked before this phone can hold another person's ID");
  }
  // The card: refused when the ledger has it as lost or as another holder's. A card first
  // recorded without a holder (reported lost before it was ever used, then found) gets this
  // holder, so that a later loss report suspends the credential issued here.
  int64_t card_id = 0;
  bool card_has_holder = false;
  IDTAP_ASSIGN_OR_RETURN(const CardIdentity card, normalize_card_identity(h.card));
  {
    IDTAP_ASSIGN_OR_RETURN(Stmt s, prepare("SELECT id, state, holder_id FROM cards WHERE issuing_state = ?1 AND document_number = ?2"));
    s.bind(1, card.issuing_state).bind(2, card.document_number);
    IDTAP_ASSIGN_OR_RETURN(bool row, s.step());
    if (row) {
      card_id = s.i64(0);
      card_has_holder = !s.is_null(2);
      if (s.text(1) == "lost") return make_error(ErrorCode::kRefused, "the card is reported lost");
      if (card_has_holder && s.i64(2) != holder_id) return make_error(ErrorCode::kRefused, "the card is recorded for another holder");
    }
  }
  if (card_id != 0 && !card_has_holder) {
    IDTAP_ASSIGN_OR_RETURN(Stmt s, prepare("UPDATE cards SET holder_id = ?2 WHERE id = ?1 AND holder_id IS NULL"));
    IDTAP_TRY(s.bind(1, card_id).bind(2, holder_id).run());
  }
  if (card_id == 0) {
    IDTAP_ASSIGN_OR_RETURN(Stmt s, prepare("INSERT INTO cards(issuing_state, document_number, holder_id, state) VALUES(?1, ?2, ?3, 'valid')"));
    IDTAP_TRY(s.bind(1, card.issuing_state).bind(2, card.document_number).bind(3, holder_id).run());
    card_id = sqlite3_last_insert_rowid(db);
  }

  IssuedCredential out;
  IDTAP_ASSIGN_OR_RETURN(Bytes id_bytes, crypto::random_bytes(16));
  out.credential_id = to_hex(id_bytes);
  out.file_path = r.file_path;
  out.device_thumbprint = thumbprint;

  // One phone per holder: the previous live credential is revoked in this transaction.
  {
    IDTAP_ASSIGN_OR_RETURN(Stmt s, prepare("SELECT id FROM credentials WHERE holder_id = ?1 AND state IN ('active', 'suspended')"));
    s.bind(1, holder_id);
    IDTAP_ASSIGN_OR_RETURN(out.revoked, s.texts());
  }
  for (const auto& old : out.revoked)
    IDTAP_TRY(set_credential_state(old, CredentialState::kRevoked, "replaced by " + out.credential_id, r.now, "revoked"));

  IDTAP_ASSIGN_OR_RETURN(out.status_idx, allocate_status_index());
  out.validity.signed_at = r.now;
  out.validity.valid_from = r.now;
  out.validity.valid_until = credential_valid_until(r.now);
  // A credential that would not verify (an issuer certificate expired, not yet valid, or
  // expiring before validUntil) is not issued.
  if (signer.certificate_chain() != checked_chain) {
    IDTAP_ASSIGN_OR_RETURN(checked_window, issuer_validity(signer.certificate_chain()));
    checked_chain = signer.certificate_chain();
  }
  if (!checked_window.covers(r.now, out.validity.valid_until))
    IDTAP_TRY(check_issuer_validity(signer, r.now, out.validity.valid_until));  // the error names the certificate

  MdocContent content;
  content.holder = &h;
  content.mapping = r.mapping;
  content.device_key = r.device_key;
  content.validity = out.validity;
  content.status = StatusReference{out.status_idx, status_uri};
  IDTAP_ASSIGN_OR_RETURN(out.issuer_signed, issue_mdoc(content, signer));
  IDTAP_ASSIGN_OR_RETURN(Bytes file_sha256, crypto::digest(crypto::HashAlg::kSha256, out.issuer_signed));

  {
    IDTAP_ASSIGN_OR_RETURN(Stmt s, prepare(
        "INSERT INTO credentials(id, holder_id, card_id, device_thumbprint, doc_type, issued_at, valid_from, valid_until, "
        "state, status_idx, file_path, file_sha256, evidence) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, 'active', ?9, ?10, ?11, ?12)"));
    IDTAP_TRY(s.bind(1, out.credential_id).bind(2, holder_id).bind(3, card_id).bind(4, out.device_thumbprint)
                  .bind(5, r.mapping.doc_type).bind(6, r.now).bind(7, out.validity.valid_from).bind(8, out.validity.valid_until)
                  .bind(9, static_cast<int64_t>(out.status_idx)).bind(10, r.file_path)
                  .bind_blob(11, file_sha256).bind(12, h.evidence_label()).run());
  }
  IDTAP_TRY(append_event(r.now, "issued", out.credential_id, card_id,
                         "device " + out.device_thumbprint + " evidence " + h.evidence_label()));
  if (r.before_commit) IDTAP_TRY(r.before_commit(out));
  return out;
}

namespace {

Status check_request(const IssueRequest& r) {
  if (r.holder == nullptr) return make_error(ErrorCode::kInvalidArgument, "issue: no holder");
  // The rules first: nothing is touched when they refuse.
  IDTAP_TRY(check_issuance_policy(*r.holder, date_of(r.now)));
  if (r.possession == PossessionCheck::kCaller) return ok_status();
  return verify_possession_signature(r.proof, r.device_key);
}

}  // namespace

Result<IssuedCredential> Ledger::issue(const IssueRequest& r, IssuerSigner& signer) {
  IDTAP_TRY(check_request(r));
  IDTAP_ASSIGN_OR_RETURN(Txn txn, Txn::begin(*impl_));
  IDTAP_ASSIGN_OR_RETURN(IssuedCredential out, impl_->issue_locked(r, signer));
  IDTAP_TRY(txn.commit());
  return out;
}

Result<std::vector<Result<IssuedCredential>>> Ledger::issue_batch(std::span<const IssueRequest> requests, IssuerSigner& signer) {
  std::vector<Result<IssuedCredential>> results;
  results.reserve(requests.size());
  IDTAP_ASSIGN_OR_RETURN(Txn txn, Txn::begin(*impl_));
  for (const auto& r : requests) {
    auto checked = check_request(r);
    if (!checked.ok()) {
      results.push_back(checked.error());
      continue;
    }
    IDTAP_TRY(impl_->exec("SAVEPOINT item"));
    auto one = impl_->issue_locked(r, signer);
    if (!one.ok()) IDTAP_TRY(impl_->exec("ROLLBACK TO item"));
    IDTAP_TRY(impl_->exec("RELEASE item"));
    results.push_back(std::move(one));
  }
  IDTAP_TRY(txn.commit());
  return results;
}

Status Ledger::run_in_one_transaction(std::span<const std::function<Status()>> operations) {
  if (impl_->in_group) return make_error(ErrorCode::kState, "run_in_one_transaction: already inside a group transaction");
  IDTAP_ASSIGN_OR_RETURN(Txn txn, Txn::begin(*impl_));
  impl_->in_group = true;
  struct GroupEnd {
    Ledger::Impl& l;
    ~GroupEnd() { l.in_group = false; }
  } group_end{*impl_};
  for (const auto& operation : operations) {
    IDTAP_TRY(impl_->exec("SAVEPOINT operation"));
    const Status done = operation ? operation() : ok_status();
    if (!done.ok()) IDTAP_TRY(impl_->exec("ROLLBACK TO operation"));
    IDTAP_TRY(impl_->exec("RELEASE operation"));
  }
  impl_->in_group = false;
  return txn.commit();
}

namespace {

struct StateRow {
  CredentialState state;
  std::string reason;
  UnixSeconds valid_until;
  int64_t card_id;
  int64_t holder_id;
};

Result<StateRow> load_state(Ledger::Impl& l, const std::string& id) {
  IDTAP_ASSIGN_OR_RETURN(Stmt s, l.prepare("SELECT state, state_reason, valid_until, card_id, holder_id FROM credentials WHERE id = ?1"));
  s.bind(1, id);
  IDTAP_ASSIGN_OR_RETURN(bool row, s.step());
  if (!row) return make_error(ErrorCode::kNotFound, "no credential " + id);
  IDTAP_ASSIGN_OR_RETURN(CredentialState st, parse_state(s.text(0)));
  return StateRow{st, s.text(1), s.i64(2), s.i64(3), s.i64(4)};
}

}  // namespace

Status Ledger::suspend(const std::string& id, const std::string& reason, UnixSeconds now) {
  IDTAP_ASSIGN_OR_RETURN(Txn txn, Txn::begin(*impl_));
  IDTAP_ASSIGN_OR_RETURN(StateRow row, load_state(*impl_, id));
  if (row.state != CredentialState::kActive)
    return make_error(ErrorCode::kState, "credential " + id + " is " + credential_state_name(row.state) + ", not active");
  IDTAP_TRY(impl_->set_credential_state(id, CredentialState::kSuspended, reason, now, "suspended"));
  return txn.commit();
}

Status Ledger::resume(const std::string& id, UnixSeconds now) {
  IDTAP_ASSIGN_OR_RETURN(Txn txn, Txn::begin(*impl_));
  IDTAP_ASSIGN_OR_RETURN(StateRow row, load_state(*impl_, id));
  if (row.state != CredentialState::kSuspended)
    return make_error(ErrorCode::kState, "credential " + id + " is " + credential_state_name(row.state) + ", not suspended");
  if (now >= row.valid_until) return make_error(ErrorCode::kState, "credential " + id + " has expired: re-issue it");
  IDTAP_ASSIGN_OR_RETURN(Stmt card, impl_->prepare("SELECT state FROM cards WHERE id = ?1"));
  card.bind(1, row.card_id);
  IDTAP_ASSIGN_OR_RETURN(bool has_card, card.step());
  if (has_card && card.text(0) == "lost")
    return make_error(ErrorCode::kRefused, "the credential's card is still reported lost (use `idtap card found` first)");
  IDTAP_TRY(impl_->set_credential_state(id, CredentialState::kActive, "", now, "resumed"));
  return txn.commit();
}

Status Ledger::revoke(const std::string& id, const std::string& reason, UnixSeconds now) {
  IDTAP_ASSIGN_OR_RETURN(Txn txn, Txn::begin(*impl_));
  IDTAP_ASSIGN_OR_RETURN(StateRow row, load_state(*impl_, id));
  if (row.state != CredentialState::kActive && row.state != CredentialState::kSuspended)
    return make_error(ErrorCode::kState, "credential " + id + " is already " + credential_state_name(row.state));
  IDTAP_TRY(impl_->set_credential_state(id, CredentialState::kRevoked, reason, now, "revoked"));
  return txn.commit();
}

Result<std::vector<std::string>> Ledger::report_card_lost(const CardIdentity& typed, UnixSeconds now, UnknownCard unknown,
                                                           bool* was_known) {
  IDTAP_ASSIGN_OR_RETURN(const CardIdentity card, normalize_card_identity(typed));
  IDTAP_ASSIGN_OR_RETURN(Txn txn, Txn::begin(*impl_));
  int64_t card_id = 0;
  int64_t holder_id = 0;
  {
    IDTAP_ASSIGN_OR_RETURN(Stmt s, impl_->prepare("SELECT id, state, holder_id FROM cards WHERE issuing_state = ?1 AND document_number = ?2"));
    s.bind(1, card.issuing_state).bind(2, card.document_number);
    IDTAP_ASSIGN_OR_RETURN(bool row, s.step());
    if (row) {
      if (s.text(1) == "lost") return make_error(ErrorCode::kState, "the card is already reported lost");
      card_id = s.i64(0);
      holder_id = s.is_null(2) ? 0 : s.i64(2);
    }
  }
  if (was_known != nullptr) *was_known = card_id != 0;
  if (card_id == 0 && unknown == UnknownCard::kRefuse)
    return make_error(ErrorCode::kNotFound, "no card " + card.issuing_state + " " + card.document_number +
                                                " in the ledger: nothing was suspended and nothing recorded (check the number; " +
                                                "to record a card never used here as lost, say so: --unknown-ok)");
  if (card_id == 0) {
    IDTAP_ASSIGN_OR_RETURN(Stmt s, impl_->prepare("INSERT INTO cards(issuing_state, document_number, holder_id, state) VALUES(?1, ?2, NULL, 'lost')"));
    IDTAP_TRY(s.bind(1, card.issuing_state).bind(2, card.document_number).run());
    card_id = sqlite3_last_insert_rowid(impl_->db);
  } else {
    IDTAP_ASSIGN_OR_RETURN(Stmt s, impl_->prepare("UPDATE cards SET state = 'lost' WHERE id = ?1"));
    IDTAP_TRY(s.bind(1, card_id).run());
  }
  IDTAP_TRY(impl_->append_event(now, "card_lost", "", card_id, card.issuing_state + " " + card.document_number));
  std::vector<std::string> suspended;
  if (holder_id != 0) {
    IDTAP_ASSIGN_OR_RETURN(Stmt s, impl_->prepare("SELECT id FROM credentials WHERE holder_id = ?1 AND state = 'active'"));
    s.bind(1, holder_id);
    IDTAP_ASSIGN_OR_RETURN(suspended, s.texts());
  }
  for (const auto& id : suspended) IDTAP_TRY(impl_->set_credential_state(id, CredentialState::kSuspended, "card_lost", now, "suspended"));
  IDTAP_TRY(txn.commit());
  return suspended;
}

Result<std::vector<std::string>> Ledger::card_found(const CardIdentity& typed, UnixSeconds now) {
  IDTAP_ASSIGN_OR_RETURN(const CardIdentity card, normalize_card_identity(typed));
  IDTAP_ASSIGN_OR_RETURN(Txn txn, Txn::begin(*impl_));
  int64_t card_id = 0;
  int64_t holder_id = 0;
  {
    IDTAP_ASSIGN_OR_RETURN(Stmt s, impl_->prepare("SELECT id, state, holder_id FROM cards WHERE issuing_state = ?1 AND document_number = ?2"));
    s.bind(1, card.issuing_state).bind(2, card.document_number);
    IDTAP_ASSIGN_OR_RETURN(bool row, s.step());
    if (!row) return make_error(ErrorCode::kNotFound, "no card " + card.issuing_state + " " + card.document_number + " in the ledger");
    if (s.text(1) != "lost") return make_error(ErrorCode::kState, "the card is not reported lost");
    card_id = s.i64(0);
    holder_id = s.is_null(2) ? 0 : s.i64(2);
  }
  {
    IDTAP_ASSIGN_OR_RETURN(Stmt s, impl_->prepare("UPDATE cards SET state = 'valid' WHERE id = ?1"));
    IDTAP_TRY(s.bind(1, card_id).run());
  }
  IDTAP_TRY(impl_->append_event(now, "card_found", "", card_id, card.issuing_state + " " + card.document_number));
  std::vector<std::string> resumed;
  if (holder_id != 0) {
    IDTAP_ASSIGN_OR_RETURN(Stmt s, impl_->prepare(
        "SELECT c.id FROM credentials c JOIN cards k ON k.id = c.card_id WHERE c.holder_id = ?1 AND c.state = 'suspended' "
        "AND c.state_reason = 'card_lost' AND c.valid_until > ?2 AND k.state <> 'lost'"));
    s.bind(1, holder_id).bind(2, now);
    IDTAP_ASSIGN_OR_RETURN(resumed, s.texts());
  }
  for (const auto& id : resumed) IDTAP_TRY(impl_->set_credential_state(id, CredentialState::kActive, "", now, "resumed"));
  IDTAP_TRY(txn.commit());
  return resumed;
}

Result<std::vector<std::string>> Ledger::expire_due(UnixSeconds now) {
  IDTAP_ASSIGN_OR_RETURN(Txn txn, Txn::begin(*impl_));
  std::vector<std::string> due;
  {
    IDTAP_ASSIGN_OR_RETURN(Stmt s, impl_->prepare("SELECT id FROM credentials WHERE state IN ('active', 'suspended') AND valid_until <= ?1"));
    s.bind(1, now);
    IDTAP_ASSIGN_OR_RETURN(due, s.texts());
  }
  for (const auto& id : due) IDTAP_TRY(impl_->set_credential_state(id, CredentialState::kExpired, "validity ended", now, "expired"));
  IDTAP_TRY(txn.commit());
  return due;
}

namespace {

constexpr const char* kCredentialSelect =
    "SELECT c.id, k.issuing_state, k.document_number, k.state, c.device_thumbprint, c.doc_type, c.issued_at, c.valid_from, "
    "c.valid_until, c.state, c.state_reason, c.status_idx, c.file_path, c.file_sha256, c.evidence FROM credentials c JOIN cards k ON k.id = c.card_id";

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
  IDTAP_ASSIGN_OR_RETURN(r.state, parse_state(s.text(9)));
  r.state_reason = s.text(10);
  r.status_idx = static_cast<uint64_t>(s.i64(11));
  r.file_path = s.text(12);
  r.file_sha256 = s.blob(13);
  r.evidence = s.text(14);
  return r;
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
  std::vector<CredentialRecord> out;
  while (true) {
    IDTAP_ASSIGN_OR_RETURN(bool row, s.step());
    if (!row) break;
    IDTAP_ASSIGN_OR_RETURN(CredentialRecord r, record_of(s));
    out.push_back(std::move(r));
  }
  return out;
}

Result<StatusList> Ledger::status_list() {
  IDTAP_ASSIGN_OR_RETURN(StatusList list, StatusList::create(impl_->status_size, 1));
  IDTAP_ASSIGN_OR_RETURN(Stmt s, impl_->prepare("SELECT status_idx FROM credentials WHERE state IN ('suspended', 'revoked')"));
  while (true) {
    IDTAP_ASSIGN_OR_RETURN(bool row, s.step());
    if (!row) break;
    IDTAP_TRY(list.set(static_cast<uint64_t>(s.i64(0)), kStatusInvalid));
  }
  return list;
}

// ----- verify ----------------------------------------------------------------------------------

Result<LedgerReport> Ledger::verify(const LedgerVerifyOptions& options) {
  LedgerReport report;
  auto find = [&](std::string what) { report.findings.push_back({std::move(what), false}); };
  {
    IDTAP_ASSIGN_OR_RETURN(Stmt s, impl_->prepare("PRAGMA quick_check"));
    IDTAP_ASSIGN_OR_RETURN(bool row, s.step());
    if (!row || s.text(0) != "ok") find("database quick_check: " + (row ? s.text(0) : std::string("no answer")));
  }

  // The event chain, and the states the events imply.
  std::map<std::string, std::string> cred_state;   // by replay
  std::map<int64_t, std::string> card_state;
  {
    IDTAP_ASSIGN_OR_RETURN(Stmt s, impl_->prepare("SELECT seq, at, kind, credential_id, card_id, detail, hash FROM events ORDER BY seq"));
    int64_t expect = 1;
    Bytes prev = kGenesis;
    std::vector<int64_t> chain_breaks;  // rows whose HMAC link does not verify
    while (true) {
      IDTAP_ASSIGN_OR_RETURN(bool row, s.step());
      if (!row) break;
      int64_t seq = s.i64(0);
      if (seq != expect) {
        find("event log: rows " + std::to_string(expect) + ".." + std::to_string(seq - 1) + " are missing (deleted)");
        prev.clear();  // the chain cannot be followed across the gap
      }
      std::string kind = s.text(2), cred = s.text(3), detail = s.text(5);
      int64_t card = s.i64(4);
      IDTAP_ASSIGN_OR_RETURN(Bytes canonical, canonical_event(seq, s.i64(1), kind, cred, card, detail));
      Bytes stored = s.blob(6);
      if (!prev.empty()) {
        IDTAP_ASSIGN_OR_RETURN(Bytes link, impl_->event_link(prev, canonical));
        if (!crypto::constant_time_equal(link, stored)) chain_breaks.push_back(seq);
      }
      prev = stored;
      expect = seq + 1;
      ++report.events;
      if (kind == "issued" || kind == "resumed") cred_state[cred] = "active";
      else if (kind == "suspended") cred_state[cred] = "suspended";
      else if (kind == "revoked") cred_state[cred] = "revoked";
      else if (kind == "expired") cred_state[cred] = "expired";
      else if (kind == "card_lost") card_state[card] = "lost";
      else if (kind == "card_found") card_state[card] = "valid";
      else if (kind == "policy") continue;
      else find("event log: row " + std::to_string(seq) + " has an unknown kind '" + kind + "'");
    }
    auto head = impl_->event_head();
    if (!chain_breaks.empty() && chain_breaks.size() == report.events && !head.ok()) {
      // Every row and the head fail their HMAC: not N edits but a key that is not this ledger's
      // (a replaced or another ledger's DB.key). One finding, which says so.
      find("the key file does not belong to this ledger: all " + std::to_string(report.events) +
           " event rows and the recorded head fail their HMAC, as with a wrong or replaced key file (the data itself "
           "may be intact); put the ledger's own key back and verify again");
    } else {
      for (int64_t seq : chain_breaks) find("event log: row " + std::to_string(seq) + " does not match the hash chain (edited)");
      if (!head.ok()) find("event log: the recorded head is not authentic (rewound or forged)");
    }
    if (head.ok() && (head->seq != expect - 1 || !equal_bytes(head->hash, prev)))
      find("event log: the recorded head (" + std::to_string(head->seq) + ") is not the last row (" + std::to_string(expect - 1) +
           "): rows were removed or added");
  }

  // Tables against the replay.
  struct FileCheck {
    std::string id, path, state;
    Bytes sha;
  };
  std::vector<FileCheck> files;
  std::set<std::string> ids;
  {
    IDTAP_ASSIGN_OR_RETURN(Stmt s, impl_->prepare("SELECT id, state, file_path, file_sha256 FROM credentials"));
    while (true) {
      IDTAP_ASSIGN_OR_RETURN(bool row, s.step());
      if (!row) break;
      std::string id = s.text(0), state = s.text(1);
      ++report.credentials;
      ids.insert(id);
      auto it = cred_state.find(id);
      if (it == cred_state.end()) find("credential " + id + " has no 'issued' event");
      else if (it->second != state) find("credential " + id + " is '" + state + "' but its events say '" + it->second + "' (edited)");
      if (!s.text(2).empty()) files.push_back({id, s.text(2), state, s.blob(3)});
    }
    for (const auto& [id, st] : cred_state)
      if (!ids.count(id)) find("credential " + id + " has events but no record (deleted)");
  }
  {
    IDTAP_ASSIGN_OR_RETURN(Stmt s, impl_->prepare("SELECT id, state FROM cards"));
    while (true) {
      IDTAP_ASSIGN_OR_RETURN(bool row, s.step());
      if (!row) break;
      auto it = card_state.find(s.i64(0));
      std::string expect = it == card_state.end() ? "valid" : it->second;
      if (s.text(1) != expect) find("card " + std::to_string(s.i64(0)) + " is '" + s.text(1) + "' but its events say '" + expect + "' (edited)");
    }
  }

  // Credential files (the crash-consistency contract in the header).
  std::set<std::string> dirs(options.scan_dirs.begin(), options.scan_dirs.end());
  for (const auto& f : files) {
    dirs.insert(directory_of(f.path));
    auto final_bytes = read_file(f.path);
    if (final_bytes.ok()) {
      if (!sha256_matches(*final_bytes, f.sha)) find("credential " + f.id + ": " + f.path + " differs from the recorded credential");
      continue;
    }
    // Only a file that is not there (ENOENT) is missing: a permission or I/O error says nothing
    // about the credential, and a relative path (recorded by an older idtap) depends on the
    // directory verify runs from. Neither is repaired.
    if (final_bytes.error().code != ErrorCode::kNotFound) {
      find("credential " + f.id + ": its file " + f.path + " cannot be read (" + final_bytes.error().context + "): not repaired");
      continue;
    }
    std::string temp = credential_temp_path(f.path, f.id);
    auto temp_bytes = read_file(temp);
    if (!temp_bytes.ok() && temp_bytes.error().code != ErrorCode::kNotFound) {
      find("credential " + f.id + ": its temp file " + temp + " cannot be read (" + temp_bytes.error().context + "): not repaired");
      continue;
    }
    if (temp_bytes.ok() && sha256_matches(*temp_bytes, f.sha)) {
      LedgerFinding finding{"credential " + f.id + ": committed but not yet renamed into " + f.path, false};
      if (options.repair) finding.repaired = rename_no_replace_durable(temp, f.path).ok();
      report.findings.push_back(std::move(finding));
      continue;
    }
    if ((f.state == "active" || f.state == "suspended") && f.path.front() != '/') {
      find("credential " + f.id + ": its file " + f.path + " is recorded with a relative path and is not in " +
           "the current directory: not repaired (run verify from the directory it was issued in)");
      continue;
    }
    if (f.state == "active" || f.state == "suspended") {
      // The file is the desk's copy: the phone holds the credential, which stays valid. Repair
      // never revokes; revoking is the clerk's explicit action.
      find("the desk copy of credential " + f.id + " is gone (" + f.path + "); the credential stays " + f.state +
           " (the phone holds it): not repaired; revoke it with `idtap credential revoke " + f.id +
           "` only if it must no longer be used");
    }
  }
  for (const auto& dir : dirs) {
    DIR* d = ::opendir(dir.c_str());
    if (d == nullptr) continue;
    while (dirent* e = ::readdir(d)) {
      std::string name = e->d_name;
      auto pos = name.rfind(kTempMarker);
      if (pos == std::string::npos) continue;
      std::string id = name.substr(pos + std::strlen(kTempMarker));
      if (id.size() != 32 || ids.count(id)) continue;
      std::string full = dir + "/" + name;
      LedgerFinding finding{"orphan temp file " + full + " (its issuance never committed)", false};
      if (options.repair) finding.repaired = ::unlink(full.c_str()) == 0;
      report.findings.push_back(std::move(finding));
    }
    ::closedir(d);
  }
  return report;
}

}  // namespace idtap::provision
