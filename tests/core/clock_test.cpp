#include "hotpath/core/clock.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <thread>

namespace {

using namespace std::chrono_literals;

static_assert(hotpath::clock<std::chrono::steady_clock>);
static_assert(hotpath::clock<std::chrono::system_clock>);
static_assert(hotpath::clock<hotpath::manual_clock>);
static_assert(!hotpath::clock<int>);

TEST(ManualClock, StartsAtZeroAndMovesOnlyWhenAdvanced) {
  hotpath::manual_clock clk;
  EXPECT_EQ(clk.now().time_since_epoch(), 0ns);
  EXPECT_EQ(clk.now().time_since_epoch(), 0ns);
  clk.advance(1500ms);
  EXPECT_EQ(clk.now().time_since_epoch(), 1500ms);
}

TEST(ManualClock, CopiesShareOneTime) {
  hotpath::manual_clock a;
  hotpath::manual_clock b = a;
  a.advance(3s);
  EXPECT_EQ(b.now().time_since_epoch(), 3s);
  b.advance(2ns);
  EXPECT_EQ(a.now().time_since_epoch(), 3s + 2ns);
}

TEST(ManualClock, NeverGoesBack) {
  hotpath::manual_clock clk;
  clk.advance(10s);
  clk.advance(-5s);
  EXPECT_EQ(clk.now().time_since_epoch(), 10s);
  clk.set(hotpath::manual_clock::time_point(4s));
  EXPECT_EQ(clk.now().time_since_epoch(), 10s);
  clk.set(hotpath::manual_clock::time_point(12s));
  EXPECT_EQ(clk.now().time_since_epoch(), 12s);
}

TEST(ManualClock, ConcurrentAdvancesAllCount) {
  hotpath::manual_clock clk;
  constexpr int per_thread = 20000;
  auto work = [clk]() mutable {
    for (int i = 0; i < per_thread; ++i)
      clk.advance(1ns);
  };
  std::thread t1(work);
  std::thread t2(work);
  t1.join();
  t2.join();
  EXPECT_EQ(clk.now().time_since_epoch(), std::chrono::nanoseconds(2 * per_thread));
}

}  // namespace
