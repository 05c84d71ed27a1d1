// libFuzzer target: DG15 (SubjectPublicKeyInfo).
#include <cstddef>
#include <cstdint>

#include "idtap/lds/dg15.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto dg15 = idtap::lds::parse_dg15(idtap::ByteView(data, size));
  if (dg15.ok()) (void)dg15->key.curve_name();
  (void)idtap::lds::parse_subject_public_key_info(idtap::ByteView(data, size));
  return 0;
}
