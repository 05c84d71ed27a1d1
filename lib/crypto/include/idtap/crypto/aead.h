// idtap/crypto/aead.h: AES-256-GCM (NIST SP 800-38D) over OpenSSL EVP, for data sealed at rest,
// and HKDF-SHA256 (RFC 5869) over EVP_KDF, for the keys that seal it.
#pragma once

#include <cstddef>
#include <string_view>

#include "idtap/base/bytes.h"
#include "idtap/base/result.h"
#include "idtap/base/secure_bytes.h"

namespace idtap::crypto {

// kGcmNonceBytes / kGcmTagBytes: the 96-bit nonce (SP 800-38D §8.2.2, random construction) and
// the full 128-bit tag.
inline constexpr size_t kGcmNonceBytes = 12;
inline constexpr size_t kGcmTagBytes = 16;

// aes256_gcm_seal: nonce || ciphertext || tag of `plaintext` under the 32-byte `key`, with a
// fresh random nonce and `aad` authenticated but not encrypted. kInvalidArgument for a key that
// is not 32 bytes; kInternal if OpenSSL fails.
Result<Bytes> aes256_gcm_seal(ByteView key, ByteView aad, ByteView plaintext);

// aes256_gcm_open: the plaintext of what aes256_gcm_seal made (SecureBytes: it is what was
// worth sealing). kVerificationFailed when the tag does not verify (the bytes, the AAD or the
// key differ from the seal's), kMalformed when `sealed` is shorter than a nonce and a tag,
// kInvalidArgument for a key that is not 32 bytes.
Result<SecureBytes> aes256_gcm_open(ByteView key, ByteView aad, ByteView sealed);

// hkdf_sha256: `length` bytes of HKDF-SHA256 (RFC 5869 §2: extract with `salt`, expand with
// `info`) of the input keying material `ikm`. kInvalidArgument for length 0 or above
// 255 * 32 (RFC 5869 §2.3); kInternal if OpenSSL fails.
Result<SecureBytes> hkdf_sha256(ByteView ikm, ByteView salt, ByteView info, size_t length);

}  // namespace idtap::crypto
