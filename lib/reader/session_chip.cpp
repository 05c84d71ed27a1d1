// The chip's proofs in a read (Chip Authentication, PACE-CAM, Active Authentication) and the
// verdict.
#include "session_internal.h"

#include "idtap/auth/active_auth.h"
#include "idtap/auth/chip_auth.h"
#include "idtap/auth/pace.h"
#include "idtap/crypto/pkey.h"
#include "idtap/lds/dg14.h"
#include "idtap/lds/oid.h"

namespace idtap::reader::internal {

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

}  // namespace idtap::reader::internal
