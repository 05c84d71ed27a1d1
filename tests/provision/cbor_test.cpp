// tests/provision/cbor_test.cpp: the heads cbor::Writer writes (through libcbor's cbor_encode_*)
// for the boundary arguments of every head size, for each major type with a head (RFC 8949 §3:
// argument < 24 in the initial byte, then 1, 2, 4 or 8 bytes, the shortest that holds it).
#include "idtap/provision/cbor.h"

#include <doctest/doctest.h>

#include <string>

#include "idtap/base/hex.h"

using namespace idtap;
using namespace idtap::provision;

namespace {

// A boundary argument and its head for major type 0, written out by hand: additional
// information (the low 5 bits of the initial byte), then the argument big-endian.
struct Boundary {
  uint64_t argument;
  const char* head;  // hex, major type 0
  const char* why;
};
const Boundary kBoundaries[] = {
    {0, "00", "the smallest: in the initial byte"},
    {23, "17", "the largest in the initial byte"},
    {24, "1818", "the smallest with a 1-byte argument"},
    {255, "18ff", "the largest 1-byte argument"},
    {256, "190100", "the smallest 2-byte argument"},
    {65535, "19ffff", "the largest 2-byte argument"},
    {65536, "1a00010000", "the smallest 4-byte argument"},
    {0xFFFFFFFFull, "1affffffff", "2^32-1: the largest 4-byte argument"},
    {0x100000000ull, "1b0000000100000000", "2^32: the smallest 8-byte argument"},
};

// with_major: `head` (hex, major type 0) with the major type `major` in the top 3 bits.
std::string with_major(const std::string& head, unsigned major) {
  Bytes b = from_hex(head).value();
  b[0] = static_cast<uint8_t>((major << 5) | (b[0] & 0x1F));
  return to_hex(b);
}

std::string written(cbor::Writer& w) { return to_hex(w.take().value()); }

}  // namespace

TEST_CASE("cbor::Writer heads: shortest form at every boundary, for every major type with a head") {
  for (const auto& c : kBoundaries) {
    CAPTURE(c.why);
    cbor::Writer w;
    CHECK(written(w.uint(c.argument)) == with_major(c.head, 0));
    CHECK(written(w.integer(-1 - static_cast<int64_t>(c.argument))) == with_major(c.head, 1));  // -1 - n
    CHECK(written(w.array(c.argument)) == with_major(c.head, 4));
    CHECK(written(w.map(c.argument)) == with_major(c.head, 5));
    CHECK(written(w.tag(c.argument)) == with_major(c.head, 6));
    // Byte and text string heads: through encoded_cbor_header (tag 24, then the bstr head) for
    // every length; through bytes() and text() for the lengths worth allocating.
    CHECK(to_hex(cbor::encoded_cbor_header(c.argument).view()) == "d818" + with_major(c.head, 2));
    if (c.argument <= 65536) {
      const std::string content(c.argument, 'a');
      const std::string content_hex = to_hex(ByteView(reinterpret_cast<const uint8_t*>(content.data()), content.size()));
      CHECK(written(w.bytes(ByteView(reinterpret_cast<const uint8_t*>(content.data()), content.size()))) ==
            with_major(c.head, 2) + content_hex);
      CHECK(written(w.text(content)) == with_major(c.head, 3) + content_hex);
    }
  }
}

TEST_CASE("cbor::Writer: the heads decode back to the same argument (libcbor's decoder agrees)") {
  for (const auto& c : kBoundaries) {
    CAPTURE(c.why);
    cbor::Writer w;
    auto item = cbor::decode(w.uint(c.argument).take().value());
    REQUIRE(item.ok());
    CHECK(cbor_get_int(item->get()) == c.argument);
  }
}
