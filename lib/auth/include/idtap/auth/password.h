// idtap/auth/password.h: the passwords access control runs on: MRZ, CAN, PIN, PUK.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "idtap/auth/mrz_key.h"
#include "idtap/base/bytes.h"
#include "idtap/base/result.h"
#include "idtap/base/secure_bytes.h"

namespace idtap::auth {

// PasswordKind: the PACE password types; the values are the PACE password references of ICAO
// 9303-11 §4.4.4.1 (MSE:Set AT, tag 83): MRZ = 1, CAN = 2, PIN = 3, PUK = 4.
enum class PasswordKind : uint8_t { kMrz = 1, kCan = 2, kPin = 3, kPuk = 4 };

// password_kind_name: "MRZ", "CAN", "PIN", "PUK".
const char* password_kind_name(PasswordKind kind);

// Password: one access-control password. The secret lives in SecureBytes and is never logged
// (describe() masks it). Copyable value.
class Password {
 public:
  // Password::mrz: the MRZ password (its secret is the MRZ information of `key`).
  static Password mrz(const MrzKey& key);
  // Password::can: the card access number printed on the card: 1 to 16 characters of 0-9 or
  // A-Z (6 digits on ICAO documents). kInvalidArgument otherwise (the message never repeats it).
  static Result<Password> can(std::string_view can);
  // Password::pin / Password::puk: 4 to 16 (PIN) or 6 to 16 (PUK) digits. kInvalidArgument
  // otherwise.
  static Result<Password> pin(std::string_view pin);
  static Result<Password> puk(std::string_view puk);

  PasswordKind kind() const { return kind_; }
  // Password::pace_reference: the PACE password reference byte (ICAO 9303-11 §4.4.4.1).
  uint8_t pace_reference() const { return static_cast<uint8_t>(kind_); }
  // Password::secret: the password's bytes: the MRZ information for kMrz, the ASCII string
  // otherwise. Borrowed from this object.
  ByteView secret() const { return secret_; }
  // Password::pace_key_seed: the input K of KDF_pi (ICAO 9303-11 §9.7.3): SHA-1(MRZ information)
  // for the MRZ (20 bytes), the ASCII bytes of the CAN, PIN or PUK. kInternal only if hashing
  // fails.
  Result<SecureBytes> pace_key_seed() const;
  // Password::describe: "CAN ******" (the kind, the secret masked, its length not revealed).
  std::string describe() const;

 private:
  Password(PasswordKind kind, SecureBytes secret) : kind_(kind), secret_(std::move(secret)) {}
  PasswordKind kind_;
  SecureBytes secret_;
};

}  // namespace idtap::auth
