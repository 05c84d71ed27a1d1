// idtap/auth/pace.h: PACE, the terminal side (ICAO 9303-11 §4.4, BSI TR-03110-2): choosing a
// PACEInfo from EF.CardAccess, running MSE:Set AT and the GENERAL AUTHENTICATE chain over a
// Transport, and handing back a SecureChannel. The mathematics are in pace_math.h (shared with
// the chip side, pace_chip.h).
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "idtap/apdu/transport.h"
#include "idtap/auth/pace_math.h"
#include "idtap/auth/password.h"
#include "idtap/base/result.h"
#include "idtap/base/secure_bytes.h"
#include "idtap/crypto/ec.h"
#include "idtap/lds/security_infos.h"
#include "idtap/sm/secure_channel.h"

namespace idtap::auth {

// ParameterIdPolicy: when MSE:Set AT carries the domain parameter ID (tag 84). ICAO 9303-11
// §4.4.4.1 requires it "if the domain parameters are ambiguous, i.e. more than one set of
// domain parameters is available for PACE"; kWhenSeveral sends it whenever EF.CardAccess lists
// more than one PACEInfo (the ICAO worked examples, with one PACEInfo, omit it).
enum class ParameterIdPolicy { kWhenSeveral, kAlways, kNever };

// PaceChoiceOptions: constraints on choose_pace.
struct PaceChoiceOptions {
  // protocol: use exactly this id-PACE-* OID (it must be offered and supported).
  std::optional<lds::Oid> protocol;
  // parameter_id: with `protocol`, also this domain parameter ID.
  std::optional<int> parameter_id;
  bool allow_integrated_mapping = true;
  bool allow_3des = true;
  ParameterIdPolicy parameter_id_policy = ParameterIdPolicy::kWhenSeveral;
};

// PaceSelection: the PACEInfo to run, what it means, whether MSE:Set AT names its parameter ID,
// and its static domain parameters (built once by choose_pace, reused by every run_pace; when
// absent run_pace builds them).
struct PaceSelection {
  lds::PaceInfo info;
  PaceAlgorithm algorithm;
  bool send_parameter_id = false;
  std::optional<PaceDomain> domain;
};

// choose_pace: picks a PACEInfo from the card's list. Unsupported entries (unknown OIDs,
// explicit or reserved domain parameters, the Integrated Mapping on NIST P-224) are skipped.
// Preference, first difference wins: (1) mapping: Chip Authentication Mapping (proves the chip
// in the same run), then Generic, then Integrated; (2) ECDH before DH; (3) cipher: AES-256,
// AES-192, AES-128, 3DES; (4) the larger domain; (5) the card's own order. With
// options.protocol the choice is forced. kNotSupported naming what was offered when nothing
// usable remains (kInvalidArgument for an empty list).
Result<PaceSelection> choose_pace(const std::vector<lds::PaceInfo>& offered, const PaceChoiceOptions& options = {});

// AccessControl: how to open the chip.
enum class AccessControl { kPace, kBac };
// AccessChoice: the method, the PACE selection when PACE, and why (for logs and the CLI).
struct AccessChoice {
  AccessControl method = AccessControl::kBac;
  std::optional<PaceSelection> pace;
  std::string reason;
};
// choose_access: PACE when EF.CardAccess (parsed by the read layer; nullopt when the card has
// none) offers a PACEInfo this library supports, BAC otherwise (ICAO 9303-11 §4.2: PACE first
// where available). Never fails: the reason says why BAC was chosen.
AccessChoice choose_access(const std::optional<lds::SecurityInfos>& card_access, const PaceChoiceOptions& options = {});

// PaceTerminalRandomness: fixed values for the terminal's random choices, for replaying
// published worked examples only. Leave empty in production: fresh random values are drawn.
struct PaceTerminalRandomness {
  std::optional<SecureBytes> mapping_private_key;        // SK_Map,IFD (GM / CAM)
  std::optional<Bytes> nonce_t;                          // t (IM)
  std::optional<SecureBytes> key_agreement_private_key;  // SK_DH,IFD
};

// PaceOptions: how run_pace talks to the card.
struct PaceOptions {
  PaceTerminalRandomness randomness;
};

// PaceResult: an established PACE session.
struct PaceResult {
  // channel: secure messaging with the new session keys; it borrows the transport run_pace ran
  // on, which must outlive it.
  std::unique_ptr<sm::SecureChannel> channel;
  PaceAlgorithm algorithm;               // includes the session cipher
  lds::PaceInfo pace_info;               // the PACEInfo that ran
  std::string domain;                    // "brainpoolP256r1"
  PasswordKind password = PasswordKind::kMrz;
  // retries_left: the retry counter the chip reported with a 63Cx warning to MSE:Set AT
  // (a PIN with tries left), nullopt when it reported none.
  std::optional<int> retries_left;
  Bytes chip_mapping_public_key;         // PK_Map,IC (Generic / Chip Authentication Mapping)
  Bytes chip_ephemeral_public_key;       // PK_DH,IC
  // chip_authentication_data: CA_IC, decrypted (PACE-CAM only). The chip is authenticated only
  // once verify_pace_cam succeeds with its static key from EF.CardSecurity (and that file has
  // passed Passive Authentication).
  std::optional<SecureBytes> chip_authentication_data;
  std::optional<Bytes> car;              // 87: Certification Authority Reference, if sent
  std::optional<Bytes> previous_car;     // 88
};

// run_pace: one PACE attempt with `password` over `transport` (plain: no secure messaging
// running). Sends MSE:Set AT (P1P2 C1A4: 80 OID, 83 password reference, 84 parameter ID per
// the selection; no Le) and the GENERAL AUTHENTICATE chain (CLA 10 on all but the last),
// verifies the chip's token in constant time and returns the session. Never retries.
// Errors:
//   kAuthFailed        wrong password (63Cx: the tries left are in the message; 6300), or the
//                      chip's token does not verify, or the chip reflected our public key
//   kPasswordSuspended 63C1 for a PIN: run PACE with the CAN first, then the PIN again
//   kPasswordBlocked   63C0, 6983, 6984 (the password's retry counter is exhausted / unusable)
//   kMalformed         a response that does not parse, a missing tag, a nonce of the wrong
//                      size, an invalid point or DH value (not on the curve, infinity,
//                      outside the subgroup)
//   kNotSupported      a selection this library cannot run (or DH-2048 without extended length)
//   kCardStatus        any other error status word (sw set); transport errors pass through.
Result<PaceResult> run_pace(apdu::Transport& transport, const Password& password, const PaceSelection& selection,
                            const PaceOptions& options = {});

// verify_pace_cam: completes PACE-CAM (ICAO 9303-11 §4.4.3.5.2) with the chip's static public
// key `pk_ic` (ChipAuthenticationPublicKeyInfo of EF.CardSecurity): PK_Map,IC = CA_IC * PK_IC.
// kInvalidArgument if `result` is not a CAM session; kVerificationFailed if the check fails.
Status verify_pace_cam(const PaceResult& result, const crypto::EcPoint& pk_ic);

}  // namespace idtap::auth
