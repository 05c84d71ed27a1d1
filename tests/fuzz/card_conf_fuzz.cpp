// libFuzzer target: the simulated card's card.conf parser (drivers/sim/card_image.h). Whatever
// parses must format back to text that parses to the same configuration.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "idtap/sim/card_image.h"

using namespace idtap;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto config = sim::parse_card_conf(text);
  if (!config.ok()) return 0;
  SecureBytes again = sim::format_card_conf(*config);
  auto reparsed = sim::parse_card_conf(std::string_view(reinterpret_cast<const char*>(again.data()), again.size()));
  if (!reparsed.ok()) std::abort();
  if (reparsed->pace_offers != config->pace_offers || !(reparsed->quirks == config->quirks) ||
      reparsed->atr != config->atr || reparsed->uid != config->uid)
    std::abort();
  return 0;
}
