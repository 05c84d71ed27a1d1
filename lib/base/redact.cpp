#include "idtap/base/redact.h"

#include <cctype>

namespace idtap {

std::string mask_resident_number(std::string_view number) {
  std::string digits;
  for (char c : number)
    if (std::isdigit(static_cast<unsigned char>(c))) digits.push_back(c);
  if (digits.size() == 13) return digits.substr(0, 6) + "-" + digits.substr(6, 1) + "******";
  if (number.empty()) return "";
  return std::string(1, number[0]) + std::string(number.size() > 1 ? number.size() - 1 : 0, '*');
}

std::string mask_secret(std::string_view) { return "******"; }

}  // namespace idtap
