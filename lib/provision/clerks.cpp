#include "idtap/provision/clerks.h"

#include <openssl/crypto.h>

#include "idtap/base/hex.h"
#include "idtap/crypto/random.h"
#include "idtap/crypto/scrypt.h"
#include "ledger_internal.h"

namespace idtap::provision {
namespace {

// kClerkTables: the clerks table, the same text on both backends (TEXT and BIGINT are common).
// The hash is "scrypt$N$r$p$SALT_HEX$HASH_HEX", so the cost can rise without a new column.
constexpr const char* kClerkTables = R"sql(
CREATE TABLE IF NOT EXISTS clerks(
  name TEXT PRIMARY KEY,
  password_hash TEXT NOT NULL,
  created_at BIGINT NOT NULL);
)sql";

constexpr size_t kClerkSaltBytes = 16;
constexpr size_t kClerkHashBytes = 32;
constexpr size_t kClerkMaxPasswordBytes = 1024;

Result<std::string> hash_password(std::string_view password, ByteView salt, const crypto::ScryptParams& p) {
  IDTAP_ASSIGN_OR_RETURN(SecureBytes h, crypto::scrypt_derive(bytes_of(password), salt, p, kClerkHashBytes));
  return "scrypt$" + std::to_string(p.n) + "$" + std::to_string(p.r) + "$" + std::to_string(p.p) + "$" + to_hex(salt) + "$" +
         to_hex(ByteView(h.data(), h.size()));
}

// split: `text` at '$'.
std::vector<std::string> split(const std::string& text) {
  std::vector<std::string> out(1);
  for (char c : text) {
    if (c == '$') out.emplace_back();
    else out.back() += c;
  }
  return out;
}

}  // namespace

Status check_clerk_name(std::string_view name) {
  if (name.empty() || name.size() > 32)
    return make_error(ErrorCode::kInvalidArgument, "a clerk name is 1..32 characters of a-z 0-9 . _ -");
  for (char c : name)
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-'))
      return make_error(ErrorCode::kInvalidArgument, "a clerk name is 1..32 characters of a-z 0-9 . _ -");
  return ok_status();
}

ClerkRegistry::ClerkRegistry(Ledger& ledger) : ledger_(ledger) {}

Status ClerkRegistry::ensure_schema() {
  if (schema_ready_) return ok_status();
  IDTAP_TRY(ledger_.impl_->exec(kClerkTables));
  schema_ready_ = true;
  return ok_status();
}

Status ClerkRegistry::add(std::string_view name, std::string_view password, UnixSeconds now) {
  IDTAP_TRY(check_clerk_name(name));
  if (password.size() < kMinClerkPasswordChars || password.size() > kClerkMaxPasswordBytes)
    return make_error(ErrorCode::kInvalidArgument, "a clerk password is " + std::to_string(kMinClerkPasswordChars) + "..1024 characters");
  IDTAP_TRY(ensure_schema());
  IDTAP_ASSIGN_OR_RETURN(Bytes salt, crypto::random_bytes(kClerkSaltBytes));
  IDTAP_ASSIGN_OR_RETURN(std::string hash, hash_password(password, salt, crypto::ScryptParams{}));
  Ledger::Impl& l = *ledger_.impl_;
  IDTAP_ASSIGN_OR_RETURN(Txn txn, Txn::begin(l));
  {
    IDTAP_ASSIGN_OR_RETURN(Stmt s, l.prepare("SELECT name FROM clerks WHERE name = ?1"));
    s.bind(1, name);
    IDTAP_ASSIGN_OR_RETURN(bool row, s.step());
    if (row) return make_error(ErrorCode::kState, "clerk " + std::string(name) + " exists already");
  }
  {
    IDTAP_ASSIGN_OR_RETURN(Stmt s, l.prepare("INSERT INTO clerks(name, password_hash, created_at) VALUES (?1, ?2, ?3)"));
    IDTAP_TRY(s.bind(1, name).bind(2, hash).bind(3, now).run());
  }
  IDTAP_TRY(l.append_event(now, "clerk", "", 0, "added " + std::string(name)));
  return txn.commit();
}

Status ClerkRegistry::check_password(std::string_view name, std::string_view password) {
  IDTAP_TRY(ensure_schema());
  const Error denied = make_error(ErrorCode::kAuthFailed, "wrong clerk name or password");
  std::string stored;
  if (check_clerk_name(name).ok() && password.size() <= kClerkMaxPasswordBytes) {
    IDTAP_ASSIGN_OR_RETURN(Stmt s, ledger_.impl_->prepare("SELECT password_hash FROM clerks WHERE name = ?1"));
    s.bind(1, name);
    IDTAP_ASSIGN_OR_RETURN(bool row, s.step());
    if (row) stored = s.text(0);
  }
  const std::vector<std::string> parts = split(stored);
  crypto::ScryptParams params;
  Bytes salt(kClerkSaltBytes, 0), want(kClerkHashBytes, 0);
  bool known = false;
  if (parts.size() == 6 && parts[0] == "scrypt") {
    auto s = from_hex(parts[4]);
    auto h = from_hex(parts[5]);
    try {
      params.n = std::stoull(parts[1]);
      params.r = static_cast<uint32_t>(std::stoul(parts[2]));
      params.p = static_cast<uint32_t>(std::stoul(parts[3]));
    } catch (...) {
      return make_error(ErrorCode::kMalformed, "clerks: the stored hash of " + std::string(name) + " does not parse");
    }
    if (!s.ok() || !h.ok() || h->size() != kClerkHashBytes)
      return make_error(ErrorCode::kMalformed, "clerks: the stored hash of " + std::string(name) + " does not parse");
    salt = *s;
    want = *h;
    known = true;
  }
  // The same work for an unknown name as for a wrong password.
  IDTAP_ASSIGN_OR_RETURN(SecureBytes got, crypto::scrypt_derive(bytes_of(password.substr(0, kClerkMaxPasswordBytes)), salt,
                                                                params, kClerkHashBytes));
  const bool same = CRYPTO_memcmp(got.data(), want.data(), kClerkHashBytes) == 0;
  if (!known || !same) return denied;
  return ok_status();
}

Result<std::vector<std::string>> ClerkRegistry::names() {
  IDTAP_TRY(ensure_schema());
  IDTAP_ASSIGN_OR_RETURN(Stmt s, ledger_.impl_->prepare("SELECT name FROM clerks ORDER BY name"));
  return s.texts();
}

Status ClerkRegistry::record(std::string_view action, std::string_view name, std::string_view what, UnixSeconds now) {
  IDTAP_TRY(check_clerk_name(name));
  if (action.empty() || action.size() > 32 || action.find_first_not_of("abcdefghijklmnopqrstuvwxyz_") != std::string_view::npos)
    return make_error(ErrorCode::kInvalidArgument, "a clerk action is 1..32 of a-z _");
  Ledger::Impl& l = *ledger_.impl_;
  IDTAP_ASSIGN_OR_RETURN(Txn txn, Txn::begin(l));
  std::string detail = std::string(action) + " by " + std::string(name);
  if (!what.empty()) detail += " " + std::string(what);
  IDTAP_TRY(l.append_event(now, "clerk", "", 0, detail));
  return txn.commit();
}

}  // namespace idtap::provision
