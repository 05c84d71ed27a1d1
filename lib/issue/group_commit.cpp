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
  IDTAP_ASSIGN_OR_RETURN(provision::Ledger ledger, provision::Ledger::open(ledger_path, options.ledger));
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

void GroupCommitBackend::writer_loop() {
  for (;;) {
    std::vector<Job> batch;
    {
      std::unique_lock lock(mutex_);
      queued_.wait(lock, [&] { return closing_ || !queue_.empty(); });
      if (queue_.empty()) return;  // closing, and everything queued is done
      // Everything that queued up during the previous commit goes into this one.
      while (!queue_.empty() && batch.size() < options_.max_batch) {
        batch.push_back(std::move(queue_.front()));
        queue_.pop_front();
      }
    }
    std::vector<std::function<Status()>> operations;
    operations.reserve(batch.size());
    using Clock = std::chrono::steady_clock;
    Clock::duration in_operations{};
    for (Job& job : batch)
      operations.emplace_back([&job, &in_operations]() -> Status {
        const auto t = Clock::now();
        Status st = job.run();
        in_operations += Clock::now() - t;
        return st;
      });
    // One transaction, one fsync; no caller hears of its operation before this returns.
    const auto t0 = Clock::now();
    const Status committed = ledger_->run_in_one_transaction(operations);
    const auto total = Clock::now() - t0;
    {
      std::lock_guard lock(mutex_);
      stats_.operations += batch.size();
      stats_.commits += 1;
      stats_.largest_batch = std::max<uint64_t>(stats_.largest_batch, batch.size());
      auto us = [](Clock::duration d) { return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::microseconds>(d).count()); };
      stats_.operations_us += us(in_operations);
      stats_.commit_us += us(total - in_operations);
    }
    for (Job& job : batch) {
      job.finish(committed);
      job.done.set_value();
    }
  }
}

Result<RedeemedOffer> GroupCommitBackend::redeem(std::string_view pre_authorized_code, std::string_view tx_code, UnixSeconds now) {
  std::optional<Result<RedeemedOffer>> result;
  Job job;
  job.run = [&]() -> Status {
    result = LedgerOfferBackend(*pipeline_).redeem(pre_authorized_code, tx_code, now);
    // Kept whatever the outcome: a wrong tx_code's count is part of the answer (it must be
    // durable before the wallet hears "invalid_grant"); redeem's other failures change nothing.
    return ok_status();
  };
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
