// libFuzzer target: EF.CardAccess as read from a card: parse_security_infos (lib/lds), then the
// access-control choice PACE makes from it (choose_access, choose_pace over every PACEInfo).
#include <cstddef>
#include <cstdint>
#include <optional>

#include "idtap/auth/pace.h"
#include "idtap/lds/security_infos.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace idtap;
  auto infos = lds::parse_security_infos(ByteView(data, size));
  if (!infos.ok()) return 0;
  auto choice = auth::choose_access(std::optional<lds::SecurityInfos>(*infos));
  if (choice.method == auth::AccessControl::kPace && !choice.pace.has_value()) __builtin_trap();
  for (const auto& info : infos->pace) (void)auth::choose_pace({info});
  return 0;
}
