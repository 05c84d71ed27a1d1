#include "idtap/crypto/scrypt.h"

#include <doctest/doctest.h>

#include "idtap/base/hex.h"

using namespace idtap;
using namespace idtap::crypto;

// RFC 7914 §12, the test vectors of scrypt (the first has an empty password and salt, which
// OpenSSL takes too).
TEST_CASE("scrypt gives the RFC 7914 §12 test vectors") {
  struct Case {
    const char* password;
    const char* salt;
    ScryptParams params;
    const char* expected;
  };
  const Case cases[] = {
      {"password", "NaCl", {1024, 8, 16},
       "fdbabe1c9d3472007856e7190d01e9fe7c6ad7cbc8237830e77376634b3731622eaf30d92e22a3886ff109279d9830dac727afb94a83ee6d8360cbdfa2cc0640"},
      {"pleaseletmein", "SodiumChloride", {16384, 8, 1},
       "7023bdcb3afd7348461c06cd81fd38ebfda8fbba904f8e3ea9b543f6545da1f2d5432955613f0fcf62d49705242a9af9e61e85dc0d651e40dfcf017b45575887"},
  };
  for (const Case& c : cases) {
    CAPTURE(c.password);
    auto out = scrypt_derive(bytes_of(c.password), bytes_of(c.salt), c.params, 64);
    REQUIRE(out.ok());
    CHECK(to_hex(ByteView(out->data(), out->size())) == c.expected);
  }
}

TEST_CASE("scrypt refuses parameters RFC 7914 does not allow") {
  // N not a power of two; N = 1; r = 0; an output too short; r * p too large.
  for (const ScryptParams& p : {ScryptParams{1000, 8, 1}, ScryptParams{1, 8, 1}, ScryptParams{1024, 0, 1},
                                ScryptParams{1024, uint32_t(1) << 15, uint32_t(1) << 15}}) {
    auto out = scrypt_derive(bytes_of("pw"), bytes_of("salt"), p, 32);
    CHECK(out.error().code == ErrorCode::kInvalidArgument);
  }
  CHECK(scrypt_derive(bytes_of("pw"), bytes_of("salt"), ScryptParams{1024, 8, 1}, 8).error().code == ErrorCode::kInvalidArgument);
}
