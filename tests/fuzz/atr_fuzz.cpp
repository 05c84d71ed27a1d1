// libFuzzer target: the ATR decoder. Whatever parses must describe itself: the level-0 fields
// of describe_atr() cover the ATR byte for byte, the level-1 fields the historical bytes, and
// the summary is never empty.
#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "idtap/apdu/atr.h"
#include "idtap/describe/atr.h"

using namespace idtap;
using namespace idtap::apdu;
using namespace idtap::describe;

namespace {

void require(bool ok) {
  if (!ok) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const ByteView raw(data, size);
  (void)decode_historical(raw);
  auto atr = parse_atr(raw);
  if (!atr.ok()) {
    require(atr.error().code == ErrorCode::kMalformed);
    return 0;
  }
  require(size >= 2 && size <= kMaxAtrLength);
  require(!atr->protocols.empty());
  require(!atr_summary(*atr).empty());
  Bytes top, historical;
  for (const AtrField& f : describe_atr(*atr)) {
    require(!f.meaning.empty());
    if (f.level == 0) append(top, f.bytes);
    if (f.level == 1) append(historical, f.bytes);
  }
  require(equal_bytes(top, raw));
  require(equal_bytes(historical, atr->historical.raw));
  if (atr->tck) {
    uint8_t x = 0;
    for (size_t i = 1; i < size; ++i) x ^= data[i];
    require(x == 0);
  }
  return 0;
}
