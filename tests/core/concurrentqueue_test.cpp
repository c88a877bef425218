// The detail header that finds moodycamel's queue wherever it is installed.
#include "hotpath/core/detail/concurrentqueue.hpp"

#include <gtest/gtest.h>

#include <thread>
#include <vector>

namespace {

TEST(ConcurrentQueueProbe, DeliversEveryItemExactlyOnce) {
  constexpr int per_producer = 50000;
  moodycamel::ConcurrentQueue<int> q;
  auto produce = [&q](int first) {
    for (int i = 0; i < per_producer; ++i)
      ASSERT_TRUE(q.enqueue(first + i));
  };
  std::thread p1(produce, 0);
  std::thread p2(produce, per_producer);
  std::vector<int> seen(2 * per_producer, 0);
  int received = 0;
  while (received < 2 * per_producer) {
    int v = 0;
    if (q.try_dequeue(v)) {
      ++seen[static_cast<std::size_t>(v)];
      ++received;
    }
  }
  p1.join();
  p2.join();
  int extra = 0;
  EXPECT_FALSE(q.try_dequeue(extra));
  for (int c : seen)
    ASSERT_EQ(c, 1);
}

}  // namespace
