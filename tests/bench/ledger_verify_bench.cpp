// `ledger verify` as the ledger grows (SQLite, non-durable commits to build it quickly): the
// time per credential and the peak memory verify adds, for a small and a 4x larger ledger.
//
// Target (printed as PASS/MISS; the exit code is non-zero only on errors): verify streams, so
// the peak RSS of `idtap ledger verify` (a process of its own) on the 4x ledger is at most 1.5x
// its peak on the small one (a verify that loaded the tables would grow with them). The time
// includes the process start. The 10-million-holder figures are the scale
// test's (issue 16), not this one's.
#include <fcntl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include "idtap/provision/ledger.h"
#include "provision/fixtures.h"

using namespace idtap;
using namespace idtap::provision;
using namespace idtap::provision::testing;

namespace {

using Clock = std::chrono::steady_clock;
constexpr size_t kSmall = 4000;
constexpr size_t kBatch = 500;

// verify_in_child: `idtap ledger verify --ledger DB` as its own process (so that nothing this
// process allocated counts): its exit status and its peak RSS (ru_maxrss, kB); -1 on failure.
int verify_in_child(const std::string& db, long& max_rss_kb) {
  const std::string idtap = std::string(IDTAP_BUILD_DIR) + "/bin/idtap";
  pid_t pid = ::fork();
  if (pid < 0) return -1;
  if (pid == 0) {
    const int null = ::open("/dev/null", O_WRONLY);
    if (null >= 0) ::dup2(null, 1);
    ::execl(idtap.c_str(), idtap.c_str(), "ledger", "verify", "--ledger", db.c_str(), static_cast<char*>(nullptr));
    ::_exit(127);
  }
  int status = 0;
  rusage usage{};
  if (::wait4(pid, &status, 0, &usage) != pid) return -1;
  max_rss_kb = usage.ru_maxrss;
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

struct Measure {
  double seconds = 0;
  long added_kb = 0;
  bool ok = false;
};

// measure: a new ledger of `n` credentials (one holder each), then one verify of it.
Measure measure(size_t n, SoftwareIssuer& signer) {
  Measure m;
  TempDir dir;
  LedgerOptions o;
  o.status_uri = "https://status.example.kr/lists/1";
  o.status_list_size = 1 << 20;
  o.durable = false;
  const std::string db = dir.file("ledger.db");
  {
    Ledger ledger = Ledger::create(db, o).value();
    const UnixSeconds now = fixture_now();
    for (size_t done = 0; done < n; done += kBatch) {
      std::vector<VerifiedHolder> holders;
      std::vector<EcPrivateKey> phones;
      holders.reserve(kBatch);
      phones.reserve(kBatch);
      std::vector<IssueRequest> requests;
      for (size_t i = done; i < done + kBatch && i < n; ++i) {
        char rrn[16], doc[16];
        std::snprintf(rrn, sizeof rrn, "800101-1%06zu", i);
        std::snprintf(doc, sizeof doc, "M%08zu", i);
        holders.push_back(sample_holder(rrn, Date{1980, 1, 1}, doc));
        phones.push_back(EcPrivateKey::generate().value());
      }
      for (size_t i = 0; i < holders.size(); ++i) requests.push_back(request_for(ledger, holders[i], phones[i], now));
      auto issued = ledger.issue_batch(requests, signer);
      if (!issued.ok()) return m;
      for (const auto& one : *issued)
        if (!one.ok()) return m;
    }
  }
  const auto start = Clock::now();
  const int rc = verify_in_child(db, m.added_kb);
  m.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  m.ok = rc == 0;
  return m;
}

}  // namespace

int main() {
  TestIssuer pki = make_test_issuer();
  SoftwareIssuer signer = signer_of(pki);
  const Measure small = measure(kSmall, signer);
  const Measure large = measure(4 * kSmall, signer);
  if (!small.ok || !large.ok) {
    std::fprintf(stderr, "ledger_verify_bench: a ledger did not build or verify clean\n");
    return 1;
  }
  std::printf("ledger_verify_bench (SQLite; each credential: holder, card, credential, challenge, 2 events)\n");
  std::printf("  %6zu credentials: verify %.2f s (%.1f us each), peak RSS of the verify process %ld kB\n", kSmall, small.seconds,
              1e6 * small.seconds / kSmall, small.added_kb);
  std::printf("  %6zu credentials: verify %.2f s (%.1f us each), peak RSS of the verify process %ld kB\n", 4 * kSmall, large.seconds,
              1e6 * large.seconds / (4 * kSmall), large.added_kb);
  const double ratio = static_cast<double>(std::max(large.added_kb, 1L)) / std::max(small.added_kb, 1L);
  std::printf("  peak RSS, 4x ledger / 1x: %.2f (target <= 1.5: verify streams)  %s\n", ratio, ratio <= 1.5 ? "PASS" : "MISS");
  return 0;
}
