// lib/provision/ledger_connect.cpp: the first connection to a PostgreSQL ledger. A site's
// `idtap serve` started while the database is still starting (a reboot of both, a failover in
// progress) should wait for it as a lost connection does (PgDb::recover: every 200 ms up to
// LedgerOptions::reconnect_timeout_ms), not fail at once; a wrong password or database name
// should fail at once. PQping tells the two apart without sending a password.
#include "ledger_connect.h"

#include <libpq-fe.h>

#include <algorithm>
#include <chrono>
#include <thread>

namespace idtap::provision {
namespace {

// hosts_of: "host H1,H2 port P" of `location` (a keyword string or a URI), from libpq's own
// parser; never the password. "the default host" when none is named.
std::string hosts_of(const std::string& location) {
  char* err = nullptr;
  PQconninfoOption* options = PQconninfoParse(location.c_str(), &err);
  if (err != nullptr) PQfreemem(err);
  if (options == nullptr) return "(a location libpq cannot parse)";
  std::string host, hostaddr, port;
  for (PQconninfoOption* o = options; o->keyword != nullptr; ++o) {
    if (o->val == nullptr) continue;
    const std::string k = o->keyword;
    if (k == "host") host = o->val;
    else if (k == "hostaddr") hostaddr = o->val;
    else if (k == "port") port = o->val;
  }
  PQconninfoFree(options);
  std::string out = !host.empty() ? "host " + host : !hostaddr.empty() ? "hostaddr " + hostaddr : "the default host (local socket)";
  if (!port.empty()) out += " port " + port;
  return out;
}

// worth_waiting: whether a failed connection may succeed later without anything changed on
// this side: no server answers, or one answers but is not accepting connections yet, or only a
// standby answered a location that asks for a read-write server (a failover in progress).
bool worth_waiting(const std::string& location, const std::string& reason) {
  switch (PQping(location.c_str())) {
    case PQPING_NO_RESPONSE:
    case PQPING_REJECT: return true;
    case PQPING_NO_ATTEMPT: return false;  // the location itself is bad
    case PQPING_OK: break;
  }
  return reason.find("read-only") != std::string::npos || reason.find("hot standby") != std::string::npos ||
         reason.find("read-write") != std::string::npos;
}

}  // namespace

Result<std::unique_ptr<LedgerDb>> connect_postgres_ledger_db(const std::string& location, const LedgerOptions& options) {
  using Clock = std::chrono::steady_clock;
  constexpr auto kPause = std::chrono::milliseconds(200);
  const int timeout_ms = std::max(0, options.reconnect_timeout_ms);
  const auto deadline = Clock::now() + std::chrono::milliseconds(timeout_ms);
  for (int attempts = 1;; ++attempts) {
    auto db = open_postgres_ledger_db(location, options);
    if (db.ok()) return db;
    std::string reason = db.error().context;
    const std::string prefix = "ledger: cannot connect to the PostgreSQL ledger: ";
    if (reason.rfind(prefix, 0) == 0) reason.erase(0, prefix.size());
    if (!worth_waiting(location, reason)) return std::move(db).error();
    const auto now = Clock::now();
    if (now >= deadline)
      return make_error(ErrorCode::kIo, "ledger: no PostgreSQL server at " + hosts_of(location) + " accepted the connection within " +
                                            std::to_string(timeout_ms) + " ms (" + std::to_string(attempts) +
                                            " attempts, every 200 ms; the last: " + reason + ")");
    std::this_thread::sleep_for(std::min<Clock::duration>(kPause, deadline - now));
  }
}

}  // namespace idtap::provision
