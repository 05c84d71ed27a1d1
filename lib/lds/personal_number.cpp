#include "idtap/lds/personal_number.h"

#include "idtap/base/redact.h"

namespace idtap::lds {

std::string PersonalNumber::masked() const { return mask_resident_number(reveal()); }

std::ostream& operator<<(std::ostream& os, const PersonalNumber& n) { return os << n.masked(); }

}  // namespace idtap::lds
