// libFuzzer target: DG11 (additional personal details).
#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "idtap/lds/dg11.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto dg11 = idtap::lds::parse_dg11(idtap::ByteView(data, size));
  if (dg11.ok()) {
    if (dg11->dg11.personal_number) (void)dg11->dg11.personal_number->masked();
    auto again = idtap::lds::encode_dg11(dg11->dg11);
    if (again.ok() && !idtap::lds::parse_dg11(*again).ok()) std::abort();
  }
  return 0;
}
