#include "idtap/crypto/openssl_error.h"

#include <openssl/err.h>

namespace idtap::crypto {

std::string openssl_last_error() {
  unsigned long e = ERR_get_error();
  for (unsigned long next; (next = ERR_get_error()) != 0;) e = next;
  if (e == 0) return "OpenSSL error";
  char buf[256];
  ERR_error_string_n(e, buf, sizeof buf);
  return buf;
}

}  // namespace idtap::crypto
