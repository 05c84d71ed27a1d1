// idtap/crypto/kdf.h: the ICAO 9303-11 §9.7.1 key derivation function.
#pragma once

#include <cstdint>

#include "idtap/base/bytes.h"
#include "idtap/base/result.h"
#include "idtap/base/secure_bytes.h"
#include "idtap/crypto/cipher.h"

namespace idtap::crypto {

// KdfCounter: 1 = encryption key, 2 = MAC key, 3 = PACE password key (ICAO 9303-11 §9.7.1).
enum class KdfCounter : uint32_t { kEnc = 1, kMac = 2, kPace = 3 };

// derive_key: KDF(K, c) for `alg`: SHA-1 for 3DES (first 16 bytes, DES parity adjusted),
// SHA-1 for AES-128 (first 16 bytes), SHA-256 for AES-192 (first 24) and AES-256 (32).
// `shared_secret` is K (BAC Kseed, PACE/CA shared secret, or the password for counter 3);
// `nonce` is appended after K and before the counter when given (PACE-IM/CAM don't use it;
// kept for completeness of §9.7.1). kInternal only if hashing fails.
Result<SecureBytes> derive_key(CipherAlg alg, ByteView shared_secret, KdfCounter counter, ByteView nonce = {});

}  // namespace idtap::crypto
