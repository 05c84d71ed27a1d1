// support/test_card.h: a complete, correctly signed simulated card built from lib/lds's encoders
// and a throw-away PKI, for read-session tests: DG1 (TD1), DG2 (a real JPEG or JPEG 2000 face),
// DG11 (Hangul name, resident number), DG12, DG14 (CA key, AA info), DG15 (AA key), EF.COM,
// EF.SOD signed by a Document Signer under a test CSCA, EF.CardAccess (PACE offers).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "idtap/crypto/hash.h"
#include "idtap/sim/card_image.h"
#include "support/test_pki.h"

namespace idtap::test {

inline constexpr const char* kCardCan = "123456";
inline constexpr const char* kCardDocumentNumber = "M12345678";
inline constexpr const char* kCardDateOfBirth = "900101";
inline constexpr const char* kCardDateOfExpiry = "301231";
inline constexpr const char* kCardResidentNumber = "900101-1234567";

// TestCardOptions: the profile and the defects to build in.
struct TestCardOptions {
  bool pace = true;                                // EF.CardAccess with PACE offers, CAN set
  bool bac = true;
  std::vector<sim::PaceOffer> pace_offers = {sim::PaceOffer{}};  // GM AES-128 brainpoolP256r1
  bool chip_authentication = true;                 // DG14 with a CA key
  bool active_authentication = true;               // DG15 with an ECDSA key
  bool rsa_aa = false;                             // RSA-2048 AA key instead
  bool jpeg2000 = false;                           // DG2 holds JPEG 2000
  size_t face_width = 240, face_height = 320;
  size_t face_min_bytes = 0;                       // pad the JPEG (APP15 segment) to at least this
  crypto::HashAlg hash = crypto::HashAlg::kSha256; // EF.SOD's digest
  std::optional<int> tamper_dg;                    // change this DG after signing
  sim::CardQuirks quirks;
};

// TestCard: the image and the trust anchor that verifies it.
struct TestCard {
  sim::CardImage image;
  std::string csca_pem;
  Bytes ds_der;
};

// make_test_card: builds the card; aborts the test binary on an internal failure.
TestCard make_test_card(const TestCardOptions& options = {});

}  // namespace idtap::test
