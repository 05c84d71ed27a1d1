// The ledger at national size (issue 16, Scale): SCALE_HOLDERS synthetic holders (default
// 100,000; `make bench-scale` runs ten million), each with a card, an active credential and the
// two events an issuance records, bulk-loaded into PostgreSQL with COPY; then, at that size:
//   - the issuance rate through the Ledger API (new holders and re-issuances of loaded ones,
//     durable commits: fsync on);
//   - `idtap ledger verify` (its own process): time and peak RSS, and the same for a ledger a
//     tenth the size, as a ratio (verify streams: its memory stays flat as the ledger grows);
//   - a status list publication (expire, build the list, sign with the head, write the file:
//     the steps of `idtap status-list publish`, in this process).
//
// The rows are made by LedgerBulkLoad (idtap/provision/ledger_bulk.h) with the functions
// Ledger::issue uses (holder key, event links and details), so verify must find the loaded
// ledger consistent: the bench fails (exit 1) when it does not. The server runs with fsync on
// throughout; the load's session alone commits without waiting for its WAL flush
// (synchronous_commit = off) and without foreign-key triggers (session_replication_role =
// replica: the rows are consistent by construction, and verify checks them), and a CHECKPOINT
// follows it before anything else is measured. Generation (HMACs, CBOR) runs on one thread
// while the previous chunk streams to the server.
//
// Target (PASS/MISS; the exit code is non-zero only on errors): verify's peak RSS at the full
// size is at most 1.5x its peak at a tenth of it.
#include <fcntl.h>
#include <libpq-fe.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <future>
#include <string>
#include <vector>

#include "idtap/base/hex.h"
#include "idtap/crypto/hash.h"
#include "idtap/provision/files.h"
#include "idtap/provision/keys.h"
#include "idtap/provision/ledger.h"
#include "idtap/provision/ledger_bulk.h"
#include "idtap/provision/status_list.h"
#include "provision/fixtures.h"
#include "provision/postgres_server.h"

using namespace idtap;
using namespace idtap::provision;
using namespace idtap::provision::testing;

namespace {

using Clock = std::chrono::steady_clock;
constexpr size_t kChunk = 20000;         // issuances per COPY transaction
constexpr uint64_t kListSize = 1u << 24;  // the largest status list a ledger allows
constexpr size_t kIssueBatched = 1000;   // issuances through the API, in commits of kIssueBatch
constexpr size_t kIssueBatch = 25;
constexpr size_t kIssueSingle = 100;     // and one per commit

double seconds_since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

void die(const std::string& what) {
  std::fprintf(stderr, "ledger_scale_bench: %s\n", what.c_str());
  std::exit(1);
}

// Holder i: resident number YYMMDD-1NNNNNN (YY from i / 10^6, so sixteen million are
// distinct), card KOR M<i>. Holders past the load (the API issuances) use numbers it did not.
// `full`: every field of a card read (the API issues an mdoc from it); else only what the
// ledger records (the bulk load).
VerifiedHolder holder_number(size_t i, bool full) {
  const int year = 1940 + static_cast<int>(i / 1000000);
  char rrn[16], doc[16];
  std::snprintf(rrn, sizeof rrn, "%02d0101-1%06zu", year % 100, i % 1000000);
  std::snprintf(doc, sizeof doc, "M%08zu", i);
  if (full) return sample_holder(rrn, Date{year, 1, 1}, doc);
  VerifiedHolder h;
  h.genuine = true;
  h.card = CardIdentity{doc, "KOR"};
  h.birth_date = Date{year, 1, 1};
  h.resident_registration_number = SecureBytes(rrn, rrn + std::strlen(rrn));
  return h;
}

Bytes sha256_of(const std::string& s) {
  return crypto::digest(crypto::HashAlg::kSha256, ByteView(reinterpret_cast<const uint8_t*>(s.data()), s.size())).value();
}

// COPY text format: a text field with its backslashes, tabs and line ends escaped; bytea as \\x.
void put_text(std::string& out, const std::string& v) {
  for (char c : v) {
    if (c == '\\') out += "\\\\";
    else if (c == '\t') out += "\\t";
    else if (c == '\n') out += "\\n";
    else if (c == '\r') out += "\\r";
    else out += c;
  }
}
void put_bytes(std::string& out, ByteView b) { out += "\\\\x" + to_hex(b); }

struct Chunk {
  std::string holders, cards, credentials, events;
};

void put_event(std::string& out, const BulkEvent& e) {
  out += std::to_string(e.seq) + '\t' + std::to_string(e.at) + '\t' + e.kind + '\t' + e.credential_id + '\t' + std::to_string(e.card_id) + '\t';
  put_text(out, e.detail);
  out += '\t';
  put_text(out, e.site);
  out += '\t';
  put_bytes(out, e.hash);
  out += '\n';
}

// make_chunk: the COPY rows of issuances [from, to) of the load.
Chunk make_chunk(LedgerBulkLoad& load, size_t from, size_t to, UnixSeconds at) {
  Chunk c;
  for (size_t i = from; i < to; ++i) {
    const VerifiedHolder h = holder_number(i, false);
    BulkIssuance in;
    in.holder = &h;
    in.device_thumbprint = base64url(sha256_of("synthetic phone " + std::to_string(i)));
    in.at = at + static_cast<UnixSeconds>(i % 86400);
    in.status_idx = (i * 2654435761u) % kListSize;  // odd multiplier: a permutation of the list
    in.file_sha256 = sha256_of("synthetic credential " + std::to_string(i));
    auto rows = load.next(in);
    if (!rows.ok()) die("bulk rows: " + rows.error().message());
    const BulkRows& r = *rows;
    c.holders += std::to_string(r.holder_id) + '\t';
    put_bytes(c.holders, r.holder_key);
    c.holders += '\t' + std::to_string(in.at) + '\n';
    c.cards += std::to_string(r.card_id) + '\t' + r.card.issuing_state + '\t' + r.card.document_number + '\t' + std::to_string(r.holder_id) +
               "\tvalid\n";
    c.credentials += r.credential_id + '\t' + std::to_string(r.holder_id) + '\t' + std::to_string(r.card_id) + '\t' + in.device_thumbprint +
                     '\t' + in.doc_type + '\t' + std::to_string(in.at) + '\t' + std::to_string(in.at) + '\t' +
                     std::to_string(r.valid_until) + "\tactive\t\t" + std::to_string(in.status_idx) + "\t\t";
    put_bytes(c.credentials, in.file_sha256);
    c.credentials += '\t';
    put_text(c.credentials, r.evidence);
    c.credentials += '\t';
    put_text(c.credentials, r.site);
    c.credentials += '\n';
    put_event(c.events, r.holder_event);
    put_event(c.events, r.issued_event);
  }
  return c;
}

void exec_ok(PGconn* c, const std::string& sql) {
  PGresult* r = PQexec(c, sql.c_str());
  const ExecStatusType st = PQresultStatus(r);
  const std::string err = PQresultErrorMessage(r);
  PQclear(r);
  if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) die(sql + ": " + err);
}

void copy_into(PGconn* c, const char* table_and_columns, const std::string& rows) {
  PGresult* r = PQexec(c, (std::string("COPY ") + table_and_columns + " FROM STDIN").c_str());
  if (PQresultStatus(r) != PGRES_COPY_IN) die(std::string("COPY ") + table_and_columns + ": " + PQresultErrorMessage(r));
  PQclear(r);
  constexpr size_t kPiece = 1 << 20;
  for (size_t at = 0; at < rows.size(); at += kPiece)
    if (PQputCopyData(c, rows.data() + at, static_cast<int>(std::min(kPiece, rows.size() - at))) != 1) die(PQerrorMessage(c));
  if (PQputCopyEnd(c, nullptr) != 1) die(PQerrorMessage(c));
  r = PQgetResult(c);
  if (PQresultStatus(r) != PGRES_COMMAND_OK) die(std::string("COPY ") + table_and_columns + ": " + PQresultErrorMessage(r));
  PQclear(r);
  while ((r = PQgetResult(c)) != nullptr) PQclear(r);
}

std::string pg_value(PGconn* c, const char* sql) {
  PGresult* r = PQexec(c, sql);
  std::string v = PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) > 0 ? PQgetvalue(r, 0, 0) : "?";
  PQclear(r);
  return v;
}

struct Loaded {
  double load_seconds = 0;    // generation and COPY, committed
  double vacuum_seconds = 0;  // VACUUM ANALYZE afterwards
  std::string size;           // pg_database_size, pretty
};

// load: `n` issuances into the new ledger at `location` (keyed by `key_file`).
Loaded load(const std::string& location, const LedgerOptions& options, size_t n, UnixSeconds at) {
  Loaded out;
  auto ledger = Ledger::create(location, options);
  if (!ledger.ok()) die("create: " + ledger.error().message());
  auto bulk = LedgerBulkLoad::start(*ledger);
  if (!bulk.ok()) die("bulk: " + bulk.error().message());
  PGconn* c = PQconnectdb(location.c_str());
  if (PQstatus(c) != CONNECTION_OK) die(PQerrorMessage(c));
  exec_ok(c, "SET session_replication_role = replica");
  exec_ok(c, "SET synchronous_commit = off");
  const auto start = Clock::now();
  auto next = std::async(std::launch::async, [&] { return make_chunk(*bulk, 0, std::min(n, kChunk), at); });
  for (size_t from = 0; from < n; from += kChunk) {
    Chunk chunk = next.get();
    const size_t after = from + kChunk;
    if (after < n) next = std::async(std::launch::async, [&, after] { return make_chunk(*bulk, after, std::min(n, after + kChunk), at); });
    exec_ok(c, "BEGIN");
    copy_into(c, "holders(id, holder_key, created_at)", chunk.holders);
    copy_into(c, "cards(id, issuing_state, document_number, holder_id, state)", chunk.cards);
    copy_into(c, "credentials(id, holder_id, card_id, device_thumbprint, doc_type, issued_at, valid_from, valid_until, state, "
                 "state_reason, status_idx, file_path, file_sha256, evidence, site)",
              chunk.credentials);
    copy_into(c, "events(seq, at, kind, credential_id, card_id, detail, site, hash)", chunk.events);
    exec_ok(c, "COMMIT");
    if (n >= 1000000 && (after / kChunk) % 50 == 0)
      std::fprintf(stderr, "  loaded %zu of %zu (%.0f s)\n", std::min(after, n), n, seconds_since(start));
  }
  exec_ok(c, "SELECT setval(pg_get_serial_sequence('holders', 'id'), " + std::to_string(n) + ")");
  exec_ok(c, "SELECT setval(pg_get_serial_sequence('cards', 'id'), " + std::to_string(n) + ")");
  if (auto done = bulk->finish(); !done.ok()) die("bulk finish: " + done.error().message());
  out.load_seconds = seconds_since(start);
  const auto vacuum = Clock::now();
  exec_ok(c, "VACUUM (ANALYZE)");
  out.vacuum_seconds = seconds_since(vacuum);
  out.size = pg_value(c, "SELECT pg_size_pretty(pg_database_size(current_database()))");
  PQfinish(c);
  return out;
}

// Launcher: a process forked at the start of main, while this one is still small, that runs
// each `idtap ledger verify` for it. Linux counts a forked child's pages as the child's RSS
// until it execs, and records that peak in the child's ru_maxrss: a verify forked from this
// process after a load (tens of MB of row buffers) would report this process's size, not its
// own. Forked from the launcher, it reports its own (plus the launcher's few MB, the same at
// every size).
class Launcher {
 public:
  Launcher() {
    int to[2], from[2];
    if (::pipe(to) != 0 || ::pipe(from) != 0) die("pipe");
    pid_ = ::fork();
    if (pid_ < 0) die("fork");
    if (pid_ == 0) {
      ::close(to[1]);
      ::close(from[0]);
      serve(to[0], from[1]);
      ::_exit(0);
    }
    ::close(to[0]);
    ::close(from[1]);
    to_ = to[1];
    from_ = from[0];
  }
  ~Launcher() {
    ::close(to_);
    ::close(from_);
    int status = 0;
    ::waitpid(pid_, &status, 0);
  }
  // verify: `idtap ledger verify --ledger LOCATION` with IDTAP_LEDGER_KEY_FILE: its exit status
  // (-1 when it did not exit) and its peak RSS (kB).
  int verify(const std::string& location, const std::string& key_file, long& max_rss_kb) {
    const std::string request = location + '\n' + key_file + '\n';
    if (::write(to_, request.data(), request.size()) != static_cast<ssize_t>(request.size())) die("launcher write");
    long answer[2] = {-1, 0};
    if (::read(from_, answer, sizeof answer) != static_cast<ssize_t>(sizeof answer)) die("launcher read");
    max_rss_kb = answer[1];
    return static_cast<int>(answer[0]);
  }

 private:
  static void serve(int in, int out) {
    const std::string idtap = std::string(IDTAP_BUILD_DIR) + "/bin/idtap";
    std::string buffer;
    char chunk[4096];
    while (true) {
      size_t first = buffer.find('\n');
      size_t second = first == std::string::npos ? first : buffer.find('\n', first + 1);
      if (second == std::string::npos) {
        const ssize_t n = ::read(in, chunk, sizeof chunk);
        if (n <= 0) return;
        buffer.append(chunk, static_cast<size_t>(n));
        continue;
      }
      const std::string location = buffer.substr(0, first), key_file = buffer.substr(first + 1, second - first - 1);
      buffer.erase(0, second + 1);
      long answer[2] = {-1, 0};
      const pid_t pid = ::fork();
      if (pid == 0) {
        const int null = ::open("/dev/null", O_WRONLY);
        if (null >= 0) ::dup2(null, 1);
        ::setenv("IDTAP_LEDGER_KEY_FILE", key_file.c_str(), 1);
        ::execl(idtap.c_str(), idtap.c_str(), "ledger", "verify", "--ledger", location.c_str(), static_cast<char*>(nullptr));
        ::_exit(127);
      }
      int status = 0;
      rusage usage{};
      if (pid > 0 && ::wait4(pid, &status, 0, &usage) == pid) {
        answer[0] = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
        answer[1] = usage.ru_maxrss;
      }
      if (::write(out, answer, sizeof answer) != static_cast<ssize_t>(sizeof answer)) return;
    }
  }
  pid_t pid_ = -1;
  int to_ = -1, from_ = -1;
};

struct Verified {
  double seconds = 0;
  long rss_kb = 0;
};

Verified verify(Launcher& launcher, const std::string& location, const std::string& key_file) {
  Verified v;
  const auto start = Clock::now();
  const int rc = launcher.verify(location, key_file, v.rss_kb);
  v.seconds = seconds_since(start);
  if (rc != 0) die("`idtap ledger verify` of " + location + " exited " + std::to_string(rc) + " (not consistent, or an error)");
  return v;
}

// issue_rate: `count` issuances in commits of `batch`: even ones to new holders (numbers from
// `fresh`), odd ones re-issue a loaded holder (revoking its loaded credential). Per second.
double issue_rate(const std::string& location, const LedgerOptions& options, size_t count, size_t batch, size_t fresh, size_t loaded,
                  SoftwareIssuer& signer, UnixSeconds now) {
  auto ledger = Ledger::open(location, options);
  if (!ledger.ok()) die("open: " + ledger.error().message());
  std::vector<VerifiedHolder> holders;
  std::vector<EcPublicKey> phones;
  for (size_t k = 0; k < count; ++k) {
    holders.push_back(holder_number(k % 2 == 0 ? fresh + k : (k * 7919) % loaded, true));
    phones.push_back(EcPrivateKey::generate().value().public_key());
  }
  const auto start = Clock::now();
  for (size_t off = 0; off < count; off += batch) {
    std::vector<IssueRequest> requests;
    for (size_t k = off; k < std::min(count, off + batch); ++k) {
      IssueRequest r;
      r.holder = &holders[k];
      r.device_key = phones[k];
      r.possession = PossessionCheck::kCaller;
      r.now = now;
      requests.push_back(std::move(r));
    }
    auto results = ledger->issue_batch(requests, signer);
    if (!results.ok()) die("issue_batch: " + results.error().message());
    for (const auto& one : *results)
      if (!one.ok()) die("issue: " + one.error().message());
  }
  return count / seconds_since(start);
}

std::string loadavg() {
  std::string out = "?";
  if (FILE* f = std::fopen("/proc/loadavg", "r")) {
    char buf[64] = {};
    if (std::fgets(buf, sizeof buf, f) != nullptr) out = std::string(buf, 14);
    std::fclose(f);
  }
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  size_t n = 100000;
  if (const char* env = std::getenv("SCALE_HOLDERS"); env != nullptr && *env != '\0') n = std::strtoull(env, nullptr, 10);
  if (argc > 1) n = std::strtoull(argv[1], nullptr, 10);
  if (n < 100 || n > 16000000) die("SCALE_HOLDERS must be 100..16,000,000 (the status list holds 2^24)");
  const size_t tenth = n / 10;

  Launcher launcher;  // first: see Launcher
  TestIssuer pki = make_test_issuer("scale bench");
  SoftwareIssuer signer = signer_of(pki);
  PostgresServer server(true, {"shared_buffers=1GB", "max_wal_size=8GB", "checkpoint_timeout=30min", "maintenance_work_mem=256MB"});
  PGconn* admin = PQconnectdb(server.conninfo("postgres").c_str());
  if (PQstatus(admin) != CONNECTION_OK) die(PQerrorMessage(admin));
  TempDir dir;
  LedgerOptions options;
  options.status_uri = "https://status.example.kr/lists/1";
  options.status_list_size = kListSize;
  options.durable = true;
  options.key_file = dir.file("ledger.key");
  const UnixSeconds at = fixture_now() - 30 * 86400;
  const UnixSeconds now = fixture_now();

  // A tenth of the size: loaded, verified, dropped (its disk space is the full load's).
  const std::string small_db = server.create_database();
  const Loaded small_load = load(server.conninfo(small_db), options, tenth, at);
  exec_ok(admin, "CHECKPOINT");
  const Verified small = verify(launcher, server.conninfo(small_db), options.key_file);
  exec_ok(admin, "DROP DATABASE " + small_db);

  // The full size.
  const std::string db = server.create_database();
  const std::string location = server.conninfo(db);
  const std::string load_avg_before = loadavg();
  const Loaded full_load = load(location, options, n, at);
  exec_ok(admin, "CHECKPOINT");
  if (pg_value(admin, "SHOW fsync") != "on" || pg_value(admin, "SHOW synchronous_commit") != "on") die("the server does not commit durably");
  const std::string load_avg_load = loadavg();

  const double batched = issue_rate(location, options, kIssueBatched, kIssueBatch, n, n, signer, now);
  const double single = issue_rate(location, options, kIssueSingle, 1, n + kIssueBatched, n, signer, now);
  const std::string load_avg_issue = loadavg();

  const Verified full = verify(launcher, location, options.key_file);
  const std::string load_avg_verify = loadavg();

  // A status list publication: the steps of `idtap status-list publish`.
  double publish_seconds = 0;
  size_t cwt_bytes = 0;
  {
    auto ledger = Ledger::open(location, options);
    if (!ledger.ok()) die("open: " + ledger.error().message());
    const auto start = Clock::now();
    const UnixSeconds t = now + 3600;
    auto expired = ledger->expire_due(t);
    auto list = ledger->status_list();
    auto head = ledger->head();
    if (!expired.ok() || !list.ok() || !head.ok()) die("status list: the ledger refused");
    StatusListToken token{ledger->status_uri(), t, t + 86400, 3600, std::move(list).value(), std::move(head).value()};
    auto cwt = sign_status_list_token(token, signer);
    if (!cwt.ok()) die("sign: " + cwt.error().message());
    if (auto w = write_file_atomic(dir.file("status.cwt"), *cwt, 0644); !w.ok()) die("write: " + w.error().message());
    publish_seconds = seconds_since(start);
    cwt_bytes = cwt->size();
  }
  PQfinish(admin);

  const size_t rows = 5 * n;
  std::printf("ledger_scale_bench: PostgreSQL, %zu holders (each: holder, card, active credential, 'holder' and 'issued' events)\n", n);
  std::printf("  bulk load (COPY; synchronous_commit off, FK triggers off, then CHECKPOINT): %.1f s, %.0f issuances/s, %.0f rows/s; VACUUM ANALYZE %.1f s; "
              "database %s\n",
              full_load.load_seconds, n / full_load.load_seconds, rows / full_load.load_seconds, full_load.vacuum_seconds,
              full_load.size.c_str());
  std::printf("  issuance at that size (fsync on, durable): %.0f/s in commits of %zu (%zu issuances, half re-issuing a loaded holder), "
              "%.0f/s one per commit (%zu)\n",
              batched, kIssueBatch, kIssueBatched, single, kIssueSingle);
  std::printf("  ledger verify (idtap ledger verify, own process): %.1f s (%.1f us per holder), peak RSS %ld kB\n", full.seconds,
              1e6 * full.seconds / n, full.rss_kb);
  std::printf("  ledger verify at a tenth (%zu holders, loaded in %.1f s): %.1f s, peak RSS %ld kB\n", tenth, small_load.load_seconds,
              small.seconds, small.rss_kb);
  const double ratio = static_cast<double>(std::max(full.rss_kb, 1L)) / std::max(small.rss_kb, 1L);
  std::printf("  status list publication (%llu entries, expire + build + sign + write): %.2f s, %zu bytes\n",
              static_cast<unsigned long long>(kListSize), publish_seconds, cwt_bytes);
  std::printf("  load average (1, 5, 15 min): before the load %s, after it %s, after issuance %s, after verify %s\n",
              load_avg_before.c_str(), load_avg_load.c_str(), load_avg_issue.c_str(), load_avg_verify.c_str());
  std::printf("%s: verify peak RSS, 10x ledger / 1x: %.2f (target <= 1.5: verify streams)\n", ratio <= 1.5 ? "PASS" : "MISS", ratio);
  return 0;
}
