#include "idtap/base/hex.h"

#include <doctest/doctest.h>

using namespace idtap;

TEST_CASE("hex round trip, separators and case") {
  Bytes b = {0x00, 0xA4, 0x04, 0x0C, 0xFF};
  CHECK(to_hex(b) == "00a4040cff");
  CHECK(to_hex(b, true, ' ') == "00 A4 04 0C FF");
  CHECK(from_hex("00 a4:04\n0C ff").value() == b);
  CHECK(from_hex("").value().empty());
}

TEST_CASE("hex rejects bad input") {
  struct Case {
    const char* text;
    const char* why;
  } cases[] = {
      {"0", "odd number of digits"},
      {"0g", "non-hex character"},
      {"0 0", "separator splitting a byte"},
      {"12-34", "dash is not a separator"},
      {"zz", "letters outside a-f"},
  };
  for (const auto& c : cases) {
    CAPTURE(c.why);
    auto r = from_hex(c.text);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code == ErrorCode::kInvalidArgument);
  }
}

TEST_CASE("hex_byte, hex_word and printable_ascii") {
  CHECK(hex_byte(0x00) == "00");
  CHECK(hex_byte(0x3B) == "3B");
  CHECK(hex_word(0x6A82) == "6A82");
  CHECK(hex_word(0x0001) == "0001");
  CHECK(printable_ascii(bytes_of("JCOP 41")));
  CHECK_FALSE(printable_ascii(Bytes{}));             // empty: nothing to show as text
  CHECK_FALSE(printable_ascii(Bytes{'A', 0x7F}));    // DEL is not printable
  CHECK_FALSE(printable_ascii(Bytes{0x1F, 'A'}));    // a control byte
}
