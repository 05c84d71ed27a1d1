// support/test_card.h: a complete, correctly signed simulated card for read-session tests, made
// by the production personalization (sim::personalize_card) with fixed, known access keys:
// DG1 (TD1 or TD3 MRZ), DG2 (a synthetic face, JPEG or JPEG 2000), DG11 (Hangul name, resident
// number), DG12, DG14 (CA key, AA info), DG15 (AA key), EF.COM, EF.SOD signed by a Document
// Signer under a fresh test CSCA, EF.CardAccess (PACE offers) and EF.CardSecurity (PACE-CAM).
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "idtap/auth/trust_store.h"
#include "idtap/base/bytes.h"
#include "idtap/crypto/cipher.h"
#include "idtap/crypto/hash.h"
#include "idtap/sim/card_image.h"
#include "idtap/sim/personalize.h"
#include "idtap/sim/sim_transport.h"

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

// test_card_personalization: the PersonalizeOptions make_test_card uses for `options` (the fixed
// holder, document number, dates and CAN above), for tests that set personalization options
// TestCardOptions does not name (DH CA key, unsigned data groups, PACE-CAM without
// EF.CardSecurity, ...).
sim::PersonalizeOptions test_card_personalization(const TestCardOptions& options = {});
// personalize_test_card: the card `options` personalizes; aborts the test binary on failure.
TestCard personalize_test_card(const sim::PersonalizeOptions& options);

// TrustedTestCard: the card `options` personalizes and a trust store holding its CSCA, as a
// reader that trusts the card's issuer has it; aborts the test binary on failure.
struct TrustedTestCard {
  TestCard card;
  auth::TrustStore trust;
  explicit TrustedTestCard(const sim::PersonalizeOptions& options);
  // TrustedTestCard::open: a fresh session with the simulated card (a card placed on a reader).
  std::unique_ptr<sim::SimTransport> open(const sim::SimOptions& sim = {}) const;
};

// BerSodOptions: which levels of EF.SOD reencode_sod_ber writes with the BER indefinite length
// (tag 80 ... 00 00), as some issuing states do.
struct BerSodOptions {
  bool outer = false;               // the 77 application wrapper
  bool content_info = false;        // ContentInfo SEQUENCE
  bool signed_data = false;         // ContentInfo's [0] and the SignedData SEQUENCE
  bool encap_content_info = false;  // EncapsulatedContentInfo SEQUENCE and its eContent [0]
  size_t econtent_chunk = 0;        // > 0: eContent as a constructed OCTET STRING (24 80 ...
                                    // 00 00) of primitive segments of at most this many bytes
};

// reencode_sod_ber: `der_sod` (a DER EF.SOD) with the levels `options` names re-encoded in BER.
// Every content octet stays as it was (the LDSSecurityObject, the signed attributes whose
// messageDigest covers it, the signature), so the file still verifies. Aborts the test binary
// on a file that is not a DER EF.SOD.
Bytes reencode_sod_ber(ByteView der_sod, const BerSodOptions& options);

}  // namespace idtap::test
