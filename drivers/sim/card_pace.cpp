// The card's side of PACE (ICAO 9303-11 §4.4): lib/auth's PaceChip answers MSE:Set AT and the
// GENERAL AUTHENTICATE chain (GM, IM, CAM); the card around it keeps the password retry
// counters (63Cx, blocked at zero: 6983), installs secure messaging when the run succeeds, and
// supplies the chip's randomness when a test replays a worked example.
#include "card_internal.h"
#include "idtap/apdu/tlv.h"
#include "idtap/auth/mrz_key.h"
#include "idtap/auth/pace_chip.h"
#include "idtap/auth/password.h"

namespace idtap::sim::internal {
namespace {

namespace sw = apdu::sw;

std::string_view text_of(const SecureBytes& s) { return {reinterpret_cast<const char*>(s.data()), s.size()}; }

auth::PaceMapping to_auth(PaceMapping m) {
  switch (m) {
    case PaceMapping::kGeneric: return auth::PaceMapping::kGeneric;
    case PaceMapping::kIntegrated: return auth::PaceMapping::kIntegrated;
    case PaceMapping::kChipAuthentication: return auth::PaceMapping::kChipAuthentication;
  }
  return auth::PaceMapping::kGeneric;
}

// chip_config: what the chip offers and knows, from card.conf and the chip keys.
Result<auth::PaceChipConfig> chip_config(const CardState& card) {
  const CardConfig& c = card.image.config;
  auth::PaceChipConfig out;
  bool cam = false;
  for (const PaceOffer& offer : c.pace_offers) {
    IDTAP_ASSIGN_OR_RETURN(lds::Oid oid, auth::pace_algorithm_oid(auth::PaceKeyAgreement::kEcdh, to_auth(offer.mapping), offer.cipher));
    out.pace_infos.push_back(lds::PaceInfo{oid, 2, offer.parameter_id});
    cam = cam || offer.mapping == PaceMapping::kChipAuthentication;
  }
  if (!c.can.empty()) {
    IDTAP_ASSIGN_OR_RETURN(auth::Password can, auth::Password::can(text_of(c.can)));
    IDTAP_ASSIGN_OR_RETURN(SecureBytes seed, can.pace_key_seed());
    out.passwords.push_back({auth::PasswordKind::kCan, std::move(seed)});
  }
  if (!c.mrz.empty()) {
    IDTAP_ASSIGN_OR_RETURN(auth::MrzKey key, auth::MrzKey::from_fields(text_of(c.mrz.document_number), text_of(c.mrz.date_of_birth),
                                                                       text_of(c.mrz.date_of_expiry)));
    IDTAP_ASSIGN_OR_RETURN(SecureBytes seed, auth::Password::mrz(key).pace_key_seed());
    out.passwords.push_back({auth::PasswordKind::kMrz, std::move(seed)});
  }
  // PACE-CAM proves the chip with its static CA key (EF.CardSecurity's public key).
  if (cam && card.ca_key && card.ca_key->is_ec()) out.cam_private_key = card.ca_key->ec_key()->private_scalar();
  return out;
}

// MseSetAt: the fields of MSE:Set AT the card itself looks at (80 protocol, 83 password
// reference, 84 parameter ID); PaceChip checks them all again.
struct MseSetAt {
  Bytes protocol;
  int password_ref = 0;
  std::optional<int> parameter_id;
};

std::optional<MseSetAt> parse_mse(ByteView data) {
  MseSetAt out;
  apdu::TlvReader r(data);
  while (!r.empty()) {
    auto t = r.next();
    if (!t.ok()) return std::nullopt;
    if (t->tag == 0x80) out.protocol = to_bytes(t->value);
    if (t->tag == 0x83 && t->value.size() == 1) out.password_ref = t->value[0];
    if (t->tag == 0x84 && !t->value.empty() && t->value.size() <= 2) out.parameter_id = static_cast<int>(be_uint(t->value));
  }
  return out;
}

// replay_randomness: the chip's random values for this run drawn from the card's scripted
// source, in protocol order: nonce s, SK_Map,IC (GM / CAM), SK_DH,IC.
Result<auth::PaceChipRandomness> replay_randomness(const CardState& card, const MseSetAt& mse) {
  IDTAP_ASSIGN_OR_RETURN(auth::PaceAlgorithm alg, auth::pace_algorithm_from_oid(mse.protocol));
  std::optional<int> id = mse.parameter_id;
  for (const PaceOffer& offer : card.image.config.pace_offers)
    if (!id && to_auth(offer.mapping) == alg.mapping && offer.cipher == alg.cipher) id = offer.parameter_id;
  if (!id) return make_error(ErrorCode::kInvalidArgument, "no domain parameters for the replayed run");
  IDTAP_ASSIGN_OR_RETURN(auth::PaceDomain domain, auth::PaceDomain::standardized(*id));
  if (domain.ec_generator() == nullptr) return make_error(ErrorCode::kNotSupported, "DH PACE is not offered by this card");
  const size_t order = domain.ec_generator()->group().order_size();
  auth::PaceChipRandomness r;
  IDTAP_ASSIGN_OR_RETURN(r.nonce_s, card.random_bytes(auth::pace_nonce_length(alg)));
  if (alg.mapping != auth::PaceMapping::kIntegrated) {
    IDTAP_ASSIGN_OR_RETURN(r.mapping_private_key, card.random_secure_bytes(order));
  }
  IDTAP_ASSIGN_OR_RETURN(r.key_agreement_private_key, card.random_secure_bytes(order));
  return r;
}

Answer from_response(const apdu::ResponseApdu& r) {
  Answer a;
  a.data = r.data;
  a.sw = r.sw;
  return a;
}

}  // namespace

// PaceResponder: the chip's PaceChip, kept across runs, and the password of the current run.
struct PaceResponder {
  std::unique_ptr<auth::PaceChip> chip;
  bool scripted = false;  // built with replayed randomness: rebuild for the next run
  int password_ref = 0;
};

Answer mse_set_at_pace(CardState& card, const Context& ctx) {
  const CardConfig& c = card.image.config;
  // A BAC-only card has no PACE security environment.
  if (!c.pace || c.pace_offers.empty()) return sw_only(sw::kIncorrectP1P2);
  // PACE starts a session: it runs in plain.
  if (ctx.protected_by_sm) return sw_only(sw::kConditionsNotSatisfied);
  card.chip_auth.reset();
  card.pace_in_progress = false;
  auto mse = parse_mse(ctx.command.data);
  if (!mse) return sw_only(sw::kWrongData);
  // The retry counter of a known password: at zero the password is blocked.
  if ((mse->password_ref == 1 || mse->password_ref == 2) && card.retries[mse->password_ref] == 0)
    return sw_only(sw::kAuthenticationMethodBlocked);

  if (!card.pace) card.pace = std::make_shared<PaceResponder>();
  if (card.random || card.pace->scripted || !card.pace->chip) {
    auto config = chip_config(card);
    if (!config.ok()) return sw_only(sw::kReferenceDataNotUsable);
    if (card.random) {
      // Replaying a worked example: this run's random values come from the scripted source.
      auto r = replay_randomness(card, *mse);
      if (!r.ok()) return sw_only(sw::kWrongData);
      config->randomness = std::move(*r);
    }
    card.pace->scripted = static_cast<bool>(card.random);
    card.pace->chip = std::make_unique<auth::PaceChip>(std::move(*config));
  }
  apdu::ResponseApdu r = card.pace->chip->process(ctx.command);
  if (r.sw == sw::kOk) {
    card.pace_in_progress = true;
    card.pace->password_ref = mse->password_ref;
  }
  return from_response(r);
}

Answer general_authenticate_pace(CardState& card, const Context& ctx) {
  if (ctx.protected_by_sm) {
    card.pace_in_progress = false;
    return sw_only(sw::kConditionsNotSatisfied);
  }
  PaceResponder& pace = *card.pace;
  apdu::ResponseApdu r = pace.chip->process(ctx.command);
  switch (pace.chip->outcome()) {
    case auth::PaceChipOutcome::kInProgress: return from_response(r);
    case auth::PaceChipOutcome::kEstablished: {
      card.pace_in_progress = false;
      auto keys = pace.chip->take_session_keys();
      if (!keys) return sw_only(sw::kNoPreciseDiagnosis);
      auto channel = sm::CardSecureMessaging::create(*keys);
      if (!channel.ok()) return sw_only(sw::kNoPreciseDiagnosis);
      if (pace.password_ref == 1 || pace.password_ref == 2) card.retries[pace.password_ref] = card.image.config.pace_retries;
      card.pace_established = true;
      Answer a = from_response(r);
      a.next_sm = std::make_unique<sm::CardSecureMessaging>(std::move(*channel));
      a.next_state = SecurityState::kPace;
      return a;
    }
    case auth::PaceChipOutcome::kAuthFailed: {
      // ICAO 9303-11 §4.4.4.2 / TR-03110-3 §B.8: a wrong password costs one try; the SW says how
      // many are left (63C0: blocked from now on).
      card.pace_in_progress = false;
      int left = 0;
      if (pace.password_ref == 1 || pace.password_ref == 2) {
        int& counter = card.retries[pace.password_ref];
        if (counter > 0) --counter;
        left = counter;
      }
      return sw_only(static_cast<uint16_t>(0x63C0 | (left & 0x0F)));
    }
    case auth::PaceChipOutcome::kIdle:
    case auth::PaceChipOutcome::kAborted:
      card.pace_in_progress = false;
      return from_response(r);
  }
  return from_response(r);
}

}  // namespace idtap::sim::internal
