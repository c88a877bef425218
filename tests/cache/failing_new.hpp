// The global operator new and delete of a test binary, failing where fail_allocation_in says.
// Include in exactly one file of the binary: these are replacements, not inline functions.
#pragma once

#include <cstddef>
#include <cstdlib>
#include <new>

#include "fail_allocation.hpp"

namespace hotpath_test::detail {
inline void* allocate(std::size_t n, std::size_t align) {
  long& countdown = fail_allocation_in;
  if (countdown >= 0 && countdown-- == 0) throw std::bad_alloc();
  if (n == 0) n = 1;
  void* p = align <= alignof(std::max_align_t)
                ? std::malloc(n)
                : std::aligned_alloc(align, (n + align - 1) / align * align);
  if (p == nullptr) throw std::bad_alloc();
  ++live_allocations;
  return p;
}
// Not inlined: g++ would see memory from operator new handed to free() and warn, not knowing
// that this operator new is malloc.
[[gnu::noinline]] inline void deallocate(void* p) noexcept {
  if (p != nullptr) --live_allocations;
  std::free(p);
}
}  // namespace hotpath_test::detail

void* operator new(std::size_t n) {
  return hotpath_test::detail::allocate(n, 0);
}
void* operator new[](std::size_t n) {
  return hotpath_test::detail::allocate(n, 0);
}
void* operator new(std::size_t n, std::align_val_t a) {
  return hotpath_test::detail::allocate(n, static_cast<std::size_t>(a));
}
void* operator new[](std::size_t n, std::align_val_t a) {
  return hotpath_test::detail::allocate(n, static_cast<std::size_t>(a));
}
// The nothrow forms too: a library that calls them (libFuzzer does) must not get memory that
// the sanitizer's own operator new allocated and this operator delete frees.
void* operator new(std::size_t n, const std::nothrow_t&) noexcept {
  try {
    return hotpath_test::detail::allocate(n, 0);
  } catch (const std::bad_alloc&) {
    return nullptr;
  }
}
void* operator new[](std::size_t n, const std::nothrow_t&) noexcept {
  try {
    return hotpath_test::detail::allocate(n, 0);
  } catch (const std::bad_alloc&) {
    return nullptr;
  }
}
void* operator new(std::size_t n, std::align_val_t a, const std::nothrow_t&) noexcept {
  try {
    return hotpath_test::detail::allocate(n, static_cast<std::size_t>(a));
  } catch (const std::bad_alloc&) {
    return nullptr;
  }
}
void* operator new[](std::size_t n, std::align_val_t a, const std::nothrow_t&) noexcept {
  try {
    return hotpath_test::detail::allocate(n, static_cast<std::size_t>(a));
  } catch (const std::bad_alloc&) {
    return nullptr;
  }
}
void operator delete(void* p) noexcept {
  hotpath_test::detail::deallocate(p);
}
void operator delete[](void* p) noexcept {
  hotpath_test::detail::deallocate(p);
}
void operator delete(void* p, std::size_t) noexcept {
  hotpath_test::detail::deallocate(p);
}
void operator delete[](void* p, std::size_t) noexcept {
  hotpath_test::detail::deallocate(p);
}
void operator delete(void* p, std::align_val_t) noexcept {
  hotpath_test::detail::deallocate(p);
}
void operator delete[](void* p, std::align_val_t) noexcept {
  hotpath_test::detail::deallocate(p);
}
void operator delete(void* p, std::size_t, std::align_val_t) noexcept {
  hotpath_test::detail::deallocate(p);
}
void operator delete[](void* p, std::size_t, std::align_val_t) noexcept {
  hotpath_test::detail::deallocate(p);
}
void operator delete(void* p, const std::nothrow_t&) noexcept {
  hotpath_test::detail::deallocate(p);
}
void operator delete[](void* p, const std::nothrow_t&) noexcept {
  hotpath_test::detail::deallocate(p);
}
void operator delete(void* p, std::align_val_t, const std::nothrow_t&) noexcept {
  hotpath_test::detail::deallocate(p);
}
void operator delete[](void* p, std::align_val_t, const std::nothrow_t&) noexcept {
  hotpath_test::detail::deallocate(p);
}
