// MANAGE SECURITY ENVIRONMENT and GENERAL AUTHENTICATE: which protocol a command belongs to.
#include "card_internal.h"

namespace idtap::sim::internal {

namespace sw = apdu::sw;

Answer handle_mse(CardState& card, const Context& ctx) {
  const apdu::CommandApdu& cmd = ctx.command;
  // Some cards refuse an MSE that carries Le (ICAO 9303-11 §4.4.4.1 says to omit it).
  if (card.image.config.quirks.mse_rejects_le && cmd.ne != 0) return sw_only(sw::kWrongLength);
  const uint16_t p1p2 = static_cast<uint16_t>(cmd.p1 << 8 | cmd.p2);
  switch (p1p2) {
    case 0xC1A4: return mse_set_at_pace(card, ctx);                   // PACE (§4.4.4.1)
    case 0x41A4: return mse_set_at_chip_authentication(card, ctx);    // CA with AES (§6.2.4.1)
    case 0x41A6: return mse_set_kat(card, ctx);                       // CA with 3DES (§6.2.4.2)
    default: return sw_only(sw::kIncorrectP1P2);                      // TA etc.: not offered
  }
}

Answer handle_general_authenticate(CardState& card, const Context& ctx) {
  const apdu::CommandApdu& cmd = ctx.command;
  if (cmd.p1 != 0 || cmd.p2 != 0) return sw_only(sw::kIncorrectP1P2);
  if (card.pace_in_progress) return general_authenticate_pace(card, ctx);
  if (card.chip_auth) return general_authenticate_chip_authentication(card, ctx);
  // GENERAL AUTHENTICATE with no protocol set up by MSE.
  return sw_only(sw::kConditionsNotSatisfied);
}

}  // namespace idtap::sim::internal
