// hotpath/stream/detail/newline_scanner.hpp: finds line breaks a window of bytes at a time.
//
// Calling memchr once per line costs a call and a setup per ~100-byte line, and walking a bitmap
// of LF positions word by word costs a mispredicted branch on nearly every line (whether the
// next 64 bytes hold an LF is a coin toss for typical line lengths). So the scanner turns the
// next 4 KiB into the list of its LF offsets in one out-of-line pass: 64-byte masks (AVX2 when
// the CPU has it, chosen once at run time; SSE2, which every x86-64 has, otherwise; memchr on
// other targets), each flattened with a fixed number of count-trailing-zeros stores whatever its
// popcount, so that the pass has no data-dependent branch for lines longer than 16 bytes. A
// line end then costs one load. The window is small enough to stay in L1.
//
// The passes prefetch 2 KiB ahead of the word they read. Mapped input comes from DRAM, and the
// CPU's own prefetchers stop at every 4 KiB page: without the hint, counting the lines of a
// 256 MiB mapped file took 53 ms against `wc -l`'s 36 ms; with it, 34 ms (1.5-3 KiB ahead all
// did as well; 512 bytes was too short). Input that `read()` just copied into cache loses nothing.
#pragma once

#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#endif

#include "hotpath/config.hpp"

namespace hotpath::inline HOTPATH_ABI::stream::detail {

namespace newline_index {

inline constexpr std::size_t window_bytes = 4096;
/// flatten() may write this many entries past the last real one.
inline constexpr std::size_t slack = 4;

/// Appends the offsets `base + j` of the set bits j of `m` to `out + n`; returns the new n.
inline std::size_t flatten(std::uint64_t m, std::uint32_t base, std::uint16_t* out,
                           std::size_t n) noexcept {
  auto count = static_cast<std::size_t>(std::popcount(m));
  std::uint16_t* w = out + n;
  // Unconditional stores: the entries past `count` are garbage that the next word overwrites
  // (countr_zero(0) is 64, so they stay in range of uint16_t).
  for (int k = 0; k < 4; ++k) {
    w[k] = static_cast<std::uint16_t>(base + static_cast<std::uint32_t>(std::countr_zero(m)));
    m &= m - 1;
#if defined(__GNUC__)
    // Hides that m may now be 0: g++ otherwise branches to store the constant for countr_zero(0),
    // a branch mispredicted on about every other word.
    __asm__("" : "+r"(m));
#endif
  }
  if (HOTPATH_UNLIKELY(count > 4)) {
    for (std::size_t k = 4; m != 0; ++k) {
      w[k] = static_cast<std::uint16_t>(base + static_cast<std::uint32_t>(std::countr_zero(m)));
      m &= m - 1;
    }
  }
  return n + count;
}

/// The LF mask of fewer than 64 bytes, and of every word on targets without SIMD.
inline std::uint64_t mask_tail(const char* p, std::size_t n) noexcept {
  std::uint64_t m = 0;
  const char* end = p + n;
  for (const char* q = p;
       (q = static_cast<const char*>(std::memchr(q, '\n', static_cast<std::size_t>(end - q)))) !=
       nullptr;
       ++q)
    m |= std::uint64_t{1} << (q - p);
  return m;
}

/// How far ahead of the word being read the passes prefetch.
inline constexpr std::uintptr_t prefetch_ahead = 2048;

/// Hints the CPU to load the line `prefetch_ahead` bytes after `p`. The address may lie past
/// the input, even past its mapping: a prefetch never faults, and integer arithmetic keeps the
/// pointer from being formed out of bounds.
inline void prefetch_ahead_of(const char* p) noexcept {
#if defined(__GNUC__)
  __builtin_prefetch(
      reinterpret_cast<const void*>(reinterpret_cast<std::uintptr_t>(p) + prefetch_ahead), 0, 3);
#else
  (void)p;
#endif
}

/// Writes the offsets of the LFs in the first `words` 64-byte words of `p`; returns their count.
using fill_fn = std::size_t (*)(const char* p, std::size_t words, std::uint16_t* out) noexcept;

inline std::size_t fill_scalar(const char* p, std::size_t words, std::uint16_t* out) noexcept {
  std::size_t n = 0;
  for (std::size_t i = 0; i < words; ++i)
    n = flatten(mask_tail(p + 64 * i, 64), static_cast<std::uint32_t>(64 * i), out, n);
  return n;
}

#if defined(__SSE2__)
HOTPATH_NOINLINE inline std::size_t fill_sse2(const char* p, std::size_t words,
                                              std::uint16_t* out) noexcept {
  const __m128i nl = _mm_set1_epi8('\n');
  std::size_t n = 0;
  for (std::size_t i = 0; i < words; ++i) {
    const char* q = p + 64 * i;
    prefetch_ahead_of(q);
    auto part = [&](int k) {
      __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(q + 16 * k));
      return static_cast<std::uint64_t>(
          static_cast<std::uint32_t>(_mm_movemask_epi8(_mm_cmpeq_epi8(v, nl))));
    };
    std::uint64_t m = part(0) | part(1) << 16 | part(2) << 32 | part(3) << 48;
    n = flatten(m, static_cast<std::uint32_t>(64 * i), out, n);
  }
  return n;
}

__attribute__((target("avx2,bmi,popcnt"))) HOTPATH_NOINLINE inline std::size_t fill_avx2(
    const char* p, std::size_t words, std::uint16_t* out) noexcept {
  const __m256i nl = _mm256_set1_epi8('\n');
  std::size_t n = 0;
  for (std::size_t i = 0; i < words; ++i) {
    const char* q = p + 64 * i;
    prefetch_ahead_of(q);
    auto lo = static_cast<std::uint32_t>(_mm256_movemask_epi8(
        _mm256_cmpeq_epi8(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(q)), nl)));
    auto hi = static_cast<std::uint32_t>(_mm256_movemask_epi8(
        _mm256_cmpeq_epi8(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(q + 32)), nl)));
    n = flatten(std::uint64_t{hi} << 32 | lo, static_cast<std::uint32_t>(64 * i), out, n);
  }
  return n;
}
#endif

/// The widest routine this CPU runs, chosen on first use.
inline fill_fn best() noexcept {
#if defined(__SSE2__)
  static const fill_fn f = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("bmi") &&
                                   __builtin_cpu_supports("popcnt")
                               ? &fill_avx2
                               : &fill_sse2;
  return f;
#else
  return &fill_scalar;
#endif
}

}  // namespace newline_index

/// Successive positions of '\n' in a block, from the front.
class newline_scanner {
 public:
  static constexpr std::size_t npos = static_cast<std::size_t>(-1);

  void reset(std::string_view block) noexcept {
    data_ = block.data();
    size_ = block.size();
    fill_ = newline_index::best();
    next_window_ = base_ = 0;
    at_ = count_ = 0;
  }

  /// The next '\n' after the one returned last, or npos at the end of the block.
  std::size_t next() noexcept {
    if (HOTPATH_LIKELY(at_ < count_)) return base_ + offsets_[at_++];
    return next_window();
  }

 private:
  // Out of line so that next() stays small enough to inline into the readers' loops.
  HOTPATH_NOINLINE std::size_t next_window() noexcept {
    while (next_window_ < size_) {
      std::size_t left = size_ - next_window_;
      const char* p = data_ + next_window_;
      base_ = next_window_;
      if (left >= 64) {
        std::size_t words =
            (left < newline_index::window_bytes ? left : newline_index::window_bytes) / 64;
        count_ = fill_(p, words, offsets_);
        next_window_ += words * 64;
      } else {
        count_ = newline_index::flatten(newline_index::mask_tail(p, left), 0, offsets_, 0);
        next_window_ = size_;
      }
      if (count_ != 0) {
        at_ = 1;
        return base_ + offsets_[0];
      }
    }
    at_ = count_ = 0;
    return npos;
  }

  const char* data_ = nullptr;
  std::size_t size_ = 0;
  newline_index::fill_fn fill_ = nullptr;
  std::size_t next_window_ = 0;  // block offset of the first byte not yet indexed
  std::size_t base_ = 0;         // block offset the entries of offsets_ count from
  std::size_t at_ = 0;
  std::size_t count_ = 0;
  std::uint16_t offsets_[newline_index::window_bytes + newline_index::slack];
};

}  // namespace hotpath::inline HOTPATH_ABI::stream::detail
