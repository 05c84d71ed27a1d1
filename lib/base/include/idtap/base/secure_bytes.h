// idtap/base/secure_bytes.h: a byte string for keys and passwords, zeroised when freed.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "idtap/base/bytes.h"

namespace idtap {

// secure_zero: overwrites `len` bytes at `p` with zeros in a way the compiler keeps
// (OPENSSL_cleanse).
void secure_zero(void* p, size_t len);

// ZeroizingAllocator: an allocator whose deallocate() zeroises the block first, so a vector
// using it leaves no copy of its contents behind (on destruction, reallocation or shrink).
template <class T>
struct ZeroizingAllocator {
  using value_type = T;
  ZeroizingAllocator() noexcept = default;
  template <class U>
  ZeroizingAllocator(const ZeroizingAllocator<U>&) noexcept {}  // NOLINT
  T* allocate(size_t n) { return std::allocator<T>().allocate(n); }
  void deallocate(T* p, size_t n) noexcept {
    secure_zero(p, n * sizeof(T));
    std::allocator<T>().deallocate(p, n);
  }
  template <class U>
  bool operator==(const ZeroizingAllocator<U>&) const noexcept { return true; }
};

// SecureBytes: bytes that hold secrets (keys, passwords, seeds). Freed memory is zeroised;
// reassignment overwrites in place. Convert to ByteView to pass to functions.
using SecureBytes = std::vector<uint8_t, ZeroizingAllocator<uint8_t>>;

// secure_copy: `v` copied into SecureBytes.
inline SecureBytes secure_copy(ByteView v) { return SecureBytes(v.begin(), v.end()); }

// wipe: zeroises and empties `b`.
inline void wipe(SecureBytes& b) {
  secure_zero(b.data(), b.size());
  b.clear();
}

}  // namespace idtap
