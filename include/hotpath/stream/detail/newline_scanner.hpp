// hotpath/stream/detail/newline_scanner.hpp: finds line breaks 64 bytes at a time.
//
// Calling memchr once per line costs a call and a setup per ~100-byte line; a 64-bit mask of
// the LF positions in each 64-byte stretch (SSE2 compares, which every x86-64 has) hands out
// successive line ends with a count-trailing-zeros each. Other targets fall back to memchr.
#pragma once

#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "hotpath/config.hpp"

namespace hotpath::inline HOTPATH_ABI::stream::detail {

/// Successive positions of '\n' in a block, from the front.
class newline_scanner {
 public:
  static constexpr std::size_t npos = static_cast<std::size_t>(-1);

  void reset(std::string_view block) noexcept {
    data_ = block.data();
    size_ = block.size();
    base_ = 0;
    mask_ = size_ == 0 ? 0 : mask_at(0);
  }

  /// The next '\n' after the one returned last, or npos at the end of the block.
  std::size_t next() noexcept {
    while (mask_ == 0) {
      base_ += 64;
      if (base_ >= size_) return npos;
      mask_ = mask_at(base_);
    }
    std::size_t i = base_ + static_cast<std::size_t>(std::countr_zero(mask_));
    mask_ &= mask_ - 1;
    return i;
  }

 private:
  std::uint64_t mask_at(std::size_t at) const noexcept {
    const char* p = data_ + at;
    if (size_ - at >= 64) {
#if defined(__SSE2__)
      const __m128i nl = _mm_set1_epi8('\n');
      auto part = [&](int k) {
        __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + 16 * k));
        return static_cast<std::uint64_t>(
            static_cast<std::uint32_t>(_mm_movemask_epi8(_mm_cmpeq_epi8(v, nl))));
      };
      return part(0) | part(1) << 16 | part(2) << 32 | part(3) << 48;
#endif
    }
    std::size_t n = size_ - at < 64 ? size_ - at : 64;
    std::uint64_t m = 0;
    const char* q = p;
    while ((q = static_cast<const char*>(
                std::memchr(q, '\n', n - static_cast<std::size_t>(q - p)))) != nullptr) {
      m |= std::uint64_t{1} << (q - p);
      ++q;
    }
    return m;
  }

  const char* data_ = nullptr;
  std::size_t size_ = 0;
  std::size_t base_ = 0;
  std::uint64_t mask_ = 0;
};

}  // namespace hotpath::inline HOTPATH_ABI::stream::detail
