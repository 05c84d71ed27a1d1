// tools/serve_backend.h: the OfferBackend `idtap serve` runs its protocol over. Redemptions and
// issuances (the phones' writes) go to one group-committing writer (issue::GroupCommitBackend:
// everything queued meanwhile under one commit, one fsync); the admin endpoint's offers use a
// small pool of ledger connections, each with its own issuance pipeline (issue::Pipeline and the
// Ledger under it are one-thread objects), lent to one request at a time.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "idtap/base/result.h"
#include "idtap/issue/group_commit.h"
#include "idtap/issue/offer_backend.h"
#include "idtap/issue/pipeline.h"
#include "idtap/provision/ledger.h"
#include "idtap/provision/pending_offers.h"

namespace idtap::cli {

// PooledOfferBackend: thread-safe OfferBackend over `connections` Pipelines of one ledger.
class PooledOfferBackend final : public issue::OfferBackend {
 public:
  // PooledOfferBackend::open: the group-committing writer and `connections` more connections to
  // the ledger for offers (Ledger::open's errors), a Pipeline over each (Pipeline::open's: the
  // issuer key and chain, refused when not valid now). kInvalidArgument for zero connections.
  static Result<std::unique_ptr<PooledOfferBackend>> open(const std::string& ledger_path,
                                                          const issue::PipelineConfig& config, size_t connections,
                                                          UnixSeconds now);

  // redeem / issue: LedgerOfferBackend's, through the group-committing writer (each answered once
  // its batch's commit is durable).
  Result<issue::RedeemedOffer> redeem(std::string_view pre_authorized_code, std::string_view tx_code,
                                      UnixSeconds now) override;
  Result<Bytes> issue(const issue::RedeemedOffer& offer, const Bytes& device_key, UnixSeconds now) override;

  // PooledOfferBackend::create_offer: Pipeline::create_offer on a free connection (the admin
  // endpoint's offers; errors as that function's).
  Result<provision::CreatedOffer> create_offer(const issue::OfferRequest& request);

  // PooledOfferBackend::credential_configuration_id: what the offers name.
  const std::string& credential_configuration_id() const;

  // PooledOfferBackend::stats: the writer's counters (operations, commits, largest batch).
  issue::GroupCommitStats stats() const;

  // PooledOfferBackend::close: runs what the writer has queued, waits for every lent connection
  // to come back, then closes the ledgers; later calls get kState. Called once the server has
  // stopped.
  void close();

 private:
  struct Slot {
    std::unique_ptr<provision::Ledger> ledger;
    std::unique_ptr<issue::Pipeline> pipeline;
  };
  // Lease: one connection, returned to the pool when it goes out of scope.
  class Lease {
   public:
    Lease(PooledOfferBackend& pool, Slot* slot) : pool_(pool), slot_(slot) {}
    ~Lease();
    Lease(const Lease&) = delete;
    Lease& operator=(const Lease&) = delete;
    issue::Pipeline& pipeline() { return *slot_->pipeline; }

   private:
    PooledOfferBackend& pool_;
    Slot* slot_;
  };
  // acquire: a free slot, or nullptr once closed.
  Slot* acquire();

  PooledOfferBackend() = default;
  std::unique_ptr<issue::GroupCommitBackend> writer_;
  std::vector<std::unique_ptr<Slot>> slots_;
  std::string configuration_id_;
  std::mutex mutex_;
  std::condition_variable returned_;
  std::vector<Slot*> free_;
  bool closed_ = false;
};

}  // namespace idtap::cli
