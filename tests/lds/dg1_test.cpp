#include "idtap/lds/dg1.h"

#include <doctest/doctest.h>

#include "idtap/base/hex.h"
#include "lds/vectors.h"

using namespace idtap;
using namespace idtap::lds;

namespace {
const MrzOptions kRef{Date{2024, 1, 1}};
}

TEST_CASE("DG1 of the ICAO 9303 specimens: fixed bytes and round trip") {
  // ICAO 9303-10 §4.7.1: 61 L 5F1F L <MRZ>. For the TD3 specimen: 61 5B 5F1F 58 "P<UTO...".
  const std::string td3 = "P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<L898902C36UTO7408122F1204159ZE184226B<<<<<10";
  auto enc = encode_dg1(td3);
  REQUIRE(enc.ok());
  CHECK(to_hex(ByteView(*enc).first(5)) == "615b5f1f58");
  CHECK(enc->size() == 5 + 88);
  for (auto& v : lds_test::load_vectors("lds/icao9303_mrz.txt")) {
    CAPTURE(v["source"]);
    auto file = encode_dg1(v["mrz"]);
    REQUIRE(file.ok());
    auto dg1 = parse_dg1(*file, kRef);
    REQUIRE(dg1.ok());
    CHECK(dg1->mrz.text == v["mrz"]);
    CHECK(dg1->mrz.document_number == v["document_number"]);
    CHECK(dg1->mrz.checks_valid());
  }
}

TEST_CASE("DG1 of the TD2 specimen as published bytes") {
  // The TD2 specimen (ICAO 9303-6) as a DG1: 61 4B 5F1F 48 <72 characters>.
  Bytes file = hex_or_die(
      "614B5F1F48493C55544F4552494B53534F4E3C3C414E4E413C4D415249413C3C3C3C3C3C3C3C3C3C3C443233313435383930"
      "3755544F3734303831323246313230343135393C3C3C3C3C3C3C36");
  auto dg1 = parse_dg1(file, kRef);
  REQUIRE(dg1.ok());
  CHECK(dg1->mrz.format == MrzFormat::kTd2);
  CHECK(dg1->mrz.primary_identifier == "ERIKSSON");
  CHECK(dg1->mrz.checks_valid());
  CHECK(encode_dg1(dg1->mrz.text).value() == file);
}

TEST_CASE("malformed DG1") {
  const std::string td2 = "493C55544F4552494B53534F4E3C3C414E4E413C4D415249413C3C3C3C3C3C3C3C3C3C3C4432333134353839303755544F3734303831323246313230343135393C3C3C3C3C3C3C36";
  struct Case {
    std::string hex;
    const char* why;
  } cases[] = {
      {"01021234", "not tag 61"},
      {"6109010212340203123456", "no 5F1F inside"},
      {"614C5F1F49" + td2 + "11", "MRZ of 73 bytes"},
      {"614B5F1F48" + td2 + "00", "trailing byte after the data group"},
      {"614E5F1F48" + td2 + "020100", "a stray object after 5F1F"},
      {"61045F1F0141", "MRZ of one byte"},
      {"614B5F1F48" + td2.substr(0, td2.size() - 2) + "20", "MRZ holding a blank"},
      {"61", "truncated"},
  };
  for (const auto& c : cases) {
    CAPTURE(c.why);
    auto r = parse_dg1(hex_or_die(c.hex), kRef);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code == ErrorCode::kMalformed);
  }
  CHECK(encode_dg1("TOO SHORT").error().code == ErrorCode::kInvalidArgument);
}
