// idtap/crypto/mac.h: message authentication codes: DES retail MAC (ISO/IEC 9797-1 MAC
// algorithm 3 with DES), AES-CMAC and HMAC-SHA256 (EVP_MAC). Inputs are already padded where the algorithm
// needs it (retail MAC: the caller pads with method 2); CMAC pads itself.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>

#include "idtap/base/bytes.h"
#include "idtap/base/result.h"

namespace idtap::crypto {

// MacAlg: kRetailMac (8-byte MAC, 16-byte 2-key 3DES key), kCmacAes (AES-CMAC; key 16/24/32).
enum class MacAlg { kRetailMac, kCmacAes };

// Mac: one keyed MAC. Move-only; reusable for many messages (the EVP objects are fetched and
// keyed once). The const methods reuse those contexts: not for two threads at once.
class Mac {
 public:
  // Mac::create: keys the MAC; kInvalidArgument on a wrong key length.
  static Result<Mac> create(MacAlg alg, ByteView key);
  Mac(Mac&&) noexcept;
  Mac& operator=(Mac&&) noexcept;
  ~Mac();

  // Mac::compute: the full MAC of `data` (8 bytes for retail MAC, 16 for CMAC; SM truncates
  // CMAC to 8). Retail MAC requires `data` to be a multiple of 8 bytes (kInvalidArgument).
  Result<Bytes> compute(ByteView data) const;
  // Mac::compute (into `out`): the same, writing size() bytes to `out` (at least that large).
  Status compute(ByteView data, std::span<uint8_t> out) const;
  // Mac::size: the full MAC length (8 or 16).
  size_t size() const;
  MacAlg alg() const;

 private:
  struct Impl;
  explicit Mac(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// hmac_sha256: HMAC-SHA256 (RFC 2104, FIPS 198-1) of `data` under `key` (any length; the
// 32-byte tag). kInternal only if OpenSSL fails.
Result<Bytes> hmac_sha256(ByteView key, ByteView data);

// constant_time_equal: CRYPTO_memcmp-based comparison; false when sizes differ.
bool constant_time_equal(ByteView a, ByteView b);

}  // namespace idtap::crypto
