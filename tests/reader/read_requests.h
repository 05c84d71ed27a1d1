// tests/reader/read_requests.h: the read requests the reader tests open test cards with.
#pragma once

#include <chrono>

#include "idtap/reader/session.h"
#include "support/test_card.h"

namespace idtap::test {

// can_request / mrz_request: a read with the test card's CAN (PACE) or MRZ fields (BAC or
// PACE-MRZ), checking against `trust` (may be null), waiting 100 ms for a card that left.
inline reader::ReadRequest can_request(const auth::TrustStore* trust) {
  reader::ReadRequest r;
  r.can = auth::Password::can(kCardCan).value();
  r.trust = trust;
  r.reconnect_timeout = std::chrono::milliseconds(100);
  return r;
}

inline reader::ReadRequest mrz_request(const auth::TrustStore* trust) {
  reader::ReadRequest r;
  r.mrz = auth::MrzKey::from_fields(kCardDocumentNumber, kCardDateOfBirth, kCardDateOfExpiry).value();
  r.trust = trust;
  r.reconnect_timeout = std::chrono::milliseconds(100);
  return r;
}

}  // namespace idtap::test
