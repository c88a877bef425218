#include "hotpath/cache/detail/timer_wheel.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <random>
#include <span>
#include <stdexcept>
#include <vector>

#include "failing_new.hpp"  // the wheel's buckets fail to grow on demand

namespace hd = hotpath::detail;

namespace {

// The narrowest node store the wheel works on.
struct fake_nodes {
  std::vector<hd::node_links> l;
  std::vector<hd::timer_links> t;
  explicit fake_nodes(std::size_t n) : l(n), t(n) {}
  hd::node_links& links(std::uint32_t i) { return l[i]; }
  hd::timer_links& timer(std::uint32_t i) { return t[i]; }
};

constexpr std::int64_t ms = 1'000'000;

// An expire callback that removes every node handed to it, recording it in `removed`.
auto recording(std::vector<std::uint32_t>& removed) {
  return [&removed](std::span<const std::uint32_t> due, std::size_t& done) {
    removed.insert(removed.end(), due.begin(), due.end());
    done = due.size();
  };
}

}  // namespace

TEST(TimerWheel, EveryScheduledNodeExpiresOnceWithinTwoTicksAndUnscheduledOnesNever) {
  constexpr std::uint32_t n = 20'000;
  fake_nodes nodes(n);
  hd::timer_wheel wheel(0);
  std::mt19937_64 rng(11);
  // Up to 10 s: spread over levels 0, 1 and 2, many nodes to a bucket.
  std::uniform_int_distribution<std::int64_t> at(1, 10'000 * ms);
  for (std::uint32_t i = 0; i < n; ++i) {
    nodes.t[i].at = at(rng);
    if (i % 2 == 0) {
      wheel.schedule(nodes, i, 0);
    } else {  // the two steps the cache takes: room first, then the filing that cannot fail
      wheel.schedule_at(nodes, i, wheel.prepare(nodes.t[i].at, 0));
    }
  }
  std::vector<bool> dropped(n);
  for (std::uint32_t i = 0; i < n; i += 3) {  // out of the middle of buckets: swap-removals
    wheel.unschedule(nodes, i);
    wheel.unschedule(nodes, i);  // a second time is a no-op
    dropped[i] = true;
  }
  std::vector<int> times(n);
  std::vector<std::int64_t> when(n);
  for (std::int64_t now = 0; now <= 10'050 * ms; now += ms / 2) {
    wheel.advance(nodes, now, [&](std::span<const std::uint32_t> due, std::size_t& done) {
      for (std::uint32_t i : due) {
        EXPECT_EQ(nodes.l[i].timer_bucket, hd::timer_wheel::detached);
        ++times[i];
        when[i] = now;
        ++done;
      }
    });
  }
  for (std::uint32_t i = 0; i < n; ++i) {
    if (dropped[i]) {
      EXPECT_EQ(times[i], 0) << i;
      continue;
    }
    ASSERT_EQ(times[i], 1) << i;
    EXPECT_GE(when[i], nodes.t[i].at) << i;
    EXPECT_LT(when[i], nodes.t[i].at + 2 * (std::int64_t{1} << 20) + ms / 2) << i;
  }
}

TEST(TimerWheel, RescheduledAndFarTimersExpireAtTheirNewTime) {
  fake_nodes nodes(3);
  hd::timer_wheel wheel(0);
  nodes.t[0].at = 5 * ms;
  nodes.t[1].at = 5 * ms;
  nodes.t[2].at = std::int64_t{20} * 24 * 3600 * 1'000 * ms;  // 20 days: past the wheel's 13
  for (std::uint32_t i = 0; i < 3; ++i)
    wheel.schedule(nodes, i, 0);
  // Node 0 moves to 50 ms, as an after_access touch does.
  wheel.unschedule(nodes, 0);
  nodes.t[0].at = 50 * ms;
  wheel.schedule(nodes, 0, 0);
  std::vector<std::uint32_t> order;
  auto expire = recording(order);
  wheel.advance(nodes, 10 * ms, expire);
  EXPECT_EQ(order, (std::vector<std::uint32_t>{1}));
  wheel.advance(nodes, 60 * ms, expire);
  EXPECT_EQ(order, (std::vector<std::uint32_t>{1, 0}));
  for (std::int64_t day = 1; day <= 19; ++day)
    wheel.advance(nodes, day * 24 * 3600 * 1'000 * ms, expire);
  EXPECT_EQ(order.size(), 2u);
  wheel.advance(nodes, nodes.t[2].at + 3 * ms, expire);
  EXPECT_EQ(order, (std::vector<std::uint32_t>{1, 0, 2}));
}

// Timers filed in a tick the wheel has already passed (already due, or filed with a `now`
// behind the wheel because the clock stepped back) are reclaimed within two ticks of the
// wheel's own time, not a whole rotation of their level later.
TEST(TimerWheel, TimersFiledInAPassedTickAreReclaimedWithinTwoTicks) {
  fake_nodes nodes(3);
  hd::timer_wheel wheel(0);
  std::int64_t wheel_time = 100'000 * ms;  // 100 s
  wheel.advance(nodes, wheel_time, [](std::span<const std::uint32_t>, std::size_t&) {});
  nodes.t[0].at = 50'000 * ms;  // already due
  wheel.schedule(nodes, 0, wheel_time);
  nodes.t[1].at = 51'000 * ms;  // due 1 s after a clock that stepped back to 50 s
  wheel.schedule(nodes, 1, 50'000 * ms);
  nodes.t[2].at = 99'000 * ms + 500'000 * ms;  // 10 min on from 99 s, a clock 1 s behind
  wheel.schedule(nodes, 2, 99'000 * ms);
  std::vector<std::int64_t> when(3, -1);
  for (std::int64_t now = wheel_time; now <= wheel_time + 700'000 * ms; now += ms / 2) {
    wheel.advance(nodes, now, [&](std::span<const std::uint32_t> due, std::size_t& done) {
      for (std::uint32_t i : due) {
        EXPECT_EQ(when[i], -1) << i;
        when[i] = now;
        ++done;
      }
    });
  }
  EXPECT_GE(when[0], wheel_time);
  EXPECT_LE(when[0], wheel_time + 2 * (std::int64_t{1} << 20) + ms / 2);
  EXPECT_GE(when[1], wheel_time);
  EXPECT_LE(when[1], wheel_time + (std::int64_t{1} << 26) + 2 * (std::int64_t{1} << 20) + ms / 2);
  EXPECT_GE(when[2], nodes.t[2].at);
  EXPECT_LE(when[2], nodes.t[2].at + 2 * (std::int64_t{1} << 20) + ms / 2);
}

// An expire that throws part-way (a listener's copy of a key or value, in the cache) leaves the
// nodes it did not remove on the wheel: they are handed out again at the next tick, and the ones
// it removed are not.
TEST(TimerWheel, NodesAnExpireThatThrowsDidNotRemoveComeBackAtTheNextTick) {
  fake_nodes nodes(5);
  hd::timer_wheel wheel(0);
  for (std::uint32_t i = 0; i < 5; ++i) {
    nodes.t[i].at = 5 * ms;  // one bucket
    wheel.schedule(nodes, i, 0);
  }
  std::vector<std::uint32_t> removed;
  bool fail = true;
  auto expire = [&](std::span<const std::uint32_t> due, std::size_t& done) {
    for (std::uint32_t i : due) {
      if (fail && removed.size() == 2) throw std::runtime_error("copy failed");
      removed.push_back(i);
      ++done;
    }
  };
  EXPECT_THROW(wheel.advance(nodes, 8 * ms, expire), std::runtime_error);
  ASSERT_EQ(removed.size(), 2u);
  std::vector<std::uint32_t> first = removed;
  for (std::uint32_t i = 0; i < 5; ++i) {
    bool gone = std::find(first.begin(), first.end(), i) != first.end();
    EXPECT_EQ(nodes.l[i].timer_bucket == hd::timer_wheel::detached, gone) << i;
  }
  fail = false;
  wheel.advance(nodes, 8 * ms + 300'000, expire);  // the same 2^20 ns tick: nothing new
  EXPECT_EQ(removed.size(), 2u);
  wheel.advance(nodes, 10 * ms, expire);
  ASSERT_EQ(removed.size(), 5u);
  std::sort(removed.begin(), removed.end());
  EXPECT_EQ(removed, (std::vector<std::uint32_t>{0, 1, 2, 3, 4}));
}

// A bucket whose nodes move down a level, where filing one fails for want of memory, keeps the
// nodes it did not finish with and is drained again at the next tick: none is lost.
TEST(TimerWheel, ABucketThatCannotFileItsNodesLowerDownKeepsThemForTheNextTick) {
  fake_nodes nodes(5);
  hd::timer_wheel wheel(0);
  for (std::uint32_t i = 0; i < 5; ++i) {
    nodes.t[i].at = 100 * ms;  // level 1 at first; at 80 ms, 20 ms away: level 0
    wheel.schedule(nodes, i, 0);
  }
  const std::uint16_t upper = nodes.l[0].timer_bucket;
  std::vector<std::uint32_t> removed;
  auto expire = recording(removed);
  // Moving down, the first node makes room for four in its new bucket (an allocation), and
  // the fifth needs more: that second allocation fails.
  hotpath_test::fail_allocation_in = 1;
  EXPECT_THROW(wheel.advance(nodes, 80 * ms, expire), std::bad_alloc);
  hotpath_test::fail_allocation_in = -1;
  std::uint16_t lower = nodes.l[0].timer_bucket;
  EXPECT_NE(lower, upper);
  for (std::uint32_t i = 0; i < 4; ++i)
    EXPECT_EQ(nodes.l[i].timer_bucket, lower) << i;
  EXPECT_EQ(nodes.l[4].timer_bucket, upper);
  wheel.advance(nodes, 80 * ms + 300'000, expire);  // the same tick: nothing new
  EXPECT_EQ(nodes.l[4].timer_bucket, upper);
  wheel.advance(nodes, 82 * ms, expire);
  EXPECT_EQ(nodes.l[4].timer_bucket, lower);
  EXPECT_TRUE(removed.empty());
  wheel.advance(nodes, 103 * ms, expire);
  std::sort(removed.begin(), removed.end());
  EXPECT_EQ(removed, (std::vector<std::uint32_t>{0, 1, 2, 3, 4}));
}

// Due nodes whose bucket failed to file its other nodes are not handed out then, but at the
// next tick, with the rest.
TEST(TimerWheel, DueNodesOfABucketThatFailedComeOutAtTheNextTick) {
  fake_nodes nodes(6);
  hd::timer_wheel wheel(0);
  for (std::uint32_t i = 0; i < 6; ++i) {
    nodes.t[i].at = i % 2 == 0 ? 70 * ms : 100 * ms;  // one level-1 bucket: 67 to 134 ms
    wheel.schedule(nodes, i, 0);
  }
  std::vector<std::uint32_t> removed;
  auto expire = recording(removed);
  hotpath_test::fail_allocation_in = 0;  // the first node that moves down fails
  EXPECT_THROW(wheel.advance(nodes, 75 * ms, expire), std::bad_alloc);
  hotpath_test::fail_allocation_in = -1;
  EXPECT_TRUE(removed.empty());
  for (std::uint32_t i = 0; i < 6; ++i)
    EXPECT_EQ(nodes.l[i].timer_bucket, nodes.l[0].timer_bucket) << i;
  wheel.advance(nodes, 77 * ms, expire);
  std::sort(removed.begin(), removed.end());
  EXPECT_EQ(removed, (std::vector<std::uint32_t>{0, 2, 4}));
  wheel.advance(nodes, 103 * ms, expire);
  std::sort(removed.begin(), removed.end());
  EXPECT_EQ(removed, (std::vector<std::uint32_t>{0, 1, 2, 3, 4, 5}));
}
