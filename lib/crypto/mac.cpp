#include "idtap/crypto/mac.h"
#include "idtap/crypto/ossl_ptr.h"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include <algorithm>
#include <array>
#include <string>

#include "symmetric_internal.h"

namespace idtap::crypto {
namespace {

using internal::openssl_error;

using CtxPtr = EvpCipherCtxPtr;
using MacCtxPtr = EvpMacCtxPtr;

constexpr size_t kDesBlock = 8;

Result<CtxPtr> des_ede_cbc_encryptor(EVP_CIPHER* cipher, ByteView key) {
  CtxPtr ctx(EVP_CIPHER_CTX_new());
  if (!ctx) return openssl_error("EVP_CIPHER_CTX_new");
  if (EVP_EncryptInit_ex2(ctx.get(), cipher, key.data(), nullptr, nullptr) != 1)
    return openssl_error("EVP_EncryptInit_ex2 (DES-EDE-CBC)");
  if (EVP_CIPHER_CTX_set_padding(ctx.get(), 0) != 1) return openssl_error("EVP_CIPHER_CTX_set_padding");
  return ctx;
}

const char* cmac_cipher_name(size_t key_len) {
  switch (key_len) {
    case 16: return "AES-128-CBC";
    case 24: return "AES-192-CBC";
    case 32: return "AES-256-CBC";
  }
  return nullptr;
}

}  // namespace

// Retail MAC (ISO/IEC 9797-1 MAC algorithm 3, DES, key K1||K2): a single-DES CBC-MAC with K1
// over every block, then the last chaining value decrypted with K2 and encrypted with K1.
// Equivalently: single-DES CBC with K1 over all blocks but the last (chaining value H), then
// 2-key 3DES EDE (K1, K2, K1) of the last block XOR H. Single DES with K1 is DES-EDE with
// K1||K1 (E_K1 D_K1 E_K1 = E_K1), so both steps run on the default provider's DES-EDE-CBC and
// the legacy provider is not needed.
//
// AES-CMAC (NIST SP 800-38B) is the provider's EVP_MAC "CMAC", keyed once; EVP_MAC_init with
// no key restarts it for the next message.
struct Mac::Impl {
  MacAlg alg;
  CtxPtr single_des;  // DES-EDE-CBC keyed K1||K1, encrypting
  CtxPtr final_ede;   // DES-EDE-CBC keyed K1||K2, encrypting
  MacCtxPtr cmac;

  Status retail(ByteView data, std::span<uint8_t> out) const {
    if (data.empty() || data.size() % kDesBlock != 0)
      return make_error(ErrorCode::kInvalidArgument,
                        "retail MAC input must be a non-empty multiple of 8 bytes (pad it first), got " +
                            std::to_string(data.size()));
    std::array<uint8_t, kDesBlock> h{};  // chaining value, IV zero
    const size_t head = data.size() - kDesBlock;
    if (head > 0) {
      if (EVP_EncryptInit_ex2(single_des.get(), nullptr, nullptr, h.data(), nullptr) != 1)
        return openssl_error("EVP_EncryptInit_ex2 (retail MAC IV)");
      // CBC output is only needed for its last block: run it through a small buffer.
      std::array<uint8_t, 256> chunk;
      size_t done = 0;
      while (done < head) {
        const size_t n = std::min(chunk.size(), head - done);
        int written = 0;
        if (EVP_EncryptUpdate(single_des.get(), chunk.data(), &written, data.data() + done, static_cast<int>(n)) != 1 ||
            static_cast<size_t>(written) != n)
          return openssl_error("EVP_EncryptUpdate (retail MAC)");
        done += n;
        if (done == head) std::copy(chunk.begin() + (n - kDesBlock), chunk.begin() + n, h.begin());
      }
      OPENSSL_cleanse(chunk.data(), chunk.size());
    }
    if (EVP_EncryptInit_ex2(final_ede.get(), nullptr, nullptr, h.data(), nullptr) != 1)
      return openssl_error("EVP_EncryptInit_ex2 (retail MAC final IV)");
    int written = 0;
    if (EVP_EncryptUpdate(final_ede.get(), out.data(), &written, data.data() + head, kDesBlock) != 1 ||
        written != static_cast<int>(kDesBlock))
      return openssl_error("EVP_EncryptUpdate (retail MAC final)");
    return ok_status();
  }

  Status cmac_compute(ByteView data, std::span<uint8_t> out) const {
    if (EVP_MAC_init(cmac.get(), nullptr, 0, nullptr) != 1) return openssl_error("EVP_MAC_init (CMAC)");
    if (!data.empty() && EVP_MAC_update(cmac.get(), data.data(), data.size()) != 1)
      return openssl_error("EVP_MAC_update (CMAC)");
    size_t written = 0;
    if (EVP_MAC_final(cmac.get(), out.data(), &written, out.size()) != 1) return openssl_error("EVP_MAC_final (CMAC)");
    if (written != 16) return make_error(ErrorCode::kInternal, "CMAC returned " + std::to_string(written) + " bytes");
    return ok_status();
  }
};

Mac::Mac(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Mac::Mac(Mac&&) noexcept = default;
Mac& Mac::operator=(Mac&&) noexcept = default;
Mac::~Mac() = default;

Result<Mac> Mac::create(MacAlg alg, ByteView key) {
  auto impl = std::make_unique<Impl>();
  impl->alg = alg;
  if (alg == MacAlg::kRetailMac) {
    if (key.size() != 16)
      return make_error(ErrorCode::kInvalidArgument, "retail MAC key must be 16 bytes (K1||K2), got " +
                                                         std::to_string(key.size()));
    EvpCipherPtr ede(EVP_CIPHER_fetch(nullptr, "DES-EDE-CBC", nullptr));
    if (!ede) return openssl_error("EVP_CIPHER_fetch DES-EDE-CBC");
    std::array<uint8_t, 16> k1k1;
    std::copy(key.begin(), key.begin() + 8, k1k1.begin());
    std::copy(key.begin(), key.begin() + 8, k1k1.begin() + 8);
    auto single = des_ede_cbc_encryptor(ede.get(), k1k1);
    OPENSSL_cleanse(k1k1.data(), k1k1.size());
    IDTAP_ASSIGN_OR_RETURN(impl->single_des, std::move(single));
    IDTAP_ASSIGN_OR_RETURN(impl->final_ede, des_ede_cbc_encryptor(ede.get(), key));
    return Mac(std::move(impl));
  }
  const char* cipher = cmac_cipher_name(key.size());
  if (cipher == nullptr)
    return make_error(ErrorCode::kInvalidArgument, "AES-CMAC key must be 16, 24 or 32 bytes, got " +
                                                       std::to_string(key.size()));
  EvpMacPtr mac(EVP_MAC_fetch(nullptr, "CMAC", nullptr));
  if (!mac) return openssl_error("EVP_MAC_fetch CMAC");
  impl->cmac.reset(EVP_MAC_CTX_new(mac.get()));
  if (!impl->cmac) return openssl_error("EVP_MAC_CTX_new");
  const OSSL_PARAM params[] = {
      OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_CIPHER, const_cast<char*>(cipher), 0),
      OSSL_PARAM_construct_end(),
  };
  if (EVP_MAC_init(impl->cmac.get(), key.data(), key.size(), params) != 1) return openssl_error("EVP_MAC_init (CMAC key)");
  return Mac(std::move(impl));
}

MacAlg Mac::alg() const { return impl_->alg; }

size_t Mac::size() const { return impl_->alg == MacAlg::kRetailMac ? 8 : 16; }

Status Mac::compute(ByteView data, std::span<uint8_t> out) const {
  if (out.size() < size()) return make_error(ErrorCode::kInvalidArgument, "MAC output buffer too small");
  return impl_->alg == MacAlg::kRetailMac ? impl_->retail(data, out) : impl_->cmac_compute(data, out);
}

Result<Bytes> Mac::compute(ByteView data) const {
  Bytes out(size());
  IDTAP_TRY(compute(data, out));
  return out;
}

Result<Bytes> hmac_sha256(ByteView key, ByteView data) {
  EvpMacPtr mac(EVP_MAC_fetch(nullptr, "HMAC", nullptr));
  if (!mac) return openssl_error("EVP_MAC_fetch HMAC");
  EvpMacCtxPtr ctx(EVP_MAC_CTX_new(mac.get()));
  if (!ctx) return openssl_error("EVP_MAC_CTX_new");
  const OSSL_PARAM params[] = {
      OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, const_cast<char*>("SHA2-256"), 0),
      OSSL_PARAM_construct_end(),
  };
  // EVP_MAC_init refuses a null key pointer even for length 0: an empty key is one zero byte
  // of length 0.
  static const uint8_t kNoKey = 0;
  if (EVP_MAC_init(ctx.get(), key.empty() ? &kNoKey : key.data(), key.size(), params) != 1)
    return openssl_error("EVP_MAC_init (HMAC key)");
  if (!data.empty() && EVP_MAC_update(ctx.get(), data.data(), data.size()) != 1) return openssl_error("EVP_MAC_update (HMAC)");
  Bytes out(32);
  size_t written = 0;
  if (EVP_MAC_final(ctx.get(), out.data(), &written, out.size()) != 1) return openssl_error("EVP_MAC_final (HMAC)");
  if (written != out.size()) return make_error(ErrorCode::kInternal, "HMAC-SHA256 returned " + std::to_string(written) + " bytes");
  return out;
}

bool constant_time_equal(ByteView a, ByteView b) {
  if (a.size() != b.size()) return false;
  if (a.empty()) return true;
  return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace idtap::crypto
