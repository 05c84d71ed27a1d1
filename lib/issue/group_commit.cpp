#include "idtap/issue/group_commit.h"

#include <pthread.h>
#include <signal.h>

#include <algorithm>
#include <chrono>
#include <optional>
#include <utility>
#include <vector>

#include "idtap/issue/ledger_offer_backend.h"

namespace idtap::issue {

namespace {

constexpr size_t kMaxBatchLimit = 4096;

Error closed_error() { return make_error(ErrorCode::kState, "the ledger writer is closed (the server is stopping)"); }

}  // namespace

Result<std::unique_ptr<GroupCommitBackend>> GroupCommitBackend::open(const std::string& ledger_path, const PipelineConfig& config,
                                                                     UnixSeconds now, GroupCommitOptions options) {
  if (options.max_batch == 0 || options.max_batch > kMaxBatchLimit)
    return make_error(ErrorCode::kInvalidArgument, "group commit: max_batch must be 1.." + std::to_string(kMaxBatchLimit));
  // Pipelined sync is for SQLite (LedgerOptions::sync_by_caller; a PostgreSQL ledger ignores
  // it and its commits wait for their WAL flush).
  provision::LedgerOptions ledger_options = options.ledger;
  ledger_options.sync_by_caller = options.pipelined_sync;
  IDTAP_ASSIGN_OR_RETURN(provision::Ledger ledger, provision::Ledger::open(ledger_path, ledger_options));
  if (std::string_view(ledger.backend()) != "sqlite") options.pipelined_sync = false;
  auto owned_ledger = std::make_unique<provision::Ledger>(std::move(ledger));
  IDTAP_ASSIGN_OR_RETURN(Pipeline pipeline, Pipeline::open(*owned_ledger, config, now));
  return std::unique_ptr<GroupCommitBackend>(
      new GroupCommitBackend(std::move(owned_ledger), std::make_unique<Pipeline>(std::move(pipeline)), options));
}

GroupCommitBackend::GroupCommitBackend(std::unique_ptr<provision::Ledger> ledger, std::unique_ptr<Pipeline> pipeline,
                                       GroupCommitOptions options)
    : ledger_(std::move(ledger)), pipeline_(std::move(pipeline)), options_(options) {
  // The writer takes no process signal (SIGTERM, SIGINT): they stay for the thread the program
  // chose (a signalfd, tools/interrupt.h), whenever this backend is made.
  sigset_t all, old;
  sigfillset(&all);
  pthread_sigmask(SIG_BLOCK, &all, &old);
  writer_ = std::thread([this] { writer_loop(); });
  if (options_.pipelined_sync) syncer_ = std::thread([this] { syncer_loop(); });
  pthread_sigmask(SIG_SETMASK, &old, nullptr);
}

GroupCommitBackend::~GroupCommitBackend() { close(); }

void GroupCommitBackend::close() {
  {
    std::lock_guard lock(mutex_);
    if (closed_) return;
    closing_ = true;
  }
  queued_.notify_all();
  if (writer_.joinable()) writer_.join();
  {
    std::lock_guard lock(mutex_);
    writer_done_ = true;
  }
  committed_.notify_all();
  if (syncer_.joinable()) syncer_.join();  // every committed batch synced and answered
  std::lock_guard lock(mutex_);
  pipeline_.reset();
  ledger_.reset();
  closed_ = true;
}

GroupCommitStats GroupCommitBackend::stats() const {
  std::lock_guard lock(mutex_);
  return stats_;
}

bool GroupCommitBackend::submit(Job job) {
  std::future<void> done = job.done.get_future();
  {
    std::lock_guard lock(mutex_);
    if (closing_) return false;
    queue_.push_back(std::move(job));
  }
  queued_.notify_one();
  done.wait();
  return true;
}

void GroupCommitBackend::answer(std::vector<Job>& batch, const Status& outcome) {
  for (Job& job : batch) {
    if (job.answered) continue;  // its caller has gone on with what it was told
    job.finish(outcome);
    job.done.set_value();
  }
}

void GroupCommitBackend::writer_loop() {
  using Clock = std::chrono::steady_clock;
  auto us = [](Clock::duration d) { return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::microseconds>(d).count()); };
  for (;;) {
    std::vector<Job> batch;
    Status failed;
    {
      std::unique_lock lock(mutex_);
      queued_.wait(lock, [&] { return closing_ || !queue_.empty(); });
      if (queue_.empty()) return;  // closing, and everything queued is done
      // Everything that queued up during the previous commit goes into this one.
      while (!queue_.empty() && batch.size() < options_.max_batch) {
        batch.push_back(std::move(queue_.front()));
        queue_.pop_front();
      }
      failed = sync_failed_;
    }
    if (!failed.ok()) {
      // A sync failed: what the disk holds is unknown; nothing more is written.
      answer(batch, failed);
      continue;
    }
    std::vector<std::function<Status()>> operations;
    operations.reserve(batch.size());
    Clock::duration in_operations{};
    for (Job& job : batch)
      operations.emplace_back([&job, &in_operations]() -> Status {
        const auto t = Clock::now();
        Status st = job.run();
        in_operations += Clock::now() - t;
        if (st.ok() && job.answer_early && job.answer_early()) {
          job.finish(ok_status());
          job.done.set_value();
          job.answered = true;
        }
        return st;
      });
    // One transaction; durable at its commit (synchronous=FULL), or at the syncer's next sync.
    const auto t0 = Clock::now();
    Status committed = ledger_->run_in_one_transaction(operations);
    const auto total = Clock::now() - t0;
    {
      std::lock_guard lock(mutex_);
      stats_.operations += batch.size();
      stats_.commits += 1;
      stats_.largest_batch = std::max<uint64_t>(stats_.largest_batch, batch.size());
      stats_.operations_us += us(in_operations);
      stats_.commit_us += us(total - in_operations);
      if (pipelined()) {
        // No caller hears of its operation before the syncer has synced this commit.
        unsynced_.push_back(Committed{std::move(batch), std::move(committed)});
      }
    }
    if (pipelined()) {
      committed_.notify_one();
    } else {
      answer(batch, committed);
    }
  }
}

void GroupCommitBackend::syncer_loop() {
  using Clock = std::chrono::steady_clock;
  for (;;) {
    std::deque<Committed> ready;
    Status failed;
    {
      std::unique_lock lock(mutex_);
      committed_.wait(lock, [&] { return writer_done_ || !unsynced_.empty(); });
      if (unsynced_.empty()) return;  // the writer has stopped and everything is answered
      ready.swap(unsynced_);
      failed = sync_failed_;
    }
    // One sync for every batch committed since the last one.
    Status synced = failed;
    if (synced.ok()) {
      const auto t0 = Clock::now();
      synced = options_.sync ? options_.sync(*ledger_) : ledger_->sync_committed();
      const auto took = Clock::now() - t0;
      std::lock_guard lock(mutex_);
      stats_.syncs += 1;
      stats_.sync_us += static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::microseconds>(took).count());
      if (!synced.ok() && sync_failed_.ok())
        sync_failed_ = synced.error().with_context("the ledger writer stopped: a sync of its committed batches failed");
    }
    for (Committed& c : ready) answer(c.batch, c.outcome.ok() ? synced : c.outcome);
  }
}

Result<RedeemedOffer> GroupCommitBackend::redeem(std::string_view pre_authorized_code, std::string_view tx_code, UnixSeconds now) {
  std::optional<Result<RedeemedOffer>> result;
  Job job;
  job.run = [&]() -> Status {
    result = LedgerOfferBackend(*pipeline_).redeem(pre_authorized_code, tx_code, now);
    // A redemption that succeeded is answered at once, before its commit is durable: the
    // access token it leads to lives only in this process's memory, so a crash that loses the
    // redemption loses the token with it (the wallet redeems the code again, and the offer is
    // issued once: the issuance's own transaction, under the offer's idempotency id, is the
    // one that must be durable before its answer). A redemption whose commit then fails leaves
    // the offer pending, and the credential request is refused. A wrong tx_code's count is
    // kept whatever the outcome and is durable before the wallet hears "invalid_grant" (five
    // guesses, not five per crash); redeem's other failures change nothing.
    return ok_status();
  };
  job.answer_early = [&] { return result.has_value() && result->ok(); };
  job.finish = [&](const Status& commit) {
    if (!commit.ok()) result = commit.error().with_context("committing the redemption");
  };
  if (!submit(std::move(job))) return closed_error();
  if (!result) return make_error(ErrorCode::kInternal, "group commit: the redemption did not run");
  return std::move(*result);
}

Result<Bytes> GroupCommitBackend::issue(const RedeemedOffer& offer, const Bytes& device_key, UnixSeconds now) {
  // Parsed and checked on the curve here, in the request's thread: the writer's time is the
  // one every phone waits for.
  IDTAP_ASSIGN_OR_RETURN(const provision::EcPublicKey key, device_key_from_point(device_key));
  std::optional<Result<Bytes>> result;
  Job job;
  job.run = [&]() -> Status {
    result = LedgerOfferBackend(*pipeline_).issue_to_key(offer, key, now);
    if (!result->ok()) return result->error();  // nothing of a refused issuance stays
    return ok_status();
  };
  job.finish = [&](const Status& commit) {
    // A credential whose record did not commit is not handed out.
    if (!commit.ok()) result = commit.error().with_context("committing the issuance");
  };
  if (!submit(std::move(job))) return closed_error();
  if (!result) return make_error(ErrorCode::kInternal, "group commit: the issuance did not run");
  return std::move(*result);
}

}  // namespace idtap::issue
