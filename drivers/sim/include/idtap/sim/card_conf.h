// idtap/sim/card_conf.h: the simulated card's card.conf, as text: its grammar (`key = value`
// lines, `#` comments, every key known, each value checked) and the config it describes. Pure:
// parse and format only; the directory that holds the file is idtap/sim/card_image.h's.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "idtap/base/bytes.h"
#include "idtap/base/result.h"
#include "idtap/base/secure_bytes.h"
#include "idtap/crypto/cipher.h"
#include "idtap/crypto/hash.h"

namespace idtap::sim {

// kCardImageFormat: the `format` value this build reads and writes in card.conf.
inline constexpr int kCardImageFormat = 1;

// PaceMapping: the PACE mappings the card may offer (ICAO 9303-11 §4.4.3.3: GM, IM; §4.4.3.5
// chip authentication mapping CAM).
enum class PaceMapping { kGeneric, kIntegrated, kChipAuthentication };

// PaceOffer: one PACE variant the card accepts: ECDH with `mapping`, cipher `cipher` (AES-128,
// -192, -256 or 3DES), on standardized domain parameters `parameter_id` (ICAO 9303-11 §9.5.1:
// 12 = NIST P-256, 13 = brainpoolP256r1, 8..18 the other curves).
// In card.conf: "gm-aes128-brainpoolP256r1" (mapping-cipher-curve; the curve may also be
// written as its parameter ID, "gm-aes128-13").
struct PaceOffer {
  PaceMapping mapping = PaceMapping::kGeneric;
  crypto::CipherAlg cipher = crypto::CipherAlg::kAes128;
  int parameter_id = 13;

  bool operator==(const PaceOffer&) const = default;
};

// pace_offer_name: "gm-aes128-brainpoolP256r1" for `offer` (the card.conf spelling).
std::string pace_offer_name(const PaceOffer& offer);
// parse_pace_offer: the offer named by `text`; kInvalidArgument naming the bad word.
Result<PaceOffer> parse_pace_offer(std::string_view text);
// curve_name_for_parameter_id: "brainpoolP256r1", "secp256r1", ... for the ECDH standardized
// domain parameter IDs 8..18; nullopt for any other ID.
std::optional<std::string> curve_name_for_parameter_id(int parameter_id);

// MrzKeyFields: the three MRZ fields BAC and PACE-MRZ derive their key from (ICAO 9303-11
// §4.3.2.1): document number (as printed, '<' fillers allowed), date of birth and date of expiry
// (YYMMDD). The card computes the check digits itself. Secrets: kept in SecureBytes.
struct MrzKeyFields {
  SecureBytes document_number;
  SecureBytes date_of_birth;
  SecureBytes date_of_expiry;

  bool empty() const { return document_number.empty(); }
};

// CardQuirks: options that make the card behave like awkward real ones. Defaults are a
// well-behaved card.
struct CardQuirks {
  bool extended_length = true;     // accepts extended-length APDUs (false: 6700 for them)
  size_t max_response = 0;         // largest response data field it sends (0: the APDU limit,
                                   // 65536 extended / 256 short); e.g. 223, 160, 112
  bool mse_rejects_le = false;     // answers MSE with an Le field with 6700
  size_t leave_after = 0;          // leaves the field after this many APDUs (0: never)
  bool cloned_chip = false;        // a clone: the chip keys are fresh, not DG14's / DG15's
  // no_sfi: READ BINARY by short file identifier (P1 = 80|SFI, or odd INS with 100 SFI) is not
  // implemented, as on many issued passports: answered 6A82 in plain, which under secure
  // messaging ends the session (as a card that treats the command as an error). Files are still
  // read after SELECT by FID.
  bool no_sfi = false;

  bool operator==(const CardQuirks&) const = default;
};

// CardConfig: everything card.conf holds.
struct CardConfig {
  Bytes atr = {0x3B, 0x80, 0x80, 0x01, 0x01};  // the ATR (PC/SC part 3 synthesized for an
                                               // ISO 14443-4 card without historical bytes)
  Bytes uid = {0x08, 0x5A, 0x1D, 0x3C};        // the ISO 14443 UID (4, 7 or 10 bytes; 08.. is
                                               // the random-UID prefix eMRTDs use)
  bool bac = true;                  // accepts BAC (GET CHALLENGE + EXTERNAL AUTHENTICATE)
  bool pace = true;                 // accepts PACE (MSE:Set AT + GENERAL AUTHENTICATE)
  SecureBytes can;                  // the card access number (6 digits), empty if none
  MrzKeyFields mrz;                 // the MRZ key fields, empty if none
  std::vector<PaceOffer> pace_offers;  // what the card accepts in MSE:Set AT (may differ from
                                       // what EF.CardAccess advertises: that is a quirk too)
  int pace_retries = 3;             // PACE password retry counter at power-up (63Cx), 1..15
  std::vector<crypto::CipherAlg> ca_ciphers;  // CA v1 ciphers accepted (kTdes via MSE:Set KAT,
                                              // AES via MSE:Set AT); empty: none
  crypto::HashAlg aa_hash = crypto::HashAlg::kSha256;  // AA digest (ECDSA, RSA 9796-2 trailer)
  CardQuirks quirks;
};

// format_card_conf: the card.conf text for `config` (what write_card_image writes). It holds
// the CAN and MRZ fields, hence SecureBytes.
SecureBytes format_card_conf(const CardConfig& config);
// parse_card_conf: the config in `text`. kMalformed, naming `origin` (the file name) and the
// line, for a line that is not `key = value`, an unknown key, a key given twice, a bad value,
// a missing or unsupported `format`, or MRZ fields given in part.
Result<CardConfig> parse_card_conf(std::string_view text, std::string_view origin = "card.conf");


}  // namespace idtap::sim
