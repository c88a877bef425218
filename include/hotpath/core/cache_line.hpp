// hotpath/core/cache_line.hpp: the alignment that keeps data written by different threads apart.
//
// std::hardware_destructive_interference_size varies with compiler flags (g++ warns about using
// it in headers for that reason), so hotpath fixes the value per architecture.
//
//   struct alignas(hotpath::cache_line_size) padded { std::atomic<int> v; };
#pragma once

#include <cstddef>

#include "hotpath/config.hpp"

namespace hotpath::inline HOTPATH_ABI {

#if defined(__aarch64__) && defined(__APPLE__)
inline constexpr std::size_t cache_line_size = 128;
#elif defined(__powerpc64__)
inline constexpr std::size_t cache_line_size = 128;
#else
/// x86-64 and most ARM cores: 64 bytes (adjacent-line prefetch is left to the user).
inline constexpr std::size_t cache_line_size = 64;
#endif

}  // namespace hotpath::inline HOTPATH_ABI
