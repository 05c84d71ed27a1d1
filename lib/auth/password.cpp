#include "idtap/auth/password.h"

#include "idtap/base/redact.h"
#include "idtap/crypto/hash.h"

namespace idtap::auth {
namespace {

// checked: the password as SecureBytes when it is `min`..`max` characters from the allowed set.
Result<SecureBytes> checked(std::string_view value, const char* name, size_t min, size_t max, bool letters) {
  if (value.size() < min || value.size() > max)
    return make_error(ErrorCode::kInvalidArgument, std::string(name) + " must be " + std::to_string(min) + " to " +
                                                       std::to_string(max) + " characters");
  for (char c : value) {
    const bool ok = (c >= '0' && c <= '9') || (letters && c >= 'A' && c <= 'Z');
    if (!ok)
      return make_error(ErrorCode::kInvalidArgument,
                        std::string(name) + (letters ? " may hold only 0-9 and A-Z" : " may hold only digits"));
  }
  return SecureBytes(value.begin(), value.end());
}

}  // namespace

const char* password_kind_name(PasswordKind kind) {
  switch (kind) {
    case PasswordKind::kMrz: return "MRZ";
    case PasswordKind::kCan: return "CAN";
    case PasswordKind::kPin: return "PIN";
    case PasswordKind::kPuk: return "PUK";
  }
  return "?";
}

Password Password::mrz(const MrzKey& key) { return Password(PasswordKind::kMrz, secure_copy(key.mrz_information())); }

Result<Password> Password::can(std::string_view can) {
  IDTAP_ASSIGN_OR_RETURN(SecureBytes s, checked(can, "CAN", 1, 16, true));
  return Password(PasswordKind::kCan, std::move(s));
}

Result<Password> Password::pin(std::string_view pin) {
  IDTAP_ASSIGN_OR_RETURN(SecureBytes s, checked(pin, "PIN", 4, 16, false));
  return Password(PasswordKind::kPin, std::move(s));
}

Result<Password> Password::puk(std::string_view puk) {
  IDTAP_ASSIGN_OR_RETURN(SecureBytes s, checked(puk, "PUK", 6, 16, false));
  return Password(PasswordKind::kPuk, std::move(s));
}

Result<SecureBytes> Password::pace_key_seed() const {
  // ICAO 9303-11 §9.7.3: K = SHA-1(MRZ_information) for the MRZ, the password string otherwise.
  if (kind_ == PasswordKind::kMrz) return crypto::secure_digest(crypto::HashAlg::kSha1, secret_);
  return secret_;
}

std::string Password::describe() const { return std::string(password_kind_name(kind_)) + " " + mask_secret("x"); }

}  // namespace idtap::auth
