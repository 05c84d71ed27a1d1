#include "idtap/apdu/command.h"

#include <doctest/doctest.h>

#include "idtap/base/hex.h"

using namespace idtap;
using namespace idtap::apdu;

TEST_CASE("the four ISO 7816-4 cases encode in short form") {
  CommandApdu c1{0x00, 0xA4, 0x04, 0x0C};
  CHECK(to_hex(c1.encode().value()) == "00a4040c");
  CommandApdu c2{0x00, 0x84, 0x00, 0x00};
  c2.ne = 8;
  CHECK(to_hex(c2.encode().value()) == "0084000008");
  CommandApdu c3{0x00, 0xA4, 0x02, 0x0C, Bytes{0x01, 0x1E}};
  CHECK(to_hex(c3.encode().value()) == "00a4020c02011e");
  CommandApdu c4 = c3;
  c4.ne = 256;  // Le=00 means 256
  CHECK(to_hex(c4.encode().value()) == "00a4020c02011e00");
  CHECK(c1.iso_case() == 1);
  CHECK(c2.iso_case() == 2);
  CHECK(c3.iso_case() == 3);
  CHECK(c4.iso_case() == 4);
}

TEST_CASE("extended length encodes when the lengths need it") {
  CommandApdu c2{0x00, 0xB0, 0x00, 0x00};
  c2.ne = 65536;  // extended Le=0000 means 65536
  CHECK(to_hex(c2.encode().value()) == "00b00000000000");
  c2.ne = 1000;
  CHECK(to_hex(c2.encode().value()) == "00b000000003e8");
  CommandApdu c3{0x00, 0xD6, 0x00, 0x00, Bytes(300, 0xAB)};
  Bytes w3 = c3.encode().value();
  CHECK(w3.size() == 7 + 300);
  CHECK(to_hex(ByteView(w3).first(7)) == "00d6000000012c");
  CommandApdu c4 = c3;
  c4.ne = 65536;
  Bytes w4 = c4.encode().value();
  CHECK(w4.size() == 9 + 300);
  CHECK(w4[w4.size() - 2] == 0);
  CHECK(w4[w4.size() - 1] == 0);
  CommandApdu forced{0x00, 0xB0, 0x00, 0x00};
  forced.ne = 10;
  forced.extended = true;
  CHECK(to_hex(forced.encode().value()) == "00b0000000000a");
}

TEST_CASE("encode rejects lengths beyond ISO 7816-4") {
  CommandApdu big{0x00, 0xD6, 0, 0, Bytes(65536, 0)};
  CHECK(big.encode().error().code == ErrorCode::kInvalidArgument);
  CommandApdu ne{0x00, 0xB0, 0, 0};
  ne.ne = 65537;
  CHECK(ne.encode().error().code == ErrorCode::kInvalidArgument);
}

TEST_CASE("parse inverts encode for every case") {
  for (size_t nc : {size_t(0), size_t(1), size_t(255), size_t(256), size_t(4000)}) {
    for (size_t ne : {size_t(0), size_t(1), size_t(256), size_t(257), size_t(65536)}) {
      CAPTURE(nc);
      CAPTURE(ne);
      CommandApdu c{0x0C, 0xB0, 0x12, 0x34, Bytes(nc, 0x5A)};
      c.ne = ne;
      auto parsed = CommandApdu::parse(c.encode().value());
      REQUIRE(parsed.ok());
      CHECK(parsed->cla == 0x0C);
      CHECK(parsed->p2 == 0x34);
      CHECK(parsed->data == c.data);
      CHECK(parsed->ne == ne);
    }
  }
}

TEST_CASE("parse rejects every malformed length layout") {
  struct Case {
    const char* hex;
    const char* why;
  } cases[] = {
      {"00a404", "shorter than the header"},
      {"00a4040c0201", "Lc=2 but one data byte"},
      {"00a4040c02011e0000", "Lc=2 followed by two extra bytes"},
      {"00b0000000", "five bytes with Le=00 is fine: see below"},
      {"00b000000000", "six bytes starting with extended marker: truncated"},
      {"00d6000000000001", "extended Lc of zero"},
      {"00d600000000020102ff", "extended Lc with a one-byte (short) Le"},
      {"00d6000000000501020304", "extended Lc=5 but four data bytes"},
  };
  for (const auto& c : cases) {
    CAPTURE(c.why);
    auto r = CommandApdu::parse(hex_or_die(c.hex));
    if (std::string(c.hex) == "00b0000000") {
      REQUIRE(r.ok());
      CHECK(r->ne == 256);
      continue;
    }
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code == ErrorCode::kMalformed);
  }
}
