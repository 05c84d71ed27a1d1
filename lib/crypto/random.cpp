#include "idtap/crypto/random.h"

#include <openssl/rand.h>

#include <climits>

#include "symmetric_internal.h"

namespace idtap::crypto {
namespace {

Status fill_random(uint8_t* out, size_t n) {
  while (n > 0) {
    const int chunk = n > static_cast<size_t>(INT_MAX) ? INT_MAX : static_cast<int>(n);
    if (RAND_bytes(out, chunk) != 1) return internal::openssl_error("RAND_bytes");
    out += chunk;
    n -= static_cast<size_t>(chunk);
  }
  return ok_status();
}

}  // namespace

Result<Bytes> random_bytes(size_t n) {
  Bytes out(n);
  IDTAP_TRY(fill_random(out.data(), n));
  return out;
}

Result<SecureBytes> random_secure_bytes(size_t n) {
  SecureBytes out(n);
  IDTAP_TRY(fill_random(out.data(), n));
  return out;
}

}  // namespace idtap::crypto
