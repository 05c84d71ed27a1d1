// idtap/lds/personal_number.h: the personal number of DG11 (on the resident card: the resident
// registration number YYMMDD-SNNNNNN), held so that it cannot be printed whole by accident.
#pragma once

#include <ostream>
#include <string>
#include <string_view>

#include <fmt/format.h>

#include "idtap/base/bytes.h"
#include "idtap/base/secure_bytes.h"

namespace idtap::lds {

// PersonalNumber: a zeroised copy of the number. Every formatting path (masked(), operator<<,
// fmt) prints it masked ("900101-1******", idtap/base/redact.h); the clear value is only
// reachable through reveal().
class PersonalNumber {
 public:
  PersonalNumber() = default;
  explicit PersonalNumber(std::string_view clear) : value_(clear.begin(), clear.end()) {}

  bool empty() const { return value_.empty(); }
  size_t size() const { return value_.size(); }

  // PersonalNumber::masked: mask_resident_number of the value.
  std::string masked() const;

  // PersonalNumber::reveal: the whole value, viewing this object's buffer (valid while it
  // lives). For the few callers that must have it (a verifier comparing, personalization
  // writing DG11); never log it.
  std::string_view reveal() const {
    return std::string_view(reinterpret_cast<const char*>(value_.data()), value_.size());
  }

  // operator==: compares the clear values (not secret-timing sensitive: no MAC here).
  bool operator==(const PersonalNumber& other) const { return value_ == other.value_; }

 private:
  SecureBytes value_;
};

// operator<<: writes masked().
std::ostream& operator<<(std::ostream& os, const PersonalNumber& n);

}  // namespace idtap::lds

// fmt::formatter<PersonalNumber>: "{}" prints masked().
template <>
struct fmt::formatter<idtap::lds::PersonalNumber> : fmt::formatter<std::string_view> {
  template <class FormatContext>
  auto format(const idtap::lds::PersonalNumber& n, FormatContext& ctx) const {
    const std::string m = n.masked();
    return fmt::formatter<std::string_view>::format(std::string_view(m), ctx);
  }
};
