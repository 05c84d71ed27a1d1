// libFuzzer target: DG12 (additional document details).
#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "idtap/lds/dg12.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto dg12 = idtap::lds::parse_dg12(idtap::ByteView(data, size));
  if (dg12.ok()) {
    auto again = idtap::lds::encode_dg12(dg12->dg12);
    if (again.ok() && !idtap::lds::parse_dg12(*again).ok()) std::abort();
  }
  return 0;
}
