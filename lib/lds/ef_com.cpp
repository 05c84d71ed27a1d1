#include "idtap/lds/ef_com.h"

#include <algorithm>

#include "idtap/apdu/tlv.h"
#include "idtap/lds/files.h"

namespace idtap::lds {
namespace {

using apdu::Tlv;
using apdu::TlvReader;

constexpr uint32_t kTagCom = 0x60;
constexpr uint32_t kTagLdsVersion = 0x5F01;
constexpr uint32_t kTagUnicodeVersion = 0x5F36;
constexpr uint32_t kTagList = 0x5C;

bool all_digits(std::string_view s, size_t len) {
  return s.size() == len && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

Error bad(const std::string& why) { return make_error(ErrorCode::kMalformed, "EF.COM: " + why); }

}  // namespace

std::vector<int> EfCom::data_groups() const {
  std::vector<int> out;
  for (uint32_t t : tags)
    if (auto n = data_group_number(t)) out.push_back(*n);
  return out;
}

std::string EfCom::lds_version_text() const {
  if (!all_digits(lds_version, 4)) return lds_version;
  return std::to_string(std::stoi(lds_version.substr(0, 2))) + "." + std::to_string(std::stoi(lds_version.substr(2, 2)));
}

Result<EfCom> parse_ef_com(ByteView file) {
  TlvReader top(file);
  IDTAP_ASSIGN_OR_RETURN(TlvReader body, top.enter(kTagCom));
  IDTAP_TRY(top.expect_end());
  EfCom com;
  com.tags.clear();
  // ICAO 9303-10 §4.6.1: 5F01 (4 bytes "aabb"), 5F36 (6 bytes "aabbcc"), 5C tag list.
  IDTAP_ASSIGN_OR_RETURN(Tlv lds, body.read(kTagLdsVersion));
  com.lds_version = string_of(lds.value);
  if (!all_digits(com.lds_version, 4)) return bad("LDS version (5F01) is not 4 digits");
  IDTAP_ASSIGN_OR_RETURN(Tlv uni, body.read(kTagUnicodeVersion));
  com.unicode_version = string_of(uni.value);
  if (!all_digits(com.unicode_version, 6)) return bad("Unicode version (5F36) is not 6 digits");
  IDTAP_ASSIGN_OR_RETURN(Tlv list, body.read(kTagList));
  IDTAP_TRY(body.expect_end());
  // The tag list holds one-byte data group tags (61..76).
  for (uint8_t t : list.value) {
    if (!data_group_number(t)) return bad("tag list entry " + std::to_string(t) + " is not a data group tag");
    if (std::find(com.tags.begin(), com.tags.end(), t) != com.tags.end()) return bad("tag list repeats a tag");
    com.tags.push_back(t);
  }
  if (com.tags.empty()) return bad("empty tag list");
  return com;
}

Result<Bytes> encode_ef_com(const EfCom& com) {
  if (!all_digits(com.lds_version, 4) || !all_digits(com.unicode_version, 6))
    return make_error(ErrorCode::kInvalidArgument, "EF.COM: versions must be 4 and 6 decimal digits");
  Bytes list;
  for (uint32_t t : com.tags) {
    if (!data_group_number(t)) return make_error(ErrorCode::kInvalidArgument, "EF.COM: not a data group tag");
    list.push_back(static_cast<uint8_t>(t));
  }
  apdu::TlvWriter w;
  w.open(kTagCom)
      .add(kTagLdsVersion, bytes_of(com.lds_version))
      .add(kTagUnicodeVersion, bytes_of(com.unicode_version))
      .add(kTagList, list)
      .close();
  return w.finish();
}

}  // namespace idtap::lds
