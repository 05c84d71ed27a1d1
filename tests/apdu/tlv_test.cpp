#include "idtap/apdu/tlv.h"

#include <doctest/doctest.h>

#include "idtap/base/hex.h"

using namespace idtap;
using namespace idtap::apdu;

TEST_CASE("nested TLV read with multi-byte tags and long lengths") {
  // 61 (template) { 5F1F "AB", 7F49 { 86 04 01 02 03 04 } }
  TlvWriter w;
  w.open(0x61).add(0x5F1F, bytes_of("AB")).open(0x7F49).add(0x86, hex_or_die("01020304")).close().close();
  Bytes enc = w.finish().value();
  CHECK(to_hex(enc) == "610e5f1f0241427f4906860401020304");

  TlvReader r(enc);
  auto outer = r.enter(0x61);
  REQUIRE(outer.ok());
  CHECK(r.expect_end().ok());
  auto name = outer->read(0x5F1F);
  REQUIRE(name.ok());
  CHECK(string_of(name->value) == "AB");
  auto key = outer->enter(0x7F49);
  REQUIRE(key.ok());
  CHECK(to_hex(key->read(0x86)->value) == "01020304");
  CHECK(key->expect_end().ok());
  CHECK(outer->expect_end().ok());
}

TEST_CASE("long-form lengths round trip") {
  Bytes value(300, 0x11);
  Bytes enc = encode_tlv(0x04, value);
  CHECK(to_hex(ByteView(enc).first(4)) == "0482012c");
  auto t = parse_single(enc, 0x04);
  REQUIRE(t.ok());
  CHECK(t->value.size() == 300);
  CHECK(to_hex(encode_length(127)) == "7f");
  CHECK(to_hex(encode_length(128)) == "8180");
  CHECK(to_hex(encode_length(65536)) == "83010000");
}

TEST_CASE("read_optional, find and peek_tag") {
  Bytes enc = hex_or_die("800101 810102 820103");
  TlvReader r(enc);
  CHECK(r.peek_tag().value() == 0x80);
  CHECK_FALSE(r.read_optional(0x81).value().has_value());  // next is 80, not 81
  CHECK(r.read_optional(0x80).value().has_value());
  CHECK(to_hex(r.find(0x82)->value) == "03");
  CHECK(r.empty());
  CHECK_FALSE(r.read_optional(0x80).value().has_value());  // empty: nullopt, not an error
}

TEST_CASE("malformed TLV is an error, never an out-of-bounds read") {
  struct Case {
    const char* hex;
    TlvMode mode;
    const char* why;
  } cases[] = {
      {"", TlvMode::kDer, "empty input where an object is expected"},
      {"5f", TlvMode::kDer, "truncated multi-byte tag"},
      {"04", TlvMode::kDer, "tag without a length"},
      {"0405010203", TlvMode::kDer, "length beyond the buffer"},
      {"0482ff", TlvMode::kDer, "truncated long-form length"},
      {"048500000000010a", TlvMode::kDer, "5-byte length field"},
      {"04810501020304 05", TlvMode::kDer, "non-minimal DER length (81 05)"},
      {"0482000101", TlvMode::kDer, "non-minimal DER length (leading zero)"},
      {"1f8181818101", TlvMode::kDer, "tag longer than 4 bytes (overflow)"},
      {"1f0501", TlvMode::kDer, "tag number below 31 in long form"},
      {"1f800101", TlvMode::kDer, "non-minimal long tag (leading 80)"},
      {"30800000", TlvMode::kDer, "indefinite length in DER mode"},
      {"04800000", TlvMode::kBerLenient, "indefinite length on a primitive tag"},
      {"3080020101", TlvMode::kBerLenient, "indefinite length without end-of-contents"},
  };
  for (const auto& c : cases) {
    CAPTURE(c.why);
    Bytes bytes = hex_or_die(c.hex);
    TlvReader r(bytes, c.mode);
    auto t = r.next();
    REQUIRE_FALSE(t.ok());
    CHECK(t.error().code == ErrorCode::kMalformed);
  }
}

TEST_CASE("BER indefinite length is accepted only when asked for") {
  // 30 80 { 02 01 05, 30 80 { 04 01 AA } 00 00 } 00 00 then 05 00
  Bytes enc = hex_or_die("3080 020105 3080 0401aa 0000 0000 0500");
  TlvReader strict(enc);
  CHECK_FALSE(strict.next().ok());
  TlvReader lenient(enc, TlvMode::kBerLenient);
  auto seq = lenient.next();
  REQUIRE(seq.ok());
  CHECK(seq->raw.size() == 14);  // 2 + 3 + (2 + 3 + 2) + 2
  TlvReader inner(seq->value, TlvMode::kBerLenient);
  CHECK(to_hex(inner.read(0x02)->value) == "05");
  auto nested = inner.enter(0x30);
  REQUIRE(nested.ok());
  CHECK(to_hex(nested->read(0x04)->value) == "aa");
  CHECK(inner.expect_end().ok());
  CHECK(lenient.read(0x05).ok());
  CHECK(lenient.expect_end().ok());
  // Lenient mode also accepts a non-minimal length form.
  Bytes nonminimal = hex_or_die("04810101");
  TlvReader nonmin(nonminimal, TlvMode::kBerLenient);
  CHECK(nonmin.next().ok());
}

TEST_CASE("expect_end reports trailing bytes; read names the tags") {
  Bytes trailing = hex_or_die("800101ff");
  TlvReader r(trailing);
  CHECK(r.read(0x80).ok());
  auto end = r.expect_end();
  REQUIRE_FALSE(end.ok());
  CHECK(end.error().context.find("trailing") != std::string::npos);
  Bytes one = hex_or_die("800101");
  TlvReader w(one);
  auto wrong = w.read(0x81);
  REQUIRE_FALSE(wrong.ok());
  CHECK(wrong.error().context.find("expected tag 81, found 80") != std::string::npos);
  CHECK(w.read(0x80).ok());  // a failed read did not move the cursor
}

TEST_CASE("TlvWriter stays failed once misused") {
  TlvWriter w;
  w.close();
  w.add(0x80, Bytes{1});
  CHECK(w.failed());
  CHECK_FALSE(w.finish().ok());
  TlvWriter open;
  open.open(0x30);
  CHECK(open.finish().error().code == ErrorCode::kInvalidArgument);
  TlvWriter u;
  u.add_uint(0x80, 0).add_uint(0x81, 0x1234);
  CHECK(to_hex(u.finish().value()) == "80010081021234");
}
