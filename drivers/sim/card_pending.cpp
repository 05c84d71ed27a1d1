// Temporary: PACE until lib/auth's PACE math lands on main.
#include "card_internal.h"

namespace idtap::sim::internal {

struct PacePending {};
Answer mse_set_at_pace(CardState&, const Context&) { return sw_only(apdu::sw::kIncorrectP1P2); }
Answer general_authenticate_pace(CardState&, const Context&) { return sw_only(apdu::sw::kConditionsNotSatisfied); }

}  // namespace idtap::sim::internal
