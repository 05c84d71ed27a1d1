#include "idtap/base/secure_bytes.h"

#include <openssl/crypto.h>

namespace idtap {

void secure_zero(void* p, size_t len) {
  if (p != nullptr && len != 0) OPENSSL_cleanse(p, len);
}

}  // namespace idtap
