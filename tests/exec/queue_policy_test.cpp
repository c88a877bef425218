#include "hotpath/exec/queue_policy.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <thread>
#include <vector>

namespace {

using moodycamel_queue = hotpath::queue::moodycamel::queue<std::unique_ptr<int>>;

// Pops everything and checks that each value 0..n-1 came out exactly once.
void expect_each_once(moodycamel_queue& q, std::size_t n) {
  std::vector<int> seen(n, 0);
  std::unique_ptr<int> v;
  std::size_t popped = 0;
  while (q.try_pop(v)) {
    ASSERT_TRUE(v);
    ASSERT_GE(*v, 0);
    ASSERT_LT(static_cast<std::size_t>(*v), n);
    ++seen[static_cast<std::size_t>(*v)];
    ++popped;
  }
  EXPECT_EQ(popped, n);
  for (std::size_t i = 0; i < n; ++i)
    EXPECT_EQ(seen[i], 1) << "value " << i;
}

TEST(MoodycamelQueue, OneProducerKeepsItsOrder) {
  moodycamel_queue q;
  for (int i = 0; i < 1000; ++i)
    q.push(std::make_unique<int>(i));
  std::unique_ptr<int> v;
  for (int i = 0; i < 1000; ++i) {
    ASSERT_TRUE(q.try_pop(v));
    EXPECT_EQ(*v, i);
  }
  EXPECT_FALSE(q.try_pop(v));
}

// More pushing threads than the queue keeps tokens for: the later ones use moodycamel's
// tokenless path, and nothing is lost or duplicated either way.
TEST(MoodycamelQueue, MoreProducersThanTokensLoseNothing) {
  constexpr std::size_t producers = moodycamel_queue::max_tokens + 16;
  constexpr std::size_t per_producer = 500;
  moodycamel_queue q;
  std::vector<std::thread> ts;
  for (std::size_t p = 0; p < producers; ++p) {
    ts.emplace_back([&q, p] {
      std::vector<std::unique_ptr<int>> bulk;
      for (std::size_t i = 0; i < per_producer; ++i) {
        auto v = std::make_unique<int>(static_cast<int>(p * per_producer + i));
        if (i % 2 == 0) {
          q.push(std::move(v));
        } else {
          bulk.push_back(std::move(v));
        }
      }
      q.push_bulk(bulk.data(), bulk.size());
    });
  }
  for (auto& t : ts)
    t.join();
  expect_each_once(q, producers * per_producer);
}

// A thread's token cache outlives queues; a new queue must never pick up a dead queue's token.
TEST(MoodycamelQueue, AThreadPushesIntoManyQueuesInTurn) {
  for (int round = 0; round < 50; ++round) {
    std::vector<std::unique_ptr<moodycamel_queue>> qs;
    for (int k = 0; k < 12; ++k)
      qs.push_back(std::make_unique<moodycamel_queue>());
    for (int i = 0; i < 24; ++i)
      qs[static_cast<std::size_t>(i % 12)]->push(std::make_unique<int>(i / 12));
    for (auto& q : qs)
      expect_each_once(*q, 2);
  }
}

}  // namespace

namespace {

using deque_queue = hotpath::queue::mutex_deque::queue<std::unique_ptr<int>>;

// FIFO across single and bulk pushes, whoever pushed.
TEST(MutexDequeQueue, KeepsOneOrderAcrossPushAndPushBulk) {
  deque_queue q;
  q.push(std::make_unique<int>(0));
  std::vector<std::unique_ptr<int>> bulk;
  for (int i = 1; i <= 3; ++i)
    bulk.push_back(std::make_unique<int>(i));
  q.push_bulk(bulk.data(), bulk.size());
  for (const auto& p : bulk)
    EXPECT_EQ(p, nullptr);  // moved out
  q.push(std::make_unique<int>(4));
  std::unique_ptr<int> v;
  for (int i = 0; i <= 4; ++i) {
    ASSERT_TRUE(q.try_pop(v));
    EXPECT_EQ(*v, i);
  }
  EXPECT_FALSE(q.try_pop(v));
}

TEST(MutexDequeQueue, FourProducersAndTwoConsumersLoseNothing) {
  constexpr int producers = 4;
  constexpr int per_producer = 20'000;
  deque_queue q;
  std::vector<std::atomic<std::uint8_t>> seen(producers * per_producer);
  std::atomic<int> popped{0};
  std::vector<std::thread> ts;
  for (int p = 0; p < producers; ++p) {
    ts.emplace_back([&q, p] {
      for (int i = 0; i < per_producer; ++i)
        q.push(std::make_unique<int>(p * per_producer + i));
    });
  }
  for (int c = 0; c < 2; ++c) {
    ts.emplace_back([&] {
      std::unique_ptr<int> v;
      while (popped.load() < producers * per_producer) {
        if (q.try_pop(v)) {
          seen[static_cast<std::size_t>(*v)]++;
          ++popped;
        }
      }
    });
  }
  for (auto& t : ts)
    t.join();
  std::size_t once = 0;
  for (auto& s : seen)
    once += s.load() == 1 ? 1 : 0;
  EXPECT_EQ(once, seen.size());
}

}  // namespace
