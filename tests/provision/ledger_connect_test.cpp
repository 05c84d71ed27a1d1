// tests/provision/ledger_connect_test.cpp: the first connection to a PostgreSQL ledger waits
// for a server that is not up yet (every 200 ms, up to LedgerOptions::reconnect_timeout_ms), as
// a lost connection does; without a server the error names the host and port, never the
// password; a failure the server answers is not waited on. PostgreSQL only: a SQLite ledger has
// no server to wait for.
#include <doctest/doctest.h>

#include <chrono>
#include <thread>

#include "ledger_fixture.h"

using namespace idtap;
using namespace idtap::provision;
using namespace idtap::provision::testing;

TEST_CASE("Ledger::open on PostgreSQL waits for a server started after it, up to reconnect_timeout_ms") {
  PostgresServer server;  // a server of its own: this test stops and starts it
  const std::string db = server.create_database();
  TempDir dir;
  LedgerOptions options = fast_options();
  options.key_file = dir.file("ledger.key");
  // The location with a password (trust authentication ignores it): no message may show it.
  const std::string location = server.conninfo(db) + " password=sekrit-pw";
  REQUIRE(Ledger::create(location, options).ok());
  server.stop();

  // Opening starts while the server is down; the server comes up about a second later.
  options.reconnect_timeout_ms = 30000;
  std::thread later([&] {
    std::this_thread::sleep_for(std::chrono::seconds(1));
    server.start();
  });
  auto opened = Ledger::open(location, options);
  later.join();
  REQUIRE_MESSAGE(opened.ok(), opened.error().message());
  CHECK(opened->verify()->consistent());
  opened = make_error(ErrorCode::kInternal, "closed");  // the connection goes before the server

  // No server and a short timeout: a clear error, naming the host and port, not the password.
  server.stop();
  options.reconnect_timeout_ms = 600;
  auto refused = Ledger::open(location, options);
  REQUIRE_FALSE(refused.ok());
  CHECK(refused.error().code == ErrorCode::kIo);
  const std::string& why = refused.error().context;
  CHECK_MESSAGE(why.find("no PostgreSQL server at host 127.0.0.1 port ") != std::string::npos, why);
  CHECK_MESSAGE(why.find("within 600 ms") != std::string::npos, why);
  CHECK_MESSAGE(why.find("sekrit") == std::string::npos, why);
  CHECK(refused.error().message().find("sekrit") == std::string::npos);

  // A failure the server answers is not waited on: a database that does not exist fails at
  // once, not after the (long) timeout.
  server.start();
  options.reconnect_timeout_ms = 60000;
  const auto start = std::chrono::steady_clock::now();
  auto missing = Ledger::open(server.conninfo("no_such_database"), options);
  const auto waited = std::chrono::steady_clock::now() - start;
  REQUIRE_FALSE(missing.ok());
  CHECK_MESSAGE(missing.error().context.find("no_such_database") != std::string::npos, missing.error().context);
  CHECK(waited < std::chrono::seconds(30));  // half the timeout: it did not wait for the server to change its mind
}
