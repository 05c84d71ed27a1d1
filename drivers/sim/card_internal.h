// drivers/sim/card_internal.h: the simulated card's state, shared by the files that implement
// its commands (card.cpp dispatches; card_files.cpp, card_bac.cpp, card_pace.cpp,
// card_chip_auth.cpp, card_active_auth.cpp answer). Not installed.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

#include "idtap/apdu/command.h"
#include "idtap/apdu/response.h"
#include "idtap/apdu/status_words.h"
#include "idtap/base/bytes.h"
#include "idtap/base/secure_bytes.h"
#include "idtap/sim/card.h"
#include "idtap/sim/card_image.h"
#include "idtap/sm/card_sm.h"
#include "chip_keys.h"

namespace idtap::sim::internal {

// FileAccess: what reading a file requires (ICAO 9303-10 §3.10, 9303-11 §9.2).
enum class FileAccess {
  kFree,     // EF.CardAccess: readable in plain before access control
  kSm,       // EF.COM, EF.SOD, DG1, DG2, DG5..DG16: any secure messaging (BAC or PACE)
  kPace,     // EF.CardSecurity: after PACE only (TR-03110-3 §A.1.2)
  kEac,      // DG3, DG4: Terminal Authentication, which this card does not offer: always 6982
};

// CardFile: one EF of the card's file system.
struct CardFile {
  uint16_t fid = 0;
  uint8_t sfi = 0;
  bool in_application = false;  // under the eMRTD application (else in the MF)
  FileAccess access = FileAccess::kFree;
  const Bytes* content = nullptr;  // into the card's image
};

// PendingProtocol: what the last MSE set up, waiting for GENERAL AUTHENTICATE (or, for CA with
// 3DES, what MSE:Set KAT already did).
struct PaceResponder;  // card_pace.cpp
struct ChipAuthPending;  // card_chip_auth.cpp

// Context: one command being processed: the plain command, whether it came protected.
struct Context {
  const apdu::CommandApdu& command;
  bool protected_by_sm = false;
};

// Response: what a handler answers; `rekey` is applied after the response is wrapped (CA and
// PACE-CAM switch keys after answering with the old ones).
struct Answer {
  Bytes data;
  uint16_t sw = apdu::sw::kOk;
  std::unique_ptr<sm::CardSecureMessaging> next_sm;  // replaces the session after this answer
  std::optional<SecurityState> next_state;
};

inline Answer sw_only(uint16_t sw) {
  Answer a;
  a.sw = sw;
  return a;
}

// CardState: the chip's memory: the image (persistent) and the session (lost at reset).
struct CardState {
  CardImage image;
  std::vector<CardFile> files;
  uint64_t apdus = 0;

  std::optional<ChipKey> ca_key;  // chip/ca_key.pem (or a fresh one on a cloned chip)
  std::optional<ChipKey> aa_key;  // chip/aa_key.pem (likewise)

  // Persistent (EEPROM): retry counters per PACE password (index 1 = MRZ, 2 = CAN).
  int retries[3] = {0, 0, 0};

  // Session (RAM).
  bool powered = false;
  bool application_selected = false;          // current DF: eMRTD application, else MF
  std::optional<size_t> current_ef;           // index into files
  std::optional<Bytes> rnd_icc;               // BAC: the last GET CHALLENGE
  SecurityState security = SecurityState::kNone;
  bool pace_established = false;              // EF.CardSecurity access
  std::unique_ptr<sm::CardSecureMessaging> sm;
  std::shared_ptr<PaceResponder> pace;        // the chip's PACE responder (kept: caches domains)
  bool pace_in_progress = false;              // between MSE:Set AT and the last GA
  std::shared_ptr<ChipAuthPending> chip_auth;  // between MSE and GA (AES)

  RandomSource random;                        // empty: crypto::random_bytes

  // random_bytes: `n` bytes from `random` (or the default RNG).
  Result<Bytes> random_bytes(size_t n) const;
  // random_secure_bytes: the same, as SecureBytes (keys, nonces, private scalars).
  Result<SecureBytes> random_secure_bytes(size_t n) const;

  void reset_session();
  // end_secure_messaging: ICAO 9303-11 §9.8.? : SM aborted: keys gone, access rights reset.
  void end_secure_messaging();
};

// Handlers: each answers one instruction for the session in `card`.
Answer handle_select(CardState& card, const Context& ctx);
Answer handle_read_binary(CardState& card, const Context& ctx);
Answer handle_get_challenge(CardState& card, const Context& ctx);
Answer handle_external_authenticate(CardState& card, const Context& ctx);
Answer handle_mse(CardState& card, const Context& ctx);
Answer handle_general_authenticate(CardState& card, const Context& ctx);
Answer handle_internal_authenticate(CardState& card, const Context& ctx);

// load_chip_keys: parses the chip keys of `card.image` (and replaces them for a cloned chip).
// kMalformed for a key that does not parse.
Status load_chip_keys(CardState& card);

// The protocol steps MSE and GENERAL AUTHENTICATE dispatch to (card_pace.cpp,
// card_chip_auth.cpp).
Answer mse_set_at_pace(CardState& card, const Context& ctx);
Answer general_authenticate_pace(CardState& card, const Context& ctx);
Answer mse_set_at_chip_authentication(CardState& card, const Context& ctx);
Answer mse_set_kat(CardState& card, const Context& ctx);
Answer general_authenticate_chip_authentication(CardState& card, const Context& ctx);

// build_file_table: the card's EFs from its image (absent files are left out).
std::vector<CardFile> build_file_table(const CardFiles& files);

}  // namespace idtap::sim::internal
