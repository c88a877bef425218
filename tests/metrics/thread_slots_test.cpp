// The per-thread storage under counter and histogram (a detail header, tested for its promises
// on reuse, since the public tests cannot see arenas or slot ranges).
#include "hotpath/metrics/detail/thread_slots.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <thread>
#include <vector>

namespace {

namespace d = hotpath::metrics::detail;

TEST(ThreadSlots, ExitedThreadsHandTheirArenaToTheNextThread) {
  // Make sure this thread has its own arena before counting.
  std::size_t mine = d::slots().allocate(1);
  d::local_add(d::local_slot(mine), 0);
  d::slots().release(mine, 1);
  std::size_t before = d::slots().arena_count();
  for (int i = 0; i < 50; ++i) {
    std::thread([] { (void)d::local_arena(); }).join();
  }
  EXPECT_LE(d::slots().arena_count(), before + 1);
}

TEST(ThreadSlots, ReleasedRangesAreZeroedAndCoalesced) {
  std::size_t a = d::slots().allocate(3);
  std::size_t b = d::slots().allocate(5);
  ASSERT_EQ(b, a + 3);
  d::local_add(d::local_slot(a + 1), 11);
  std::thread([&] { d::local_add(d::local_slot(b + 4), 13); }).join();
  EXPECT_EQ(d::slots().sum_one(a + 1), 11u);
  EXPECT_EQ(d::slots().sum_one(b + 4), 13u);
  d::slots().release(a, 3);
  d::slots().release(b, 5);
  std::size_t c = d::slots().allocate(8);
  EXPECT_EQ(c, a);
  std::uint64_t sums[8] = {};
  d::slots().sum(c, 8, sums);
  for (std::uint64_t s : sums)
    EXPECT_EQ(s, 0u);
  d::slots().release(c, 8);
}

TEST(ThreadSlots, RangesAcrossPagesSumInOrder) {
  std::size_t base = d::slots().allocate(2 * d::page_slots + 7);
  for (std::size_t i = 0; i < 2 * d::page_slots + 7; i += 97)
    d::local_add(d::local_slot(base + i), i);
  std::vector<std::uint64_t> out(2 * d::page_slots + 7, 0);
  d::slots().sum(base, out.size(), out.data());
  for (std::size_t i = 0; i < out.size(); ++i)
    ASSERT_EQ(out[i], i % 97 == 0 ? i : 0) << i;
  d::slots().release(base, out.size());
}

}  // namespace
