// idtap/reader/session.h: one read session of an ICAO 9303 eMRTD (a resident card, an ID card, a
// passport): access control, chip authentication, reading the files fast, Passive and Active
// Authentication, and one verdict. This is the C++ API a kiosk calls.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "idtap/apdu/transport.h"
#include "idtap/auth/mrz_key.h"
#include "idtap/auth/passive_auth.h"
#include "idtap/auth/password.h"
#include "idtap/auth/trust_store.h"
#include "idtap/base/bytes.h"
#include "idtap/base/result.h"
#include "idtap/lds/dg1.h"
#include "idtap/lds/dg11.h"
#include "idtap/lds/dg12.h"
#include "idtap/lds/dg15.h"
#include "idtap/lds/dg2.h"
#include "idtap/lds/security_infos.h"
#include "idtap/reader/file_reader.h"

namespace idtap::reader {

// AccessMethod: which access control to run. kAuto: PACE when EF.CardAccess offers a PACEInfo
// this library supports, BAC otherwise (ICAO 9303-11 §4.2).
enum class AccessMethod { kAuto, kPace, kBac };

// CardEvent: what happened to the card during a read, for a caller that shows it (a clerk's
// screen, the command line): kLeft: the card left the field (or was reset by another program)
// and the read waits up to reconnect_timeout for it; kReturned: it is back and the read goes on
// (access control and the chip checks are run again first).
enum class CardEvent { kLeft, kReturned };
// CardEventFn: called on the reading thread; must not throw.
using CardEventFn = std::function<void(CardEvent)>;

// ReadRequest: what to read and how. Give the CAN (PACE only) or the MRZ key (PACE-MRZ or BAC).
struct ReadRequest {
  std::optional<auth::Password> can;
  std::optional<auth::MrzKey> mrz;
  AccessMethod access = AccessMethod::kAuto;
  // data_groups: the data groups to read; empty reads every one EF.SOD lists except DG3 and DG4
  // (fingerprints and iris need Terminal Authentication).
  std::vector<int> data_groups;
  bool chip_authentication = true;    // CA v1 with DG14 (or complete PACE-CAM)
  bool active_authentication = true;  // AA with DG15
  std::optional<Bytes> aa_challenge;  // 8 bytes chosen by the caller (a server); random if absent
  const auth::TrustStore* trust = nullptr;  // CSCAs and CRLs; null: passive reports no trust anchor
  std::chrono::milliseconds reconnect_timeout{20000};  // per card removal
  size_t max_recoveries = 8;          // card removals survived in one read
  ProgressFn progress;                // per chunk of every file
  CardEventFn on_card_event;          // the card left / came back mid-read (optional)
  const std::atomic<bool>* cancel = nullptr;
};

// CheckState: the outcome of one chip check.
enum class CheckState { kPassed, kFailed, kNotSupported, kNotPerformed };
// check_state_name: "passed", "failed", "not_supported", "not_performed".
const char* check_state_name(CheckState state);

// CheckResult: a chip check's state, the method that ran ("CA id-CA-ECDH-AES-CBC-CMAC-128",
// "PACE-CAM", "AA ECDSA brainpoolP256r1 SHA-256") and why when it did not pass.
struct CheckResult {
  CheckState state = CheckState::kNotPerformed;
  std::string method;
  std::string detail;
};

// FileRecord: one file as read (raw bytes, never altered), its SHA-256, and how it fared against
// EF.SOD. Only a file whose hash matched is decoded.
struct FileRecord {
  std::string name;                  // "DG2", "EF.COM"
  Bytes raw;
  Bytes sha256;                      // of raw, for reports
  std::optional<bool> hash_ok;       // nullopt: EF.SOD gives no hash for it (or is unreadable)
  std::string decode_error;          // set when it matched but did not parse
};

// Verification: the verdicts. `genuine` is true only when passive authentication is valid and
// the chip proved the key that the signed DG14 (CA / PACE-CAM) or DG15 (AA) names.
struct Verification {
  std::string access;                              // "PACE-CAN id-PACE-ECDH-GM-AES-CBC-CMAC-128 brainpoolP256r1"
  // access_warning: set when the card was opened with BAC although its signed DG14 offers PACE
  // (EF.CardAccess missing or altered on the way: a downgrade?); empty otherwise.
  std::string access_warning;
  auth::PassiveStatus passive = auth::PassiveStatus::kInvalid;
  std::string passive_reason;
  std::optional<auth::ChainVerdict> chain;
  // passive_leniencies: the named leniencies EF.SOD needed (auth::leniency_names: "ber",
  // "id_data_content_type", "explicit_ec_params", "signer_issuer_rdn_order"); empty when none.
  std::vector<std::string> passive_leniencies;
  CheckResult chip;                                // CA or PACE-CAM
  CheckResult active;                              // AA
  Bytes active_challenge;                          // AA passed: the challenge the chip signed
  Bytes active_signature;                          // and its signature, for a server to check
  std::vector<int> unsigned_data_groups;           // in EF.COM but not in EF.SOD: reported, not trusted
  // withheld_data_groups: listed (hashed) in EF.SOD, asked for, but not delivered by the chip
  // (it refused the file): the signed data is incomplete, so `genuine` is false (see
  // note_withheld_data_groups).
  std::vector<int> withheld_data_groups;
  bool genuine = false;
  std::string genuine_reason;
};

// ReadStats: counts on the wire (below secure messaging) and time.
struct ReadStats {
  size_t apdus = 0;
  size_t apdus_after_access = 0;  // after access control completed (the fast-read budget)
  size_t bytes_sent = 0;
  size_t bytes_received = 0;
  uint64_t ms = 0;
  size_t recoveries = 0;          // card removals survived
  size_t chunk_size = 0;          // the largest plaintext READ BINARY the session settled on
};

// ReadResult: everything one read produced.
struct ReadResult {
  std::optional<Bytes> card_access;            // EF.CardAccess, when the card has one
  std::optional<lds::SecurityInfos> card_access_infos;
  std::optional<FileRecord> ef_com;
  std::optional<FileRecord> ef_sod;
  std::optional<FileRecord> card_security;     // EF.CardSecurity, read after PACE-CAM
  std::map<int, FileRecord> data_groups;       // by number
  std::optional<lds::Dg1> dg1;                 // decoded only when the hash matched
  std::optional<lds::Dg2> dg2;
  std::optional<lds::Dg11Parsed> dg11;
  std::optional<lds::Dg12Parsed> dg12;
  std::optional<lds::SecurityInfos> dg14;
  std::optional<lds::Dg15> dg15;
  Verification verification;
  ReadStats stats;
};

// note_withheld_data_groups: the completeness finding of a read, made once the session is over:
// every data group in `signed_hashes` (EF.SOD's) that `result` asked the chip for and got no
// bytes of (its FileRecord says "not readable") goes into withheld_data_groups; if there is
// one, a read that was otherwise genuine is not ("EF.SOD lists DG2 but the chip did not deliver
// it ..."): a chip that hides a signed data group (a portrait, say) must not pass as a complete,
// genuine document. Data groups never asked for (DG3 / DG4, or outside ReadRequest::data_groups)
// are no finding.
void note_withheld_data_groups(ReadResult& result, const std::map<int, Bytes>& signed_hashes);

// read_card: one whole session over `card` (a bare transport: PC/SC, libnfc or the simulated
// card). Errors end the read: kInvalidArgument (no usable key for what the card offers),
// kAuthFailed / kPasswordBlocked / kPasswordSuspended (wrong CAN or MRZ: never retried),
// kNotSupported (the card offers nothing this library runs), kCardRemoved (gone for longer
// than reconnect_timeout, or more than max_recoveries times), kCancelled, transport errors, and
// kCardStatus for a mandatory file (EF.SOD) the card refuses. Everything after access control
// that concerns genuineness (a bad signature, a tampered data group, a cloned chip) is NOT an
// error: it is reported in the Verification. A connection lost during Chip or Active
// Authentication (card gone for good, reader gone, cancelled) ends the read with that error: it
// is not a failed check.
Result<ReadResult> read_card(apdu::Transport& card, const ReadRequest& request);

}  // namespace idtap::reader
