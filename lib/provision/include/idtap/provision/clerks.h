// idtap/provision/clerks.h: the clerks of the desk console (`idtap clerk add`, `idtap console`):
// accounts in the ledger's database (table `clerks`, its own CREATE TABLE IF NOT EXISTS text,
// clerks_tables_sql), passwords kept only as scrypt hashes (RFC 7914 through OpenSSL, a random
// 16-byte salt each), and the clerks' actions as events of the ledger's HMAC chain (kind
// 'clerk', detail "ACTION by NAME[ ...]", the connection's site on the row), so `idtap ledger
// verify` covers them like every other event.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "idtap/base/result.h"
#include "idtap/provision/ledger.h"

namespace idtap::provision {

// check_clerk_name: 1..32 of a-z 0-9 . _ - (lower case: one person, one name). kInvalidArgument.
Status check_clerk_name(std::string_view name);

// kMinClerkPasswordChars: the shortest password `add` takes.
inline constexpr size_t kMinClerkPasswordChars = 10;

// ClerkRegistry: the clerks of one Ledger (borrowed: it must outlive this; same thread rules).
class ClerkRegistry {
 public:
  explicit ClerkRegistry(Ledger& ledger);

  // ClerkRegistry::add: a new clerk with `password` (at least kMinClerkPasswordChars bytes,
  // at most 1024), and the event 'clerk' "added NAME". kInvalidArgument for a bad name or
  // password, kState when the name exists (nothing changed), ledger errors otherwise.
  Status add(std::string_view name, std::string_view password, UnixSeconds now);

  // ClerkRegistry::check_password: ok when `name` exists and `password` is its password;
  // kAuthFailed otherwise (an unknown name costs the same scrypt as a wrong password, so the
  // answer time does not tell which). Records nothing.
  Status check_password(std::string_view name, std::string_view password);

  // ClerkRegistry::names: every clerk, sorted.
  Result<std::vector<std::string>> names();

  // ClerkRegistry::record: appends the event 'clerk' with detail "ACTION by NAME" (+ " " +
  // `what` when given) in its own transaction. `what` must never hold a secret (a CAN, a
  // resident number): it is stored as given. kInvalidArgument for a bad name or an action
  // outside [a-z_]{1,32}.
  Status record(std::string_view action, std::string_view name, std::string_view what, UnixSeconds now);

 private:
  Status ensure_schema();
  Ledger& ledger_;
  bool schema_ready_ = false;
};

}  // namespace idtap::provision
