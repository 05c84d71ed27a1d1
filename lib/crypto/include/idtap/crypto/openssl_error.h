// idtap/crypto/openssl_error.h: OpenSSL's reason for the last failure, for the context of an
// Error (the reason strings never carry key material).
#pragma once

#include <string>

namespace idtap::crypto {

// openssl_last_error: the most recent reason on this thread's OpenSSL error queue ("OpenSSL
// error" when the queue is empty); the queue is cleared.
std::string openssl_last_error();

}  // namespace idtap::crypto
