#include "idtap/provision/mapping.h"

#include <set>
#include <sstream>

namespace idtap::provision {
namespace {

struct FieldName {
  HolderField field;
  const char* name;
};

constexpr FieldName kFieldNames[] = {
    {HolderField::kFamilyName, "family_name"},
    {HolderField::kGivenName, "given_name"},
    {HolderField::kFamilyNameNational, "family_name_national_character"},
    {HolderField::kGivenNameNational, "given_name_national_character"},
    {HolderField::kBirthDate, "birth_date"},
    {HolderField::kPortrait, "portrait"},
    {HolderField::kResidentAddress, "resident_address"},
    {HolderField::kDocumentNumber, "document_number"},
    {HolderField::kIssuingAuthority, "issuing_authority"},
    {HolderField::kIssuingCountry, "issuing_country"},
    {HolderField::kIssueDate, "issue_date"},
    {HolderField::kExpiryDate, "expiry_date"},
    {HolderField::kAgeOver17, "age_over_17"},
    {HolderField::kAgeOver18, "age_over_18"},
    {HolderField::kAgeOver19, "age_over_19"},
    {HolderField::kResidentRegistrationNumber, "resident_registration_number"},
    {HolderField::kVerificationMethod, "verification_method"},
};

}  // namespace

const char* field_name(HolderField field) {
  for (const auto& f : kFieldNames)
    if (f.field == field) return f.name;
  return "?";
}

std::optional<HolderField> field_from_name(std::string_view name) {
  for (const auto& f : kFieldNames)
    if (name == f.name) return f.field;
  return std::nullopt;
}

DocTypeMapping DocTypeMapping::resident_id_default() {
  DocTypeMapping m;
  m.doc_type = kResidentIdDocType;
  for (const auto& f : kFieldNames) m.elements.push_back({f.field, kResidentIdDocType, f.name});
  return m;
}

Result<DocTypeMapping> DocTypeMapping::parse(std::string_view text) {
  DocTypeMapping m;
  std::set<HolderField> seen;
  std::set<std::pair<std::string, std::string>> seen_elements;
  std::istringstream in{std::string(text)};
  std::string line;
  int line_no = 0;
  auto bad = [&](const std::string& why) {
    return make_error(ErrorCode::kInvalidArgument, "mapping line " + std::to_string(line_no) + ": " + why);
  };
  while (std::getline(in, line)) {
    ++line_no;
    if (auto hash = line.find('#'); hash != std::string::npos) line.resize(hash);
    std::istringstream words(line);
    std::vector<std::string> w;
    for (std::string t; words >> t;) w.push_back(t);
    if (w.empty()) continue;
    if (w[0] == "doctype") {
      if (w.size() != 2) return bad("expected: doctype NAME");
      if (!m.doc_type.empty()) return bad("doctype given twice");
      m.doc_type = w[1];
      continue;
    }
    if (w.size() < 2 || w.size() > 3) return bad("expected: FIELD NAMESPACE [ELEMENT_IDENTIFIER]");
    auto field = field_from_name(w[0]);
    if (!field) return bad("unknown field '" + w[0] + "'");
    if (!seen.insert(*field).second) return bad("field '" + w[0] + "' mapped twice");
    std::string element = w.size() == 3 ? w[2] : w[0];
    if (!seen_elements.insert({w[1], element}).second) return bad("element " + w[1] + "/" + element + " mapped twice");
    m.elements.push_back({*field, w[1], element});
  }
  if (m.doc_type.empty()) return make_error(ErrorCode::kInvalidArgument, "mapping: no doctype line");
  if (m.elements.empty()) return make_error(ErrorCode::kInvalidArgument, "mapping: no elements");
  return m;
}

}  // namespace idtap::provision
