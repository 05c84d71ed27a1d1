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
}

TEST_CASE("mask_resident_number masks by characters and always gives valid UTF-8") {
  struct Case {
    const char* in;
    const char* out;
  } cases[] = {
      // full-width digits (U+FF10..): the number is recognised and shown in ASCII
      {"\xEF\xBC\x98\xEF\xBC\x95\xEF\xBC\x90\xEF\xBC\x93\xEF\xBC\x91\xEF\xBC\x95-"
       "\xEF\xBC\x92\xEF\xBC\x94\xEF\xBC\x96\xEF\xBC\x98\xEF\xBC\x91\xEF\xBC\x93\xEF\xBC\x95",
       "850315-2******"},
      // Hangul: the first character whole, one '*' per further character (not per byte)
      {"\xED\x99\x8D\xEA\xB8\xB8\xEB\x8F\x99", "\xED\x99\x8D**"},
      // a broken UTF-8 sequence first: masked, never copied half
      {"\xEF\xBC-12", "*****"},
      // a lone continuation byte inside: one '*'
      {"A\x80" "B", "A**"},
  };
  for (const auto& c : cases) {
    CAPTURE(c.in);
    CHECK(mask_resident_number(c.in) == c.out);
  }
  CHECK(mask_secret("123456") == "******");
}
