// idtap/issue/offer_backend.h: what the OID4VCI protocol (idtap/issue/oid4vci.h) needs from
// the durable side of issuance: the store of pending offers (created at the desk, sealed at
// rest, surviving a restart) and the issuance pipeline (the rules, the ledger, the signer).
// The protocol holds only short-lived state (access tokens, c_nonces) and never touches the
// ledger itself; tests of the protocol use an in-memory double, `idtap serve` the ledger's.
#pragma once

#include <string>
#include <string_view>

#include "idtap/base/bytes.h"
#include "idtap/base/date.h"
#include "idtap/base/result.h"

namespace idtap::issue {

// RedeemedOffer: an offer whose pre-authorized code was accepted. `offer_id` is the store's
// own handle (never the code itself).
struct RedeemedOffer {
  std::string offer_id;
  std::string credential_configuration_id;
};

class OfferBackend {
 public:
  virtual ~OfferBackend() = default;

  // redeem: accepts `pre_authorized_code` once, with its 6-digit `tx_code`. Errors:
  //   kNotFound   unknown, already redeemed, or expired code (all "invalid_grant" on the wire)
  //   kAuthFailed wrong tx_code (the attempt is counted durably; the fifth kills the offer)
  //   kRefused    the offer was killed by wrong tx_codes
  // Other codes are server faults.
  virtual Result<RedeemedOffer> redeem(std::string_view pre_authorized_code,
                                       std::string_view tx_code, UnixSeconds now) = 0;

  // issue: runs the issuance pipeline for a redeemed offer, bound to `device_key`, a P-256
  // public key as an uncompressed SEC1 point (65 bytes, 0x04 || x || y), and returns the
  // credential as CBOR IssuerSigned bytes. Idempotent: the same offer and the same key return
  // the same credential again (a wallet retrying after a lost response); another key for an
  // offer already issued is kRefused. A rule that fails now (card reported lost since the
  // offer, holder's card expired) is kRefused with the reason in the context.
  virtual Result<Bytes> issue(const RedeemedOffer& offer, const Bytes& device_key,
                              UnixSeconds now) = 0;
};

}  // namespace idtap::issue
