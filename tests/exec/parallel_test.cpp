#include "hotpath/exec/parallel.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <future>
#include <latch>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "hotpath/exec/thread_pool.hpp"

namespace {

using pool_t = hotpath::thread_pool<>;

TEST(ParallelFor, VisitsEveryIndexExactlyOnce) {
  pool_t pool({.threads = 2});
  constexpr std::size_t n = 100'000;
  std::vector<std::atomic<std::uint8_t>> hits(n);
  hotpath::parallel_for(pool, std::size_t{0}, n, [&](std::size_t i) { hits[i]++; }, {.grain = 100});
  std::size_t once = 0;
  for (auto& h : hits)
    once += h.load() == 1 ? 1 : 0;
  EXPECT_EQ(once, n);
}

TEST(ParallelFor, HandlesSignedAndOffsetRanges) {
  pool_t pool({.threads = 2});
  std::atomic<long> sum{0};
  hotpath::parallel_for(pool, -500, 1500, [&](int i) { sum += i; }, {.grain = 10});
  EXPECT_EQ(sum.load(), 999'000);  // sum of -500..1499
  hotpath::parallel_for(pool, 5, 5, [&](int) { sum += 1000; });
  hotpath::parallel_for(pool, 7, 3, [&](int) { sum += 1000; });
  EXPECT_EQ(sum.load(), 999'000);
}

TEST(ParallelFor, AShortRangeRunsInlineOnTheCaller) {
  pool_t pool({.threads = 2});
  std::vector<std::thread::id> who;
  hotpath::parallel_for(pool, 0, 100, [&](int) { who.push_back(std::this_thread::get_id()); });
  ASSERT_EQ(who.size(), 100u);
  for (auto id : who)
    EXPECT_EQ(id, std::this_thread::get_id());
  EXPECT_EQ(pool.stats().submitted, 0u);
}

TEST(ParallelFor, RethrowsTheFirstErrorAndStartsNoChunkAfterIt) {
  pool_t pool({.threads = 2});
  std::atomic<int> calls{0};
  try {
    hotpath::parallel_for(pool, 0, 100'000,
                          [&](int i) {
                            ++calls;
                            throw std::runtime_error("bad index " + std::to_string(i / 100'000));
                          },
                          {.grain = 10});
    FAIL() << "no exception";
  } catch (const std::runtime_error& e) {
    EXPECT_STREQ(e.what(), "bad index 0");
  }
  // Each chunk throws at its first index, so every participant (the caller and one worker)
  // started at most one chunk before it saw the failure.
  EXPECT_GE(calls.load(), 1);
  EXPECT_LE(calls.load(), 2);
}

TEST(ParallelForEach, VisitsEveryElement) {
  pool_t pool({.threads = 2});
  std::vector<int> v(50'000);
  for (std::size_t i = 0; i < v.size(); ++i)
    v[i] = static_cast<int>(i);
  hotpath::parallel_for_each(pool, v, [](int& x) { x *= 2; }, {.grain = 64});
  for (std::size_t i = 0; i < v.size(); ++i)
    ASSERT_EQ(v[i], 2 * static_cast<int>(i));
}

TEST(ParallelReduce, MatchesTheSerialSum) {
  pool_t pool({.threads = 2});
  constexpr std::uint64_t n = 1'000'000;
  std::uint64_t serial = 0;
  for (std::uint64_t i = 0; i < n; ++i)
    serial += i * i % 1'000'003;
  auto par = hotpath::parallel_reduce(
      pool, std::uint64_t{0}, n, std::uint64_t{0},
      [](std::uint64_t i) { return i * i % 1'000'003; }, std::plus<>{});
  EXPECT_EQ(par, serial);
}

TEST(ParallelReduce, CombinesChunksInIndexOrder) {
  pool_t pool({.threads = 2});
  std::string serial = "<";
  for (int i = 0; i < 3000; ++i)
    serial += std::to_string(i % 10);
  auto par = hotpath::parallel_reduce(
      pool, 0, 3000, std::string("<"), [](int i) { return std::to_string(i % 10); },
      [](std::string a, const std::string& b) { return a + b; }, {.grain = 50});
  EXPECT_EQ(par, serial);
}

TEST(ParallelReduce, RethrowsTheErrorOfAMapCallAndReturnsNothing) {
  pool_t pool({.threads = 2});
  std::atomic<int> maps{0};
  try {
    (void)hotpath::parallel_reduce(pool, 0, 100'000, 0,
                                   [&](int i) {
                                     ++maps;
                                     if (i == 0) throw std::invalid_argument("row 0 is malformed");
                                     return 1;
                                   },
                                   std::plus<>{}, {.grain = 1000});
    FAIL() << "no exception";
  } catch (const std::invalid_argument& e) {
    EXPECT_STREQ(e.what(), "row 0 is malformed");
  }
  // Chunk 0 (at least `grain` indices) stopped at its first index, so its other indices never ran.
  EXPECT_GE(maps.load(), 1);
  EXPECT_LE(maps.load(), 100'000 - 999);
  // The pool is unharmed.
  EXPECT_EQ(hotpath::parallel_reduce(
                pool, 0, 10'000, 0, [](int) { return 1; }, std::plus<>{}),
            10'000);
}

TEST(ParallelFor, RunsOnThreadCountThreadsTheCallerCounted) {
  pool_t one({.threads = 1});
  std::vector<std::thread::id> who(50'000);
  hotpath::parallel_for(
      one, 0, 50'000, [&](int i) { who[static_cast<std::size_t>(i)] = std::this_thread::get_id(); },
      {.grain = 100});
  EXPECT_EQ(std::count(who.begin(), who.end(), std::this_thread::get_id()), 50'000);
  EXPECT_EQ(one.stats().submitted, 0u);  // a pool of one thread: the caller is that thread

  pool_t two({.threads = 2});
  hotpath::parallel_for(two, 0, 50'000, [](int) {}, {.grain = 100});
  two.wait_idle();
  EXPECT_EQ(two.stats().submitted, 1u);  // one helper beside the caller
}

// Both workers are busy, so the helper task waits in the queue: the caller runs every chunk and
// returns without waiting for it. The helper, when it finally runs, finds nothing to do.
TEST(ParallelFor, DoesNotWaitForAHelperThatNeverStarted) {
  pool_t pool({.threads = 2});
  std::latch busy(2);
  std::latch release(1);
  for (int i = 0; i < 2; ++i) {
    pool.post([&] {
      busy.count_down();
      release.wait();
    });
  }
  busy.wait();
  auto caller = std::async(std::launch::async, [&] {
    std::vector<std::thread::id> who(20'000);
    hotpath::parallel_for(
        pool, 0, 20'000,
        [&](int i) { who[static_cast<std::size_t>(i)] = std::this_thread::get_id(); },
        {.grain = 100});
    return static_cast<std::size_t>(std::count(who.begin(), who.end(), std::this_thread::get_id()));
  });
  bool returned = caller.wait_for(std::chrono::seconds(30)) == std::future_status::ready;
  release.count_down();
  ASSERT_TRUE(returned) << "parallel_for waited for a helper stuck behind busy workers";
  EXPECT_EQ(caller.get(), 20'000u);
  pool.wait_idle();
  auto st = pool.stats();
  EXPECT_EQ(st.submitted, 3u);  // two blockers and the helper, which ran and found no chunk
  EXPECT_EQ(st.completed, 3u);
}

TEST(ParallelFor, NestsInsideAPoolTask) {
  pool_t pool({.threads = 2});
  auto f = pool.submit([&pool] {
    std::atomic<int> count{0};
    hotpath::parallel_for(pool, 0, 20'000, [&](int) { ++count; }, {.grain = 100});
    return count.load();
  });
  EXPECT_EQ(f.get(), 20'000);
}

TEST(ParallelFor, RunsOnTheCallerWhenThePoolIsShutDown) {
  pool_t pool({.threads = 2});
  pool.shutdown();
  std::atomic<int> count{0};
  hotpath::parallel_for(pool, 0, 50'000, [&](int) { ++count; }, {.grain = 100});
  EXPECT_EQ(count.load(), 50'000);
}

}  // namespace
