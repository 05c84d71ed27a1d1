#include <sstream>

#include <doctest/doctest.h>
#include <fmt/format.h>

#include "idtap/base/hex.h"
#include "idtap/lds/dg11.h"
#include "idtap/lds/dg12.h"
#include "lds/tlv_build.h"

using namespace idtap;
using namespace idtap::lds;

namespace {
// 6B { 5C 5F0E 5F10 5F2B, 5F0E "홍길동" (UTF-8), 5F10 "900101-1234567", 5F2B "19900101" }
// (ICAO 9303-10 §4.7.11; the person and number are made up).
const char* kDg11Hex =
    "6B30 5C065F0E5F105F2B"
    "5F0E09ED998DEAB8B8EB8F99"
    "5F100E3930303130312D31323334353637"
    "5F2B083139393030313031";
}  // namespace

TEST_CASE("DG11 with a Hangul name and a resident registration number: fixed bytes") {
  Bytes file = hex_or_die(kDg11Hex);
  auto p = parse_dg11(file);
  REQUIRE(p.ok());
  CHECK(p->tag_list_consistent);
  const Dg11& d = p->dg11;
  CHECK(d.full_name == "홍길동");
  REQUIRE(d.personal_number.has_value());
  CHECK(d.personal_number->reveal() == "900101-1234567");
  REQUIRE(d.full_date_of_birth.has_value());
  CHECK(format_date(*d.full_date_of_birth->date) == "1990-01-01");
  CHECK_FALSE(d.full_date_of_birth->bcd);
  CHECK(encode_dg11(d).value() == file);
}

TEST_CASE("the personal number is masked by every formatting path") {
  PersonalNumber n("900101-1234567");
  CHECK(n.masked() == "900101-1******");
  CHECK(fmt::format("{}", n) == "900101-1******");
  std::ostringstream os;
  os << n;
  CHECK(os.str() == "900101-1******");
  CHECK(n.reveal() == "900101-1234567");  // only the explicit accessor gives it whole
  CHECK(PersonalNumber("ABC123").masked() == "A*****");  // not a resident number: first character
}

TEST_CASE("DG11 with every element round trips") {
  Dg11 d;
  d.full_name = "HONG<<GILDONG";
  d.other_names = {"홍 길동", "HONG<<KILDONG"};
  d.personal_number = PersonalNumber("900101-1234567");
  d.full_date_of_birth = LdsDate{"19900101", Date{1990, 1, 1}, false};
  d.place_of_birth = "서울특별시";
  d.address = "서울특별시 종로구 세종대로 209<03154";
  d.telephone = "+82-2-0000-0000";
  d.profession = "ENGINEER";
  d.title = "DR";
  d.personal_summary = "SAMPLE";
  d.proof_of_citizenship = hex_or_die("FFD8FFD9");
  d.other_td_numbers = "M12345678<M87654321";
  d.custody_information = "NONE";
  auto file = encode_dg11(d);
  REQUIRE(file.ok());
  auto p = parse_dg11(*file);
  REQUIRE(p.ok());
  CHECK(p->tag_list_consistent);
  CHECK(p->declared_tags.size() == 13);
  CHECK(p->dg11.other_names == d.other_names);
  CHECK(p->dg11.address == d.address);
  CHECK(split_filler_lines(*p->dg11.address) == std::vector<std::string>{"서울특별시 종로구 세종대로 209", "03154"});
  CHECK(p->dg11.personal_number == d.personal_number);
  CHECK(p->dg11.proof_of_citizenship == d.proof_of_citizenship);
  CHECK(p->dg11.custody_information == "NONE");
  CHECK(encode_dg11(p->dg11).value() == *file);
}

TEST_CASE("DG11 leniencies and reports: BCD date, tag list mismatch") {
  // 5F2B as 4 bytes of BCD (19900101), as some older documents write it.
  auto p = parse_dg11(hex_or_die("6B0B 5C025F2B 5F2B0419900101"));
  REQUIRE(p.ok());
  CHECK(p->dg11.full_date_of_birth->bcd);
  CHECK(format_date(*p->dg11.full_date_of_birth->date) == "1990-01-01");
  // A tag list naming an element that is absent parses, reported as inconsistent.
  auto q = parse_dg11(hex_or_die("6B0E 5C045F0E5F10 5F0E0548454C4C4F"));
  REQUIRE(q.ok());
  CHECK_FALSE(q->tag_list_consistent);
  // A partial date (unknown day) keeps the text without a date.
  auto r = parse_dg11(hex_or_die("6B0F 5C025F2B 5F2B083139393030313C3C"));
  REQUIRE(r.ok());
  CHECK(r->dg11.full_date_of_birth->raw == "199001<<");
  CHECK_FALSE(r->dg11.full_date_of_birth->date.has_value());
}

TEST_CASE("malformed DG11") {
  using lds_test::H;
  using lds_test::T;
  const Bytes list_name = H("5C025F0E");
  const Bytes hello = H("5F0E0548454C4C4F");
  struct Case {
    Bytes file;
    const char* why;
  } cases[] = {
      {T(0x6C, {list_name, hello}), "DG12 tag"},
      {H("6B00"), "no tag list"},
      {T(0x6B, {hello, list_name}), "element before the tag list"},
      {T(0x6B, {list_name, H("5F0E05C348454C4C")}), "full name is not UTF-8 (lead byte without continuation)"},
      {T(0x6B, {list_name, H("5F0E04EDA08041")}), "UTF-8 surrogate U+D800"},
      {T(0x6B, {list_name, H("5F0E04C0AF4141")}), "overlong UTF-8"},
      {lds_test::C({T(0x6B, {list_name, hello}), H("00")}), "trailing byte after the data group"},
      {T(0x6B, {list_name, hello, H("5F0E0141")}), "full name repeated"},
      {T(0x6B, {H("5C025F2B"), H("5F2B0419901A01")}), "BCD date with a nibble above 9"},
      {T(0x6B, {H("5C025F2B"), H("5F2B06313939303031")}), "date of 6 bytes"},
      {T(0x6B, {H("5C025F2B"), H("5F2B083139393041303131")}), "date with a letter"},
      {T(0x6B, {H("5C025F0F"), T(0xA0, {H("020102"), H("5F0F0141")})}), "other names count 2 for one name"},
      {T(0x6B, {H("5C025F0F"), T(0xA0, {H("5F0F0141")})}), "other names without a count"},
      {T(0x6B, {H("5C025F0F"), T(0xA0, {H("020101"), H("5F0E0141")})}), "other names template holding a full name"},
      {T(0x6B, {H("5C025F99"), H("5F990141")}), "unknown element 5F99"},
      {T(0x6B, {H("5C015F"), hello}), "tag list with a truncated two-byte tag"},
      {T(0x6B, {list_name, H("5F10029001")}), "personal number that is not UTF-8"},
  };
  for (const auto& c : cases) {
    CAPTURE(c.why);
    auto r = parse_dg11(c.file);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code == ErrorCode::kMalformed);
  }
  CHECK(parse_dg11(T(0x6B, {list_name, hello})).ok());  // the baseline of the cases parses
  CHECK(encode_dg11(Dg11{}).error().code == ErrorCode::kInvalidArgument);
  Dg11 bad;
  bad.full_name = std::string("\xC3", 1);
  CHECK(encode_dg11(bad).error().code == ErrorCode::kInvalidArgument);
}

TEST_CASE("DG12: fixed bytes and round trip") {
  // 6C { 5C 5F19 5F26 5F55, 5F19 "서울특별시 종로구청", 5F26 "20200315", 5F55 "20200315093000" }
  Dg12 d;
  d.issuing_authority = "서울특별시 종로구청";
  d.date_of_issue = LdsDate{"20200315", Date{2020, 3, 15}, false};
  d.personalization_time = "20200315093000";
  auto file = encode_dg12(d);
  REQUIRE(file.ok());
  CHECK(to_hex(ByteView(*file).first(10)) == "6c" + to_hex(Bytes{static_cast<uint8_t>(file->size() - 2)}) + "5c065f195f265f55");
  auto p = parse_dg12(*file);
  REQUIRE(p.ok());
  CHECK(p->tag_list_consistent);
  CHECK(p->dg12.issuing_authority == d.issuing_authority);
  CHECK(format_date(*p->dg12.date_of_issue->date) == "2020-03-15");
  CHECK(p->dg12.personalization_time == "20200315093000");

  Dg12 all = d;
  all.other_persons = {"KIM<<CHEOLSU", "LEE<<YOUNGHEE"};
  all.endorsements = "NONE";
  all.tax_exit_requirements = "NONE";
  all.image_front = hex_or_die("FFD8FFD9");
  all.image_rear = hex_or_die("FFD8FFD9");
  all.personalization_device = "SIM-0001";
  auto f2 = encode_dg12(all);
  REQUIRE(f2.ok());
  auto p2 = parse_dg12(*f2);
  REQUIRE(p2.ok());
  CHECK(p2->declared_tags.size() == 9);
  CHECK(p2->dg12.other_persons == all.other_persons);
  CHECK(p2->dg12.personalization_device == "SIM-0001");
  CHECK(encode_dg12(p2->dg12).value() == *f2);
}

TEST_CASE("malformed DG12") {
  using lds_test::H;
  using lds_test::T;
  const Bytes list_authority = H("5C025F19");
  const Bytes authority = H("5F190141");
  struct Case {
    Bytes file;
    const char* why;
  } cases[] = {
      {T(0x6B, {list_authority, authority}), "DG11 tag"},
      {H("6C00"), "no tag list"},
      {T(0x6C, {H("5C035F195F"), authority}), "tag list with a truncated two-byte tag"},
      {T(0x6C, {H("5C025F26"), H("5F2609323032303033313500")}), "date of issue of 9 bytes"},
      {T(0x6C, {H("5C025F26"), H("5F26083230323030333341")}), "date of issue with a letter"},
      {T(0x6C, {H("5C025F55"), H("5F550E3230323031333135303933303030")}), "personalization time with month 13"},
      {T(0x6C, {H("5C025F55"), H("5F550C323032303033313530393330")}), "personalization time of 12 digits"},
      {T(0x6C, {H("5C025F1A"), T(0xA0, {H("020102"), H("5F1A0141")})}), "other persons count 2 for one"},
      {T(0x6C, {list_authority, H("5F1902C328")}), "issuing authority not UTF-8"},
      {T(0x6C, {H("5C025F77"), H("5F770141")}), "unknown element 5F77"},
      {T(0x6C, {list_authority, authority, authority}), "issuing authority repeated"},
  };
  for (const auto& c : cases) {
    CAPTURE(c.why);
    auto r = parse_dg12(c.file);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code == ErrorCode::kMalformed);
  }
  CHECK(parse_dg12(T(0x6C, {list_authority, authority})).ok());  // the baseline of the cases parses
  Dg12 bad;
  bad.personalization_time = "2020";
  CHECK(encode_dg12(bad).error().code == ErrorCode::kInvalidArgument);
}
