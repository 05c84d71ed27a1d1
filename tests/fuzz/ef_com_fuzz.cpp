// libFuzzer target: EF.COM, and the file-length helper the read layer uses on first bytes.
#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "idtap/lds/ef_com.h"
#include "idtap/lds/files.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  idtap::ByteView in(data, size);
  auto com = idtap::lds::parse_ef_com(in);
  if (com.ok()) {
    auto again = idtap::lds::encode_ef_com(*com);
    if (!again.ok() || *again != idtap::Bytes(data, data + size)) std::abort();
  }
  for (auto mode : {idtap::apdu::TlvMode::kDer, idtap::apdu::TlvMode::kBerLenient}) {
    auto len = idtap::lds::file_length(in, mode);
    if (len.ok() && len->header_length > size) std::abort();
  }
  return 0;
}
