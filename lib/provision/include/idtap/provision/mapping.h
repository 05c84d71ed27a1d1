// idtap/provision/mapping.h: which holder fields become which mdoc data elements, in which
// namespace, under which doc type.
//
// The mapping file (text, UTF-8, one statement per line, '#' starts a comment):
//
//   doctype kr.go.mois.residentid.1
//   # FIELD                       NAMESPACE                 [ELEMENT_IDENTIFIER]
//   family_name                   kr.go.mois.residentid.1
//   age_over_18                   org.iso.18013.5.1         age_over_18
//
// FIELD is one of the names field_name() returns; the element identifier defaults to the
// field name. A field not listed is not issued. A field may appear once.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "idtap/base/result.h"

namespace idtap::provision {

// HolderField: the data elements idtap can issue from a VerifiedHolder.
enum class HolderField {
  kFamilyName,
  kGivenName,
  kFamilyNameNational,
  kGivenNameNational,
  kBirthDate,
  kPortrait,
  kResidentAddress,
  kDocumentNumber,
  kIssuingAuthority,
  kIssuingCountry,
  kIssueDate,
  kExpiryDate,
  kAgeOver17,
  kAgeOver18,
  kAgeOver19,
  kResidentRegistrationNumber,
  kVerificationMethod,  // "chip" or "clerk": how the holder's data was established
};

// field_name: the mapping-file name of `field` ("family_name_national_character").
const char* field_name(HolderField field);
// field_from_name: the field named `name`, nullopt if none.
std::optional<HolderField> field_from_name(std::string_view name);

// ElementMapping: one issued element.
struct ElementMapping {
  HolderField field;
  std::string name_space;
  std::string element_identifier;
};

// kResidentIdDocType: the default doc type and namespace of the resident mobile ID.
inline constexpr const char* kResidentIdDocType = "kr.go.mois.residentid.1";

// DocTypeMapping: a doc type and its elements.
struct DocTypeMapping {
  std::string doc_type;
  std::vector<ElementMapping> elements;

  // DocTypeMapping::resident_id_default: every field, in namespace kResidentIdDocType.
  static DocTypeMapping resident_id_default();
  // DocTypeMapping::parse: a mapping file; kInvalidArgument naming the line for an unknown
  // field, a duplicate field, a missing or repeated doctype, or a malformed line.
  static Result<DocTypeMapping> parse(std::string_view text);
};

}  // namespace idtap::provision
