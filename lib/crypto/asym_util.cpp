// OpenSSL helpers shared by the asymmetric code (ec.cpp, dh.cpp, pkey.cpp).
#include <openssl/err.h>

#include "asym_internal.h"

namespace idtap::crypto::detail {

Error openssl_error(const std::string& what) {
  unsigned long code = ERR_get_error();
  std::string context = what;
  if (code != 0) {
    char buf[256];
    ERR_error_string_n(code, buf, sizeof buf);
    context += " (OpenSSL: ";
    context += buf;
    context += ")";
  }
  ERR_clear_error();
  return make_error(ErrorCode::kInternal, context);
}

void clear_openssl_errors() { ERR_clear_error(); }

BnPtr new_bn() { return BnPtr(BN_new()); }

BnPtr new_secure_bn() {
  BnPtr b(BN_secure_new());
  if (b) BN_set_flags(b.get(), BN_FLG_CONSTTIME);
  return b;
}

BnCtxPtr new_ctx() { return BnCtxPtr(BN_CTX_new()); }

BnPtr bn_from(ByteView v) {
  BnPtr b = new_bn();
  if (b && BN_bin2bn(v.data(), static_cast<int>(v.size()), b.get()) == nullptr) return nullptr;
  return b;
}

BnPtr secure_bn_from(ByteView v) {
  BnPtr b = new_secure_bn();
  if (b && BN_bin2bn(v.data(), static_cast<int>(v.size()), b.get()) == nullptr) return nullptr;
  return b;
}

Bytes bn_bytes(const BIGNUM* b, size_t width) {
  size_t n = static_cast<size_t>(BN_num_bytes(b));
  if (width == 0) width = n == 0 ? 1 : n;
  if (n > width) return {};
  Bytes out(width);
  BN_bn2binpad(b, out.data(), static_cast<int>(width));
  return out;
}

SecureBytes bn_secure_bytes(const BIGNUM* b, size_t width) {
  SecureBytes out(width);
  if (BN_bn2binpad(b, out.data(), static_cast<int>(width)) < 0) return {};
  return out;
}

}  // namespace idtap::crypto::detail
