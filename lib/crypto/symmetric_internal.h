// lib/crypto/symmetric_internal.h: private helpers shared by the symmetric primitives (cipher,
// MAC, hash, KDF, random). Not installed; not for other layers.
#pragma once

#include <openssl/err.h>

#include <string>

#include "idtap/base/error.h"

namespace idtap::crypto::internal {

// openssl_error: a kInternal error naming the failed OpenSSL call and the library's reason (the
// reason strings never carry key material); clears the OpenSSL error queue.
inline Error openssl_error(const char* what) {
  std::string context = std::string("OpenSSL ") + what + " failed";
  const unsigned long code = ERR_peek_last_error();
  if (code != 0) {
    char buf[256];
    ERR_error_string_n(code, buf, sizeof buf);
    context += ": ";
    context += buf;
  }
  ERR_clear_error();
  return make_error(ErrorCode::kInternal, std::move(context));
}

}  // namespace idtap::crypto::internal
