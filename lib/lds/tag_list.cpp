#include "idtap/lds/tag_list.h"

#include <algorithm>
#include <string>

#include <fmt/format.h>

#include "idtap/lds/der.h"
#include "idtap/lds/text_fields.h"

namespace idtap::lds {
namespace {

constexpr size_t kMaxTagBytes = 4;  // tags are held in a uint32_t, as in apdu/tlv.h
constexpr uint32_t kTagCount = 0x02;  // the count of a count template: an INTEGER

Error bad(const char* name, const std::string& why) { return make_error(ErrorCode::kMalformed, std::string(name) + ": " + why); }

}  // namespace

Result<std::vector<uint32_t>> parse_tag_list(ByteView v) {
  std::vector<uint32_t> out;
  size_t i = 0;
  while (i < v.size()) {
    const size_t start = i;
    uint32_t tag = v[i++];
    // X.690 §8.1.2.4: low five bits 11111 announce subsequent bytes; bit 8 set on each but
    // the last.
    if ((tag & 0x1F) == 0x1F) {
      while (true) {
        if (i >= v.size()) return make_error(ErrorCode::kMalformed, "tag list: tag cut off at byte " + std::to_string(start));
        if (i - start + 1 > kMaxTagBytes) return make_error(ErrorCode::kMalformed, "tag list: tag longer than 4 bytes at byte " + std::to_string(start));
        // X.690 §8.1.2.4.2 c: bits 7 to 1 of the first subsequent byte are not all zero.
        if (i == start + 1 && v[i] == 0x80) return make_error(ErrorCode::kMalformed, "tag list: non-minimal tag at byte " + std::to_string(start));
        const uint8_t b = v[i++];
        tag = tag << 8 | b;
        if ((b & 0x80) == 0) break;
      }
    }
    out.push_back(tag);
  }
  return out;
}

Bytes encode_tag_list(const std::vector<uint32_t>& tags) {
  Bytes list;
  for (uint32_t t : tags) append(list, apdu::encode_tag(t));
  return list;
}

Result<TagListGroup> parse_tag_list_group(ByteView file, uint32_t group_tag, const char* name) {
  apdu::TlvReader top(file);
  auto body = top.enter(group_tag);
  if (!body.ok()) return std::move(body).error().with_context(name);
  if (auto end = top.expect_end(); !end.ok()) return std::move(end).error().with_context(name);
  // ICAO 9303-10 §4.7.11 / §4.7.12: the tag list comes first.
  auto list = body->read(kTagTagList);
  if (!list.ok()) return std::move(list).error().with_context(std::string(name) + " tag list");
  TagListGroup out;
  auto tags = parse_tag_list(list->value);
  if (!tags.ok()) return bad(name, tags.error().context);
  out.declared_tags = std::move(tags).value();
  while (!body->empty()) {
    auto element = body->next();
    if (!element.ok()) return std::move(element).error().with_context(name);
    out.elements.push_back(*element);
  }
  return out;
}

bool tag_list_matches(std::vector<uint32_t> declared, std::vector<uint32_t> present) {
  std::sort(declared.begin(), declared.end());
  std::sort(present.begin(), present.end());
  return declared == present;
}

Result<std::string> read_text_element(const apdu::Tlv& t, const char* name) {
  std::string s = string_of(t.value);
  if (!is_valid_utf8(s)) return bad(name, fmt::format("element {:X} is not UTF-8", t.tag));
  return s;
}

Status set_text_element(std::optional<std::string>& field, const apdu::Tlv& t, const char* name) {
  if (field) return bad(name, fmt::format("element {:X} repeated", t.tag));
  IDTAP_ASSIGN_OR_RETURN(std::string s, read_text_element(t, name));
  field = std::move(s);
  return ok_status();
}

Result<std::vector<std::string>> parse_counted_texts(ByteView value, uint32_t item_tag, const char* name) {
  apdu::TlvReader items(value);
  auto count = der::read_integer(items, kTagCount);
  if (!count.ok()) return std::move(count).error().with_context(std::string(name) + fmt::format(" element {:X} count", item_tag));
  std::vector<std::string> out;
  while (!items.empty()) {
    auto item = items.read(item_tag);
    if (!item.ok()) return std::move(item).error().with_context(name);
    IDTAP_ASSIGN_OR_RETURN(std::string s, read_text_element(*item, name));
    out.push_back(std::move(s));
  }
  if (*count != static_cast<int64_t>(out.size()))
    return bad(name, fmt::format("element {:X} count {} for {} items", item_tag, *count, out.size()));
  return out;
}

Status add_text_element(apdu::TlvWriter& w, uint32_t tag, const std::optional<std::string>& value, const char* name) {
  if (!value) return ok_status();
  if (!is_valid_utf8(*value))
    return make_error(ErrorCode::kInvalidArgument, fmt::format("{}: element {:X} is not UTF-8", name, tag));
  w.add(tag, bytes_of(*value));
  return ok_status();
}

Status add_counted_texts(apdu::TlvWriter& w, uint32_t template_tag, uint32_t item_tag, const std::vector<std::string>& items,
                         const char* name) {
  if (items.empty()) return ok_status();
  for (const auto& item : items)
    if (!is_valid_utf8(item))
      return make_error(ErrorCode::kInvalidArgument, fmt::format("{}: element {:X} is not UTF-8", name, item_tag));
  w.open(template_tag);
  der::add_integer(w, static_cast<int64_t>(items.size()), kTagCount);
  for (const auto& item : items) w.add(item_tag, bytes_of(item));
  w.close();
  return ok_status();
}

}  // namespace idtap::lds
