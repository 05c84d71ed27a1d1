// The card's side of Basic Access Control (ICAO 9303-11 §4.3): GET CHALLENGE and EXTERNAL
// AUTHENTICATE, ending in 3DES secure messaging. The cryptography is lib/auth's card-side BAC.
#include <string_view>

#include "card_internal.h"
#include "idtap/auth/bac.h"
#include "idtap/auth/mrz_key.h"

namespace idtap::sim::internal {
namespace {

namespace sw = apdu::sw;

constexpr size_t kRndSize = auth::kBacNonceSize;  // RND.ICC
constexpr size_t kAuthDataSize = 40;              // E_IFD (32) || M_IFD (8)

std::string_view text_of(const SecureBytes& s) { return {reinterpret_cast<const char*>(s.data()), s.size()}; }

// document_basic_access_keys: K_enc and K_mac from the MRZ the card knows (ICAO 9303-11 §4.3.2).
Result<auth::BacKeys> document_basic_access_keys(const MrzKeyFields& mrz) {
  IDTAP_ASSIGN_OR_RETURN(auth::MrzKey key, auth::MrzKey::from_fields(text_of(mrz.document_number), text_of(mrz.date_of_birth),
                                                                     text_of(mrz.date_of_expiry)));
  return auth::bac_keys(key);
}

}  // namespace

Answer handle_get_challenge(CardState& card, const Context& ctx) {
  const apdu::CommandApdu& cmd = ctx.command;
  if (cmd.p1 != 0 || cmd.p2 != 0) return sw_only(sw::kIncorrectP1P2);
  if (!cmd.data.empty()) return sw_only(sw::kWrongLength);
  // ICAO 9303-11 §4.3.3.1: an 8-byte challenge (Le = 08).
  if (cmd.ne != kRndSize) return sw_only(sw::kWrongLength);
  auto rnd = card.random_bytes(kRndSize);
  if (!rnd.ok()) return sw_only(sw::kNoPreciseDiagnosis);
  card.rnd_icc = *rnd;
  Answer a;
  a.data = std::move(*rnd);
  return a;
}

Answer handle_external_authenticate(CardState& card, const Context& ctx) {
  const apdu::CommandApdu& cmd = ctx.command;
  // This card has no Terminal Authentication: EXTERNAL AUTHENTICATE is BAC's, or nothing.
  if (!card.image.config.bac) return sw_only(sw::kInsNotSupported);
  // The challenge is good for one attempt.
  const bool challenged = card.rnd_icc.has_value();
  const Bytes rnd_icc = challenged ? *card.rnd_icc : Bytes{};
  card.rnd_icc.reset();
  if (cmd.p1 != 0 || cmd.p2 != 0) return sw_only(sw::kIncorrectP1P2);
  if (cmd.data.size() != kAuthDataSize) return sw_only(sw::kWrongLength);
  // ICAO 9303-11 §4.3.3.2: Le = 28 (40 bytes); Le = 00 is accepted as well.
  if (cmd.ne != kAuthDataSize && cmd.ne != 256) return sw_only(sw::kWrongLength);
  // BAC runs in plain, right after GET CHALLENGE, on a card that knows its MRZ.
  if (ctx.protected_by_sm || !challenged || card.image.config.mrz.empty()) return sw_only(sw::kConditionsNotSatisfied);

  auto keys = document_basic_access_keys(card.image.config.mrz);
  if (!keys.ok()) return sw_only(sw::kReferenceDataNotUsable);
  auto k_icc = card.random_secure_bytes(auth::kBacKeySize);
  if (!k_icc.ok()) return sw_only(sw::kNoPreciseDiagnosis);
  auto answer = auth::bac_card_authenticate(*keys, rnd_icc, *k_icc, cmd.data);
  if (!answer.ok()) {
    // A wrong MRZ shows as a MAC that does not verify (or a RND.ICC that does not come back).
    if (answer.error().code == ErrorCode::kAuthFailed) return sw_only(sw::kVerificationFailed);
    return sw_only(answer.error().code == ErrorCode::kMalformed ? sw::kWrongLength : sw::kNoPreciseDiagnosis);
  }
  auto channel = sm::CardSecureMessaging::create(answer->session);
  if (!channel.ok()) return sw_only(sw::kNoPreciseDiagnosis);
  Answer a;
  a.data = std::move(answer->response_data);
  a.next_sm = std::make_unique<sm::CardSecureMessaging>(std::move(*channel));
  a.next_state = SecurityState::kBac;
  return a;
}

}  // namespace idtap::sim::internal
