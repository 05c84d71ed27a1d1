// The console's sessions (tools/console_sessions.h): idle expiry, logout, CSRF tokens and the
// login throttle, on the class itself (the browser test, tests/console, cannot wait out the
// command's minimum idle limit of one minute).
#include <doctest/doctest.h>

#include <chrono>
#include <thread>

#include "../../tools/console_sessions.h"

using idtap::cli::SessionStore;

TEST_CASE("console sessions: an idle session expires and is removed; a live one is found; logout ends it") {
  SessionStore store(std::chrono::seconds(1));
  auto idle = store.create("anna");
  auto kept = store.create("bora");
  REQUIRE(idle);
  REQUIRE(kept);
  CHECK(idle->id.size() == 64);
  CHECK(idle->id != kept->id);
  CHECK(idle->csrf != idle->id);
  REQUIRE(store.find(idle->id));
  CHECK(store.find(idle->id)->clerk == "anna");
  store.end(kept->id);
  CHECK_FALSE(store.find(kept->id));
  // A sleep is never shorter than asked: past the idle limit, the session is gone for good.
  std::this_thread::sleep_for(std::chrono::milliseconds(1200));
  CHECK_FALSE(store.find(idle->id));
  CHECK_FALSE(store.find(idle->id));
  CHECK_FALSE(store.find(""));
  CHECK_FALSE(store.find("not-a-session"));
}

TEST_CASE("console sessions: the CSRF token is the session's own") {
  SessionStore store(std::chrono::seconds(60));
  auto a = store.create("anna");
  auto b = store.create("bora");
  REQUIRE(a);
  REQUIRE(b);
  CHECK(SessionStore::csrf_ok(*a, a->csrf));
  CHECK_FALSE(SessionStore::csrf_ok(*a, b->csrf));
  CHECK_FALSE(SessionStore::csrf_ok(*a, ""));
  CHECK_FALSE(SessionStore::csrf_ok(*a, a->csrf.substr(1)));
}

TEST_CASE("console sessions: five failures lock the name, not another clerk; twenty lock the address") {
  SessionStore store(std::chrono::seconds(60));
  for (int i = 0; i < SessionStore::kMaxFailures - 1; ++i) store.failed("anna", "127.0.0.1");
  CHECK(store.locked_for("anna", "127.0.0.1") == 0);
  store.succeeded("anna");  // a success clears the name's count
  for (int i = 0; i < SessionStore::kMaxFailures - 1; ++i) store.failed("anna", "127.0.0.1");
  CHECK(store.locked_for("anna", "127.0.0.1") == 0);
  store.failed("anna", "127.0.0.1");
  const long wait = store.locked_for("anna", "127.0.0.1");
  CHECK(wait > 0);
  CHECK(wait <= std::chrono::duration_cast<std::chrono::seconds>(SessionStore::kLockout).count());
  CHECK(store.locked_for("bora", "127.0.0.1") == 0);
  for (int i = 0; i < SessionStore::kMaxAddressFailures; ++i) store.failed("user" + std::to_string(i % 3), "127.0.0.2");
  CHECK(store.locked_for("dana", "127.0.0.2") > 0);
  CHECK(store.locked_for("dana", "127.0.0.1") == 0);
}
