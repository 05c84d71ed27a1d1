// idtap/issue/ledger_offer_backend.h: the OfferBackend `idtap serve` runs: the pending offers
// of the ledger (provision/pending_offers.h) and the issuance pipeline (pipeline.h).
#pragma once

#include "idtap/issue/offer_backend.h"
#include "idtap/issue/pipeline.h"

namespace idtap::issue {

// LedgerOfferBackend: OfferBackend over one Pipeline (borrowed: it must outlive this object;
// one per thread, as the Ledger under it).
class LedgerOfferBackend final : public OfferBackend {
 public:
  explicit LedgerOfferBackend(Pipeline& pipeline) : pipeline_(pipeline) {}

  // LedgerOfferBackend::redeem: Pipeline::redeem_offer (errors as offer_backend.h names them).
  Result<RedeemedOffer> redeem(std::string_view pre_authorized_code, std::string_view tx_code, UnixSeconds now) override;
  // LedgerOfferBackend::issue: Pipeline::issue_offer, `device_key` an uncompressed P-256 point
  // (kInvalidArgument otherwise); the same key again returns the same bytes, another kRefused;
  // an offer for another configuration than `offer.credential_configuration_id` is kRefused.
  Result<Bytes> issue(const RedeemedOffer& offer, const Bytes& device_key, UnixSeconds now) override;
  // LedgerOfferBackend::issue_to_key: the same with the key already parsed (the group-commit
  // writer gets it parsed by the request's thread, outside its transaction).
  Result<Bytes> issue_to_key(const RedeemedOffer& offer, const provision::EcPublicKey& device_key, UnixSeconds now);

 private:
  Pipeline& pipeline_;
};

// device_key_from_point: a P-256 public key from its uncompressed SEC1 encoding (0x04 || x ||
// y, SEC 1 v2 §2.3.3); kInvalidArgument for another length or form, or a point not on the curve.
Result<provision::EcPublicKey> device_key_from_point(ByteView point);

}  // namespace idtap::issue
