#include "idtap/lds/dg11.h"

#include <fmt/format.h>

#include "idtap/apdu/tlv.h"
#include "idtap/lds/tag_list.h"

namespace idtap::lds {
namespace {

using apdu::Tlv;
using apdu::TlvWriter;

constexpr const char* kName = "DG11";  // prefixes the errors of the shared element readers
constexpr uint32_t kTagDg11 = 0x6B;
constexpr uint32_t kTagOtherNamesTemplate = 0xA0;

// ICAO 9303-10 §4.7.11 Table 39.
enum : uint32_t {
  kFullName = 0x5F0E,
  kOtherName = 0x5F0F,
  kPersonalNumber = 0x5F10,
  kFullDateOfBirth = 0x5F2B,
  kPlaceOfBirth = 0x5F11,
  kAddress = 0x5F42,
  kTelephone = 0x5F12,
  kProfession = 0x5F13,
  kTitle = 0x5F14,
  kPersonalSummary = 0x5F15,
  kProofOfCitizenship = 0x5F16,
  kOtherTdNumbers = 0x5F17,
  kCustody = 0x5F18,
};

Error bad(const std::string& why) { return make_error(ErrorCode::kMalformed, "DG11: " + why); }

}  // namespace

std::vector<uint32_t> Dg11::tag_list() const {
  std::vector<uint32_t> t;
  if (full_name) t.push_back(kFullName);
  if (!other_names.empty()) t.push_back(kOtherName);
  if (personal_number) t.push_back(kPersonalNumber);
  if (full_date_of_birth) t.push_back(kFullDateOfBirth);
  if (place_of_birth) t.push_back(kPlaceOfBirth);
  if (address) t.push_back(kAddress);
  if (telephone) t.push_back(kTelephone);
  if (profession) t.push_back(kProfession);
  if (title) t.push_back(kTitle);
  if (personal_summary) t.push_back(kPersonalSummary);
  if (proof_of_citizenship) t.push_back(kProofOfCitizenship);
  if (other_td_numbers) t.push_back(kOtherTdNumbers);
  if (custody_information) t.push_back(kCustody);
  return t;
}

Result<Dg11Parsed> parse_dg11(ByteView file) {
  IDTAP_ASSIGN_OR_RETURN(TagListGroup group, parse_tag_list_group(file, kTagDg11, kName));
  Dg11Parsed out;
  out.declared_tags = std::move(group.declared_tags);
  Dg11& d = out.dg11;
  bool other_names_seen = false;
  for (const Tlv& t : group.elements) {
    switch (t.tag) {
      case kFullName: IDTAP_TRY(set_text_element(d.full_name, t, kName)); break;
      case kTagOtherNamesTemplate: {
        if (other_names_seen) return bad("other names template repeated");
        other_names_seen = true;
        // A0 { 02 count, 5F0F name ... } (ICAO 9303-10 §4.7.11)
        IDTAP_ASSIGN_OR_RETURN(d.other_names, parse_counted_texts(t.value, kOtherName, kName));
        break;
      }
      case kPersonalNumber: {
        if (d.personal_number) return bad("personal number repeated");
        // Built straight from the file's bytes: no intermediate std::string copy to leave behind.
        const std::string_view clear(reinterpret_cast<const char*>(t.value.data()), t.value.size());
        if (!is_valid_utf8(clear)) return bad("personal number is not UTF-8");
        d.personal_number = PersonalNumber(clear);
        break;
      }
      case kFullDateOfBirth: {
        if (d.full_date_of_birth) return bad("full date of birth repeated");
        auto date = parse_lds_date(t.value);
        if (!date.ok()) return std::move(date).error().with_context("DG11 full date of birth");
        d.full_date_of_birth = std::move(date).value();
        break;
      }
      case kPlaceOfBirth: IDTAP_TRY(set_text_element(d.place_of_birth, t, kName)); break;
      case kAddress: IDTAP_TRY(set_text_element(d.address, t, kName)); break;
      case kTelephone: IDTAP_TRY(set_text_element(d.telephone, t, kName)); break;
      case kProfession: IDTAP_TRY(set_text_element(d.profession, t, kName)); break;
      case kTitle: IDTAP_TRY(set_text_element(d.title, t, kName)); break;
      case kPersonalSummary: IDTAP_TRY(set_text_element(d.personal_summary, t, kName)); break;
      case kProofOfCitizenship:
        if (d.proof_of_citizenship) return bad("proof of citizenship repeated");
        d.proof_of_citizenship = to_bytes(t.value);
        break;
      case kOtherTdNumbers: IDTAP_TRY(set_text_element(d.other_td_numbers, t, kName)); break;
      case kCustody: IDTAP_TRY(set_text_element(d.custody_information, t, kName)); break;
      default: return bad(fmt::format("unknown element {:X}", t.tag));
    }
  }
  out.tag_list_consistent = tag_list_matches(out.declared_tags, d.tag_list());
  return out;
}

Result<Bytes> encode_dg11(const Dg11& d) {
  const std::vector<uint32_t> tags = d.tag_list();
  if (tags.empty()) return make_error(ErrorCode::kInvalidArgument, "DG11: no element");
  TlvWriter w;
  w.open(kTagDg11).add(kTagTagList, encode_tag_list(tags));
  IDTAP_TRY(add_text_element(w, kFullName, d.full_name, kName));
  IDTAP_TRY(add_counted_texts(w, kTagOtherNamesTemplate, kOtherName, d.other_names, kName));
  if (d.personal_number) {
    const std::string_view clear = d.personal_number->reveal();
    w.add(kPersonalNumber, ByteView(reinterpret_cast<const uint8_t*>(clear.data()), clear.size()));
  }
  if (d.full_date_of_birth) w.add(kFullDateOfBirth, bytes_of(d.full_date_of_birth->raw));
  IDTAP_TRY(add_text_element(w, kPlaceOfBirth, d.place_of_birth, kName));
  IDTAP_TRY(add_text_element(w, kAddress, d.address, kName));
  IDTAP_TRY(add_text_element(w, kTelephone, d.telephone, kName));
  IDTAP_TRY(add_text_element(w, kProfession, d.profession, kName));
  IDTAP_TRY(add_text_element(w, kTitle, d.title, kName));
  IDTAP_TRY(add_text_element(w, kPersonalSummary, d.personal_summary, kName));
  if (d.proof_of_citizenship) w.add(kProofOfCitizenship, *d.proof_of_citizenship);
  IDTAP_TRY(add_text_element(w, kOtherTdNumbers, d.other_td_numbers, kName));
  IDTAP_TRY(add_text_element(w, kCustody, d.custody_information, kName));
  w.close();
  return w.finish();
}

}  // namespace idtap::lds
