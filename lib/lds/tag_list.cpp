#include "idtap/lds/tag_list.h"

#include <algorithm>
#include <string>

namespace idtap::lds {
namespace {

constexpr size_t kMaxTagBytes = 4;  // tags are held in a uint32_t, as in apdu/tlv.h

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

}  // namespace idtap::lds
