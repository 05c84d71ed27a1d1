// idtap/sim/personalize.h: personalization of the simulated card: a sample holder's data groups
// (DG1 MRZ, DG2 face, DG11 personal details, DG12 document details, DG14 / DG15 chip keys),
// EF.COM, EF.CardAccess (and EF.CardSecurity for PACE-CAM), fresh chip keys, a throw-away test
// PKI (CSCA, Document Signer, CRL) and EF.SOD signed over the data groups: a complete card image
// (idtap/sim/card_image.h), written atomically. `idtap sim personalize` is the command line for
// it; tests and `make demo` call it in-process.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "idtap/base/bytes.h"
#include "idtap/base/result.h"
#include "idtap/base/secure_bytes.h"
#include "idtap/crypto/cipher.h"
#include "idtap/crypto/hash.h"
#include "idtap/base/date.h"
#include "idtap/lds/date.h"
#include "idtap/lds/image_format.h"
#include "idtap/lds/mrz.h"
#include "idtap/lds/personal_number.h"
#include "idtap/lds/signed_data.h"
#include "idtap/sim/card_image.h"

namespace idtap::sim {

// CardProfile: what kind of document and access control.
//   kResident: a resident card, TD1 MRZ, PACE with the CAN (or the MRZ), no BAC.
//   kPassport: a passport, TD3 MRZ, BAC only (no EF.CardAccess).
//   kBoth:     a passport (TD3) that offers both PACE (CAN or MRZ) and BAC.
enum class CardProfile { kResident, kPassport, kBoth };

// card_profile_name / parse_card_profile: "resident", "passport", "both".
const char* card_profile_name(CardProfile p);
Result<CardProfile> parse_card_profile(std::string_view text);

// FaceFormat: how DG2's face is compressed.
enum class FaceFormat { kJpeg, kJpeg2000 };

// AaKeyType: the Active Authentication key DG15 publishes (kNone: no DG15, no AA).
enum class AaKeyType { kEcdsa, kRsa2048, kNone };

// DsKeyType: the Document Signer's key and signature: ECDSA (P-256), RSA 2048 with PKCS#1 v1.5,
// or RSA 2048 with PSS.
enum class DsKeyType { kEcdsa, kRsa, kRsaPss };

// Holder: the sample resident. Defaults are made up (ICAO-style sample data, Korean resident).
// Latin names go into the MRZ (A-Z, spaces), the others into DG11 as UTF-8.
struct Holder {
  std::string primary_identifier = "HONG";       // MRZ surname
  std::string secondary_identifier = "GILDONG";  // MRZ given names
  // full_name: DG11 5F0E in national characters, primary identifier '<<' secondary identifier
  // (ICAO 9303-10 §4.7.11), so a reader need not guess where the family name ends (남궁<<민수).
  std::string full_name = "홍<<길동";
  lds::PersonalNumber personal_number{"900101-1234567"};  // DG11 5F10 (made up); empty: none
  Date date_of_birth{1990, 1, 1};
  char sex = 'M';
  std::string nationality = "KOR";
  std::string place_of_birth = "서울특별시";
  std::string address = "서울특별시 종로구 세종대로 209";  // '<' separates lines (ICAO 9303-10)
  std::string telephone;                         // empty: not written
};

// kCardValidityYears: how long a personalized card is valid when no expiry date is given.
inline constexpr int kCardValidityYears = 10;

// card_expiry: the date of expiry of a card issued on `issued`: its anniversary
// kCardValidityYears later (base/date.h: Civil Act Art. 160(3), so a card issued on 29 February
// expires on 28 February). `issued` must be a valid date.
Date card_expiry(const Date& issued);

// Document: the document's own data. Dates default to `today` and card_expiry(date of issue).
struct Document {
  std::string issuing_state = "KOR";
  std::string document_number = "KR1234567";
  std::string issuing_authority = "서울특별시 종로구청";
  std::optional<Date> date_of_issue;
  std::optional<Date> date_of_expiry;
};

// PersonalizeOptions: everything personalization decides. The defaults give the resident card
// of CARD_PROFILE.md: PACE-CAN (GM, AES-128, brainpoolP256r1), CA on brainpoolP256r1 with
// AES-128, ECDSA AA, an ECDSA P-256 CSCA and Document Signer, SHA-256 EF.SOD.
struct PersonalizeOptions {
  std::string out_dir;                   // the card image directory (replaced atomically)
  CardProfile profile = CardProfile::kResident;
  Holder holder;
  Document document;
  // mrz: a whole TD1 or TD3 MRZ (lines with or without breaks) used as DG1 and for the MRZ key
  // instead of one composed from holder and document; its check digits must hold.
  std::optional<std::string> mrz;
  SecureBytes can = {'1', '2', '3', '4', '5', '6'};  // 6 digits; used by kResident and kBoth
  FaceFormat face_format = FaceFormat::kJpeg;
  // face_bytes: the face image's size to aim for (0: about 17 KB JPEG, 12 KB JPEG 2000). JPEG 2000
  // is rate-controlled to it; a JPEG gets the lowest quality reaching it (at most quality 100).
  size_t face_bytes = 0;
  // PACE: one offer, advertised in EF.CardAccess and accepted by the chip.
  PaceMapping pace_mapping = PaceMapping::kGeneric;  // kChipAuthentication adds EF.CardSecurity
  // card_security: with PACE-CAM, write the signed EF.CardSecurity holding the chip's key; false
  // makes a CAM card without it, whose key the terminal must take from DG14 (ICAO 9303-11
  // §4.4.3.5.2; only meaningful with kChipAuthentication).
  bool card_security = true;
  crypto::CipherAlg pace_cipher = crypto::CipherAlg::kAes128;
  int pace_parameter_id = 13;            // 13 brainpoolP256r1, 12 NIST P-256
  // Chip Authentication key: standardized domain parameters (ICAO 9303-11 §9.5.1): 8..18 an ECDH
  // curve (id-PK-ECDH), 0..2 an RFC 5114 DH group (id-PK-DH, the key in DG14 as dhpublicnumber).
  // PACE-CAM uses the PACE curve instead: one key serves both.
  int ca_parameter_id = 13;
  // ca_cipher: the CA v1 cipher DG14 names (id-CA-*-3DES-CBC-CBC or -AES-CBC-CMAC-*) and the chip
  // accepts.
  crypto::CipherAlg ca_cipher = crypto::CipherAlg::kAes128;
  AaKeyType aa_key = AaKeyType::kEcdsa;
  crypto::HashAlg aa_hash = crypto::HashAlg::kSha256;
  DsKeyType ds_key = DsKeyType::kEcdsa;
  crypto::HashAlg sod_hash = crypto::HashAlg::kSha256;
  std::vector<int> tamper;               // data groups changed after EF.SOD was signed
  // unsigned_data_groups: data groups (13, 16) written to the card and named in EF.COM but not
  // hashed in EF.SOD (a reader reports them, never trusts them).
  std::vector<int> unsigned_data_groups;
  bool cloned = false;                   // chip keys that do not match DG14 / DG15
  CardQuirks quirks;                     // passed to card.conf (cloned sets cloned_chip)
  std::optional<Date> today;             // the personalization date (default: today, UTC)
};

// TestPki: the throw-away PKI of one card. Keys are PKCS#8 DER.
struct TestPki {
  SecureBytes csca_key;
  Bytes csca_cert;      // DER, self-signed
  SecureBytes ds_key;
  Bytes ds_cert;        // DER, issued by the CSCA
  Bytes crl;            // DER, issued by the CSCA, revoking nothing
  DsKeyType ds_type = DsKeyType::kEcdsa;
};

// PkiOptions: what create_test_pki makes.
struct PkiOptions {
  DsKeyType ds_key = DsKeyType::kEcdsa;
  std::string country = "KR";
  std::optional<Date> today;
};

// create_test_pki: a fresh CSCA (ECDSA P-256, self-signed, 15 years), a Document Signer (10
// years, keyUsage digitalSignature) it issues, and an empty CRL (next update in 90 days), per
// the ICAO 9303-12 certificate profiles. kInternal if OpenSSL fails.
Result<TestPki> create_test_pki(const PkiOptions& options);

// cms_signer: the Document Signer of `pki` as an lds::CmsSigner with `hash`.
lds::CmsSigner cms_signer(const TestPki& pki, crypto::HashAlg hash);

// FaceImageSpec: a synthetic face (no real person): an oval face with eyes, brows, nose, mouth
// and hair on a plain background, with a little texture so it compresses like a photograph.
struct FaceImageSpec {
  int width = 240;
  int height = 320;
  FaceFormat format = FaceFormat::kJpeg;
  int jpeg_quality = 93;          // libjpeg quality 1..100 (93: about 17 KB at 240 x 320)
  size_t jpeg2000_bytes = 12000;  // JPEG 2000 target size (rate control)
  uint32_t seed = 1;              // texture seed: the same seed gives the same image
};

// make_face_image: the encoded image (libjpeg or OpenJPEG JP2). kInvalidArgument for sizes
// outside 16..4096; kInternal if the encoder fails.
Result<Bytes> make_face_image(const FaceImageSpec& spec);

// PersonalizeSummary: what was written, for people and --json. Holds no secret.
struct PersonalizeSummary {
  std::string out_dir;
  CardProfile profile = CardProfile::kResident;
  lds::MrzFormat mrz_format = lds::MrzFormat::kTd1;
  std::vector<std::pair<std::string, size_t>> files;  // "dg2.bin" -> bytes
  lds::ImageFormat face_format = lds::ImageFormat::kJpeg;
  size_t face_bytes = 0;
  std::string pace;                 // "gm-aes128-brainpoolP256r1", empty without PACE
  std::string ca_curve;             // "brainpoolP256r1", "DH dh_2048_256 (RFC 5114)"
  std::string ca_cipher;            // "aes128", "3des" (the card.conf spelling)
  std::string aa;                   // "ecdsa", "rsa2048", "none"
  std::string ds;                   // "ecdsa", "rsa", "rsa-pss"
  std::string sod_hash;             // "SHA-256"
  std::vector<int> tampered;
  std::vector<int> unsigned_data_groups;
  bool cloned = false;
};

// PersonalizedCard: the image and its summary (personalize_card's result).
struct PersonalizedCard {
  CardImage image;
  PersonalizeSummary summary;
};

// personalize_card: builds the card in memory (nothing is written). kInvalidArgument naming the
// option for: an MRZ that does not parse, is TD2, or fails a check digit (the field is named),
// a CAN that is not 6 digits, a holder field that does not fit the MRZ, a tamper target that
// is not a data group of the card, an unsupported PACE curve or cipher, PACE-CAM with 3DES (as
// PACE or CA cipher), an unsigned data group other than 13 and 16, card_security = false without
// PACE-CAM;
// kInternal if key generation or signing fails.
Result<PersonalizedCard> personalize_card(const PersonalizeOptions& options);

// personalize: personalize_card, then write_card_image(options.out_dir) (atomic: a temporary
// sibling directory renamed into place, never half a card). kInvalidArgument as above or when
// out_dir is empty or names an existing directory that is not a card image (no card.conf);
// kIo on file system errors.
Status personalize(const PersonalizeOptions& options, PersonalizeSummary* summary = nullptr);

}  // namespace idtap::sim
