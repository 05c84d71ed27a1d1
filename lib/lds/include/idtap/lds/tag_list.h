// idtap/lds/tag_list.h: the shape DG11 and DG12 share (ICAO 9303-10 §4.7.11, §4.7.12): a
// template (6B, 6C) that opens with a tag list, 5C, naming the elements present as a
// concatenation of their BER tags, followed by those elements. One parser for both, so the
// two data groups read the list the same way (tags of any length, not only two bytes).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "idtap/apdu/tlv.h"
#include "idtap/base/bytes.h"
#include "idtap/base/result.h"

namespace idtap::lds {

// kTagTagList: the tag list data object (ICAO 9303-10 §4.7.11 Table 39, §4.7.12 Table 40).
inline constexpr uint32_t kTagTagList = 0x5C;

// parse_tag_list: the value of 5C as its tags, in order, each held as its encoded bytes read
// big-endian (0x5F0E, 0xA0, 0x5F8101: as apdu/tlv.h holds tags). A tag is one byte, or, when
// its low five bits are all set, continues while bit 8 of the next byte is set (X.690
// §8.1.2.4). kMalformed for a tag cut off by the end of the list, a tag longer than 4 bytes
// (the apdu layer's limit), or a first subsequent byte 80 (X.690 §8.1.2.4.2 c). An empty list
// is no error (the elements present then disagree with it: see tag_list_matches).
Result<std::vector<uint32_t>> parse_tag_list(ByteView value);

// encode_tag_list: the value of 5C for `tags` (each as apdu::encode_tag writes it).
Bytes encode_tag_list(const std::vector<uint32_t>& tags);

// TagListGroup: a data group of this shape, split: the tags its list announces and its
// elements in file order. The elements view the file passed to parse_tag_list_group, which must
// outlive them.
struct TagListGroup {
  std::vector<uint32_t> declared_tags;
  std::vector<apdu::Tlv> elements;
};

// parse_tag_list_group: `file` as `group_tag` { 5C tag list, elements... } in strict DER,
// nothing after it. kMalformed (context prefixed with `name`, "DG11") for a wrong or missing
// template tag, a missing or bad tag list (parse_tag_list), an element that does not decode, or
// trailing bytes. What the elements hold is the caller's to check.
Result<TagListGroup> parse_tag_list_group(ByteView file, uint32_t group_tag, const char* name);

// tag_list_matches: `declared` and `present` name the same tags, in any order (ICAO 9303-10
// does not fix the order; the list is reported, not enforced, by the readers of DG11/DG12).
bool tag_list_matches(std::vector<uint32_t> declared, std::vector<uint32_t> present);

// The elements both groups hold in the same way. `name` ("DG11", "DG12") prefixes every error.
//
// read_text_element: element `t`'s value as text; kMalformed ("DG11: element 5F0E is not UTF-8")
// unless it is UTF-8 (ICAO 9303-10 §4.7.11 / §4.7.12 encode these fields in UTF-8).
Result<std::string> read_text_element(const apdu::Tlv& t, const char* name);
// set_text_element: read_text_element into `field`; kMalformed ("DG11: element 5F0E repeated")
// when `field` is already set (each element appears once).
Status set_text_element(std::optional<std::string>& field, const apdu::Tlv& t, const char* name);
// parse_counted_texts: the value of a count template (DG11 other names, DG12 other persons: A0
// { 02 count, `item_tag` text ... }, ICAO 9303-10 §4.7.11 / §4.7.12) as its texts in order.
// kMalformed for a missing count, an item with another tag or not UTF-8, or a count that
// differs from the items.
Result<std::vector<std::string>> parse_counted_texts(ByteView value, uint32_t item_tag, const char* name);

// add_text_element: `tag` holding `value` when it is set, nothing otherwise; kInvalidArgument
// ("DG12: element 5F19 is not UTF-8"), with nothing written, for text that is not UTF-8.
Status add_text_element(apdu::TlvWriter& w, uint32_t tag, const std::optional<std::string>& value, const char* name);
// add_counted_texts: `template_tag` { 02 count, `item_tag` item ... } when `items` is not empty,
// nothing otherwise; kInvalidArgument, with nothing written, when an item is not UTF-8.
Status add_counted_texts(apdu::TlvWriter& w, uint32_t template_tag, uint32_t item_tag, const std::vector<std::string>& items,
                         const char* name);

}  // namespace idtap::lds
