// idtap/issue/group_commit.h: group commit for concurrent issuance. With synchronous=FULL every
// ledger commit waits for an fsync; a server whose phones each wait for their own fsync issues
// no faster than the disk syncs. GroupCommitBackend gives the ledger one writer: a thread with
// its own connection and pipeline that takes every redemption and issuance queued meanwhile,
// runs them one after another in one transaction (Ledger::run_in_one_transaction: each keeps its
// own rules check and its own events) and answers each caller only once that commit is durable.
//
// Pipelined sync (SQLite): the writer's connection commits without waiting for the disk
// (synchronous=NORMAL) and hands the committed batch to a second thread, the syncer, which
// syncs the WAL (Ledger::sync_committed) once for every batch committed since its last sync and
// only then answers their callers. The writer meanwhile runs the next batch: the fsync no
// longer stops the writer, so the writer's rate is its operations' and the disk's in parallel,
// not their sum. Batches are answered in commit order; once a sync fails, every later batch
// is answered with that error and the writer takes no more work (what the disk holds is then
// unknown: the server must be stopped and `idtap ledger verify` run). A process that dies
// between a commit and its sync answered no one about it: the callers' retries (idempotency
// ids) settle it. A PostgreSQL ledger's commits wait for their own WAL flush as before.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "idtap/base/result.h"
#include "idtap/issue/offer_backend.h"
#include "idtap/issue/pipeline.h"
#include "idtap/provision/ledger.h"

namespace idtap::issue {

// GroupCommitOptions: `max_batch` operations at most under one commit (1..4096); `ledger`: how
// the writer's connection is opened (busy timeout, key file of a PostgreSQL ledger).
struct GroupCommitOptions {
  size_t max_batch = 256;
  provision::LedgerOptions ledger;
  // pipelined_sync: on a SQLite ledger, sync beside the next batch (above); false: every commit
  // waits for its own fsync (synchronous=FULL), as a PostgreSQL ledger always does.
  bool pipelined_sync = true;
  // sync: what the syncer calls to make the committed batches durable; empty: the ledger's
  // Ledger::sync_committed. (A test gives a disk that fails.)
  std::function<Status(const provision::Ledger&)> sync;
};

// GroupCommitStats: what the writer did so far.
struct GroupCommitStats {
  uint64_t operations = 0;  // redemptions and issuances run
  uint64_t commits = 0;     // transactions committed (or failed to commit)
  uint64_t largest_batch = 0;
  // Where the writer thread's time goes (microseconds, steady clock): running the operations
  // inside the transaction (SQL, and the mdoc signing of each issuance) and committing (the
  // fsync). What is left of the wall time the writer waited for work.
  uint64_t operations_us = 0;
  uint64_t commit_us = 0;
  // Pipelined sync: the syncs made (each covers every batch committed before it) and the
  // syncer's time in them.
  uint64_t syncs = 0;
  uint64_t sync_us = 0;
};

// GroupCommitBackend: a thread-safe OfferBackend (redeem and issue as LedgerOfferBackend's,
// same errors) whose ledger writes are group-committed. Any number of threads may call it; each
// call blocks until its batch is committed. When the commit fails, every operation of the batch
// gets that error and none of them is recorded (their credentials are not handed out).
class GroupCommitBackend final : public OfferBackend {
 public:
  // GroupCommitBackend::open: opens the ledger at `ledger_path` (Ledger::open's errors) and a
  // pipeline over it (Pipeline::open's: the issuer key and chain, refused when not valid at
  // `now`), then starts the writer thread. kInvalidArgument for a max_batch outside 1..4096.
  static Result<std::unique_ptr<GroupCommitBackend>> open(const std::string& ledger_path, const PipelineConfig& config,
                                                          UnixSeconds now, GroupCommitOptions options = {});
  ~GroupCommitBackend() override;
  GroupCommitBackend(const GroupCommitBackend&) = delete;
  GroupCommitBackend& operator=(const GroupCommitBackend&) = delete;

  Result<RedeemedOffer> redeem(std::string_view pre_authorized_code, std::string_view tx_code, UnixSeconds now) override;
  Result<Bytes> issue(const RedeemedOffer& offer, const Bytes& device_key, UnixSeconds now) override;

  // GroupCommitBackend::stats: a snapshot of the counters.
  GroupCommitStats stats() const;

  // GroupCommitBackend::close: runs what is queued, stops the writer and closes the ledger;
  // later calls get kState. Also done by the destructor.
  void close();

 private:
  // Job: one operation. `run` executes on the writer thread inside the batch's transaction and
  // keeps its result (an error Status rolls its changes back); `finish` then gets the commit's
  // outcome (an error replaces the result); `done` wakes the caller.
  // `answer_early` (optional), asked right after `run`: whether its caller may hear the outcome
  // before the commit (a redemption that succeeded: see redeem); such a job is answered then
  // and not touched again (`answered`).
  struct Job {
    std::function<Status()> run;
    std::function<void(const Status& commit)> finish;
    std::promise<void> done;
    std::function<bool()> answer_early;
    bool answered = false;
  };
  GroupCommitBackend(std::unique_ptr<provision::Ledger> ledger, std::unique_ptr<Pipeline> pipeline, GroupCommitOptions options);
  // submit: queues `job` and waits until its batch is committed; false once closing (not run).
  bool submit(Job job);
  void writer_loop();
  void syncer_loop();
  // answer: the commit's (or the sync's) outcome to each job of `batch`, and wakes its caller.
  static void answer(std::vector<Job>& batch, const Status& outcome);
  bool pipelined() const { return options_.pipelined_sync; }

  std::unique_ptr<provision::Ledger> ledger_;
  std::unique_ptr<Pipeline> pipeline_;
  const GroupCommitOptions options_;
  mutable std::mutex mutex_;
  std::condition_variable queued_;
  std::deque<Job> queue_;
  bool closing_ = false;
  bool closed_ = false;
  GroupCommitStats stats_;
  // Pipelined sync: batches committed and not yet synced, in commit order, with their commit's
  // outcome; `sync_failed` once a sync failed (its error answers everything after).
  struct Committed {
    std::vector<Job> batch;
    Status outcome;
  };
  std::deque<Committed> unsynced_;
  std::condition_variable committed_;
  bool writer_done_ = false;
  Status sync_failed_;
  std::thread writer_;
  std::thread syncer_;
};

}  // namespace idtap::issue
