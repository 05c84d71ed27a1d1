// The read: which files, in what order, hashed against EF.SOD and decoded (the card sessions are
// session_open.cpp's, the chip's proofs and the verdict session_chip.cpp's).
#include "idtap/reader/session.h"

#include <algorithm>
#include <memory>

#include "idtap/lds/dg14.h"
#include "idtap/lds/ef_com.h"
#include "session_internal.h"

namespace idtap::reader {
namespace internal {

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

}  // namespace internal

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
  internal::Session session(card, request);
  return session.run();
}

}  // namespace idtap::reader
