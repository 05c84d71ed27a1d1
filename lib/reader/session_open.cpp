// Card sessions of a read: EF.CardAccess, access control, and a new session after a removal,
// a reset or a link error.
#include "session_internal.h"

#include "idtap/apdu/commands.h"
#include "idtap/apdu/status_words.h"
#include "idtap/auth/bac.h"
#include "idtap/auth/pace.h"
#include "idtap/base/hex.h"

namespace idtap::reader::internal {

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

}  // namespace idtap::reader::internal
