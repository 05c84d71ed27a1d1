// Temporary: the protocol commands until lib/sm and the PACE math land on main.
#include "card_internal.h"

namespace idtap::sim::internal {

Status load_chip_keys(CardState&) { return ok_status(); }
Answer handle_mse(CardState&, const Context&) { return sw_only(apdu::sw::kInsNotSupported); }
Answer handle_general_authenticate(CardState&, const Context&) { return sw_only(apdu::sw::kInsNotSupported); }
Answer handle_internal_authenticate(CardState&, const Context&) { return sw_only(apdu::sw::kInsNotSupported); }

}  // namespace idtap::sim::internal
