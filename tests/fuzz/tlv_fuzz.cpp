// libFuzzer target: the BER-TLV reader in both modes, descending into every constructed object.
// Invariants: every view lies inside the input; in DER mode an object re-encodes to exactly
// the bytes it was read from (strictness); a failed read does not move the cursor.
#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "idtap/apdu/tlv.h"

using namespace idtap;
using namespace idtap::apdu;

namespace {

ByteView g_input;

void require(bool ok) {
  if (!ok) std::abort();
}

bool inside(ByteView inner) {
  return inner.empty() || (inner.data() >= g_input.data() && inner.data() + inner.size() <= g_input.data() + g_input.size());
}

void walk(ByteView data, TlvMode mode, int depth) {
  if (depth > 40) return;
  TlvReader r(data, mode);
  while (!r.empty()) {
    const ByteView before = r.remaining();
    auto peek = r.peek_tag();
    auto t = r.next();
    require(peek.ok() == t.ok());
    if (!t.ok()) {
      require(t.error().code == ErrorCode::kMalformed);
      require(r.remaining().size() == before.size());  // a failed read does not move
      return;
    }
    require(*peek == t->tag);
    require(inside(t->raw) && inside(t->value));
    require(t->raw.size() <= before.size() && t->raw.data() == before.data());
    require(t->value.size() <= t->raw.size());
    require(t->constructed == tag_is_constructed(t->tag));
    if (mode == TlvMode::kDer) {
      Bytes again = encode_tlv(t->tag, t->value);
      require(equal_bytes(again, t->raw));
    }
    if (t->constructed) walk(t->value, mode, depth + 1);
  }
  require(r.expect_end().ok());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  g_input = ByteView(data, size);
  walk(g_input, TlvMode::kDer, 0);
  walk(g_input, TlvMode::kBerLenient, 0);
  // The typed readers: read / enter / read_optional / find with a tag taken from the input.
  if (size >= 1) {
    const uint32_t tag = data[0];
    TlvReader r(g_input.subspan(1), TlvMode::kBerLenient);
    (void)r.read_optional(tag);
    (void)r.find(tag);
    TlvReader e(g_input.subspan(1));
    if (auto inner = e.enter(tag); inner.ok()) (void)inner->expect_end();
    (void)parse_single(g_input.subspan(1), tag);
  }
  return 0;
}
