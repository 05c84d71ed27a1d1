#include "idtap/base/bytes.h"

#include <doctest/doctest.h>

#include "idtap/base/redact.h"
#include "idtap/base/secure_bytes.h"

using namespace idtap;

TEST_CASE("concat, be_uint and be_bytes") {
  Bytes a = {1, 2}, b = {3};
  CHECK(concat({a, b, a}) == Bytes{1, 2, 3, 1, 2});
  CHECK(be_uint(Bytes{0x01, 0x02, 0x03}) == 0x010203u);
  CHECK(be_bytes(0x0102, 4) == Bytes{0, 0, 1, 2});
  CHECK(be_bytes(0x010203, 2) == Bytes{2, 3});
  CHECK(equal_bytes(a, Bytes{1, 2}));
  CHECK_FALSE(equal_bytes(a, b));
}

TEST_CASE("SecureBytes zeroises what it frees") {
  // The allocator's deallocate must wipe the block before releasing it: check through a
  // custom allocation we control.
  ZeroizingAllocator<uint8_t> alloc;
  uint8_t* p = alloc.allocate(16);
  for (int i = 0; i < 16; ++i) p[i] = 0xAA;
  secure_zero(p, 16);
  for (int i = 0; i < 16; ++i) CHECK(p[i] == 0);
  alloc.deallocate(p, 16);

  SecureBytes key = secure_copy(Bytes{1, 2, 3});
  wipe(key);
  CHECK(key.empty());
}

TEST_CASE("resident numbers and secrets are masked") {
  CHECK(mask_resident_number("690806-2345678") == "690806-2******");
  CHECK(mask_resident_number("6908062345678") == "690806-2******");
  CHECK(mask_resident_number("12345") == "1****");
  CHECK(mask_resident_number("") == "");
  CHECK(mask_secret("123456") == "******");
}
