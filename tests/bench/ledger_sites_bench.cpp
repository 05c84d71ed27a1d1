// One ledger for every site (issue 16, Benchmark): durable issuances per second with 8
// concurrent sites on one PostgreSQL (fsync on, synchronous_commit on), beside one site on a
// SQLite ledger (synchronous=FULL) in the same run; the one-phone rule checked afterwards.
//
// Each site is a thread with its own connection (Ledger) and its own signer, as one `idtap
// serve` process per site would be. Holders come from a pool half the size of the load, so
// about half the issuances replace a holder's credential issued at another site (the rule's
// revocation is exercised); each holder keeps one phone. Possession is checked by the caller
// (PossessionCheck::kCaller, as `idtap serve` does after the OID4VCI JWT proof), so the rate
// is the ledger's and the signing's.
//
// Printed: the rates for batches of kBatch issuances per commit (group commit) and for one
// issuance per commit; the share of the sites' ledger time spent waiting for the writers' lock
// (the HMAC event chain is one chain, extended under that lock: its cost under concurrency);
// and the one-phone check (live credentials per holder, holders per live device key).
// Target (PASS/MISS; the exit code is non-zero only on errors or a rule violation): >= 1,000
// durable issuances/s on PostgreSQL with 8 sites.
#include <libpq-fe.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <mutex>
#include <span>
#include <string>
#include <thread>
#include <vector>

#include "idtap/provision/ledger.h"
#include "provision/fixtures.h"
#include "provision/postgres_server.h"

using namespace idtap;
using namespace idtap::provision;
using namespace idtap::provision::testing;

namespace {

using Clock = std::chrono::steady_clock;
constexpr int kSites = 8;
constexpr size_t kPerSite = 250;
constexpr size_t kBatch = 25;
constexpr size_t kUnbatchedPerSite = 25;
constexpr double kTarget = 1000;

double seconds_since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

VerifiedHolder holder_number(size_t i) {
  const int year = 1980 + static_cast<int>(i % 20);
  char rrn[16];
  std::snprintf(rrn, sizeof rrn, "%02d0101-2%06zu", year % 100, i % 1000000);
  return sample_holder(rrn, Date{year, 1, 1}, "S" + std::to_string(10000000 + i));
}

struct Pool {
  std::vector<VerifiedHolder> holders;
  std::vector<EcPublicKey> phones;  // holder i's phone
};

struct RunResult {
  double rate = 0;
  double lock_wait_share = 0;
  size_t issued = 0;
  uint64_t round_trips = 0;  // requests to the server and back, all sites
  bool ok = true;
};

// run_sites: `sites` threads, each issuing `per_site` credentials in commits of `batch`;
// issuance k of site s goes to holder (k * sites + s + offset) % pool size.
RunResult run_sites(const std::string& location, const LedgerOptions& base, const TestIssuer& pki, const Pool& pool, int sites,
                    size_t per_site, size_t batch, size_t offset) {
  RunResult out;
  std::mutex mutex;
  std::atomic<size_t> issued{0};
  std::vector<double> busy(static_cast<size_t>(sites), 0);
  std::vector<Ledger> ledgers;
  for (int s = 0; s < sites; ++s) {
    LedgerOptions o = base;
    o.site = "SITE-" + std::to_string(s);
    auto l = Ledger::open(location, o);
    if (!l.ok()) {
      std::fprintf(stderr, "open: %s\n", l.error().message().c_str());
      out.ok = false;
      return out;
    }
    ledgers.push_back(std::move(l).value());
  }
  uint64_t round_trips_at_start = 0;
  for (const Ledger& l : ledgers) round_trips_at_start += l.round_trips();
  const auto start = Clock::now();
  auto site = [&](int s) {
    SoftwareIssuer signer = signer_of(pki);
    const UnixSeconds now = fixture_now();
    for (size_t off = 0; off < per_site; off += batch) {
      std::vector<IssueRequest> requests;
      for (size_t k = off; k < std::min(per_site, off + batch); ++k) {
        const size_t h = (k * sites + s + offset) % pool.holders.size();
        IssueRequest r;
        r.holder = &pool.holders[h];
        r.device_key = pool.phones[h];
        r.possession = PossessionCheck::kCaller;
        r.now = now;
        requests.push_back(std::move(r));
      }
      const auto t = Clock::now();
      auto results = ledgers[s].issue_batch(requests, signer);
      busy[s] += seconds_since(t);
      std::lock_guard<std::mutex> lock(mutex);
      if (!results.ok()) {
        std::fprintf(stderr, "site %d: %s\n", s, results.error().message().c_str());
        out.ok = false;
        return;
      }
      for (auto& r : *results) {
        if (!r.ok()) {
          std::fprintf(stderr, "site %d: %s\n", s, r.error().message().c_str());
          out.ok = false;
          return;
        }
        ++issued;
      }
    }
  };
  std::vector<std::thread> threads;
  for (int s = 0; s < sites; ++s) threads.emplace_back(site, s);
  for (auto& t : threads) t.join();
  const double wall = seconds_since(start);
  for (const Ledger& l : ledgers) out.round_trips += l.round_trips();
  out.round_trips -= round_trips_at_start;
  out.issued = issued;
  out.rate = issued / wall;
  double in_ledger = 0;
  for (double b : busy) in_ledger += b;
  // One writer holds the lock at a time: the sites' ledger time beyond the wall time was spent
  // waiting for it.
  out.lock_wait_share = in_ledger > wall ? (in_ledger - wall) / in_ledger : 0;
  return out;
}

std::string pg_value(const std::string& conninfo, const char* sql) {
  PGconn* c = PQconnectdb(conninfo.c_str());
  PGresult* r = PQexec(c, sql);
  std::string v = PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) > 0 ? PQgetvalue(r, 0, 0) : "?";
  PQclear(r);
  PQfinish(c);
  return v;
}

}  // namespace

int main() {
  TestIssuer pki = make_test_issuer("bench");
  Pool pool;
  const size_t pool_size = kSites * kPerSite / 2;
  for (size_t i = 0; i < pool_size; ++i) {
    pool.holders.push_back(holder_number(i));
    pool.phones.push_back(EcPrivateKey::generate().value().public_key());
  }

  // PostgreSQL, fsync on.
  PostgresServer server(true);
  const std::string db = server.create_database();
  const std::string location = server.conninfo(db);
  TempDir dir;
  LedgerOptions options;
  options.status_uri = "https://status.example.kr/lists/1";
  options.durable = true;
  options.key_file = dir.file("ledger.key");
  if (auto created = Ledger::create(location, options); !created.ok()) {
    std::fprintf(stderr, "ledger: %s\n", created.error().message().c_str());
    return 1;
  }
  RunResult pg = run_sites(location, options, pki, pool, kSites, kPerSite, kBatch, 0);
  RunResult pg_one = run_sites(location, options, pki, pool, 1, kPerSite, kBatch, 7);
  RunResult pg_unbatched = run_sites(location, options, pki, pool, kSites, kUnbatchedPerSite, 1, 3);
  if (!pg.ok || !pg_one.ok || !pg_unbatched.ok) return 1;
  const std::string two_live =
      pg_value(location, "SELECT count(*) FROM (SELECT holder_id FROM credentials WHERE state IN ('active', 'suspended') "
                         "GROUP BY holder_id HAVING count(*) > 1) x");
  const std::string shared_phone =
      pg_value(location, "SELECT count(*) FROM (SELECT device_thumbprint FROM credentials WHERE state IN ('active', 'suspended') "
                         "GROUP BY device_thumbprint HAVING count(DISTINCT holder_id) > 1) x");
  const std::string revoked = pg_value(location, "SELECT count(*) FROM credentials WHERE state = 'revoked'");
  auto verify_start = Clock::now();
  auto report = Ledger::open(location, options).value().verify();
  const double verify_seconds = seconds_since(verify_start);
  const bool verified = report.ok() && report->consistent();

  // SQLite, one site, in the same run.
  LedgerOptions lite = options;
  lite.key_file.clear();
  const std::string file = dir.file("ledger.db");
  if (!Ledger::create(file, lite).ok()) return 1;
  RunResult sqlite = run_sites(file, lite, pki, pool, 1, kSites * kPerSite / 2, kBatch, 0);
  RunResult sqlite_unbatched = run_sites(file, lite, pki, pool, 1, kUnbatchedPerSite * 2, 1, 5);
  if (!sqlite.ok || !sqlite_unbatched.ok) return 1;

  std::printf("ledger, %d sites on one PostgreSQL (fsync on, synchronous_commit on), %zu issuances in commits of %zu:\n", kSites,
              pg.issued, kBatch);
  std::printf("  %.0f durable issuances/s; %.0f%% of the sites' ledger time waiting for the writers' lock (one HMAC chain)\n",
              pg.rate, 100 * pg.lock_wait_share);
  std::printf("  round trips to the server per issuance: %.1f in commits of %zu, %.1f one per commit (each under the lock)\n",
              static_cast<double>(pg.round_trips) / static_cast<double>(pg.issued), kBatch,
              static_cast<double>(pg_unbatched.round_trips) / static_cast<double>(pg_unbatched.issued));
  std::printf("  1 site on the same server: %.0f/s (8 sites / 1 site = %.2f)\n", pg_one.rate, pg.rate / pg_one.rate);
  std::printf("  one issuance per commit, %d sites: %.0f/s\n", kSites, pg_unbatched.rate);
  std::printf("  one-phone rule afterwards: %s holders with two live credentials, %s live device keys with two holders "
              "(%s credentials revoked by a re-issuance)\n",
              two_live.c_str(), shared_phone.c_str(), revoked.c_str());
  std::printf("  ledger verify: %s in %.2f s\n", verified ? "consistent" : "NOT CONSISTENT", verify_seconds);
  std::printf("ledger, 1 site on SQLite (synchronous=FULL): %.0f/s in commits of %zu, %.0f/s one per commit\n", sqlite.rate, kBatch,
              sqlite_unbatched.rate);
  if (FILE* f = std::fopen("/proc/loadavg", "r")) {
    char buf[64] = {};
    if (std::fgets(buf, sizeof buf, f) != nullptr) std::printf("(load average during the run: %.14s: other work on the machine slows every round trip)\n", buf);
    std::fclose(f);
  }
  std::printf("%s: >= %.0f durable issuances/s on PostgreSQL with %d sites (%.0f)\n", pg.rate >= kTarget ? "PASS" : "MISS", kTarget,
              kSites, pg.rate);
  if (two_live != "0" || shared_phone != "0" || !verified) {
    std::fprintf(stderr, "the one-phone rule or the ledger's consistency does not hold after the run\n");
    return 1;
  }
  return 0;
}
