// tests/issue/memory_offer_backend.h: an in-memory OfferBackend for the protocol's tests and
// fuzz target: the seam's contract (offer_backend.h) without the ledger. It counts redeem() and
// issue() calls, so a test can assert that a refused request never reached issuance.
#pragma once

#include <atomic>
#include <map>
#include <mutex>
#include <string>
#include <string_view>

#include "idtap/base/bytes.h"
#include "idtap/issue/offer_backend.h"

namespace idtap::issue::testing {

class MemoryOfferBackend final : public OfferBackend {
 public:
  // add_offer: a pending offer for `code` with its 6-digit `tx_code`, valid until `expires_at`.
  void add_offer(const std::string& code, const std::string& tx_code, UnixSeconds expires_at,
                 const std::string& configuration_id = "kr.go.mois.residentid.1") {
    std::lock_guard lock(mutex_);
    Offer o;
    o.tx_code = tx_code;
    o.expires_at = expires_at;
    o.configuration_id = configuration_id;
    o.id = "offer-" + std::to_string(offers_.size() + 1);
    offers_[code] = o;
  }

  Result<RedeemedOffer> redeem(std::string_view code, std::string_view tx_code, UnixSeconds now) override {
    ++redeem_calls;
    std::lock_guard lock(mutex_);
    if (fail_redeem) return make_error(ErrorCode::kIo, "disk on fire at /var/lib/idtap/ledger.db");
    auto it = offers_.find(std::string(code));
    if (it == offers_.end() || it->second.redeemed || now >= it->second.expires_at)
      return make_error(ErrorCode::kNotFound, "no such offer");
    Offer& o = it->second;
    if (o.killed) return make_error(ErrorCode::kRefused, "offer killed by wrong tx_codes");
    if (tx_code != o.tx_code) {
      if (++o.wrong_tx_codes >= 5) o.killed = true;
      return make_error(ErrorCode::kAuthFailed, "wrong tx_code");
    }
    o.redeemed = true;
    return RedeemedOffer{o.id, o.configuration_id};
  }

  Result<Bytes> issue(const RedeemedOffer& offer, const Bytes& device_key, UnixSeconds) override {
    ++issue_calls;
    std::lock_guard lock(mutex_);
    if (refuse_issue) return make_error(ErrorCode::kRefused, "card 123456-1234567 reported lost");
    if (fail_issue) return make_error(ErrorCode::kInternal, "SQLITE_CORRUPT in /var/lib/idtap/ledger.db");
    auto it = issued_.find(offer.offer_id);
    if (it != issued_.end()) {
      if (it->second.first != device_key) return make_error(ErrorCode::kRefused, "another key for this offer");
      return it->second.second;
    }
    // A stand-in credential: distinct per offer and key, and stable for a retry.
    Bytes credential = bytes_of("IssuerSigned(" + offer.offer_id + ")");
    append(credential, device_key);
    issued_[offer.offer_id] = {device_key, credential};
    return credential;
  }

  std::atomic<int> redeem_calls{0};
  std::atomic<int> issue_calls{0};
  bool refuse_issue = false;  // issue() answers kRefused
  bool fail_issue = false;    // issue() answers kInternal
  bool fail_redeem = false;   // redeem() answers kIo

 private:
  struct Offer {
    std::string id, tx_code, configuration_id;
    UnixSeconds expires_at = 0;
    bool redeemed = false, killed = false;
    int wrong_tx_codes = 0;
  };
  std::mutex mutex_;
  std::map<std::string, Offer> offers_;
  std::map<std::string, std::pair<Bytes, Bytes>> issued_;
};

}  // namespace idtap::issue::testing
