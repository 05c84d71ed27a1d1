// libFuzzer target: DG1 (and its MRZ) from untrusted bytes.
#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "idtap/lds/dg1.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const idtap::lds::MrzOptions opts{idtap::Date{2024, 1, 1}};
  auto dg1 = idtap::lds::parse_dg1(idtap::ByteView(data, size), opts);
  if (dg1.ok()) {
    // What parses re-encodes to the same bytes (DG1 is one DER object around the MRZ text).
    auto again = idtap::lds::encode_dg1(dg1->mrz.text);
    if (!again.ok() || *again != idtap::Bytes(data, data + size)) std::abort();
  }
  return 0;
}
