#include "idtap/crypto/scrypt.h"

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/params.h>

#include "idtap/crypto/ossl_ptr.h"
#include "symmetric_internal.h"

namespace idtap::crypto {
namespace {
using EvpKdfPtr = OsslPtr<EVP_KDF, EVP_KDF_free>;
using EvpKdfCtxPtr = OsslPtr<EVP_KDF_CTX, EVP_KDF_CTX_free>;
// kMaxMemoryBytes: OpenSSL's default limit is 32 MiB exactly, which N 2^15 r 8 reaches with its
// own overhead: allow 64 MiB.
constexpr uint64_t kMaxMemoryBytes = uint64_t(64) << 20;
}  // namespace

Result<SecureBytes> scrypt_derive(ByteView password, ByteView salt, const ScryptParams& params, size_t length) {
  // RFC 7914 §2: N > 1 and a power of 2; r * p < 2^30.
  if (params.n < 2 || (params.n & (params.n - 1)) != 0 || params.r == 0 || params.p == 0 ||
      uint64_t(params.r) * params.p >= (uint64_t(1) << 30))
    return make_error(ErrorCode::kInvalidArgument, "scrypt: N must be a power of two above 1, r and p positive, r*p < 2^30");
  if (length < 16 || length > 64) return make_error(ErrorCode::kInvalidArgument, "scrypt: the output must be 16..64 bytes");
  EvpKdfPtr kdf(EVP_KDF_fetch(nullptr, "SCRYPT", nullptr));
  if (!kdf) return internal::openssl_error("EVP_KDF_fetch SCRYPT");
  EvpKdfCtxPtr ctx(EVP_KDF_CTX_new(kdf.get()));
  if (!ctx) return internal::openssl_error("EVP_KDF_CTX_new");
  uint64_t n = params.n, maxmem = kMaxMemoryBytes;
  uint32_t r = params.r, p = params.p;
  OSSL_PARAM ps[] = {
      OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_PASSWORD, const_cast<uint8_t*>(password.data()), password.size()),
      OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT, const_cast<uint8_t*>(salt.data()), salt.size()),
      OSSL_PARAM_construct_uint64(OSSL_KDF_PARAM_SCRYPT_N, &n),
      OSSL_PARAM_construct_uint32(OSSL_KDF_PARAM_SCRYPT_R, &r),
      OSSL_PARAM_construct_uint32(OSSL_KDF_PARAM_SCRYPT_P, &p),
      OSSL_PARAM_construct_uint64(OSSL_KDF_PARAM_SCRYPT_MAXMEM, &maxmem),
      OSSL_PARAM_construct_end()};
  SecureBytes out(length);
  if (EVP_KDF_derive(ctx.get(), out.data(), out.size(), ps) != 1) return internal::openssl_error("EVP_KDF_derive (scrypt)");
  return out;
}

}  // namespace idtap::crypto
