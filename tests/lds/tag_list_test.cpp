// The tag list (5C) of DG11 and DG12 (ICAO 9303-10 §4.7.11, §4.7.12): one parser of BER tags of
// any length (X.690 §8.1.2.4), and both data groups reading their lists through it.
#include "idtap/lds/tag_list.h"

#include <doctest/doctest.h>

#include <functional>
#include <string>

#include "idtap/lds/dg11.h"
#include "idtap/lds/dg12.h"
#include "lds/tlv_build.h"

using namespace idtap;
using namespace idtap::lds;
using namespace idtap::lds_test;

TEST_CASE("parse_tag_list: BER tags of one to four bytes") {
  struct Case {
    const char* hex;
    std::vector<uint32_t> tags;
    const char* why;
  } cases[] = {
      {"", {}, "an empty list"},
      {"5F0E", {0x5F0E}, "one two-byte tag"},
      {"5F195F265F55", {0x5F19, 0x5F26, 0x5F55}, "the DG12 tags of a Korean card"},
      {"01", {0x01}, "a one-byte tag"},
      {"A0", {0xA0}, "a one-byte constructed tag"},
      {"5F8101", {0x5F8101}, "a three-byte tag (tag number 129)"},
      {"7F818101", {0x7F818101}, "a four-byte tag"},
      {"5F19015F81015F26", {0x5F19, 0x01, 0x5F8101, 0x5F26}, "lengths mixed (two, one, three, two)"},
      {"9F1F", {0x9F1F}, "context class, number 31: the first number needing two bytes"},
  };
  for (const auto& c : cases) {
    INFO(std::string(c.why));
    auto r = parse_tag_list(H(c.hex));
    REQUIRE(r.ok());
    CHECK(*r == c.tags);
    CHECK(encode_tag_list(*r) == H(c.hex));  // the list encodes back to its bytes
  }
}

TEST_CASE("parse_tag_list: a cut-off or garbage list is kMalformed") {
  struct Case {
    const char* hex;
    const char* why;
  } cases[] = {
      {"5F", "a two-byte tag cut off after its first byte"},
      {"5F0E5F", "... after a good tag"},
      {"5F81", "a continuation byte (bit 8 set) at the end"},
      {"5F8181", "two continuation bytes at the end"},
      {"7F81818101", "a five-byte tag"},
      {"5F8001", "a first subsequent byte 80 (X.690 §8.1.2.4.2 c)"},
      {"FFFFFFFFFF", "garbage: every byte a continuation"},
  };
  for (const auto& c : cases) {
    INFO(std::string(c.why));
    auto r = parse_tag_list(H(c.hex));
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code == ErrorCode::kMalformed);
  }
}

TEST_CASE("tag_list_matches ignores order, not content") {
  CHECK(tag_list_matches({0x5F26, 0x5F19}, {0x5F19, 0x5F26}));
  CHECK_FALSE(tag_list_matches({0x5F19}, {0x5F19, 0x5F26}));
  CHECK_FALSE(tag_list_matches({0x5F19, 0x5F19}, {0x5F19}));
  CHECK(tag_list_matches({}, {}));
}

namespace {

// Group: one data group of the tag-list shape, with one text element ("HELLO") of its own, and
// how to parse it down to what the tag list gave.
struct Group {
  const char* name;
  uint32_t tag;       // 6B, 6C
  uint32_t element;   // 5F0E full name, 5F19 issuing authority
  std::function<Result<std::pair<std::vector<uint32_t>, bool>>(ByteView)> parse;
};

const Group kGroups[] = {
    {"DG11", 0x6B, 0x5F0E,
     [](ByteView f) -> Result<std::pair<std::vector<uint32_t>, bool>> {
       IDTAP_ASSIGN_OR_RETURN(Dg11Parsed p, parse_dg11(f));
       return std::pair{p.declared_tags, p.tag_list_consistent};
     }},
    {"DG12", 0x6C, 0x5F19,
     [](ByteView f) -> Result<std::pair<std::vector<uint32_t>, bool>> {
       IDTAP_ASSIGN_OR_RETURN(Dg12Parsed p, parse_dg12(f));
       return std::pair{p.declared_tags, p.tag_list_consistent};
     }},
};

// file_with_list: `g`'s template holding the tag list `list` and the element "HELLO".
Bytes file_with_list(const Group& g, const Bytes& list) {
  return T(g.tag, {apdu::encode_tlv(kTagTagList, list), apdu::encode_tlv(g.element, H("48454C4C4F"))});
}

}  // namespace

TEST_CASE("DG11 and DG12 read their tag lists the same way") {
  struct Case {
    const char* extra;            // tags after the element's own in the list (hex)
    std::vector<uint32_t> extra_tags;
    bool consistent;
    const char* why;
  } cases[] = {
      {"", {}, true, "the list names exactly the element present"},
      {"01", {0x01}, false, "plus a one-byte tag (no such element: reported, not refused)"},
      {"5F8101", {0x5F8101}, false, "plus a three-byte tag"},
      {"015F8101", {0x01, 0x5F8101}, false, "a one-byte and a three-byte tag (an even length for DG12's old pairs)"},
      {"7F818101", {0x7F818101}, false, "plus a four-byte tag"},
  };
  for (const Group& g : kGroups) {
    for (const auto& c : cases) {
      const std::string what = std::string(g.name) + ": " + c.why;
      INFO(what);
      Bytes list = apdu::encode_tag(g.element);
      append(list, H(c.extra));
      auto r = g.parse(file_with_list(g, list));
      REQUIRE(r.ok());
      std::vector<uint32_t> want{g.element};
      want.insert(want.end(), c.extra_tags.begin(), c.extra_tags.end());
      CHECK(r->first == want);
      CHECK(r->second == c.consistent);
    }
  }
}

TEST_CASE("DG11 and DG12: a truncated or garbage tag list is kMalformed") {
  struct Case {
    const char* extra;
    const char* why;
  } cases[] = {
      {"5F", "a tag cut off after its first byte"},
      {"5F81", "a tag cut off after a continuation byte"},
      {"7F81818101", "a five-byte tag"},
      {"5F8001", "a non-minimal tag"},
      {"FFFF", "garbage"},
  };
  for (const Group& g : kGroups) {
    for (const auto& c : cases) {
      const std::string what = std::string(g.name) + ": " + c.why;
      INFO(what);
      Bytes list = apdu::encode_tag(g.element);
      append(list, H(c.extra));
      auto r = g.parse(file_with_list(g, list));
      REQUIRE_FALSE(r.ok());
      CHECK(r.error().code == ErrorCode::kMalformed);
      CHECK(r.error().context.find(g.name) != std::string::npos);  // names the data group
    }
    // No tag list at all: the element comes first.
    const std::string what = std::string(g.name) + ": no tag list";
    INFO(what);
    auto r = g.parse(T(g.tag, {apdu::encode_tlv(g.element, H("48454C4C4F"))}));
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code == ErrorCode::kMalformed);
  }
}

TEST_CASE("parse_counted_texts: DG11's other names and DG12's other persons, one reader") {
  // A0 { 02 count, item ... } (ICAO 9303-10 §4.7.11 other names 5F0F, §4.7.12 other persons 5F1A).
  for (uint32_t item : {0x5F0Fu, 0x5F1Au}) {
    const Bytes a = apdu::encode_tlv(item, H("41")), b = apdu::encode_tlv(item, H("EBB0A9"));  // "A", "방"
    auto two = parse_counted_texts(C({H("020102"), a, b}), item, "DGx");
    REQUIRE(two.ok());
    CHECK(*two == std::vector<std::string>{"A", "\xEB\xB0\xA9"});
    auto none = parse_counted_texts(H("020100"), item, "DGx");
    REQUIRE(none.ok());
    CHECK(none->empty());
    struct Bad {
      Bytes value;
      const char* why;
    } bad[] = {
        {C({H("020102"), a}), "a count of 2 for one item"},
        {C({H("020101"), a, b}), "a count of 1 for two items"},
        {a, "no count"},
        {C({H("020101"), apdu::encode_tlv(0x5F0E, H("41"))}), "an item with another tag"},
        {C({H("020101"), apdu::encode_tlv(item, H("C3"))}), "an item that is not UTF-8"},
        {C({H("020101"), H("5F")}), "an item cut off"},
    };
    for (const auto& c : bad) {
      INFO(c.why);
      auto r = parse_counted_texts(c.value, item, "DGx");
      REQUIRE_FALSE(r.ok());
      CHECK(r.error().code == ErrorCode::kMalformed);
      CHECK(r.error().context.find("DGx") != std::string::npos);
    }
  }
}

TEST_CASE("the shared element writers: what they write reads back, and bad text writes nothing") {
  apdu::TlvWriter w;
  REQUIRE(add_text_element(w, 0x5F19, std::string("SEOUL"), "DG12").ok());
  REQUIRE(add_text_element(w, 0x5F1B, std::nullopt, "DG12").ok());        // absent: nothing
  REQUIRE(add_counted_texts(w, 0xA0, 0x5F1A, {"KIM", "LEE"}, "DG12").ok());
  REQUIRE(add_counted_texts(w, 0xA0, 0x5F1A, {}, "DG12").ok());            // empty: no template
  // Refused, with nothing written: a text element and a template item that are not UTF-8.
  auto bad_text = add_text_element(w, 0x5F1C, std::string("\xC3"), "DG12");
  REQUIRE_FALSE(bad_text.ok());
  CHECK(bad_text.error().code == ErrorCode::kInvalidArgument);
  CHECK(bad_text.error().context == "DG12: element 5F1C is not UTF-8");
  auto bad_item = add_counted_texts(w, 0xA0, 0x5F1A, {"KIM", "\xC3"}, "DG12");
  REQUIRE_FALSE(bad_item.ok());
  CHECK(bad_item.error().code == ErrorCode::kInvalidArgument);
  auto bytes = w.finish();
  REQUIRE(bytes.ok());
  CHECK(*bytes == C({T(0x5F19, {H("53454F554C")}), T(0xA0, {H("020102"), T(0x5F1A, {H("4B494D")}), T(0x5F1A, {H("4C4545")})})}));

  // set_text_element reads each element once.
  apdu::TlvReader r(*bytes);
  apdu::Tlv authority = r.next().value();
  std::optional<std::string> field;
  REQUIRE(set_text_element(field, authority, "DG12").ok());
  CHECK(field == "SEOUL");
  auto again = set_text_element(field, authority, "DG12");
  REQUIRE_FALSE(again.ok());
  CHECK(again.error().context == "DG12: element 5F19 repeated");
}
