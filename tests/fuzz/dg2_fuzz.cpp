// libFuzzer target: DG2 (CBEFF templates, ISO/IEC 19794-5 records, 39794-5 blocks).
#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "idtap/lds/dg2.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  idtap::ByteView in(data, size);
  for (bool lenient : {false, true}) {
    auto dg2 = idtap::lds::parse_dg2(in, idtap::lds::Dg2Options{lenient});
    if (!dg2.ok()) continue;
    for (const auto& img : dg2->images()) (void)idtap::lds::detect_image_format(img.data);
    // What parses re-encodes, and the re-encoding parses to the same images.
    auto again = idtap::lds::encode_dg2(*dg2);
    if (!again.ok()) std::abort();
    auto back = idtap::lds::parse_dg2(*again);
    if (!back.ok() || back->images().size() != dg2->images().size()) std::abort();
  }
  (void)idtap::lds::parse_iso19794_5(in);
  (void)idtap::lds::parse_iso39794_5(in);
  return 0;
}
