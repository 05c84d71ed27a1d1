// libFuzzer target: command APDU parsing. Invariant: whatever parses encodes, the encoding is
// the input byte for byte, and it parses back to the same command.
#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "idtap/apdu/command.h"

using namespace idtap;
using namespace idtap::apdu;

namespace {

void require(bool ok) {
  if (!ok) std::abort();
}

bool same(const CommandApdu& a, const CommandApdu& b) {
  return a.cla == b.cla && a.ins == b.ins && a.p1 == b.p1 && a.p2 == b.p2 && equal_bytes(a.data, b.data) &&
         a.ne == b.ne && a.needs_extended() == b.needs_extended() && a.iso_case() == b.iso_case();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const ByteView wire(data, size);
  auto parsed = CommandApdu::parse(wire);
  if (!parsed.ok()) {
    require(parsed.error().code == ErrorCode::kMalformed);
    return 0;
  }
  require(parsed->data.size() <= kMaxExtendedNc && parsed->ne <= kMaxExtendedNe);
  auto encoded = parsed->encode();
  require(encoded.ok());
  require(equal_bytes(*encoded, wire));
  auto again = CommandApdu::parse(*encoded);
  require(again.ok());
  require(same(*parsed, *again));
  return 0;
}
