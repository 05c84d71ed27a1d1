// tests/lds/tlv_build.h: write test structures with their lengths computed, so each malformed
// case fails for the one reason it is about: T(0x31, {T(0x30, {H("06..."), H("020102")})}).
#pragma once

#include <initializer_list>
#include <string_view>

#include "idtap/apdu/tlv.h"
#include "idtap/base/bytes.h"
#include "idtap/base/hex.h"

namespace idtap::lds_test {

// H: bytes from hex (spaces allowed).
inline Bytes H(std::string_view hex) { return hex_or_die(hex); }
// T: tag || DER length || the concatenated parts.
inline Bytes T(uint32_t tag, std::initializer_list<Bytes> parts) {
  Bytes value;
  for (const auto& p : parts) append(value, p);
  return apdu::encode_tlv(tag, value);
}
// C: the parts concatenated (no tag).
inline Bytes C(std::initializer_list<Bytes> parts) {
  Bytes out;
  for (const auto& p : parts) append(out, p);
  return out;
}

}  // namespace idtap::lds_test
