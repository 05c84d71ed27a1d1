#include "idtap/crypto/aead.h"

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/params.h>

#include "idtap/crypto/ossl_ptr.h"
#include "idtap/crypto/random.h"
#include "symmetric_internal.h"

namespace idtap::crypto {
namespace {

using internal::openssl_error;

using EvpKdfPtr = OsslPtr<EVP_KDF, EVP_KDF_free>;
using EvpKdfCtxPtr = OsslPtr<EVP_KDF_CTX, EVP_KDF_CTX_free>;

constexpr size_t kAes256KeyBytes = 32;

Status check_key(ByteView key) {
  if (key.size() != kAes256KeyBytes)
    return make_error(ErrorCode::kInvalidArgument, "AES-256-GCM: the key must be 32 bytes, not " + std::to_string(key.size()));
  return ok_status();
}

}  // namespace

Result<Bytes> aes256_gcm_seal(ByteView key, ByteView aad, ByteView plaintext) {
  IDTAP_TRY(check_key(key));
  IDTAP_ASSIGN_OR_RETURN(Bytes nonce, random_bytes(kGcmNonceBytes));
  EvpCipherCtxPtr ctx(EVP_CIPHER_CTX_new());
  if (!ctx) return openssl_error("EVP_CIPHER_CTX_new");
  EvpCipherPtr cipher(EVP_CIPHER_fetch(nullptr, "AES-256-GCM", nullptr));
  if (!cipher) return openssl_error("EVP_CIPHER_fetch AES-256-GCM");
  if (EVP_EncryptInit_ex2(ctx.get(), cipher.get(), key.data(), nonce.data(), nullptr) != 1)
    return openssl_error("EVP_EncryptInit_ex2 (AES-256-GCM)");
  int len = 0;
  if (!aad.empty() && EVP_EncryptUpdate(ctx.get(), nullptr, &len, aad.data(), static_cast<int>(aad.size())) != 1)
    return openssl_error("EVP_EncryptUpdate (AAD)");
  Bytes out(nonce.begin(), nonce.end());
  out.resize(kGcmNonceBytes + plaintext.size() + kGcmTagBytes);
  uint8_t* ct = out.data() + kGcmNonceBytes;
  if (!plaintext.empty() && EVP_EncryptUpdate(ctx.get(), ct, &len, plaintext.data(), static_cast<int>(plaintext.size())) != 1)
    return openssl_error("EVP_EncryptUpdate");
  int tail = 0;
  if (EVP_EncryptFinal_ex(ctx.get(), ct + plaintext.size(), &tail) != 1) return openssl_error("EVP_EncryptFinal_ex");
  if (EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, static_cast<int>(kGcmTagBytes), ct + plaintext.size()) != 1)
    return openssl_error("EVP_CTRL_GCM_GET_TAG");
  return out;
}

Result<SecureBytes> aes256_gcm_open(ByteView key, ByteView aad, ByteView sealed) {
  IDTAP_TRY(check_key(key));
  if (sealed.size() < kGcmNonceBytes + kGcmTagBytes)
    return make_error(ErrorCode::kMalformed, "AES-256-GCM: sealed data of " + std::to_string(sealed.size()) +
                                                 " bytes is shorter than a nonce and a tag");
  const ByteView nonce = sealed.subspan(0, kGcmNonceBytes);
  const ByteView ct = sealed.subspan(kGcmNonceBytes, sealed.size() - kGcmNonceBytes - kGcmTagBytes);
  Bytes tag(sealed.end() - kGcmTagBytes, sealed.end());
  EvpCipherCtxPtr ctx(EVP_CIPHER_CTX_new());
  if (!ctx) return openssl_error("EVP_CIPHER_CTX_new");
  EvpCipherPtr cipher(EVP_CIPHER_fetch(nullptr, "AES-256-GCM", nullptr));
  if (!cipher) return openssl_error("EVP_CIPHER_fetch AES-256-GCM");
  if (EVP_DecryptInit_ex2(ctx.get(), cipher.get(), key.data(), nonce.data(), nullptr) != 1)
    return openssl_error("EVP_DecryptInit_ex2 (AES-256-GCM)");
  int len = 0;
  if (!aad.empty() && EVP_DecryptUpdate(ctx.get(), nullptr, &len, aad.data(), static_cast<int>(aad.size())) != 1)
    return openssl_error("EVP_DecryptUpdate (AAD)");
  SecureBytes out(ct.size() + kGcmTagBytes);
  if (!ct.empty() && EVP_DecryptUpdate(ctx.get(), out.data(), &len, ct.data(), static_cast<int>(ct.size())) != 1)
    return openssl_error("EVP_DecryptUpdate");
  if (EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, static_cast<int>(kGcmTagBytes), tag.data()) != 1)
    return openssl_error("EVP_CTRL_GCM_SET_TAG");
  int tail = 0;
  // SP 800-38D §7.2: the plaintext is released only when the tag verifies.
  if (EVP_DecryptFinal_ex(ctx.get(), out.data() + ct.size(), &tail) != 1) {
    ERR_clear_error();
    return make_error(ErrorCode::kVerificationFailed, "AES-256-GCM: the tag does not verify (data, associated data or key differ)");
  }
  out.resize(ct.size());
  return out;
}

Result<SecureBytes> hkdf_sha256(ByteView ikm, ByteView salt, ByteView info, size_t length) {
  if (length == 0 || length > 255 * 32)
    return make_error(ErrorCode::kInvalidArgument, "HKDF-SHA256: output length must be 1..8160 bytes (RFC 5869 §2.3)");
  EvpKdfPtr kdf(EVP_KDF_fetch(nullptr, "HKDF", nullptr));
  if (!kdf) return openssl_error("EVP_KDF_fetch HKDF");
  EvpKdfCtxPtr ctx(EVP_KDF_CTX_new(kdf.get()));
  if (!ctx) return openssl_error("EVP_KDF_CTX_new");
  char digest[] = "SHA256";
  // OSSL_PARAM takes non-const pointers; the KDF only reads them. An empty salt or info is left
  // out (RFC 5869 §2.2: no salt is HashLen zero bytes, which is what HKDF does without one).
  OSSL_PARAM params[5];
  size_t n = 0;
  params[n++] = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, digest, 0);
  params[n++] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, const_cast<uint8_t*>(ikm.data()), ikm.size());
  if (!salt.empty())
    params[n++] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT, const_cast<uint8_t*>(salt.data()), salt.size());
  if (!info.empty())
    params[n++] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, const_cast<uint8_t*>(info.data()), info.size());
  params[n] = OSSL_PARAM_construct_end();
  SecureBytes out(length);
  if (EVP_KDF_derive(ctx.get(), out.data(), out.size(), params) != 1) return openssl_error("EVP_KDF_derive (HKDF-SHA256)");
  return out;
}

}  // namespace idtap::crypto
