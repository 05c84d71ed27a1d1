#include "idtap/crypto/cipher.h"
#include "idtap/crypto/ossl_ptr.h"

#include <openssl/evp.h>

#include <array>
#include <string>

#include "symmetric_internal.h"

namespace idtap::crypto {
namespace {

using internal::openssl_error;

// The OpenSSL 3 default-provider names. 2-key 3DES is "DES-EDE" (K1||K2, EDE with K3 = K1);
// single DES lives in the legacy provider and is never needed here.
const char* cbc_name(CipherAlg alg) {
  switch (alg) {
    case CipherAlg::kTdes: return "DES-EDE-CBC";
    case CipherAlg::kAes128: return "AES-128-CBC";
    case CipherAlg::kAes192: return "AES-192-CBC";
    case CipherAlg::kAes256: return "AES-256-CBC";
  }
  return "";
}

const char* ecb_name(CipherAlg alg) {
  switch (alg) {
    case CipherAlg::kTdes: return "DES-EDE-ECB";
    case CipherAlg::kAes128: return "AES-128-ECB";
    case CipherAlg::kAes192: return "AES-192-ECB";
    case CipherAlg::kAes256: return "AES-256-ECB";
  }
  return "";
}

using CipherPtr = EvpCipherPtr;
using CtxPtr = EvpCipherCtxPtr;

// keyed_context: a context for `cipher` keyed with `key` in direction `enc`, padding off.
Result<CtxPtr> keyed_context(EVP_CIPHER* cipher, ByteView key, int enc) {
  CtxPtr ctx(EVP_CIPHER_CTX_new());
  if (!ctx) return openssl_error("EVP_CIPHER_CTX_new");
  if (EVP_CipherInit_ex2(ctx.get(), cipher, key.data(), nullptr, enc, nullptr) != 1)
    return openssl_error("EVP_CipherInit_ex2");
  if (EVP_CIPHER_CTX_set_padding(ctx.get(), 0) != 1) return openssl_error("EVP_CIPHER_CTX_set_padding");
  return ctx;
}

}  // namespace

size_t block_size(CipherAlg alg) { return alg == CipherAlg::kTdes ? 8 : 16; }

size_t key_size(CipherAlg alg) {
  switch (alg) {
    case CipherAlg::kTdes: return 16;
    case CipherAlg::kAes128: return 16;
    case CipherAlg::kAes192: return 24;
    case CipherAlg::kAes256: return 32;
  }
  return 0;
}

// One context per mode and direction, each keyed once at creation: a call only resets the IV
// (CBC) and runs EVP_CipherUpdate. Padding is off; no EVP_CipherFinal is needed because every
// input is a whole number of blocks and nothing is buffered.
struct BlockCipher::Impl {
  CipherAlg alg;
  CtxPtr cbc_enc, cbc_dec, ecb_enc, ecb_dec;

  Status check(ByteView data, std::span<uint8_t> out) const {
    if (data.size() % block_size(alg) != 0)
      return make_error(ErrorCode::kInvalidArgument,
                        "cipher input of " + std::to_string(data.size()) + " bytes is not a whole number of blocks");
    if (out.size() < data.size()) return make_error(ErrorCode::kInvalidArgument, "cipher output buffer too small");
    return ok_status();
  }

  Status run(EVP_CIPHER_CTX* ctx, const uint8_t* iv, ByteView data, std::span<uint8_t> out) const {
    IDTAP_TRY(check(data, out));
    if (iv != nullptr && EVP_CipherInit_ex2(ctx, nullptr, nullptr, iv, -1, nullptr) != 1)
      return openssl_error("EVP_CipherInit_ex2 (IV)");
    if (data.empty()) return ok_status();
    int written = 0;
    if (EVP_CipherUpdate(ctx, out.data(), &written, data.data(), static_cast<int>(data.size())) != 1)
      return openssl_error("EVP_CipherUpdate");
    if (static_cast<size_t>(written) != data.size())
      return make_error(ErrorCode::kInternal, "EVP_CipherUpdate returned a partial block");
    return ok_status();
  }

  Status run_cbc(EVP_CIPHER_CTX* ctx, ByteView iv, ByteView data, std::span<uint8_t> out) const {
    if (iv.size() != block_size(alg))
      return make_error(ErrorCode::kInvalidArgument, "CBC IV must be " + std::to_string(block_size(alg)) + " bytes");
    return run(ctx, iv.data(), data, out);
  }
};

BlockCipher::BlockCipher(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
BlockCipher::BlockCipher(BlockCipher&&) noexcept = default;
BlockCipher& BlockCipher::operator=(BlockCipher&&) noexcept = default;
BlockCipher::~BlockCipher() = default;

Result<BlockCipher> BlockCipher::create(CipherAlg alg, ByteView key) {
  if (key.size() != key_size(alg))
    return make_error(ErrorCode::kInvalidArgument, "cipher key must be " + std::to_string(key_size(alg)) +
                                                       " bytes, got " + std::to_string(key.size()));
  CipherPtr cbc(EVP_CIPHER_fetch(nullptr, cbc_name(alg), nullptr));
  if (!cbc) return openssl_error(cbc_name(alg));
  CipherPtr ecb(EVP_CIPHER_fetch(nullptr, ecb_name(alg), nullptr));
  if (!ecb) return openssl_error(ecb_name(alg));
  auto impl = std::make_unique<Impl>();
  impl->alg = alg;
  IDTAP_ASSIGN_OR_RETURN(impl->cbc_enc, keyed_context(cbc.get(), key, 1));
  IDTAP_ASSIGN_OR_RETURN(impl->cbc_dec, keyed_context(cbc.get(), key, 0));
  IDTAP_ASSIGN_OR_RETURN(impl->ecb_enc, keyed_context(ecb.get(), key, 1));
  IDTAP_ASSIGN_OR_RETURN(impl->ecb_dec, keyed_context(ecb.get(), key, 0));
  // The contexts hold their own references to the fetched ciphers.
  return BlockCipher(std::move(impl));
}

CipherAlg BlockCipher::alg() const { return impl_->alg; }

Status BlockCipher::cbc_encrypt(ByteView iv, ByteView data, std::span<uint8_t> out) const {
  return impl_->run_cbc(impl_->cbc_enc.get(), iv, data, out);
}
Status BlockCipher::cbc_decrypt(ByteView iv, ByteView data, std::span<uint8_t> out) const {
  return impl_->run_cbc(impl_->cbc_dec.get(), iv, data, out);
}
Status BlockCipher::ecb_encrypt(ByteView data, std::span<uint8_t> out) const {
  return impl_->run(impl_->ecb_enc.get(), nullptr, data, out);
}
Status BlockCipher::ecb_decrypt(ByteView data, std::span<uint8_t> out) const {
  return impl_->run(impl_->ecb_dec.get(), nullptr, data, out);
}

Result<Bytes> BlockCipher::cbc_encrypt(ByteView iv, ByteView data) const {
  Bytes out(data.size());
  IDTAP_TRY(cbc_encrypt(iv, data, out));
  return out;
}
Result<Bytes> BlockCipher::cbc_decrypt(ByteView iv, ByteView data) const {
  Bytes out(data.size());
  IDTAP_TRY(cbc_decrypt(iv, data, out));
  return out;
}
Result<Bytes> BlockCipher::ecb_encrypt(ByteView data) const {
  Bytes out(data.size());
  IDTAP_TRY(ecb_encrypt(data, out));
  return out;
}
Result<Bytes> BlockCipher::ecb_decrypt(ByteView data) const {
  Bytes out(data.size());
  IDTAP_TRY(ecb_decrypt(data, out));
  return out;
}

Bytes pad_iso9797_m2(ByteView data, size_t block) {
  Bytes out;
  out.reserve(data.size() + block);
  out.assign(data.begin(), data.end());
  out.push_back(0x80);
  while (out.size() % block != 0) out.push_back(0x00);
  return out;
}

Result<Bytes> unpad_iso9797_m2(ByteView data, size_t block) {
  if (data.empty() || block == 0 || data.size() % block != 0)
    return make_error(ErrorCode::kMalformed, "padded data is not a whole number of blocks");
  size_t i = data.size();
  // ISO/IEC 9797-1 padding method 2: the last non-zero byte must be 80, within the last block.
  while (i > 0 && data[i - 1] == 0x00 && data.size() - i < block) --i;
  if (i == 0 || data[i - 1] != 0x80 || data.size() - (i - 1) > block)
    return make_error(ErrorCode::kMalformed, "bad ISO/IEC 9797-1 method 2 padding");
  return Bytes(data.begin(), data.begin() + static_cast<std::ptrdiff_t>(i - 1));
}

}  // namespace idtap::crypto
