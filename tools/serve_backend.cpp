#include "serve_backend.h"

#include "cli.h"

namespace idtap::cli {

Result<std::unique_ptr<PooledOfferBackend>> PooledOfferBackend::open(const std::string& ledger_path,
                                                                     const issue::PipelineConfig& config,
                                                                     size_t connections, UnixSeconds now) {
  if (connections == 0) return make_error(ErrorCode::kInvalidArgument, "the ledger pool needs at least one connection");
  std::unique_ptr<PooledOfferBackend> pool(new PooledOfferBackend());
  issue::GroupCommitOptions writer_options;
  writer_options.ledger = ledger_options();
  IDTAP_ASSIGN_OR_RETURN(pool->writer_, issue::GroupCommitBackend::open(ledger_path, config, now, writer_options));
  for (size_t i = 0; i < connections; ++i) {
    auto slot = std::make_unique<Slot>();
    IDTAP_ASSIGN_OR_RETURN(provision::Ledger ledger, provision::Ledger::open(ledger_path, ledger_options()));
    slot->ledger = std::make_unique<provision::Ledger>(std::move(ledger));
    IDTAP_ASSIGN_OR_RETURN(issue::Pipeline pipeline, issue::Pipeline::open(*slot->ledger, config, now));
    slot->pipeline = std::make_unique<issue::Pipeline>(std::move(pipeline));
    pool->free_.push_back(slot.get());
    pool->slots_.push_back(std::move(slot));
  }
  pool->configuration_id_ = pool->slots_.front()->pipeline->credential_configuration_id();
  return pool;
}

PooledOfferBackend::Slot* PooledOfferBackend::acquire() {
  std::unique_lock lock(mutex_);
  returned_.wait(lock, [&] { return closed_ || !free_.empty(); });
  if (closed_) return nullptr;
  Slot* slot = free_.back();
  free_.pop_back();
  return slot;
}

PooledOfferBackend::Lease::~Lease() {
  {
    std::lock_guard lock(pool_.mutex_);
    pool_.free_.push_back(slot_);
  }
  pool_.returned_.notify_all();
}

Result<issue::RedeemedOffer> PooledOfferBackend::redeem(std::string_view pre_authorized_code, std::string_view tx_code,
                                                        UnixSeconds now) {
  return writer_->redeem(pre_authorized_code, tx_code, now);
}

Result<Bytes> PooledOfferBackend::issue(const issue::RedeemedOffer& offer, const Bytes& device_key, UnixSeconds now) {
  return writer_->issue(offer, device_key, now);
}

issue::GroupCommitStats PooledOfferBackend::stats() const { return writer_->stats(); }

Result<provision::CreatedOffer> PooledOfferBackend::create_offer(const issue::OfferRequest& request) {
  Slot* slot = acquire();
  if (slot == nullptr) return make_error(ErrorCode::kState, "the ledger is closed (the server is stopping)");
  Lease lease(*this, slot);
  return lease.pipeline().create_offer(request);
}

const std::string& PooledOfferBackend::credential_configuration_id() const { return configuration_id_; }

void PooledOfferBackend::close() {
  writer_->close();
  std::unique_lock lock(mutex_);
  returned_.wait(lock, [&] { return free_.size() == slots_.size(); });
  closed_ = true;
  free_.clear();
  for (auto& slot : slots_) {
    slot->pipeline.reset();
    slot->ledger.reset();
  }
  returned_.notify_all();
}

}  // namespace idtap::cli
