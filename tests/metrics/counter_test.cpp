#include "hotpath/metrics/counter.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <thread>
#include <vector>

namespace {

using hotpath::metrics::counter;

TEST(Counter, StartsAtZero) {
  counter c;
  EXPECT_EQ(c.value(), 0u);
}

TEST(Counter, IncAddsOneOrN) {
  counter c;
  c.inc();
  c.inc(41u);
  c.inc(std::uint64_t{1000});
  c.inc(8);  // signed, non-negative
  EXPECT_EQ(c.value(), 1050u);
}

TEST(Counter, NegativeIncrementThrowsAndLeavesTheValue) {
  counter c;
  c.inc(5);
  try {
    c.inc(-3);
    FAIL() << "no exception";
  } catch (const hotpath::error& e) {
    EXPECT_STREQ(e.what(),
                 "hotpath::metrics::counter: negative increment -3 (a counter only goes up; use "
                 "a gauge)");
  }
  EXPECT_EQ(c.value(), 5u);
}

TEST(Counter, ResetStartsAgainFromZero) {
  counter c;
  c.inc(10);
  std::thread([&] { c.inc(7); }).join();
  c.reset();
  EXPECT_EQ(c.value(), 0u);
  c.inc(2);
  std::thread([&] { c.inc(3); }).join();
  EXPECT_EQ(c.value(), 5u);
}

TEST(Counter, CountsEveryIncrementFromConcurrentThreads) {
  counter c;
  constexpr int threads = 4;
  constexpr std::uint64_t per_thread = 100000;
  std::atomic<bool> stop{false};
  std::uint64_t last_seen = 0;
  bool monotonic = true;
  std::thread reader([&] {
    while (!stop.load()) {
      std::uint64_t v = c.value();
      if (v < last_seen) monotonic = false;
      last_seen = v;
    }
  });
  std::vector<std::thread> writers;
  for (int t = 0; t < threads; ++t) {
    writers.emplace_back([&] {
      for (std::uint64_t i = 0; i < per_thread; ++i)
        c.inc();
    });
  }
  for (auto& w : writers)
    w.join();
  stop = true;
  reader.join();
  EXPECT_TRUE(monotonic);
  EXPECT_EQ(c.value(), threads * per_thread);
}

TEST(Counter, KeepsCountsOfThreadsThatExited) {
  counter c;
  for (int i = 1; i <= 20; ++i)
    std::thread([&c, i] { c.inc(i); }).join();
  EXPECT_EQ(c.value(), 210u);
}

TEST(Counter, ANewCounterInAFreedSlotStartsAtZero) {
  auto first = std::make_unique<counter>();
  first->inc(99);
  std::thread([&] { first->inc(1); }).join();
  first.reset();
  std::vector<std::unique_ptr<counter>> fresh;
  for (int i = 0; i < 16; ++i) {
    fresh.push_back(std::make_unique<counter>());
    EXPECT_EQ(fresh.back()->value(), 0u);
  }
}

TEST(Counter, ManyCountersKeepSeparateTotals) {
  std::vector<std::unique_ptr<counter>> cs;
  for (int i = 0; i < 2000; ++i)
    cs.push_back(std::make_unique<counter>());
  auto bump = [&] {
    for (std::size_t i = 0; i < cs.size(); ++i)
      cs[i]->inc(i);
  };
  bump();
  std::thread(bump).join();
  for (std::size_t i = 0; i < cs.size(); ++i)
    ASSERT_EQ(cs[i]->value(), 2 * i);
}

}  // namespace
