// tests/provision/ledger_failover_test.cpp: the six-hour outage (issue 16, Failover): a primary
// and a synchronous streaming-replication standby (postgres_replication.h); a load of concurrent
// issuances through a multi-host connection string; the primary killed mid-load, the standby
// promoted; the load goes on. Afterwards the ledger verifies, every issuance acknowledged to a
// caller is there, and no idempotency id has two credentials. Bounded: kSites x kPerSite
// issuances, each retried until a deadline.
#include <doctest/doctest.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <map>
#include <mutex>
#include <thread>

#include "idtap/provision/ledger.h"
#include "ledger_fixture.h"
#include "postgres_replication.h"

using namespace idtap;
using namespace idtap::provision;
using namespace idtap::provision::testing;

namespace {

constexpr int kSites = 4;
constexpr int kPerSite = 25;
constexpr auto kDeadline = std::chrono::seconds(120);

// holder_number: distinct holders (resident number, card) for the load.
VerifiedHolder holder_number(int i) {
  const int year = 1980 + i % 20;
  char rrn[16];
  std::snprintf(rrn, sizeof rrn, "%02d0101-1%06d", year % 100, i);
  return sample_holder(rrn, Date{year, 1, 1}, "F" + std::to_string(10000000 + i));
}

struct Ack {
  std::string credential_id;
  Bytes issuer_signed;
  EcPublicKey device;
};

}  // namespace

TEST_CASE("failover: the primary killed during concurrent issuances, the standby promoted; nothing acknowledged is lost or doubled") {
  PostgresReplicaPair pair;
  pair.create_database("ledger");
  TempDir dir;
  LedgerOptions options = fast_options();
  options.key_file = dir.file("ledger.key");
  options.reconnect_timeout_ms = 60000;
  const std::string location = pair.conninfo("ledger");
  { REQUIRE(Ledger::create(location, options).ok()); }
  TestIssuer pki = make_test_issuer();

  std::mutex mutex;
  std::map<std::string, Ack> acks;  // idempotency id -> what the caller was told
  std::atomic<int> acked{0}, acked_after_kill{0}, errors_seen{0};
  std::atomic<bool> killed{false};
  std::vector<std::string> failures;
  const auto start = std::chrono::steady_clock::now();

  auto site = [&](int s) {
    LedgerOptions at = options;
    at.site = "SITE-" + std::to_string(s);
    auto ledger = Ledger::open(location, at);
    if (!ledger.ok()) {
      std::lock_guard<std::mutex> lock(mutex);
      failures.push_back("open: " + ledger.error().message());
      return;
    }
    SoftwareIssuer signer = signer_of(pki);
    for (int i = 0; i < kPerSite; ++i) {
      const int n = s * kPerSite + i;
      VerifiedHolder holder = holder_number(n);
      auto phone = EcPrivateKey::generate().value();
      IssueRequest r;
      r.holder = &holder;
      r.device_key = phone.public_key();
      r.possession = PossessionCheck::kCaller;
      r.now = fixture_now() + n;
      r.idempotency_id = "failover-" + std::to_string(n);
      // The caller's loop: the ledger retries a lost connection itself; a call that still
      // fails (no server accepted writes in time) is made again with the same id.
      while (true) {
        auto issued = ledger->issue(r, signer);
        if (issued.ok()) {
          std::lock_guard<std::mutex> lock(mutex);
          acks[r.idempotency_id] = Ack{issued->credential_id, issued->issuer_signed, r.device_key};
          ++acked;
          if (killed) ++acked_after_kill;
          break;
        }
        ++errors_seen;
        if (std::chrono::steady_clock::now() - start > kDeadline) {
          std::lock_guard<std::mutex> lock(mutex);
          failures.push_back(r.idempotency_id + ": " + issued.error().message());
          return;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
      }
    }
  };
  std::vector<std::thread> sites;
  for (int s = 0; s < kSites; ++s) sites.emplace_back(site, s);

  // Mid-load: a quarter acknowledged, then the primary crashes and the standby is promoted.
  while (acked < kSites * kPerSite / 4 && std::chrono::steady_clock::now() - start < kDeadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  const int acked_before_kill = acked;
  killed = true;
  pair.kill_primary();
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  pair.promote_standby();
  for (auto& t : sites) t.join();

  MESSAGE("acknowledged before the kill: " << acked_before_kill << ", after: " << acked_after_kill.load()
                                            << ", calls that failed and were made again: " << errors_seen.load());
  INFO("acknowledged before the kill: " << acked_before_kill << ", after: " << acked_after_kill.load() << ", errors seen by callers: "
                                        << errors_seen.load());
  for (const auto& f : failures) INFO(f);
  REQUIRE(failures.empty());
  CHECK(acked_before_kill < kSites * kPerSite);  // the kill came mid-load
  CHECK(acked_after_kill > 0);                   // and the load went on
  REQUIRE(acked == kSites * kPerSite);

  // On the promoted standby: every acknowledged issuance, once; the chain verifies.
  auto ledger = Ledger::open(location, options);
  REQUIRE_MESSAGE(ledger.ok(), ledger.error().message());
  auto report = ledger->verify();
  REQUIRE(report.ok());
  for (const auto& f : report->findings) INFO(f.what);
  CHECK(report->consistent());
  CHECK(pair.standby_query("ledger", "SELECT count(*) FROM credentials") == std::to_string(kSites * kPerSite));
  CHECK(pair.standby_query("ledger", "SELECT count(*) FROM issuances") == std::to_string(kSites * kPerSite));
  CHECK(pair.standby_query("ledger", "SELECT count(*) FROM credentials WHERE state = 'active'") == std::to_string(kSites * kPerSite));
  for (const auto& [id, ack] : acks) {
    auto record = ledger->credential(ack.credential_id);
    REQUIRE_MESSAGE(record.ok(), id);
    CHECK(pair.standby_query("ledger", "SELECT credential_id FROM issuances WHERE idempotency_id = '" + id + "'") == ack.credential_id);
  }
  // A caller that never heard back retries with its id: the same credential, nothing new; the
  // same id with another phone is refused.
  {
    SoftwareIssuer signer = signer_of(pki);
    VerifiedHolder holder = holder_number(0);
    IssueRequest r;
    r.holder = &holder;
    r.device_key = acks["failover-0"].device;
    r.possession = PossessionCheck::kCaller;
    r.now = fixture_now() + 1000;
    r.idempotency_id = "failover-0";
    auto again = ledger->issue(r, signer);
    REQUIRE_MESSAGE(again.ok(), again.error().message());
    CHECK(again->replayed);
    CHECK(again->credential_id == acks["failover-0"].credential_id);
    CHECK(again->issuer_signed == acks["failover-0"].issuer_signed);
    auto phone = EcPrivateKey::generate().value();
    r.device_key = phone.public_key();
    CHECK(ledger->issue(r, signer).error().code == ErrorCode::kRefused);
    CHECK(pair.standby_query("ledger", "SELECT count(*) FROM credentials") == std::to_string(kSites * kPerSite));
  }
  CHECK(pair.standby_query("ledger", "SELECT count(DISTINCT idempotency_id) FROM issuances") == std::to_string(kSites * kPerSite));
}
