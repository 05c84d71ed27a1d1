// idtap/base/redact.h: masking of sensitive values before they reach a log or a screen.
#pragma once

#include <string>
#include <string_view>

namespace idtap {

// mask_resident_number: "690806-2******" for a resident registration number given as
// "YYMMDD-SNNNNNN" or "YYMMDDSNNNNNN": the date of birth and the 7th digit stay, the rest is
// masked. Anything else is masked but for its first character.
std::string mask_resident_number(std::string_view number);

// mask_secret: "******" (the length is not revealed) for passwords, CANs and MRZ data.
std::string mask_secret(std::string_view secret);

}  // namespace idtap
