// idtap/sm/cipher_suite.h: the session keys secure messaging runs on, and the small object that
// holds what differs between 3DES and AES secure messaging (ICAO 9303-11 §9.8): the block size
// used for padding, the width of the send sequence counter, the IV rule and the MAC.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>

#include "idtap/base/bytes.h"
#include "idtap/base/result.h"
#include "idtap/base/secure_bytes.h"
#include "idtap/crypto/cipher.h"

namespace idtap::sm {

// kSmMacSize: secure messaging MACs are 8 bytes (retail MAC, or CMAC truncated to 8).
inline constexpr size_t kSmMacSize = 8;

// SessionKeys: what BAC, PACE and Chip Authentication hand to secure messaging. `alg` is kTdes
// (BAC, PACE/CA with 3DES) or an AES; `ks_enc` / `ks_mac` are key_size(alg) bytes; `ssc` is the
// initial send sequence counter, ssc_size(alg) bytes big-endian (BAC: RND.ICC[4..8) ||
// RND.IFD[4..8); PACE and CA: all zeros, see zero_ssc()).
struct SessionKeys {
  crypto::CipherAlg alg = crypto::CipherAlg::kAes128;
  SecureBytes ks_enc;
  SecureBytes ks_mac;
  Bytes ssc;
};

// ssc_size: the send sequence counter width: 8 bytes for 3DES, 16 for AES (the block size).
size_t ssc_size(crypto::CipherAlg alg);
// zero_ssc: an all-zero SSC of ssc_size(alg) bytes (PACE and CA start there).
Bytes zero_ssc(crypto::CipherAlg alg);
// increment_ssc: adds one to the big-endian counter `ssc` in place (wrapping at all-ones).
void increment_ssc(std::span<uint8_t> ssc);

// CipherSuite: the keyed primitives of one SM session. 3DES: 2-key 3DES CBC with a zero IV and
// the retail MAC (ISO/IEC 9797-1 MAC algorithm 3). AES: AES CBC with IV = E(KSenc, SSC) and
// AES-CMAC truncated to 8 bytes. Both pad with ISO/IEC 9797-1 method 2 to the block size,
// before encryption and before the MAC. The key schedules are built once, in create(); the
// object is move-only and not for two threads at once. Used by both the terminal side
// (TerminalSm, SecureChannel) and the card side (CardSm, the simulated card).
class CipherSuite {
 public:
  // CipherSuite::create: keys the suite; kInvalidArgument when a key has the wrong length,
  // kInternal if OpenSSL fails.
  static Result<CipherSuite> create(crypto::CipherAlg alg, ByteView ks_enc, ByteView ks_mac);
  CipherSuite(CipherSuite&&) noexcept;
  CipherSuite& operator=(CipherSuite&&) noexcept;
  ~CipherSuite();

  crypto::CipherAlg alg() const;
  // CipherSuite::block_size: 8 (3DES) or 16 (AES): the padding block and the MAC block.
  size_t block_size() const;
  // CipherSuite::ssc_size: 8 or 16.
  size_t ssc_size() const;

  // CipherSuite::encrypt: CBC-encrypts `padded` (a whole number of blocks) in place, with the
  // IV for `ssc` (the already incremented counter of this APDU). kInvalidArgument on a bad
  // length.
  Status encrypt(ByteView ssc, std::span<uint8_t> padded) const;
  // CipherSuite::decrypt: the inverse, in place.
  Status decrypt(ByteView ssc, std::span<uint8_t> cryptogram) const;
  // CipherSuite::mac: the 8-byte MAC of pad(ssc || message), written to `out` (ISO/IEC 9797-1
  // method 2 padding is done here). kInternal only if OpenSSL fails.
  Status mac(ByteView ssc, ByteView message, std::span<uint8_t, kSmMacSize> out) const;

 private:
  struct Impl;
  explicit CipherSuite(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace idtap::sm
