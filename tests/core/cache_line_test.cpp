#include "hotpath/core/cache_line.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <cstddef>
#include <cstdint>

namespace {

struct alignas(hotpath::cache_line_size) padded {
  std::atomic<std::uint64_t> value{0};
};

TEST(CacheLine, IsAPowerOfTwoAtLeast64) {
  static_assert((hotpath::cache_line_size & (hotpath::cache_line_size - 1)) == 0);
  EXPECT_GE(hotpath::cache_line_size, 64u);
}

TEST(CacheLine, AlignedNeighboursSitOnSeparateLines) {
  padded pair[2];
  auto a = reinterpret_cast<std::uintptr_t>(&pair[0]);
  auto b = reinterpret_cast<std::uintptr_t>(&pair[1]);
  EXPECT_EQ(a % hotpath::cache_line_size, 0u);
  EXPECT_EQ(b - a, hotpath::cache_line_size);
}

}  // namespace
