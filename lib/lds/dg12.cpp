#include "idtap/lds/dg12.h"

#include <algorithm>

#include <fmt/format.h>

#include "idtap/apdu/tlv.h"
#include "idtap/lds/tag_list.h"

namespace idtap::lds {
namespace {

using apdu::Tlv;
using apdu::TlvWriter;

constexpr const char* kName = "DG12";  // prefixes the errors of the shared element readers
constexpr uint32_t kTagDg12 = 0x6C;
constexpr uint32_t kTagOtherPersonsTemplate = 0xA0;

// ICAO 9303-10 §4.7.12 Table 40.
enum : uint32_t {
  kIssuingAuthority = 0x5F19,
  kDateOfIssue = 0x5F26,
  kOtherPerson = 0x5F1A,
  kEndorsements = 0x5F1B,
  kTaxExit = 0x5F1C,
  kImageFront = 0x5F1D,
  kImageRear = 0x5F1E,
  kPersonalizationTime = 0x5F55,
  kPersonalizationDevice = 0x5F56,
};

Error bad(const std::string& why) { return make_error(ErrorCode::kMalformed, "DG12: " + why); }

bool is_timestamp(std::string_view s) {
  return s.size() == 14 && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; }) &&
         parse_yyyymmdd(s.substr(0, 8)).ok();
}

}  // namespace

std::vector<uint32_t> Dg12::tag_list() const {
  std::vector<uint32_t> t;
  if (issuing_authority) t.push_back(kIssuingAuthority);
  if (date_of_issue) t.push_back(kDateOfIssue);
  if (!other_persons.empty()) t.push_back(kOtherPerson);
  if (endorsements) t.push_back(kEndorsements);
  if (tax_exit_requirements) t.push_back(kTaxExit);
  if (image_front) t.push_back(kImageFront);
  if (image_rear) t.push_back(kImageRear);
  if (personalization_time) t.push_back(kPersonalizationTime);
  if (personalization_device) t.push_back(kPersonalizationDevice);
  return t;
}

Result<Dg12Parsed> parse_dg12(ByteView file) {
  IDTAP_ASSIGN_OR_RETURN(TagListGroup group, parse_tag_list_group(file, kTagDg12, kName));
  Dg12Parsed out;
  out.declared_tags = std::move(group.declared_tags);
  Dg12& d = out.dg12;
  bool persons_seen = false;
  for (const Tlv& t : group.elements) {
    switch (t.tag) {
      case kIssuingAuthority: IDTAP_TRY(set_text_element(d.issuing_authority, t, kName)); break;
      case kDateOfIssue: {
        if (d.date_of_issue) return bad("date of issue repeated");
        auto date = parse_lds_date(t.value);
        if (!date.ok()) return std::move(date).error().with_context("DG12 date of issue");
        d.date_of_issue = std::move(date).value();
        break;
      }
      case kTagOtherPersonsTemplate: {
        if (persons_seen) return bad("other persons template repeated");
        persons_seen = true;
        // A0 { 02 count, 5F1A person ... } (ICAO 9303-10 §4.7.12)
        IDTAP_ASSIGN_OR_RETURN(d.other_persons, parse_counted_texts(t.value, kOtherPerson, kName));
        break;
      }
      case kEndorsements: IDTAP_TRY(set_text_element(d.endorsements, t, kName)); break;
      case kTaxExit: IDTAP_TRY(set_text_element(d.tax_exit_requirements, t, kName)); break;
      case kImageFront:
        if (d.image_front) return bad("image of front repeated");
        d.image_front = to_bytes(t.value);
        break;
      case kImageRear:
        if (d.image_rear) return bad("image of rear repeated");
        d.image_rear = to_bytes(t.value);
        break;
      case kPersonalizationTime:
        IDTAP_TRY(set_text_element(d.personalization_time, t, kName));
        if (!is_timestamp(*d.personalization_time)) return bad("personalization time is not YYYYMMDDhhmmss");
        break;
      case kPersonalizationDevice: IDTAP_TRY(set_text_element(d.personalization_device, t, kName)); break;
      default: return bad(fmt::format("unknown element {:X}", t.tag));
    }
  }
  out.tag_list_consistent = tag_list_matches(out.declared_tags, d.tag_list());
  return out;
}

Result<Bytes> encode_dg12(const Dg12& d) {
  const std::vector<uint32_t> tags = d.tag_list();
  if (tags.empty()) return make_error(ErrorCode::kInvalidArgument, "DG12: no element");
  if (d.personalization_time && !is_timestamp(*d.personalization_time))
    return make_error(ErrorCode::kInvalidArgument, "DG12: personalization time must be YYYYMMDDhhmmss");
  TlvWriter w;
  w.open(kTagDg12).add(kTagTagList, encode_tag_list(tags));
  IDTAP_TRY(add_text_element(w, kIssuingAuthority, d.issuing_authority, kName));
  if (d.date_of_issue) w.add(kDateOfIssue, bytes_of(d.date_of_issue->raw));
  IDTAP_TRY(add_counted_texts(w, kTagOtherPersonsTemplate, kOtherPerson, d.other_persons, kName));
  IDTAP_TRY(add_text_element(w, kEndorsements, d.endorsements, kName));
  IDTAP_TRY(add_text_element(w, kTaxExit, d.tax_exit_requirements, kName));
  if (d.image_front) w.add(kImageFront, *d.image_front);
  if (d.image_rear) w.add(kImageRear, *d.image_rear);
  IDTAP_TRY(add_text_element(w, kPersonalizationTime, d.personalization_time, kName));
  IDTAP_TRY(add_text_element(w, kPersonalizationDevice, d.personalization_device, kName));
  w.close();
  return w.finish();
}

}  // namespace idtap::lds
