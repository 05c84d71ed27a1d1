// idtap/crypto/cipher.h: block ciphers over OpenSSL EVP (2-key 3DES, AES-128/192/256), CBC and
// ECB, no padding (callers pad with pad_iso9797_m2).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>

#include "idtap/base/bytes.h"
#include "idtap/base/result.h"
#include "idtap/base/secure_bytes.h"

namespace idtap::crypto {

// CipherAlg: the block ciphers ICAO 9303 uses. kTdes is 2-key 3DES EDE (16-byte key K1||K2).
enum class CipherAlg { kTdes, kAes128, kAes192, kAes256 };

// block_size: 8 for 3DES, 16 for AES.
size_t block_size(CipherAlg alg);
// key_size: 16 (3DES, AES-128), 24, 32.
size_t key_size(CipherAlg alg);

// BlockCipher: one keyed cipher. Holds its EVP contexts (keyed once, reused per call: SM wraps
// hundreds of APDUs). Move-only; the key schedule is freed (and cleansed by OpenSSL) with the
// object. The const methods reuse those contexts: one BlockCipher must not be used from two
// threads at once.
class BlockCipher {
 public:
  // BlockCipher::create: keys `alg` with `key`; kInvalidArgument on a wrong key length,
  // kInternal if OpenSSL fails (e.g. the legacy provider is needed for 3DES and absent).
  static Result<BlockCipher> create(CipherAlg alg, ByteView key);
  BlockCipher(BlockCipher&&) noexcept;
  BlockCipher& operator=(BlockCipher&&) noexcept;
  ~BlockCipher();

  CipherAlg alg() const;
  // BlockCipher::cbc_encrypt / cbc_decrypt: CBC with `iv` (block_size bytes) over `data` (a
  // multiple of the block size). kInvalidArgument otherwise.
  Result<Bytes> cbc_encrypt(ByteView iv, ByteView data) const;
  Result<Bytes> cbc_decrypt(ByteView iv, ByteView data) const;
  // BlockCipher::ecb_encrypt / ecb_decrypt: ECB over whole blocks.
  Result<Bytes> ecb_encrypt(ByteView data) const;
  Result<Bytes> ecb_decrypt(ByteView data) const;

  // BlockCipher::cbc_encrypt / cbc_decrypt / ecb_encrypt / ecb_decrypt (into `out`): the same,
  // writing data.size() bytes to `out` (which must hold at least that many; it may be `data`
  // itself) instead of allocating: for the per-APDU paths. kInvalidArgument on bad sizes.
  Status cbc_encrypt(ByteView iv, ByteView data, std::span<uint8_t> out) const;
  Status cbc_decrypt(ByteView iv, ByteView data, std::span<uint8_t> out) const;
  Status ecb_encrypt(ByteView data, std::span<uint8_t> out) const;
  Status ecb_decrypt(ByteView data, std::span<uint8_t> out) const;

 private:
  struct Impl;
  explicit BlockCipher(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// pad_iso9797_m2: `data` || 80 || 00... to a multiple of `block` (ISO/IEC 9797-1 padding
// method 2; always adds at least one byte).
Bytes pad_iso9797_m2(ByteView data, size_t block);
// unpad_iso9797_m2: strips method-2 padding; kMalformed when the padding is absent or wrong
// (no 80, non-zero bytes after it, or not a whole number of blocks).
Result<Bytes> unpad_iso9797_m2(ByteView data, size_t block);

}  // namespace idtap::crypto
