// PACE, chip side (ICAO 9303-11 §4.4): the responder the simulated card runs.
#include "idtap/auth/pace_chip.h"

#include "idtap/apdu/status_words.h"
#include "idtap/apdu/tlv.h"
#include "idtap/crypto/mac.h"
#include "idtap/crypto/random.h"

namespace idtap::auth {

namespace {

Result<PaceKeyPair> chip_key_pair(const PaceDomain& domain, const std::optional<SecureBytes>& fixed) {
  return fixed ? domain.key_pair_from_private(*fixed) : domain.generate_key_pair();
}

apdu::ResponseApdu ok_response(Bytes data) { return apdu::ResponseApdu{std::move(data), apdu::sw::kOk}; }

}  // namespace

PaceChip::PaceChip(PaceChipConfig config) : config_(std::move(config)) {}

bool PaceChip::handles(const apdu::CommandApdu& command) {
  const uint8_t cla = command.cla & static_cast<uint8_t>(~0x10);  // ignore the chaining bit
  if (cla != 0x00) return false;
  if (command.ins == 0x22) return command.p1 == 0xC1 && command.p2 == 0xA4;
  return command.ins == 0x86 && command.p1 == 0x00 && command.p2 == 0x00;
}

std::optional<sm::SessionKeys> PaceChip::take_session_keys() {
  if (outcome_ != PaceChipOutcome::kEstablished || !keys_) return std::nullopt;
  auto out = std::move(keys_);
  keys_.reset();
  return out;
}

apdu::ResponseApdu PaceChip::abort(uint16_t sw) {
  outcome_ = PaceChipOutcome::kAborted;
  wipe(s_);
  map_key_.reset();
  eph_key_.reset();
  keys_.reset();
  return apdu::ResponseApdu{{}, sw};
}

apdu::ResponseApdu PaceChip::process(const apdu::CommandApdu& command) {
  if (!handles(command)) return apdu::ResponseApdu{{}, apdu::sw::kInsNotSupported};
  if (command.ins == 0x22) return mse_set_at(command);
  return general_authenticate(command);
}

apdu::ResponseApdu PaceChip::mse_set_at(const apdu::CommandApdu& command) {
  // A new MSE:Set AT starts over (and ends any earlier run).
  step_ = 0;
  keys_.reset();
  map_key_.reset();
  eph_key_.reset();
  wipe(s_);
  algorithm_.reset();
  pk_ifd_.clear();
  if (command.is_chained()) return abort(apdu::sw::kChainingNotSupported);
  std::optional<Bytes> oid, reference, parameter;
  apdu::TlvReader r(command.data);
  while (!r.empty()) {
    auto obj = r.next();
    if (!obj.ok()) return abort(apdu::sw::kWrongData);
    // ICAO 9303-11 §4.4.4.1 Note 2: the IC SHOULD ignore data objects it does not know.
    if (obj->tag == 0x80) oid = to_bytes(obj->value);
    if (obj->tag == 0x83) reference = to_bytes(obj->value);
    if (obj->tag == 0x84) parameter = to_bytes(obj->value);
  }
  if (!oid || !reference || reference->size() != 1) return abort(apdu::sw::kWrongData);
  auto alg = pace_algorithm_from_oid(*oid);
  if (!alg.ok()) return abort(apdu::sw::kWrongData);

  const lds::PaceInfo* info = nullptr;
  for (const auto& candidate : config_.pace_infos) {
    if (!equal_bytes(candidate.protocol, *oid)) continue;
    if (parameter && (!candidate.parameter_id || be_bytes(static_cast<uint64_t>(*candidate.parameter_id), parameter->size()) != *parameter ||
                      parameter->size() > 2)) {
      continue;
    }
    if (info != nullptr && info->parameter_id != candidate.parameter_id) {
      return abort(apdu::sw::kReferencedDataNotFound);  // ambiguous without 84
    }
    if (info == nullptr) info = &candidate;
  }
  if (info == nullptr) return abort(parameter ? apdu::sw::kReferencedDataNotFound : apdu::sw::kWrongData);
  if (!info->parameter_id) return abort(apdu::sw::kReferencedDataNotFound);

  const PaceChipPassword* pw = nullptr;
  for (const auto& p : config_.passwords) {
    if (static_cast<uint8_t>(p.kind) == (*reference)[0]) pw = &p;
  }
  if (pw == nullptr) return abort(apdu::sw::kReferencedDataNotFound);
  const PaceDomain* cached = nullptr;
  for (const auto& d : domains_) {
    if (d.parameter_id() == info->parameter_id) cached = &d;
  }
  Result<PaceDomain> domain = cached ? Result<PaceDomain>(*cached) : PaceDomain::standardized(*info->parameter_id);
  if (!domain.ok() || (domain->agreement() == PaceKeyAgreement::kEcdh) != (alg->agreement == PaceKeyAgreement::kEcdh)) {
    return abort(apdu::sw::kReferencedDataNotFound);
  }
  if (!cached) domains_.push_back(*domain);
  if (alg->mapping == PaceMapping::kChipAuthentication && !config_.cam_private_key) return abort(apdu::sw::kWrongData);
  auto k_pi = derive_password_key(alg->cipher, pw->key_seed);
  if (!k_pi.ok()) return abort(apdu::sw::kNoPreciseDiagnosis);

  algorithm_ = *alg;
  domain_ = std::move(*domain);
  eph_domain_.reset();
  password_ = pw->kind;
  k_pi_ = std::move(*k_pi);
  step_ = 1;
  outcome_ = PaceChipOutcome::kInProgress;
  return ok_response({});
}

apdu::ResponseApdu PaceChip::general_authenticate(const apdu::CommandApdu& command) {
  if (outcome_ != PaceChipOutcome::kInProgress) return apdu::ResponseApdu{{}, apdu::sw::kConditionsNotSatisfied};
  // ICAO 9303-11 §4.4.4.3: the chain links steps 1-4; only the last is unchained.
  const bool last = step_ == 4;
  if (command.is_chained() == last) return abort(apdu::sw::kLastCommandExpected);
  Result<Bytes> data = Bytes{};
  uint16_t sw = apdu::sw::kOk;
  switch (step_) {
    case 1: {
      auto tmpl = apdu::parse_single(command.data, 0x7C);
      if (!tmpl.ok() || !tmpl->value.empty()) return abort(apdu::sw::kWrongData);
      data = step1();
      break;
    }
    case 2: {
      auto value = parse_dynamic_authentication_data(command.data, 0x81);
      if (!value.ok()) return abort(apdu::sw::kWrongData);
      data = step2(*value);
      break;
    }
    case 3: {
      auto value = parse_dynamic_authentication_data(command.data, 0x83);
      if (!value.ok()) return abort(apdu::sw::kWrongData);
      data = step3(*value);
      break;
    }
    default: {
      auto value = parse_dynamic_authentication_data(command.data, 0x85);
      if (!value.ok()) return abort(apdu::sw::kWrongData);
      data = step4(*value, &sw);
      break;
    }
  }
  if (!data.ok()) return abort(sw != apdu::sw::kOk ? sw : apdu::sw::kWrongData);
  if (sw != apdu::sw::kOk) {
    outcome_ = PaceChipOutcome::kAuthFailed;
    keys_.reset();
    return apdu::ResponseApdu{{}, sw};
  }
  ++step_;
  if (step_ > 4) outcome_ = PaceChipOutcome::kEstablished;
  return ok_response(std::move(*data));
}

Result<Bytes> PaceChip::step1() {
  if (config_.randomness.nonce_s) {
    s_ = secure_copy(*config_.randomness.nonce_s);
  } else {
    IDTAP_ASSIGN_OR_RETURN(s_, crypto::random_secure_bytes(pace_nonce_length(*algorithm_)));
  }
  IDTAP_ASSIGN_OR_RETURN(Bytes z, encrypt_nonce(algorithm_->cipher, k_pi_, s_));
  return dynamic_authentication_data(0x80, z);
}

Result<Bytes> PaceChip::step2(ByteView mapping_data) {
  if (algorithm_->mapping == PaceMapping::kIntegrated) {
    if (mapping_data.size() != pace_terminal_nonce_length(*algorithm_)) {
      return make_error(ErrorCode::kMalformed, "nonce t of the wrong length");
    }
    IDTAP_ASSIGN_OR_RETURN(auto mapped, map_integrated(*domain_, algorithm_->cipher, s_, mapping_data));
    eph_domain_ = std::move(mapped);
    return dynamic_authentication_data(0x82, {});  // §4.4.5.2.2: 82 SHALL be empty
  }
  IDTAP_ASSIGN_OR_RETURN(PaceKeyPair key, chip_key_pair(*domain_, config_.randomness.mapping_private_key));
  if (equal_bytes(key.public_key(), mapping_data)) return make_error(ErrorCode::kAuthFailed, "reflected mapping key");
  IDTAP_ASSIGN_OR_RETURN(auto mapped, map_generic(*domain_, s_, key, mapping_data));
  eph_domain_ = std::move(mapped);
  Bytes out = dynamic_authentication_data(0x82, key.public_key());
  map_key_ = std::move(key);
  return out;
}

Result<Bytes> PaceChip::step3(ByteView terminal_key) {
  IDTAP_TRY(eph_domain_->check_public_key(terminal_key));
  IDTAP_ASSIGN_OR_RETURN(PaceKeyPair key, chip_key_pair(*eph_domain_, config_.randomness.key_agreement_private_key));
  // ICAO 9303-11 §4.4.1 3d): the public keys must differ.
  if (equal_bytes(key.public_key(), terminal_key)) return make_error(ErrorCode::kAuthFailed, "reflected ephemeral key");
  IDTAP_ASSIGN_OR_RETURN(SecureBytes k, key.shared_secret(terminal_key));
  IDTAP_ASSIGN_OR_RETURN(auto keys, derive_session_keys(algorithm_->cipher, k));
  keys_ = std::move(keys);
  pk_ifd_ = to_bytes(terminal_key);
  Bytes out = dynamic_authentication_data(0x84, key.public_key());
  eph_key_ = std::move(key);
  return out;
}

Result<Bytes> PaceChip::step4(ByteView terminal_token, uint16_t* sw) {
  // T_IFD = MAC(KS_mac, PK_DH,IC): over our own key.
  IDTAP_ASSIGN_OR_RETURN(Bytes expected, authentication_token(*algorithm_, keys_->ks_mac, eph_key_->public_key()));
  if (!crypto::constant_time_equal(expected, terminal_token)) {
    *sw = apdu::sw::kVerificationFailed;  // 6300: authentication failed
    return Bytes{};
  }
  IDTAP_ASSIGN_OR_RETURN(Bytes t_ic, authentication_token(*algorithm_, keys_->ks_mac, pk_ifd_));
  apdu::TlvWriter w;
  w.open(0x7C).add(0x86, t_ic);
  if (config_.car) w.add(0x87, *config_.car);
  if (config_.previous_car) w.add(0x88, *config_.previous_car);
  if (algorithm_->mapping == PaceMapping::kChipAuthentication) {
    IDTAP_ASSIGN_OR_RETURN(Bytes a_ic, encrypt_chip_authentication_data(algorithm_->cipher, keys_->ks_enc,
                                                                        domain_->ec_generator()->group(),
                                                                        *config_.cam_private_key, map_key_->private_key()));
    w.add(0x8A, a_ic);
  }
  w.close();
  wipe(s_);
  return w.finish();
}

}  // namespace idtap::auth
