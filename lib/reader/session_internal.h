// lib/reader/session_internal.h: the read session's state machine, shared by the files that
// hold its parts (private to lib/reader):
//   session.cpp        the read itself: which files, in what order, decoded when their hash
//                      matched (run, read, decode) and the public read_card
//   session_open.cpp   card sessions: EF.CardAccess, access control (PACE or BAC), and opening a
//                      session again after a removal, a reset or a link error
//   session_chip.cpp   the chip's proofs (CA, PACE-CAM, AA), proved again on every new card
//                      session, and the verdict
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "idtap/auth/pace.h"
#include "idtap/auth/passive_auth.h"
#include "idtap/crypto/hash.h"
#include "idtap/reader/counting_transport.h"
#include "idtap/reader/file_reader.h"
#include "idtap/reader/session.h"
#include "idtap/sm/secure_channel.h"

namespace idtap::reader::internal {

inline const FileRef kCardAccessRef{0x011C, 0x1C, "EF.CardAccess"};
inline const FileRef kComRef{0x011E, 0x1E, "EF.COM"};
inline const FileRef kSodRef{0x011D, 0x1D, "EF.SOD"};
inline const FileRef kCardSecurityRef{0x011D, 0x1D, "EF.CardSecurity"};  // same FID and SFI, in the MF

inline FileRef dg_ref(int n) { return FileRef{static_cast<uint16_t>(0x0100 + n), static_cast<uint8_t>(n), "DG" + std::to_string(n)}; }

inline bool channel_broken(const Error& e) { return e.code == ErrorCode::kSecureMessaging || e.code == ErrorCode::kState; }

// connection_lost: the card left for good, the reader went away, or the user cancelled: the
// read cannot go on and nothing was learnt about the chip, so a chip check that ends so is not a
// failed check (that would say "clone") but the read's error.
inline bool connection_lost(const Error& e) {
  return e.code == ErrorCode::kCardRemoved || e.code == ErrorCode::kDeviceGone || e.code == ErrorCode::kNoReader ||
         e.code == ErrorCode::kServiceUnavailable || e.code == ErrorCode::kCancelled;
}

// interrupted: the card session ended under the read (the card left the field, or another
// program reset it): bring the card back (recover) and go on.
inline bool interrupted(const Error& e) { return e.code == ErrorCode::kCardRemoved || e.code == ErrorCode::kCardReset; }

// link_error: an exchange failed without an answer from the card (a timeout, a reader link
// error): nothing was learnt about the chip, and the secure channel is gone.
inline bool link_error(const Error& e) { return e.code == ErrorCode::kTimeout || e.code == ErrorCode::kTransport; }

inline FileRecord make_record(const std::string& name, Bytes raw) {
  FileRecord r;
  r.name = name;
  r.sha256 = crypto::digest(crypto::HashAlg::kSha256, raw).value_or(Bytes{});
  r.raw = std::move(raw);
  return r;
}

// Session: one read_card call.
class Session {
 public:
  Session(apdu::Transport& card, const ReadRequest& request)
      : card_(card), counted_(card), request_(request), start_(std::chrono::steady_clock::now()) {}

  Result<ReadResult> run();

 private:
  Status open();
  Status open_once();
  Result<apdu::Transport*> recover();
  Result<apdu::Transport*> fresh_session();
  Status prove_chip_again();
  void chip_failed(std::string detail);
  void confirm_chip();
  Error lose(Error e);
  // fatal: the read cannot go on after `e`, and `e` says nothing about the chip: the connection
  // is gone, the card session was interrupted or the link failed (after with_recovery's retry),
  // or a card session could not be opened again (then not even a status word is evidence).
  bool fatal(const Error& e) const { return lost_.has_value() || connection_lost(e) || interrupted(e) || link_error(e); }
  Result<apdu::Transport*> reset_session();
  Error not_returned(const Error& reconnect_error) const;
  Result<Bytes> read(const FileRef& ref);
  Result<bool> select_mf();
  Result<Bytes> read_card_access_file();
  Status read_card_access();
  Status chip_authentication();  // fails only when the connection is lost (connection_lost)
  void complete_cam();
  Status active_authentication();  // likewise
  void decode(int number, FileRecord& record);
  void finish_verdict();

  // with_recovery: `step` (a chip check) again on a recovered card session when the card left or
  // was reset, and once more on a fresh session after a link error (a timeout): such failures
  // say nothing about the chip and must not read as a failed check.
  template <class Step>
  auto with_recovery(Step step) -> decltype(step()) {
    bool link_retried = false;
    for (;;) {
      auto r = step();
      if (r.ok() || lost_) return r;
      if (interrupted(r.error())) {
        auto back = recover();
        if (!back.ok()) return back.error();
      } else if (link_error(r.error()) && !link_retried) {
        link_retried = true;
        auto back = reset_session();
        if (!back.ok()) return back.error();
      } else {
        return r;
      }
    }
  }

  apdu::Transport& card_;
  CountingTransport counted_;
  const ReadRequest& request_;
  std::chrono::steady_clock::time_point start_;
  std::optional<auth::PaceResult> pace_;
  std::unique_ptr<sm::SecureChannel> bac_channel_;
  sm::SecureChannel* channel_ = nullptr;
  std::unique_ptr<FileReader> reader_;
  bool card_access_done_ = false;
  // sfi_ok_: false once the card refused a READ BINARY by SFI (and the FID form read the file
  // instead): every later file of this read is selected by FID (ICAO 9303-10 §3.5.2).
  bool sfi_ok_ = true;
  // card_access_doubt_: why "no EF.CardAccess" is not certain (the card refused SELECT MF and
  // could not be reset, so the 6A82 may mean "not in the current DF"); empty when it is.
  std::string card_access_doubt_;
  // card_access_error_: why EF.CardAccess, present, did not parse (empty when it did or is absent).
  std::string card_access_error_;
  // What the chip proved in this read, proved again in every later card session (after the card
  // left the field, or a reset to step the read size down): the card that comes back may be
  // another one, and data read under keys the chip did not prove is not the chip's.
  enum class ChipProof { kNone, kCa, kCam };
  ChipProof chip_proof_ = ChipProof::kNone;
  std::optional<Bytes> cam_key_spki_;  // the static key PACE-CAM was completed with
  uint64_t generation_ = 0;  // card sessions opened (access control run) so far
  // ca_pending_: the card session (generation_) in which CA ran and no protected response has
  // verified under its keys yet; only a response of that session confirms it. Until one does,
  // the chip has proved nothing (ICAO 9303-11 §6.2: a chip without the DG14 private key cannot
  // derive the session keys).
  std::optional<uint64_t> ca_pending_;
  // lost_: a card session could not be opened again (reset or removal, then access control or
  // the chip proof failed): the read ends with this error; no later status word counts.
  std::optional<Error> lost_;
  size_t restarts_ = 0;  // fresh card sessions to step the read size down (not removals)
  // PACE-CAM proved a key from EF.CardSecurity (not DG14): genuine needs that file's own
  // Passive Authentication to have passed.
  bool cam_key_from_card_security_ = false;
  bool card_security_valid_ = false;
  size_t recoveries_ = 0;
  std::optional<auth::SodVerification> sod_;
  ReadResult out_;
};

}  // namespace idtap::reader::internal
