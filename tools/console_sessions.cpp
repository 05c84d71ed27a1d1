#include "console_sessions.h"

#include <openssl/crypto.h>

#include "idtap/base/hex.h"
#include "idtap/crypto/random.h"

namespace idtap::cli {
namespace {

std::optional<std::string> random_hex() {
  auto bytes = crypto::random_bytes(32);
  if (!bytes.ok()) return std::nullopt;
  return to_hex(*bytes);
}

}  // namespace

std::optional<ConsoleSession> SessionStore::create(const std::string& clerk) {
  auto id = random_hex();
  auto csrf = random_hex();
  if (!id || !csrf) return std::nullopt;
  ConsoleSession s{*id, *csrf, clerk, std::chrono::steady_clock::now()};
  std::lock_guard lock(mutex_);
  sessions_[s.id] = s;
  return s;
}

std::optional<ConsoleSession> SessionStore::find(const std::string& id) {
  std::lock_guard lock(mutex_);
  auto it = sessions_.find(id);
  if (it == sessions_.end()) return std::nullopt;
  const auto now = std::chrono::steady_clock::now();
  if (now - it->second.last_seen > idle_) {
    sessions_.erase(it);
    return std::nullopt;
  }
  it->second.last_seen = now;
  return it->second;
}

bool SessionStore::csrf_ok(const ConsoleSession& session, const std::string& token) {
  return token.size() == session.csrf.size() && CRYPTO_memcmp(token.data(), session.csrf.data(), token.size()) == 0;
}

void SessionStore::end(const std::string& id) {
  std::lock_guard lock(mutex_);
  sessions_.erase(id);
}

long SessionStore::remaining(const Throttle& t, std::chrono::steady_clock::time_point now) const {
  if (t.locked_until <= now) return 0;
  return static_cast<long>(std::chrono::duration_cast<std::chrono::seconds>(t.locked_until - now).count()) + 1;
}

long SessionStore::locked_for(const std::string& name, const std::string& address) {
  std::lock_guard lock(mutex_);
  const auto now = std::chrono::steady_clock::now();
  long wait = 0;
  if (auto it = by_name_.find(name); it != by_name_.end()) wait = std::max(wait, remaining(it->second, now));
  if (auto it = by_address_.find(address); it != by_address_.end()) wait = std::max(wait, remaining(it->second, now));
  return wait;
}

void SessionStore::count(Throttle& t, std::chrono::steady_clock::time_point now, int max_failures) {
  if (t.failures == 0 || now - t.first > kWindow) {
    t.failures = 0;
    t.first = now;
  }
  if (++t.failures >= max_failures) {
    t.locked_until = now + kLockout;
    t.failures = 0;
  }
}

void SessionStore::failed(const std::string& name, const std::string& address) {
  std::lock_guard lock(mutex_);
  const auto now = std::chrono::steady_clock::now();
  count(by_name_[name], now, kMaxFailures);
  count(by_address_[address], now, kMaxAddressFailures);
}

void SessionStore::succeeded(const std::string& name) {
  std::lock_guard lock(mutex_);
  by_name_.erase(name);
}

}  // namespace idtap::cli
