// idtap/auth/pace_chip.h: PACE, the chip side: answers MSE:Set AT and the GENERAL AUTHENTICATE
// chain (ICAO 9303-11 §4.4.4-§4.4.5) from the same mathematics as the terminal (pace_math.h).
// For the simulated card (drivers/sim), the tests and the benchmark. It knows nothing of files,
// retry counters or secure messaging: the card around it decides those.
#pragma once

#include <optional>
#include <vector>

#include "idtap/apdu/command.h"
#include "idtap/apdu/response.h"
#include "idtap/auth/pace_math.h"
#include "idtap/auth/password.h"
#include "idtap/base/bytes.h"
#include "idtap/base/secure_bytes.h"
#include "idtap/lds/security_infos.h"
#include "idtap/sm/cipher_suite.h"

namespace idtap::auth {

// PaceChipPassword: a password the chip knows, as its PACE key seed f(pi)
// (Password::pace_key_seed: SHA-1 of the MRZ information, or the CAN/PIN/PUK characters).
struct PaceChipPassword {
  PasswordKind kind = PasswordKind::kCan;
  SecureBytes key_seed;
};

// PaceChipRandomness: fixed values for the chip's random choices (replaying worked examples);
// empty in normal use.
struct PaceChipRandomness {
  std::optional<Bytes> nonce_s;
  std::optional<SecureBytes> mapping_private_key;        // SK_Map,IC
  std::optional<SecureBytes> key_agreement_private_key;  // SK_DH,IC
};

// PaceChipConfig: what the chip offers.
struct PaceChipConfig {
  std::vector<lds::PaceInfo> pace_infos;   // as listed in EF.CardAccess
  std::vector<PaceChipPassword> passwords;
  // cam_private_key: SK_IC, the static Chip Authentication key on the PACE curve (required for
  // a PACE-CAM PACEInfo; its public key goes in EF.CardSecurity).
  std::optional<SecureBytes> cam_private_key;
  // car: Certification Authority References returned as 87 (and 88) with the token.
  std::optional<Bytes> car;
  std::optional<Bytes> previous_car;
  PaceChipRandomness randomness;
};

// PaceChipOutcome: the state after the last command.
enum class PaceChipOutcome {
  kIdle,           // nothing selected
  kInProgress,     // MSE:Set AT done, chain running
  kEstablished,    // the terminal's token verified: session keys available
  kAuthFailed,     // the terminal's token did not verify (wrong password): 6300 was sent
  kAborted,        // a protocol error ended the run (6A80, 6883, 6985, ...)
};

// PaceChip: one PACE responder. process() takes the plain commands; every run starts with
// MSE:Set AT. Not thread-safe. Session keys are zeroised with the object.
class PaceChip {
 public:
  explicit PaceChip(PaceChipConfig config);

  // PaceChip::handles: true for MSE:Set AT for mutual authentication (INS 22, P1P2 C1A4) and
  // GENERAL AUTHENTICATE (INS 86, P1P2 0000), with or without command chaining.
  static bool handles(const apdu::CommandApdu& command);

  // PaceChip::process: the chip's response to `command` (one of those handles() accepts).
  // Status words: 9000; 6A80 bad data or an invalid public key, unknown protocol; 6A88 unknown
  // password or domain parameters; 6985 GENERAL AUTHENTICATE without MSE:Set AT or after the
  // run ended; 6883 wrong command chaining (steps 1-3 chained, step 4 not); 6300 the
  // terminal's token did not verify; 6D00 for a command PACE does not handle.
  apdu::ResponseApdu process(const apdu::CommandApdu& command);

  // PaceChip::outcome: where the run stands.
  PaceChipOutcome outcome() const { return outcome_; }
  // PaceChip::password: the password the current / last run used.
  std::optional<PasswordKind> password() const { return password_; }
  // PaceChip::algorithm: the protocol selected by the last MSE:Set AT.
  const std::optional<PaceAlgorithm>& algorithm() const { return algorithm_; }
  // PaceChip::take_session_keys: the session keys once established (SSC 0), moved out; nullopt
  // before, or when already taken.
  std::optional<sm::SessionKeys> take_session_keys();
  // PaceChip::terminal_ephemeral_public_key: PK_DH,IFD of the established session (for Chip
  // Authentication and Terminal Authentication, which refer to it).
  const Bytes& terminal_ephemeral_public_key() const { return pk_ifd_; }

 private:
  apdu::ResponseApdu mse_set_at(const apdu::CommandApdu& command);
  apdu::ResponseApdu general_authenticate(const apdu::CommandApdu& command);
  apdu::ResponseApdu abort(uint16_t sw);
  Result<Bytes> step1();
  Result<Bytes> step2(ByteView mapping_data);
  Result<Bytes> step3(ByteView terminal_key);
  Result<Bytes> step4(ByteView terminal_token, uint16_t* sw);

  PaceChipConfig config_;
  std::vector<PaceDomain> domains_;  // static domain parameters built so far (one per ID)
  PaceChipOutcome outcome_ = PaceChipOutcome::kIdle;
  int step_ = 0;
  std::optional<PaceAlgorithm> algorithm_;
  std::optional<PaceDomain> domain_;
  std::optional<PaceDomain> eph_domain_;
  std::optional<PasswordKind> password_;
  SecureBytes k_pi_;
  SecureBytes s_;
  std::optional<PaceKeyPair> map_key_;
  std::optional<PaceKeyPair> eph_key_;
  Bytes pk_ifd_;
  std::optional<sm::SessionKeys> keys_;
};

}  // namespace idtap::auth
