#include "idtap/crypto/kdf.h"

#include "idtap/crypto/hash.h"

namespace idtap::crypto {
namespace {

// adjust_des_parity: sets the low bit of every byte so that the byte has odd parity (the DES
// key parity convention, FIPS 46-3; ICAO 9303-11 §9.7.1.1 asks for it on 3DES keys).
void adjust_des_parity(SecureBytes& key) {
  for (auto& b : key) {
    const uint8_t high = b & 0xFE;
    const int ones = __builtin_popcount(high);
    b = static_cast<uint8_t>(high | (ones % 2 == 0 ? 1 : 0));
  }
}

}  // namespace

// ICAO 9303-11 §9.7.1: keydata = H(K || [nonce] || c), c a 32-bit big-endian counter; 3DES and
// AES-128 use SHA-1, AES-192 and AES-256 SHA-256; the key is the first key_size(alg) bytes.
Result<SecureBytes> derive_key(CipherAlg alg, ByteView shared_secret, KdfCounter counter, ByteView nonce) {
  const HashAlg h = (alg == CipherAlg::kTdes || alg == CipherAlg::kAes128) ? HashAlg::kSha1 : HashAlg::kSha256;
  IDTAP_ASSIGN_OR_RETURN(Hasher hasher, Hasher::create(h));
  const uint32_t c = static_cast<uint32_t>(counter);
  const uint8_t counter_bytes[4] = {static_cast<uint8_t>(c >> 24), static_cast<uint8_t>(c >> 16),
                                    static_cast<uint8_t>(c >> 8), static_cast<uint8_t>(c)};
  IDTAP_TRY(hasher.update(shared_secret));
  IDTAP_TRY(hasher.update(nonce));
  IDTAP_TRY(hasher.update(counter_bytes));
  IDTAP_ASSIGN_OR_RETURN(SecureBytes keydata, hasher.finish_secure());
  // Truncate in place (a shrinking resize keeps the buffer; the SecureBytes allocator zeroises
  // the whole block when it is freed).
  secure_zero(keydata.data() + key_size(alg), keydata.size() - key_size(alg));
  keydata.resize(key_size(alg));
  if (alg == CipherAlg::kTdes) adjust_des_parity(keydata);
  return keydata;
}

}  // namespace idtap::crypto
