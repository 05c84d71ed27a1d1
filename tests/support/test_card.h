// support/test_card.h: a complete, correctly signed simulated card for read-session tests, made
// by the production personalization (sim::personalize_card) with fixed, known access keys:
// DG1 (TD1 or TD3 MRZ), DG2 (a synthetic face, JPEG or JPEG 2000), DG11 (Hangul name, resident
// number), DG12, DG14 (CA key, AA info), DG15 (AA key), EF.COM, EF.SOD signed by a Document
// Signer under a fresh test CSCA, EF.CardAccess (PACE offers) and EF.CardSecurity (PACE-CAM).
#pragma once

#include <optional>
#include <string>

#include "idtap/crypto/cipher.h"
#include "idtap/crypto/hash.h"
#include "idtap/sim/card_image.h"

namespace idtap::test {

inline constexpr const char* kCardCan = "123456";
inline constexpr const char* kCardDocumentNumber = "M12345678";
inline constexpr const char* kCardDateOfBirth = "900101";
inline constexpr const char* kCardDateOfExpiry = "301231";
inline constexpr const char* kCardResidentNumber = "900101-1234567";

// TestCardOptions: the profile and the defects to build in.
struct TestCardOptions {
  bool pace = true;                                // EF.CardAccess with a PACE offer, CAN set
  bool bac = true;                                 // with pace: a passport offering both (TD3)
  sim::PaceOffer pace_offer;                       // GM AES-128 brainpoolP256r1
  bool active_authentication = true;               // DG15 with an ECDSA key
  bool rsa_aa = false;                             // RSA-2048 AA key instead
  bool jpeg2000 = false;                           // DG2 holds JPEG 2000
  size_t face_bytes = 0;                           // the face image's size (0: about 17 KB)
  crypto::HashAlg hash = crypto::HashAlg::kSha256; // EF.SOD's digest
  std::optional<int> tamper_dg;                    // change this DG after signing
  sim::CardQuirks quirks;
};

// TestCard: the image and the trust anchor that verifies it.
struct TestCard {
  sim::CardImage image;
  std::string csca_pem;
};

// make_test_card: builds the card; aborts the test binary on an internal failure.
TestCard make_test_card(const TestCardOptions& options = {});

}  // namespace idtap::test
