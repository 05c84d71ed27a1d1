#include "ossl.h"

#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/rand.h>

#include <cstdlib>

namespace idtap::provision::ossl {

std::string last_error() {
  unsigned long e = ERR_get_error();
  unsigned long next;
  while ((next = ERR_get_error()) != 0) e = next;
  if (e == 0) return "OpenSSL error";
  char buf[256];
  ERR_error_string_n(e, buf, sizeof buf);
  return buf;
}

const EVP_MD* sha256_md() {
  // Fetched once: OpenSSL 3 otherwise re-fetches the implementation (locks, name lookups) on
  // every EVP_DigestInit_ex with EVP_sha256(), which costs more than hashing a small item. The
  // fetched method is immutable and shared by every thread.
  static EVP_MD* const md = EVP_MD_fetch(nullptr, "SHA2-256", nullptr);
  return md != nullptr ? md : EVP_sha256();
}

Bytes sha256(ByteView data) { return sha256_two(data, {}); }

Bytes sha256_two(ByteView a, ByteView b) {
  MdCtxPtr ctx(EVP_MD_CTX_new());
  Bytes out(32);
  unsigned int n = 0;
  if (!ctx || EVP_DigestInit_ex(ctx.get(), sha256_md(), nullptr) != 1 ||
      EVP_DigestUpdate(ctx.get(), a.data(), a.size()) != 1 || EVP_DigestUpdate(ctx.get(), b.data(), b.size()) != 1 ||
      EVP_DigestFinal_ex(ctx.get(), out.data(), &n) != 1)
    std::abort();
  return out;
}

Result<Bytes> hmac_sha256(ByteView key, ByteView data) {
  EVP_MAC* mac = EVP_MAC_fetch(nullptr, "HMAC", nullptr);
  if (mac == nullptr) return make_error(ErrorCode::kInternal, "HMAC unavailable: " + last_error());
  EVP_MAC_CTX* ctx = EVP_MAC_CTX_new(mac);
  EVP_MAC_free(mac);
  if (ctx == nullptr) return make_error(ErrorCode::kInternal, "HMAC: " + last_error());
  char digest_name[] = "SHA256";
  OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest_name, 0), OSSL_PARAM_construct_end()};
  Bytes out(32);
  size_t n = 0;
  bool ok = EVP_MAC_init(ctx, key.data(), key.size(), params) == 1 && EVP_MAC_update(ctx, data.data(), data.size()) == 1 &&
            EVP_MAC_final(ctx, out.data(), &n, out.size()) == 1 && n == 32;
  EVP_MAC_CTX_free(ctx);
  if (!ok) return make_error(ErrorCode::kInternal, "HMAC: " + last_error());
  return out;
}

Result<Bytes> random_bytes(size_t n) {
  Bytes out(n);
  if (n != 0 && RAND_bytes(out.data(), static_cast<int>(n)) != 1) return make_error(ErrorCode::kInternal, "RAND_bytes failed");
  return out;
}

Result<SecureBytes> random_secure(size_t n) {
  SecureBytes out(n);
  if (n != 0 && RAND_bytes(out.data(), static_cast<int>(n)) != 1) return make_error(ErrorCode::kInternal, "RAND_bytes failed");
  return out;
}

}  // namespace idtap::provision::ossl
