// The simulated card: power, the APDU dispatcher, secure messaging framing, reader pseudo-APDUs.
#include "idtap/sim/card.h"

#include "card_internal.h"
#include "idtap/apdu/command.h"
#include "idtap/apdu/response.h"
#include "idtap/apdu/status_words.h"
#include "idtap/crypto/random.h"

namespace idtap::sim {

using internal::Answer;
using internal::sw_only;
namespace sw = apdu::sw;

const char* security_state_name(SecurityState state) {
  switch (state) {
    case SecurityState::kNone: return "none";
    case SecurityState::kBac: return "bac";
    case SecurityState::kPace: return "pace";
    case SecurityState::kChipAuthenticated: return "chip_authenticated";
  }
  return "?";
}

Result<Bytes> internal::CardState::random_bytes(size_t n) const {
  if (!random) return crypto::random_bytes(n);
  IDTAP_ASSIGN_OR_RETURN(Bytes out, random(n));
  if (out.size() != n) return make_error(ErrorCode::kInternal, "random source returned the wrong number of bytes");
  return out;
}

Result<SecureBytes> internal::CardState::random_secure_bytes(size_t n) const {
  if (!random) return crypto::random_secure_bytes(n);
  IDTAP_ASSIGN_OR_RETURN(Bytes out, random_bytes(n));
  SecureBytes s = secure_copy(out);
  secure_zero(out.data(), out.size());
  return s;
}

void internal::CardState::reset_session() {
  application_selected = false;
  current_ef.reset();
  rnd_icc.reset();
  end_secure_messaging();
}

void internal::CardState::end_secure_messaging() {
  // ICAO 9303-11 §9.8.1 (and TR-03110-3 §F.1): when secure messaging is aborted the chip
  // deletes the session keys and the access rights they granted.
  sm.reset();
  security = SecurityState::kNone;
  pace_established = false;
  pace_in_progress = false;
  chip_auth.reset();
}

namespace {

Bytes encode_response(ByteView data, uint16_t status) {
  Bytes out(data.begin(), data.end());
  out.push_back(static_cast<uint8_t>(status >> 8));
  out.push_back(static_cast<uint8_t>(status & 0xFF));
  return out;
}

Bytes status_only(uint16_t status) { return encode_response({}, status); }

// PC/SC part 3 §3.2.2.1.3: GET DATA (FF CA): the UID (P1 00) or the historical bytes (P1 01).
// A reader answers these, not the card; the simulated card plays its reader's part.
Answer reader_pseudo_apdu(const internal::CardState& card, const apdu::CommandApdu& cmd) {
  if (cmd.ins != 0xCA) return sw_only(sw::kInsNotSupported);
  if (cmd.p2 != 0x00) return sw_only(sw::kIncorrectP1P2);
  Bytes value;
  if (cmd.p1 == 0x00) {
    value = card.image.config.uid;
  } else if (cmd.p1 == 0x01) {
    const Bytes& atr = card.image.config.atr;
    // Historical bytes: T0's low nibble counts them; they follow the interface bytes. For the
    // PC/SC contactless ATR 3B 8n 80 01 <hist> TCK they start at offset 4.
    size_t k = atr.size() > 1 ? (atr[1] & 0x0F) : 0;
    if (atr.size() >= 4 + k + 1) value.assign(atr.begin() + 4, atr.begin() + 4 + static_cast<long>(k));
  } else {
    return sw_only(sw::kIncorrectP1P2);
  }
  // PC/SC part 3: Le=00 returns the whole value; a shorter Le gets 6Cxx.
  if (cmd.ne != 0 && cmd.ne < value.size() && cmd.ne != 256) return sw_only(static_cast<uint16_t>(0x6C00 | value.size()));
  Answer a;
  a.data = std::move(value);
  return a;
}

// dispatch: one plain command (either sent in plain or unwrapped from secure messaging).
Answer dispatch(internal::CardState& card, const internal::Context& ctx) {
  const apdu::CommandApdu& cmd = ctx.command;
  // Command chaining (CLA b5) is meaningful only for GENERAL AUTHENTICATE here (ICAO 9303-11
  // §4.4.4.2 uses it to mark every PACE step but the last).
  if (cmd.is_chained() && cmd.ins != 0x86) return sw_only(sw::kChainingNotSupported);
  switch (cmd.ins) {
    case 0xA4: return internal::handle_select(card, ctx);
    case 0xB0:
    case 0xB1: return internal::handle_read_binary(card, ctx);
    case 0x84: return internal::handle_get_challenge(card, ctx);
    case 0x82: return internal::handle_external_authenticate(card, ctx);
    case 0x22: return internal::handle_mse(card, ctx);
    case 0x86: return internal::handle_general_authenticate(card, ctx);
    case 0x88: return internal::handle_internal_authenticate(card, ctx);
    default: return sw_only(sw::kInsNotSupported);
  }
}

// apply: installs what an answer asks for after it was sent.
void apply(internal::CardState& card, Answer& a) {
  if (a.next_sm) card.sm = std::move(a.next_sm);
  if (a.next_state) card.security = *a.next_state;
}

}  // namespace

Status internal::load_chip_keys(internal::CardState& card) {
  auto load = [&](const SecureBytes& pem, const char* what, std::optional<internal::ChipKey>& out) -> Status {
    if (pem.empty()) return ok_status();
    auto key = internal::ChipKey::from_pem(pem);
    if (!key.ok()) return make_error(ErrorCode::kMalformed, std::string("chip/") + what + ": " + key.error().context);
    if (card.image.config.quirks.cloned_chip) {
      // A clone carries the genuine card's files but cannot carry its private keys: its own
      // keys do not match DG14 / DG15 (nor EF.CardSecurity).
      auto fresh = key->generate_like();
      if (!fresh.ok()) return fresh.error().with_context(std::string("chip/") + what);
      out = std::move(*fresh);
    } else {
      out = std::move(*key);
    }
    return ok_status();
  };
  IDTAP_TRY(load(card.image.chip.ca_key_pem, "ca_key.pem", card.ca_key));
  IDTAP_TRY(load(card.image.chip.aa_key_pem, "aa_key.pem", card.aa_key));
  if (card.ca_key && card.ca_key->is_rsa())
    return make_error(ErrorCode::kNotSupported, "chip/ca_key.pem: Chip Authentication needs an EC or DH key");
  return ok_status();
}

struct SimCard::Impl {
  internal::CardState state;
};

SimCard::SimCard(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Result<std::unique_ptr<SimCard>> SimCard::create(CardImage image) {
  auto impl = std::make_unique<Impl>();
  impl->state.image = std::move(image);
  impl->state.files = internal::build_file_table(impl->state.image.files);
  impl->state.retries[1] = impl->state.retries[2] = impl->state.image.config.pace_retries;
  IDTAP_TRY(internal::load_chip_keys(impl->state));
  return std::unique_ptr<SimCard>(new SimCard(std::move(impl)));
}
SimCard::~SimCard() = default;

Bytes SimCard::power_on() {
  impl_->state.reset_session();
  impl_->state.powered = true;
  return impl_->state.image.config.atr;
}

void SimCard::power_off() {
  impl_->state.reset_session();
  impl_->state.powered = false;
}

bool SimCard::powered() const { return impl_->state.powered; }
const CardConfig& SimCard::config() const { return impl_->state.image.config; }
void SimCard::set_quirks(const CardQuirks& quirks) { impl_->state.image.config.quirks = quirks; }
void SimCard::set_random_source(RandomSource source) { impl_->state.random = std::move(source); }
SecurityState SimCard::security_state() const { return impl_->state.security; }
uint64_t SimCard::apdus_processed() const { return impl_->state.apdus; }

int SimCard::pace_retries_left(int password_ref) const {
  if (password_ref < 1 || password_ref > 2) return -1;
  return impl_->state.retries[password_ref];
}

Bytes SimCard::process(ByteView wire) {
  internal::CardState& card = impl_->state;
  ++card.apdus;
  if (!card.powered) return status_only(sw::kNoPreciseDiagnosis);
  auto parsed = apdu::CommandApdu::parse(wire);
  // ISO 7816-4 §5.1: a command whose length fields do not add up: wrong length.
  if (!parsed.ok()) return status_only(sw::kWrongLength);
  const apdu::CommandApdu& cmd = *parsed;

  if (cmd.cla == 0xFF) {
    Answer a = reader_pseudo_apdu(card, cmd);
    return encode_response(a.data, a.sw);
  }
  // A card without extended length support rejects extended APDUs (ISO 7816-4 §5.1; the card
  // announces support in its historical bytes / EF.ATR, which this card leaves out).
  if (cmd.extended && !card.image.config.quirks.extended_length) return status_only(sw::kWrongLength);
  // ISO 7816-4 §5.4.1: only the first interindustry class (CLA 0x0X / 0x1X) is offered;
  // proprietary classes are not.
  if ((cmd.cla & 0x80) != 0 || (cmd.cla & 0x60) != 0) return status_only(sw::kClaNotSupported);
  if ((cmd.cla & 0x03) != 0) return status_only(sw::kLogicalChannelNotSupported);

  const uint8_t sm_bits = cmd.cla & 0x0C;
  if (sm_bits == 0) {
    // ICAO 9303-11 §9.8.1: a plain APDU received during secure messaging aborts it.
    if (card.sm) card.end_secure_messaging();
    internal::Context ctx{cmd, false};
    Answer a = dispatch(card, ctx);
    apply(card, a);
    return encode_response(a.data, a.sw);
  }
  // Only ISO SM with an authenticated header (CLA b4 b3 = 11) is defined for eMRTDs.
  if (sm_bits != 0x0C) return status_only(sw::kSecureMessagingNotSupported);
  if (!card.sm) {
    // No session keys: the card cannot verify the MAC (a terminal whose session ended sees
    // what a wrong MAC gives).
    return status_only(sw::kSmDataObjectsIncorrect);
  }
  auto inner = card.sm->unwrap_command(cmd);
  if (!inner.ok()) {
    // ICAO 9303-11 §9.8.1: an SM error ends the session; the error itself goes back in plain.
    const uint16_t error_sw = inner.error().sw != 0 ? inner.error().sw : sw::kSmDataObjectsIncorrect;
    card.end_secure_messaging();
    return status_only(error_sw);
  }
  internal::Context ctx{*inner, true};
  Answer a = dispatch(card, ctx);
  // The session may have ended while processing (a failed protocol step); answer in plain then.
  if (!card.sm) {
    apply(card, a);
    return encode_response(a.data, a.sw);
  }
  auto wrapped = card.sm->wrap_response(apdu::ResponseApdu{a.data, a.sw});
  if (!wrapped.ok()) {
    card.end_secure_messaging();
    return status_only(sw::kNoPreciseDiagnosis);
  }
  apply(card, a);
  return wrapped->encode();
}

}  // namespace idtap::sim
