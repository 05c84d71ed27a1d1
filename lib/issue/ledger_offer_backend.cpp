#include "idtap/issue/ledger_offer_backend.h"

namespace idtap::issue {

Result<provision::EcPublicKey> device_key_from_point(ByteView point) {
  // SEC 1 v2 §2.3.3: uncompressed form 04 || X || Y, 32 bytes each for P-256.
  if (point.size() != 65 || point[0] != 0x04)
    return make_error(ErrorCode::kInvalidArgument, "device key: not an uncompressed P-256 point (65 bytes, 04 || x || y)");
  return provision::EcPublicKey::from_coordinates(point.subspan(1, 32), point.subspan(33, 32));
}

Result<RedeemedOffer> LedgerOfferBackend::redeem(std::string_view pre_authorized_code, std::string_view tx_code, UnixSeconds now) {
  IDTAP_ASSIGN_OR_RETURN(provision::RedeemedOfferRow row, pipeline_.redeem_offer(pre_authorized_code, tx_code, now));
  return RedeemedOffer{std::move(row.offer_id), std::move(row.credential_configuration_id)};
}

Result<Bytes> LedgerOfferBackend::issue(const RedeemedOffer& offer, const Bytes& device_key, UnixSeconds now) {
  IDTAP_ASSIGN_OR_RETURN(provision::EcPublicKey key, device_key_from_point(device_key));
  return issue_to_key(offer, key, now);
}

Result<Bytes> LedgerOfferBackend::issue_to_key(const RedeemedOffer& offer, const provision::EcPublicKey& key, UnixSeconds now) {
  if (offer.credential_configuration_id != pipeline_.credential_configuration_id())
    return make_error(ErrorCode::kRefused, "offer " + offer.offer_id + " is for configuration " + offer.credential_configuration_id +
                                               ", this issuer issues " + pipeline_.credential_configuration_id());
  IDTAP_ASSIGN_OR_RETURN(provision::OfferCredential credential, pipeline_.issue_offer(offer.offer_id, key, now));
  return std::move(credential.issuer_signed);
}

}  // namespace idtap::issue
