// idtap/crypto/random.h: cryptographically secure random bytes (RAND_bytes).
#pragma once

#include "idtap/base/bytes.h"
#include "idtap/base/result.h"
#include "idtap/base/secure_bytes.h"

namespace idtap::crypto {

// random_bytes: `n` random bytes; kInternal if the RNG fails.
Result<Bytes> random_bytes(size_t n);
// random_secure_bytes: as random_bytes, into SecureBytes (for nonces and key material).
Result<SecureBytes> random_secure_bytes(size_t n);

}  // namespace idtap::crypto
