// idtap/crypto/scrypt.h: the scrypt password-based key derivation (RFC 7914) through OpenSSL's
// EVP_KDF "SCRYPT": memory-hard, for the clerks' passwords of the console.
#pragma once

#include <cstdint>

#include "idtap/base/bytes.h"
#include "idtap/base/result.h"
#include "idtap/base/secure_bytes.h"

namespace idtap::crypto {

// ScryptParams: the cost. N a power of two above 1; r * p < 2^30 (RFC 7914 §2). The default
// (N 2^15, r 8, p 1) takes 32 MiB and about 0.1 s.
struct ScryptParams {
  uint64_t n = uint64_t(1) << 15;
  uint32_t r = 8;
  uint32_t p = 1;
};

// scrypt_derive: `length` bytes of scrypt(password, salt, params). kInvalidArgument for
// parameters RFC 7914 refuses or a length outside 16..64; kInternal when OpenSSL fails (memory).
// The output is SecureBytes (zeroised when freed).
Result<SecureBytes> scrypt_derive(ByteView password, ByteView salt, const ScryptParams& params, size_t length = 32);

}  // namespace idtap::crypto
