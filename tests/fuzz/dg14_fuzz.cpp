// libFuzzer target: DG14 and EF.CardAccess (SecurityInfos).
#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "idtap/lds/card_security.h"
#include "idtap/lds/dg14.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  idtap::ByteView in(data, size);
  for (auto parsed : {idtap::lds::parse_dg14(in), idtap::lds::parse_card_access(in)}) {
    if (!parsed.ok()) continue;
    // Whatever parses re-encodes to something that parses to as many infos.
    auto again = idtap::lds::encode_security_infos(*parsed);
    if (!again.ok()) std::abort();
    auto back = idtap::lds::parse_security_infos(*again);
    if (!back.ok() || back->pace.size() != parsed->pace.size() || back->unknown.size() != parsed->unknown.size())
      std::abort();
  }
  return 0;
}
