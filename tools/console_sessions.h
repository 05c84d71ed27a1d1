// tools/console_sessions.h: the clerks' sessions of `idtap console`: a random session id in an
// HttpOnly SameSite=Strict cookie, a CSRF token per session that every state-changing request
// must echo in the X-CSRF-Token header (compared in constant time), idle expiry, and a login
// rate limit per clerk name and per client address.
#pragma once

#include <chrono>
#include <map>
#include <mutex>
#include <optional>
#include <string>

namespace idtap::cli {

// ConsoleSession: one logged-in clerk.
struct ConsoleSession {
  std::string id;    // 64 hex digits (256 random bits): the cookie's value
  std::string csrf;  // 64 hex digits: the X-CSRF-Token value
  std::string clerk;
  std::chrono::steady_clock::time_point last_seen;
};

// SessionStore: thread-safe sessions and login throttling.
class SessionStore {
 public:
  // kMaxFailures: the failures for one clerk name within kWindow that lock that name for
  // kLockout; kMaxAddressFailures: the same for one client address, whatever the names (the
  // console listens on loopback, so every desk browser is one address: a higher bound, which
  // stops guessing across names without locking every clerk out after one clerk's typos).
  static constexpr int kMaxFailures = 5;
  static constexpr int kMaxAddressFailures = 20;
  static constexpr std::chrono::minutes kWindow{15};
  static constexpr std::chrono::minutes kLockout{15};

  explicit SessionStore(std::chrono::seconds idle) : idle_(idle) {}

  // SessionStore::create: a new session for `clerk` (random ids from the OpenSSL DRBG; empty
  // optional when it fails).
  std::optional<ConsoleSession> create(const std::string& clerk);
  // SessionStore::find: the session of cookie value `id`, touched, or nullopt (unknown, or
  // idle longer than the idle limit: then removed).
  std::optional<ConsoleSession> find(const std::string& id);
  // SessionStore::csrf_ok: whether `token` is `session`'s CSRF token (constant time).
  static bool csrf_ok(const ConsoleSession& session, const std::string& token);
  // SessionStore::end: logs the session out.
  void end(const std::string& id);

  // SessionStore::locked_for: seconds until `name` or `address` may try again (0: now).
  long locked_for(const std::string& name, const std::string& address);
  // SessionStore::failed / succeeded: count a failed login (locks at kMaxFailures), or clear
  // the name's count.
  void failed(const std::string& name, const std::string& address);
  void succeeded(const std::string& name);

 private:
  struct Throttle {
    int failures = 0;
    std::chrono::steady_clock::time_point first;
    std::chrono::steady_clock::time_point locked_until;
  };
  void count(Throttle& t, std::chrono::steady_clock::time_point now, int max_failures);
  long remaining(const Throttle& t, std::chrono::steady_clock::time_point now) const;

  std::chrono::seconds idle_;
  std::mutex mutex_;
  std::map<std::string, ConsoleSession> sessions_;
  std::map<std::string, Throttle> by_name_;
  std::map<std::string, Throttle> by_address_;
};

}  // namespace idtap::cli
