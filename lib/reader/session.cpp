#include "idtap/reader/session.h"

#include <algorithm>
#include <cstdint>
#include <memory>
#include <optional>
#include <set>

#include "idtap/apdu/commands.h"
#include "idtap/apdu/status_words.h"
#include "idtap/auth/active_auth.h"
#include "idtap/auth/bac.h"
#include "idtap/auth/chip_auth.h"
#include "idtap/auth/pace.h"
#include "idtap/base/hex.h"
#include "idtap/crypto/hash.h"
#include "idtap/crypto/pkey.h"
#include "idtap/lds/dg14.h"
#include "idtap/lds/ef_com.h"
#include "idtap/lds/oid.h"
#include "idtap/reader/counting_transport.h"
#include "idtap/sm/secure_channel.h"

namespace idtap::reader {
namespace {

const FileRef kCardAccessRef{0x011C, 0x1C, "EF.CardAccess"};
const FileRef kComRef{0x011E, 0x1E, "EF.COM"};
const FileRef kSodRef{0x011D, 0x1D, "EF.SOD"};
const FileRef kCardSecurityRef{0x011D, 0x1D, "EF.CardSecurity"};  // same FID and SFI, in the MF

FileRef dg_ref(int n) { return FileRef{static_cast<uint16_t>(0x0100 + n), static_cast<uint8_t>(n), "DG" + std::to_string(n)}; }

bool channel_broken(const Error& e) { return e.code == ErrorCode::kSecureMessaging || e.code == ErrorCode::kState; }

// connection_lost: the card left for good, the reader went away, or the user cancelled: the
// read cannot go on and nothing was learnt about the chip, so a chip check that ends so is not a
// failed check (that would say "clone") but the read's error.
bool connection_lost(const Error& e) {
  return e.code == ErrorCode::kCardRemoved || e.code == ErrorCode::kDeviceGone || e.code == ErrorCode::kNoReader ||
         e.code == ErrorCode::kServiceUnavailable || e.code == ErrorCode::kCancelled;
}

// interrupted: the card session ended under the read (the card left the field, or another
// program reset it): bring the card back (recover) and go on.
bool interrupted(const Error& e) { return e.code == ErrorCode::kCardRemoved || e.code == ErrorCode::kCardReset; }

// link_error: an exchange failed without an answer from the card (a timeout, a reader link
// error): nothing was learnt about the chip, and the secure channel is gone.
bool link_error(const Error& e) { return e.code == ErrorCode::kTimeout || e.code == ErrorCode::kTransport; }

FileRecord make_record(const std::string& name, Bytes raw) {
  FileRecord r;
  r.name = name;
  r.sha256 = crypto::digest(crypto::HashAlg::kSha256, raw).value_or(Bytes{});
  r.raw = std::move(raw);
  return r;
}

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

// select_mf: SELECT the MF in plain: true when the card confirmed it (9000). ISO 7816-4 §7.1.1:
// P1 = 00 with FID 3F00, or with no data field. The card may be in the state another session
// left (the eMRTD application selected, secure messaging open): the first plain command ends
// secure messaging there (ICAO 9303-11 §9.8.1), and a chip may refuse that very command
// (6987 / 6988), so the second form is also the retry. A card that refuses both is not an
// error here: its current DF is just not known.
Result<bool> Session::select_mf() {
  const apdu::CommandApdu forms[] = {apdu::select_mf(), apdu::CommandApdu{0x00, 0xA4, 0x00, 0x0C, {}}};
  for (const auto& form : forms) {
    IDTAP_ASSIGN_OR_RETURN(auto r, counted_.transmit(form));
    if (r.sw == apdu::sw::kOk) return true;
  }
  return false;
}

// read_card_access_file: EF.CardAccess from the MF, in plain (by SFI, or by FID when the card
// refuses the SFI form). kCardStatus 6A82 only when the file is not in the MF: the MF was
// selected first, or the card was reset (ISO 7816-4 §7.1.1: after the answer to reset the MF
// is the current DF); "not in the current DF" alone never reads as "no EF.CardAccess".
Result<Bytes> Session::read_card_access_file() {
  IDTAP_ASSIGN_OR_RETURN(bool in_mf, select_mf());
  auto read_once = [&]() {
    FileReader plain(counted_, FileReaderOptions{.cancel = request_.cancel, .use_sfi = sfi_ok_});
    auto raw = plain.read_file(kCardAccessRef);
    sfi_ok_ = plain.uses_sfi();
    return raw;
  };
  auto raw = read_once();
  if (raw.ok() || in_mf || raw.error().code != ErrorCode::kCardStatus) return raw;
  // The card would not say which DF is current: reset it to be in the MF, and read again.
  if (auto back = card_.reconnect(request_.reconnect_timeout); !back.ok()) {
    if (back.error().code != ErrorCode::kNotSupported) return not_returned(back.error());
    card_access_doubt_ = "the card refused SELECT MF and the reader cannot reset it, so EF.CardAccess may be elsewhere";
    return raw;
  }
  return read_once();
}

Status Session::read_card_access() {
  if (card_access_done_) return ok_status();
  // EF.CardAccess lives in the MF and is read in the clear before access control (ICAO 9303-10
  // §3.11.3); its absence from the MF (6A82) means no PACE.
  auto raw = read_card_access_file();
  if (raw.ok()) {
    auto infos = lds::parse_security_infos(*raw);
    out_.card_access = *raw;
    if (infos.ok()) out_.card_access_infos = std::move(infos).value();
    else card_access_error_ = infos.error().message();
  } else if (raw.error().code != ErrorCode::kCardStatus && raw.error().code != ErrorCode::kMalformed) {
    return raw.error();
  }
  card_access_done_ = true;
  return ok_status();
}

Status Session::open_once() {
  ++generation_;
  if (reader_) sfi_ok_ = sfi_ok_ && reader_->uses_sfi();  // what the file reader learnt so far
  channel_ = nullptr;
  pace_.reset();
  bac_channel_.reset();
  IDTAP_TRY(read_card_access());
  auth::AccessChoice choice = auth::choose_access(out_.card_access_infos);
  if (request_.access == AccessMethod::kPace && choice.method != auth::AccessControl::kPace) {
    std::string why = choice.reason;  // "no EF.CardAccess: BAC": why the card is read with BAC
    if (why.size() > 5 && why.ends_with(": BAC")) why.resize(why.size() - 5);
    return make_error(ErrorCode::kNotSupported, "PACE was asked for, but the card does not offer it (" + why + ")");
  }
  const bool use_pace = request_.access != AccessMethod::kBac && choice.method == auth::AccessControl::kPace;
  if (use_pace) {
    std::optional<auth::Password> password = request_.can;
    if (!password && request_.mrz) password = auth::Password::mrz(*request_.mrz);
    if (!password) return make_error(ErrorCode::kInvalidArgument, "PACE needs the CAN or the MRZ");
    IDTAP_ASSIGN_OR_RETURN(auth::PaceResult pace, auth::run_pace(counted_, *password, *choice.pace));
    out_.verification.access = std::string("PACE-") + auth::password_kind_name(pace.password) + " " +
                               pace.algorithm.name() + " " + pace.domain;
    pace_ = std::move(pace);
    channel_ = pace_->channel.get();
    // PACE-CAM: the chip's static key is in EF.CardSecurity, in the MF (ICAO 9303-11
    // §4.4.3.5.2), so it is read now, before the application is selected.
    if (pace_->chip_authentication_data && !out_.card_security) {
      FileReader mf(*channel_, FileReaderOptions{.cancel = request_.cancel, .use_sfi = sfi_ok_});
      auto raw = mf.read_file(kCardSecurityRef);
      sfi_ok_ = mf.uses_sfi();
      if (raw.ok()) {
        out_.card_security = make_record(kCardSecurityRef.name, std::move(raw).value());
      } else if (sfi_ok_ && raw.error().code == ErrorCode::kSecureMessaging && sfi_read_refused(raw.error().sw)) {
        // The SFI form refused in plain, which ended secure messaging: a fresh card session, and
        // every file by FID from now on (once: sfi_ok_ is false in the next open_once).
        sfi_ok_ = false;
        if (auto back = card_.reconnect(request_.reconnect_timeout); !back.ok()) return not_returned(back.error());
        return open_once();
      } else if (raw.error().code != ErrorCode::kCardStatus) {
        return raw.error();
      }
    }
    // ICAO 9303-11 §4.2: after PACE, select the eMRTD application under secure messaging.
    IDTAP_ASSIGN_OR_RETURN(auto sel, channel_->transmit(apdu::select_by_df_name(apdu::kEmrtdAid)));
    IDTAP_TRY(sel.status("SELECT eMRTD application"));
    return ok_status();
  }
  // BAC (ICAO 9303-11 §4.3) starts in the eMRTD application, selected in the clear. Selected
  // before the key is asked for, so a card that is no identity document at all (a bank or
  // transport card) is named as such instead of "give the MRZ".
  IDTAP_ASSIGN_OR_RETURN(auto sel, counted_.transmit(apdu::select_by_df_name(apdu::kEmrtdAid)));
  if (sel.sw == 0x6A82 || sel.sw == 0x6A86 || sel.sw == 0x6D00)
    return make_error(ErrorCode::kNotSupported, "the card has no eMRTD application (SELECT A0 00 00 02 47 10 01 answered " +
                                                    hex_word(sel.sw) + "): it is not an ICAO identity document or passport");
  if (!request_.mrz) {
    const std::string why = card_access_error_.empty()
                                ? choice.reason
                                : "EF.CardAccess is there but does not parse (" + card_access_error_ + "), so PACE cannot run: BAC";
    return make_error(ErrorCode::kInvalidArgument,
                      "this card offers BAC only (" + why + (card_access_doubt_.empty() ? "" : "; " + card_access_doubt_) +
                          "): give the MRZ (document number, birth and expiry dates); a CAN cannot open it");
  }
  IDTAP_TRY(sel.status("SELECT eMRTD application"));
  IDTAP_ASSIGN_OR_RETURN(bac_channel_, auth::run_bac(counted_, *request_.mrz));
  channel_ = bac_channel_.get();
  out_.verification.access = "BAC";
  return ok_status();
}

// not_returned: a reconnect that failed; a timeout means the card stayed away: say where and how
// long it was waited for.
Error Session::not_returned(const Error& reconnect_error) const {
  if (reconnect_error.code != ErrorCode::kTimeout) return reconnect_error;
  return make_error(ErrorCode::kCardRemoved, "the card left the field of " + card_.describe() + " and did not return in time (waited " +
                                                 std::to_string(request_.reconnect_timeout.count()) + " ms)");
}

Status Session::open() {
  for (;;) {
    auto st = open_once();
    if (st.ok() || !interrupted(st.error())) return st;
    if (++recoveries_ > request_.max_recoveries)
      return st.error().with_context("the card kept leaving the field during access control");
    if (auto back = card_.reconnect(request_.reconnect_timeout); !back.ok()) return not_returned(back.error());
  }
}

// lose: a card session could not be opened again; the read ends with `e` (kept for every later
// step, so none of them reads a null channel or takes a status word as evidence).
Error Session::lose(Error e) {
  if (!lost_) lost_ = std::move(e).with_context("the card session could not be opened again");
  return *lost_;
}

// chip_failed: the chip did not prove its key; nothing is proved again after this.
void Session::chip_failed(std::string detail) {
  out_.verification.chip.state = CheckState::kFailed;
  out_.verification.chip.detail = std::move(detail);
  chip_proof_ = ChipProof::kNone;
  ca_pending_.reset();
}

// confirm_chip: a protected response verified under the keys of the last CA: the chip holds the
// DG14 key.
void Session::confirm_chip() {
  if (ca_pending_ != generation_ || lost_) return;
  ca_pending_.reset();
  out_.verification.chip.state = CheckState::kPassed;
  out_.verification.chip.detail.clear();
}

// prove_chip_again: after access control on a new card session, the chip proof this read already
// holds, once more: PACE-CAM checked against the same static key, or CA v1 run again with DG14
// (confirmed by the next protected response). A chip that cannot is marked failed and the read
// goes on without chip authentication (over a fresh session when CA broke the channel).
Status Session::prove_chip_again() {
  if (chip_proof_ == ChipProof::kCam) {
    auto pk = cam_key_spki_ ? crypto::PublicKey::from_spki(*cam_key_spki_) : make_error(ErrorCode::kInternal, "no CAM key");
    Status st = !pace_ || !pace_->chip_authentication_data || !pk.ok() || pk->ec_point() == nullptr
                    ? make_error(ErrorCode::kVerificationFailed, "the card did not run PACE-CAM again")
                    : auth::verify_pace_cam(*pace_, *pk->ec_point());
    if (!st.ok()) chip_failed("after the card came back, the chip did not prove the key again (another card?): " + st.error().context);
    return ok_status();
  }
  if (chip_proof_ != ChipProof::kCa) return ok_status();
  auto ca = auth::chip_authenticate(*channel_, *out_.dg14);
  if (ca.ok()) {
    ca_pending_ = generation_;
    return ok_status();
  }
  if (fatal(ca.error())) return ca.error().with_context("Chip Authentication");
  chip_failed("after the card came back, Chip Authentication failed (another card?): " + ca.error().message());
  if (channel_broken(ca.error())) IDTAP_TRY(reset_session());
  return ok_status();
}

// fresh_session: access control and the chip proof again on the card session just opened.
Result<apdu::Transport*> Session::fresh_session() {
  IDTAP_TRY(open());
  IDTAP_TRY(prove_chip_again());
  return static_cast<apdu::Transport*>(channel_);
}

// reset_session: a fresh card session with the card still there (a reset): access control and
// the chip proof again; a failure ends the read (lose).
Result<apdu::Transport*> Session::reset_session() {
  if (auto back = card_.reconnect(request_.reconnect_timeout); !back.ok()) return lose(back.error());
  auto next = fresh_session();
  if (!next.ok()) return lose(next.error());
  return next;
}

Result<apdu::Transport*> Session::recover() {
  for (;;) {
    if (++recoveries_ > request_.max_recoveries)
      return make_error(ErrorCode::kCardRemoved, "the card kept leaving the field (" + std::to_string(request_.max_recoveries) + " times)");
    if (request_.on_card_event) request_.on_card_event(CardEvent::kLeft);
    if (auto back = card_.reconnect(request_.reconnect_timeout); !back.ok()) return lose(not_returned(back.error()));
    if (request_.on_card_event) request_.on_card_event(CardEvent::kReturned);
    auto next = fresh_session();
    if (next.ok()) return next;
    if (!interrupted(next.error()) || lost_) return lose(next.error());
  }
}

Result<Bytes> Session::read(const FileRef& ref) {
  if (lost_) return *lost_;
  if (channel_ == nullptr) return make_error(ErrorCode::kState, ref.name + ": no open card session");
  reader_->set_transport(*channel_);
  auto r = reader_->read_file(ref);
  if (lost_) return *lost_;
  if (!r.ok() && ca_pending_ && channel_broken(r.error())) {
    // The first protected responses after CA did not verify under the new keys: a chip without
    // the DG14 private key (a clone). Say so, and read on over a fresh session without CA.
    chip_failed("secure messaging failed after Chip Authentication: the chip does not hold the DG14 key");
    IDTAP_TRY(reset_session());
    reader_->set_transport(*channel_);
    r = reader_->read_file(ref);
  }
  // A status word the card sent under secure messaging (kCardStatus) came in a response whose MAC
  // verified: it confirms CA as well as data does.
  if (r.ok() || r.error().code == ErrorCode::kCardStatus) confirm_chip();
  if (channel_ != nullptr) reader_->set_transport(*channel_);
  // A file whose header does not parse is named: "DG1: file header: ...".
  if (!r.ok() && r.error().code == ErrorCode::kMalformed && r.error().context.rfind(ref.name, 0) != 0)
    return r.error().with_context(ref.name);
  return r;
}

void Session::decode(int number, FileRecord& record) {
  auto note = [&](const Error& e) { record.decode_error = e.message(); };
  switch (number) {
    case 1: { auto d = lds::parse_dg1(record.raw); d.ok() ? (void)(out_.dg1 = std::move(d).value()) : note(d.error()); break; }
    case 2: { auto d = lds::parse_dg2(record.raw); d.ok() ? (void)(out_.dg2 = std::move(d).value()) : note(d.error()); break; }
    case 11: { auto d = lds::parse_dg11(record.raw); d.ok() ? (void)(out_.dg11 = std::move(d).value()) : note(d.error()); break; }
    case 12: { auto d = lds::parse_dg12(record.raw); d.ok() ? (void)(out_.dg12 = std::move(d).value()) : note(d.error()); break; }
    case 14: { auto d = lds::parse_dg14(record.raw); d.ok() ? (void)(out_.dg14 = std::move(d).value()) : note(d.error()); break; }
    case 15: { auto d = lds::parse_dg15(record.raw); d.ok() ? (void)(out_.dg15 = std::move(d).value()) : note(d.error()); break; }
    default: break;
  }
}

void Session::complete_cam() {
  CheckResult& chip = out_.verification.chip;
  chip.method = "PACE-CAM";
  // The key comes from EF.CardSecurity, verified on its own (ICAO 9303-11 §4.4.3.5.2); a card
  // without that file may publish it in DG14, which EF.SOD signs.
  std::optional<lds::SecurityInfos> from_card_security;
  const lds::SecurityInfos* infos = nullptr;
  if (out_.card_security) {
    auto v = auth::verify_card_security(out_.card_security->raw, auth::PassiveOptions{.trust = request_.trust});
    if (!v.ok()) {
      chip.state = CheckState::kFailed;
      chip.detail = "EF.CardSecurity: " + v.error().message();
      return;
    }
    if (v->status == auth::PassiveStatus::kInvalid) {
      chip.state = CheckState::kFailed;
      chip.detail = "EF.CardSecurity failed passive authentication: " + v->reason;
      return;
    }
    card_security_valid_ = v->status == auth::PassiveStatus::kValid;
    from_card_security = std::move(v->infos);
    infos = &*from_card_security;
    cam_key_from_card_security_ = true;
  } else if (out_.dg14) {
    infos = &*out_.dg14;
  } else {
    chip.state = CheckState::kFailed;
    chip.detail = "PACE-CAM ran but the card gave neither EF.CardSecurity nor a verified DG14 with the chip's key";
    return;
  }
  const char* source = cam_key_from_card_security_ ? "EF.CardSecurity" : "DG14";
  for (const auto& key : infos->chip_authentication_public_keys) {
    if (key.protocol != lds::oid::kPkEcdh) continue;
    auto pk = crypto::PublicKey::from_spki(key.subject_public_key_info);
    if (!pk.ok() || pk->ec_point() == nullptr) continue;
    auto st = auth::verify_pace_cam(*pace_, *pk->ec_point());
    chip.method = std::string("PACE-CAM, key from ") + source;
    chip.state = st.ok() ? CheckState::kPassed : CheckState::kFailed;
    chip.detail = st.ok() ? "" : std::string("the chip did not prove the key in ") + source + ": " + st.error().context;
    if (st.ok()) {
      chip_proof_ = ChipProof::kCam;
      cam_key_spki_ = key.subject_public_key_info;
    }
    return;
  }
  chip.state = CheckState::kFailed;
  chip.detail = std::string(source) + " holds no ECDH chip key to complete PACE-CAM";
}

Status Session::chip_authentication() {
  CheckResult& chip = out_.verification.chip;
  if (pace_ && pace_->chip_authentication_data) {
    complete_cam();
    return ok_status();
  }
  if (!out_.dg14) {
    chip.state = out_.data_groups.count(14) ? CheckState::kFailed : CheckState::kNotSupported;
    chip.detail = out_.data_groups.count(14) ? "DG14 did not verify against EF.SOD" : "the card has no DG14";
    return ok_status();
  }
  auto ca = with_recovery([&]() { return auth::chip_authenticate(*channel_, *out_.dg14); });
  if (!ca.ok()) {
    const Error& e = ca.error();
    if (fatal(e)) return e.with_context("Chip Authentication");
    chip.state = e.code == ErrorCode::kNotSupported ? CheckState::kNotSupported : CheckState::kFailed;
    chip.detail = e.message();
    if (channel_broken(e)) IDTAP_TRY(reset_session());
    return ok_status();
  }
  chip.method = "CA " + ca->algorithm.name;
  chip.detail = "not yet confirmed by a protected response";
  chip_proof_ = ChipProof::kCa;
  ca_pending_ = generation_;  // kPassed once the next protected response verifies (confirm_chip)
  return ok_status();
}

Status Session::active_authentication() {
  CheckResult& active = out_.verification.active;
  if (!request_.active_authentication) return ok_status();
  if (!out_.dg15) {
    active.state = out_.data_groups.count(15) ? CheckState::kFailed : CheckState::kNotSupported;
    active.detail = out_.data_groups.count(15) ? "DG15 did not verify against EF.SOD" : "the card has no DG15";
    return ok_status();
  }
  auth::AaOptions options;
  options.challenge = request_.aa_challenge;
  if (out_.dg14)
    for (const auto& info : out_.dg14->active_authentication)
      if (auto oid = lds::oid_to_string(info.signature_algorithm); oid.ok()) options.ecdsa_signature_oid = *oid;
  auto run_aa = [&]() { return with_recovery([&]() { return auth::active_authenticate(*channel_, out_.dg15->key.der, options); }); };
  auto aa = run_aa();
  if (!aa.ok() && ca_pending_ && channel_broken(aa.error())) {
    // The first protected response after a CA (run again after a removal) did not verify.
    chip_failed("secure messaging failed after Chip Authentication: the chip does not hold the DG14 key");
    IDTAP_TRY(reset_session());
    aa = run_aa();
  }
  if (!aa.ok()) {
    const Error& e = aa.error();
    if (fatal(e)) return e.with_context("Active Authentication");
    if (e.code == ErrorCode::kCardStatus) confirm_chip();  // a refusal under verified secure messaging
    // A card that refuses INTERNAL AUTHENTICATE proved nothing but contradicted nothing either;
    // a signature that does not verify (or a broken response) is a failed check.
    active.state = e.code == ErrorCode::kCardStatus || e.code == ErrorCode::kNotSupported ? CheckState::kNotSupported
                                                                                          : CheckState::kFailed;
    active.detail = e.message();
    return ok_status();
  }
  confirm_chip();
  active.state = CheckState::kPassed;
  active.method = "AA " + aa->algorithm;
  out_.verification.active_challenge = aa->challenge;
  out_.verification.active_signature = aa->signature;
  return ok_status();
}

void Session::finish_verdict() {
  Verification& v = out_.verification;
  if (sod_) {
    v.passive = sod_->status;
    v.passive_reason = sod_->reason;
    v.chain = sod_->chain;
    v.passive_leniencies = auth::leniency_names(sod_->leniencies);
  }
  for (const auto& [n, rec] : out_.data_groups) {
    if (rec.hash_ok && !*rec.hash_ok) {
      v.passive = auth::PassiveStatus::kInvalid;
      v.passive_reason = rec.name + " does not match its hash in EF.SOD (the data was altered)";
      break;
    }
  }
  const bool dg14_ok = out_.data_groups.count(14) && out_.data_groups.at(14).hash_ok.value_or(false);
  const bool dg15_ok = out_.data_groups.count(15) && out_.data_groups.at(15).hash_ok.value_or(false);
  const bool chip_key_signed = cam_key_from_card_security_ ? card_security_valid_ : dg14_ok;
  // A CA that no protected response confirmed proved nothing (the read ended right after it).
  if (ca_pending_) chip_failed("Chip Authentication was never confirmed by a protected response");
  const bool chip_proved = (v.chip.state == CheckState::kPassed && chip_key_signed) || (v.active.state == CheckState::kPassed && dg15_ok);
  // One failed chip check is enough to say no: a genuine chip passes every check it takes.
  const bool chip_contradicted = v.chip.state == CheckState::kFailed || v.active.state == CheckState::kFailed;
  v.genuine = v.passive == auth::PassiveStatus::kValid && chip_proved && !chip_contradicted;
  if (v.passive != auth::PassiveStatus::kValid) {
    v.genuine_reason = std::string("passive authentication ") + auth::passive_status_name(v.passive) + ": " + v.passive_reason;
  } else if (chip_contradicted) {
    v.genuine_reason = "the chip did not prove the key its signed data names (a cloned chip?): " +
                       (v.chip.state == CheckState::kFailed ? v.chip.detail : v.active.detail);
  } else if (!chip_proved) {
    v.genuine_reason = "the chip could not be authenticated (no chip or active authentication available)";
  }
  if (sod_) note_withheld_data_groups(out_, sod_->hashes);
  const WireStats& w = counted_.stats();
  out_.stats.apdus = w.apdus;
  out_.stats.bytes_sent = w.bytes_sent;
  out_.stats.bytes_received = w.bytes_received;
  out_.stats.recoveries = recoveries_;
  out_.stats.chunk_size = reader_ ? reader_->chunk_size() : 0;
  out_.stats.ms = static_cast<uint64_t>(
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start_).count());
}

Result<ReadResult> Session::run() {
  IDTAP_TRY(open());
  out_.stats.apdus_after_access = counted_.stats().apdus;  // subtracted below
  reader_ = std::make_unique<FileReader>(*channel_, FileReaderOptions{.progress = request_.progress,
                                                                      .recover = [this]() { return recover(); },
                                                                      .restart = [this]() -> Result<apdu::Transport*> {
                                                                        if (++restarts_ > kChunkLadderSteps)
                                                                          return make_error(ErrorCode::kTransport, "the card session had to be reset too often");
                                                                        return reset_session();
                                                                      },
                                                                      .cancel = request_.cancel,
                                                                      .max_recoveries = request_.max_recoveries,
                                                                      .use_sfi = sfi_ok_});

  // EF.SOD first: it says which data groups exist and what they must hash to.
  IDTAP_ASSIGN_OR_RETURN(Bytes sod_raw, read(kSodRef));
  out_.ef_sod = make_record(kSodRef.name, sod_raw);
  auto sod = auth::verify_sod(sod_raw, auth::PassiveOptions{.trust = request_.trust});
  if (sod.ok()) {
    sod_ = std::move(sod).value();
  } else {
    out_.verification.passive = auth::PassiveStatus::kInvalid;
    out_.verification.passive_reason = "EF.SOD: " + sod.error().message();
  }

  std::vector<int> wanted = request_.data_groups;
  if (wanted.empty() && sod_)
    for (const auto& [n, h] : sod_->hashes)
      if (n != 3 && n != 4) wanted.push_back(n);
  if (request_.chip_authentication && sod_ && sod_->hashes.count(14)) wanted.push_back(14);
  if (request_.active_authentication && sod_ && sod_->hashes.count(15)) wanted.push_back(15);
  std::sort(wanted.begin(), wanted.end());
  wanted.erase(std::unique(wanted.begin(), wanted.end()), wanted.end());

  auto read_dg = [&](int n) -> Status {
    auto raw = read(dg_ref(n));
    if (!raw.ok()) {
      // A data group the card refuses (a status word) or sends with a header that does not parse
      // (kMalformed: its length cannot be known, so it cannot be read whole or hashed) is recorded
      // as not readable, and the read goes on to a verdict that names it.
      const ErrorCode code = raw.error().code;
      if ((code != ErrorCode::kCardStatus && code != ErrorCode::kMalformed) || lost_) return raw.error();
      FileRecord rec;
      rec.name = "DG" + std::to_string(n);
      rec.decode_error = "not readable: " + raw.error().message();
      out_.data_groups[n] = std::move(rec);
      return ok_status();
    }
    FileRecord rec = make_record("DG" + std::to_string(n), std::move(raw).value());
    if (sod_) {
      auto check = auth::check_data_group(*sod_, n, rec.raw);
      if (check.ok() && *check != auth::DataGroupCheck::kNotSigned) rec.hash_ok = *check == auth::DataGroupCheck::kHashOk;
    }
    // ICAO 9303-11 §5.1: a data group is trusted (and decoded) only once its hash matched.
    if (rec.hash_ok.value_or(false)) decode(n, rec);
    out_.data_groups[n] = std::move(rec);
    return ok_status();
  };

  // DG14 next, so chip authentication runs before the personal data is read.
  if (std::find(wanted.begin(), wanted.end(), 14) != wanted.end()) {
    IDTAP_TRY(read_dg(14));
    // ICAO 9303-11 §9.2.11: DG14 repeats EF.CardAccess's PACEInfos, signed. A card opened with
    // BAC on its own choice (auto) whose signed DG14 offers PACE did not show PACE in
    // EF.CardAccess as read: missing or altered on the way, a downgrade to the weaker protocol.
    if (!pace_ && request_.access == AccessMethod::kAuto && out_.dg14 && !out_.dg14->pace.empty())
      out_.verification.access_warning =
          "the card's signed DG14 offers PACE but EF.CardAccess as read did not, so BAC was used (a downgrade?)";
    if (request_.chip_authentication) IDTAP_TRY(chip_authentication());
  } else if (pace_ && pace_->chip_authentication_data) {
    complete_cam();
  } else if (request_.chip_authentication) {
    out_.verification.chip = CheckResult{CheckState::kNotSupported, "", "the card has no DG14"};
  }

  // EF.COM: the first command after CA, so it also confirms the chip holds the DG14 key (read()).
  auto com = read(kComRef);
  if (com.ok()) {
    out_.ef_com = make_record(kComRef.name, *com);
    if (auto parsed = lds::parse_ef_com(*com); parsed.ok() && sod_)
      for (int n : parsed->data_groups())
        if (!sod_->hashes.count(n)) out_.verification.unsigned_data_groups.push_back(n);
  } else if (com.error().code != ErrorCode::kCardStatus || lost_) {
    return com.error();
  }

  for (int n : wanted)
    if (n != 14) IDTAP_TRY(read_dg(n));

  IDTAP_TRY(active_authentication());
  out_.stats.apdus_after_access = counted_.stats().apdus - out_.stats.apdus_after_access;
  finish_verdict();
  return std::move(out_);
}

}  // namespace

const char* check_state_name(CheckState state) {
  switch (state) {
    case CheckState::kPassed: return "passed";
    case CheckState::kFailed: return "failed";
    case CheckState::kNotSupported: return "not_supported";
    case CheckState::kNotPerformed: return "not_performed";
  }
  return "not_performed";
}

Result<ReadResult> read_card(apdu::Transport& card, const ReadRequest& request) {
  if (!request.can && !request.mrz) return make_error(ErrorCode::kInvalidArgument, "give the CAN or the MRZ to open the card");
  if (request.aa_challenge && request.aa_challenge->size() != 8)
    return make_error(ErrorCode::kInvalidArgument, "the Active Authentication challenge must be 8 bytes");
  Session session(card, request);
  return session.run();
}

}  // namespace idtap::reader
