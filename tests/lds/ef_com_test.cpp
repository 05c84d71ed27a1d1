#include "idtap/lds/ef_com.h"

#include <doctest/doctest.h>

#include "idtap/base/hex.h"
#include "lds/vectors.h"

using namespace idtap;
using namespace idtap::lds;

TEST_CASE("EF.COM example of ICAO 9303-10 parses and re-encodes to the same bytes") {
  auto v = lds_test::load_vectors("lds/icao9303_ef_com.txt");
  REQUIRE(v.size() == 1);
  Bytes file = hex_or_die(v[0]["hex"]);
  auto com = parse_ef_com(file);
  REQUIRE(com.ok());
  CHECK(com->lds_version == v[0]["lds_version"]);
  CHECK(com->lds_version_text() == "1.6");
  CHECK(com->unicode_version == v[0]["unicode_version"]);
  CHECK(com->tags == std::vector<uint32_t>{0x61, 0x75});
  CHECK(com->data_groups() == std::vector<int>{1, 2});
  CHECK(encode_ef_com(*com).value() == file);
}

TEST_CASE("EF.COM round trip with every data group the resident card has") {
  EfCom com;
  com.lds_version = "0108";
  com.tags = {0x61, 0x75, 0x6B, 0x6C, 0x6E, 0x6F};
  auto enc = encode_ef_com(com);
  REQUIRE(enc.ok());
  auto back = parse_ef_com(*enc);
  REQUIRE(back.ok());
  CHECK(back->data_groups() == std::vector<int>{1, 2, 11, 12, 14, 15});
  CHECK(back->lds_version_text() == "1.8");
}

TEST_CASE("malformed EF.COM") {
  struct Case {
    const char* hex;
    const char* why;
  } cases[] = {
      {"55021234", "wrong outer tag"},
      {"60155F010530313036305F36063034303030305C026175", "LDS version of 5 bytes"},
      {"60135F0104303130365F360534303030305C026175", "Unicode version of 5 bytes"},
      {"60145F01043031304A5F36063034303030305C026175", "LDS version not digits"},
      {"60105F0104303130365F3606303430303030", "no tag list"},
      {"60125F0104303130365F36063034303030305C00", "empty tag list"},
      {"60145F0104303130365F36063034303030305C026161", "tag list repeats 61"},
      {"60145F0104303130365F36063034303030305C026160", "tag list holds 60 (not a data group)"},
      {"60145F0104303130365F36063034303030305C02617500", "trailing byte"},
      {"60155F0104303130365F36063034303030305C026175 01", "length covers a stray byte inside"},
      {"60145F36063034303030305F0104303130365C026175", "elements out of order"},
      {"6081145F0104303130365F36063034303030305C026175", "non-minimal length"},
  };
  for (const auto& c : cases) {
    CAPTURE(c.why);
    auto r = parse_ef_com(hex_or_die(c.hex));
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code == ErrorCode::kMalformed);
  }
  EfCom bad;
  bad.lds_version = "1.7";
  bad.tags = {0x61};
  CHECK(encode_ef_com(bad).error().code == ErrorCode::kInvalidArgument);
}
