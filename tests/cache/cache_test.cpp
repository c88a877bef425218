#include "hotpath/cache/cache.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <bit>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <future>
#include <latch>
#include <limits>
#include <memory>
#include <mutex>
#include <random>
#include <stdexcept>
#include <string>
#include <thread>
#include <tuple>
#include <type_traits>
#include <vector>

#include "cache_test_util.hpp"
#include "failing_new.hpp"  // this binary's allocations fail on demand
#include "hotpath/core/clock.hpp"
#include "hotpath/metrics/registry.hpp"

namespace {

using hotpath_test::same_hash;
using hotpath_test::touchy_key;

using hotpath::removal_cause;

// Every listener call, in order (thread-safe).
struct removal_log {
  std::mutex mu;
  std::vector<std::tuple<int, std::string, removal_cause>> events;
  auto listener() {
    return [this](const int& k, const std::string& v, removal_cause why) {
      std::lock_guard lock(mu);
      events.emplace_back(k, v, why);
    };
  }
};

using string_cache = hotpath::cache<int, std::string, hotpath::eviction::lru>;

TEST(Cache, GetReturnsACopyOrNothing) {
  string_cache c({.capacity = 10});
  EXPECT_FALSE(c.get(1).has_value());
  c.put(1, "one");
  std::optional<std::string> v = c.get(1);
  ASSERT_TRUE(v.has_value());
  EXPECT_EQ(*v, "one");
  c.put(1, "uno");
  EXPECT_EQ(*v, "one");  // the copy is the caller's
  EXPECT_EQ(c.get(1), "uno");
  EXPECT_EQ(c.size(), 1u);
}

TEST(Cache, TheListenerHearsEachCause) {
  removal_log log;
  string_cache c({.capacity = 2, .on_removal = log.listener()});
  c.put(1, "a");
  c.put(1, "b");  // replaced: the listener gets the old value
  c.put(2, "c");
  c.put(3, "d");  // evicts 1
  EXPECT_TRUE(c.erase(2));
  EXPECT_FALSE(c.erase(2));
  c.clear();
  using E = std::tuple<int, std::string, removal_cause>;
  EXPECT_EQ(log.events, (std::vector<E>{{1, "a", removal_cause::replaced},
                                        {1, "b", removal_cause::evicted},
                                        {2, "c", removal_cause::explicit_},
                                        {3, "d", removal_cause::explicit_}}));
  EXPECT_EQ(c.size(), 0u);
  EXPECT_EQ(hotpath::to_string(removal_cause::expired), "expired");
}

// A put over a present entry is an access, in order with the gets before it.
TEST(Cache, PuttingAPresentKeyCountsAsAnAccessInOrder) {
  removal_log log;
  string_cache c({.capacity = 3, .on_removal = log.listener()});
  c.put(1, "a");
  c.put(2, "b");
  c.put(3, "c");
  ASSERT_EQ(c.get(2), "b");  // recency now 1, 3, 2
  c.put(1, "A");             // 3, 2, 1
  c.put(4, "d");             // evicts 3
  EXPECT_EQ(c.get(1), "A");
  EXPECT_EQ(c.get(2), "b");
  EXPECT_FALSE(c.contains(3));
  using E = std::tuple<int, std::string, removal_cause>;
  EXPECT_EQ(log.events,
            (std::vector<E>{{1, "a", removal_cause::replaced}, {3, "c", removal_cause::evicted}}));
  c.put(5, "e");  // recency 4, 1, 2 before: evicts 4
  EXPECT_FALSE(c.contains(4));
  EXPECT_EQ(c.size(), 3u);
}

TEST(Cache, PutIfAbsentKeepsTheFirstValue) {
  string_cache c({.capacity = 10});
  EXPECT_TRUE(c.put_if_absent(1, "first"));
  EXPECT_FALSE(c.put_if_absent(1, "second"));
  EXPECT_EQ(c.get(1), "first");
}

TEST(Cache, AThrowingListenerStillHearsEveryRemovalThenThrows) {
  int heard = 0;
  hotpath::cache<int, int, hotpath::eviction::lru> c(
      {.capacity = 10, .on_removal = [&](const int&, const int&, removal_cause) {
         ++heard;
         throw std::runtime_error("listener");
       }});
  c.put(1, 1);
  c.put(2, 2);
  EXPECT_THROW(c.clear(), std::runtime_error);
  EXPECT_EQ(heard, 2);
  EXPECT_EQ(c.size(), 0u);
}

TEST(Cache, StatsCountHitsMissesAndEvictions) {
  string_cache c({.capacity = 2});
  c.put(1, "a");
  c.put(2, "b");
  (void)c.get(1);
  (void)c.get(1);
  (void)c.get(9);
  c.put(3, "c");
  auto st = c.stats();
  EXPECT_EQ(st.hits, 2u);
  EXPECT_EQ(st.misses, 1u);
  EXPECT_EQ(st.evictions, 1u);
  EXPECT_EQ(st.evicted_weight, 1u);
  EXPECT_EQ(st.size, 2u);
  EXPECT_EQ(st.weight, 2u);
  EXPECT_EQ(st.capacity, 2u);
  EXPECT_DOUBLE_EQ(st.hit_rate(), 2.0 / 3.0);
}

// With locking::shared_reads, once a second thread has read, gets take the shard lock shared and
// log their hits in a per-thread slot; the next write replays them first, so the eviction order
// is that of the calls.
using shared_lru = hotpath::cache<int, int, hotpath::eviction::lru, hotpath::locking::shared_reads>;

shared_lru& filled_shared(shared_lru& c) {
  EXPECT_FALSE(c.get(0).has_value());                               // this thread reads first
  std::thread([&] { EXPECT_FALSE(c.get(0).has_value()); }).join();  // a second: shared from now
  for (int k = 1; k <= 3; ++k)
    c.put(k, k);
  return c;
}

TEST(Cache, SharedReadsReachThePolicyBeforeTheNextWrite) {
  shared_lru c({.capacity = 3});
  filled_shared(c);
  EXPECT_EQ(c.get(1), 1);  // 1 is now the most recent
  c.put(4, 4);             // evicts 2, the least recent
  EXPECT_FALSE(c.contains(2));
  EXPECT_TRUE(c.contains(1));
  EXPECT_EQ(c.stats().hits, 1u);
  EXPECT_EQ(c.stats().misses, 2u);
}

TEST(Cache, SharedReadsBeyondOneLogGoTheExclusiveWayInOrder) {
  // More hits than one slot's log holds (32): the overflow goes the exclusive way, after the
  // logged ones; then a hit on 2 leaves 3 the least recent.
  shared_lru c({.capacity = 3});
  filled_shared(c);
  for (int i = 0; i < 40; ++i)
    EXPECT_EQ(c.get(1), 1);
  EXPECT_EQ(c.get(2), 2);
  c.put(4, 4);
  EXPECT_FALSE(c.contains(3));
  EXPECT_TRUE(c.contains(1));
  EXPECT_TRUE(c.contains(2));
  EXPECT_EQ(c.stats().hits, 41u);
}

TEST(Cache, ASharedReadInAnotherThreadIsReplayedByThisThreadsWrite) {
  shared_lru c({.capacity = 3});
  filled_shared(c);
  std::thread([&] { EXPECT_EQ(c.get(1), 1); }).join();
  c.put(4, 4);
  EXPECT_FALSE(c.contains(2));
  EXPECT_TRUE(c.contains(1));
  EXPECT_EQ(c.get_or_load(1, [] { return -1; }), 1);  // a shared hit: no load
  EXPECT_EQ(c.get_or_load(5, [] { return 5; }), 5);   // a miss loads
  EXPECT_EQ(c.stats().loads, 1u);
}

TEST(Cache, SharedHitsOnAMarkedEntryAndSharedMissesNeedNoLogAndAreCounted) {
  using shared_lfu = hotpath::cache<int, int, hotpath::locking::shared_reads>;  // w_tinylfu
  shared_lfu c({.capacity = 100});  // one shard, a window of 1
  EXPECT_FALSE(c.get(0).has_value());
  std::thread([&] { EXPECT_FALSE(c.get(0).has_value()); }).join();  // reads are shared now
  c.put(1, 1);
  c.put(2, 2);             // 1 leaves the window for probation
  EXPECT_EQ(c.get(1), 1);  // logged
  c.put(3, 3);             // replayed: 1 is promoted to protected
  EXPECT_EQ(c.get(1), 1);  // logged
  c.put(4, 4);             // replayed: 1 is marked
  // Many more hits than a log holds (32); each is only counted.
  for (int i = 0; i < 100; ++i)
    ASSERT_EQ(c.get(1), 1);
  // w_tinylfu only counts misses (on_plain_misses): they need no log entry either.
  for (int i = 0; i < 100; ++i)
    ASSERT_FALSE(c.get(1000 + i).has_value());
  c.put(5, 5);
  EXPECT_EQ(c.stats().hits, 102u);
  EXPECT_EQ(c.stats().misses, 102u);
  for (int k = 1; k <= 5; ++k)
    EXPECT_TRUE(c.contains(k)) << k;
}

TEST(Cache, GetAllKeepsTheOrderOfTheKeys) {
  string_cache c({.capacity = 10});
  c.put(1, "a");
  c.put(3, "c");
  auto all = c.get_all(std::vector<int>{3, 2, 1});
  ASSERT_EQ(all.size(), 3u);
  EXPECT_EQ(all[0], "c");
  EXPECT_FALSE(all[1].has_value());
  EXPECT_EQ(all[2], "a");
}

TEST(Cache, ShrinkToEvictsByPolicyAndTheCacheRefills) {
  hotpath::cache<int, int, hotpath::eviction::lru, hotpath::locking::none> c({.capacity = 100});
  for (int k = 0; k < 100; ++k)
    c.put(k, k);
  c.shrink_to(0.25);
  EXPECT_EQ(c.size(), 25u);
  for (int k = 75; k < 100; ++k)
    EXPECT_TRUE(c.contains(k)) << k;  // the most recent stay
  EXPECT_EQ(c.stats().evictions, 75u);
  for (int k = 100; k < 175; ++k)
    c.put(k, k);
  EXPECT_EQ(c.size(), 100u);
}

TEST(Cache, BadOptionsAreRejectedAtConstruction) {
  EXPECT_THROW(string_cache({.capacity = 0}), hotpath::error);
  EXPECT_THROW(string_cache({.capacity = 10, .shards = 3}), hotpath::error);
  EXPECT_THROW(string_cache({.capacity = 8, .shards = 16}), hotpath::error);  // shards of 0
  EXPECT_EQ(string_cache({.capacity = 16, .shards = 16}).shard_count(), 16u);
  EXPECT_EQ(string_cache({.capacity = 1 << 20, .shards = 4}).shard_count(), 4u);
  EXPECT_EQ(string_cache({.capacity = 100}).shard_count(), 1u);  // small: exact order
  EXPECT_EQ((hotpath::cache<int, int, hotpath::locking::none>({.capacity = 1 << 20}).shard_count()),
            1u);
}

// The default shard count: 128 per CPU (a power of two) with at least 256 entries a shard, and
// for a weighted cache 32 per CPU with a capacity of at least 1024 each; 1024 at most.
TEST(Cache, PicksItsShardCountFromTheCpusAndTheCapacity) {
  auto cpus = static_cast<std::size_t>(hotpath::detail::cpu_count_for_shards());
  auto expect = [&](std::size_t per_cpu, std::size_t capacity, std::size_t min_share) {
    return std::min({std::bit_ceil(per_cpu * cpus),
                     std::bit_floor(std::max<std::size_t>(1, capacity / min_share)),
                     std::size_t{1024}});
  };
  for (std::size_t capacity :
       {std::size_t{127}, std::size_t{1000}, std::size_t{100'000}, std::size_t{10'000'000}}) {
    EXPECT_EQ(string_cache({.capacity = capacity}).shard_count(), expect(256, capacity, 128))
        << capacity;
    using weighted = hotpath::cache<int, std::string, hotpath::weigh_by_size>;
    EXPECT_EQ(weighted({.capacity = capacity}).shard_count(), expect(32, capacity, 1024))
        << capacity;
  }
  EXPECT_EQ(string_cache({.capacity = 127}).shard_count(), 1u);
  EXPECT_EQ(string_cache({.capacity = 10'000'000}).shard_count(),
            std::min<std::size_t>(1024, std::bit_ceil(256 * cpus)));
}

TEST(Cache, PoliciesMayComeInAnyOrder) {
  using a = hotpath::cache<int, std::string, hotpath::expiry::after_write, hotpath::weigh_by_size,
                           hotpath::eviction::slru, hotpath::manual_clock>;
  using b = hotpath::cache<int, std::string, hotpath::manual_clock, hotpath::eviction::slru,
                           hotpath::weigh_by_size, hotpath::expiry::after_write>;
  static_assert(std::is_same_v<a::eviction_type, b::eviction_type>);
  static_assert(std::is_same_v<a::expiry_type, b::expiry_type>);
  static_assert(std::is_same_v<a::weigher_type, hotpath::weigh_by_size>);
  static_assert(std::is_same_v<b::clock_type, hotpath::manual_clock>);
  static_assert(std::is_same_v<string_cache::locking_type, hotpath::locking::sharded>);
  static_assert(
      std::is_same_v<hotpath::cache<int, int>::eviction_type, hotpath::eviction::w_tinylfu>);
}

struct collide_hash {
  std::size_t operator()(int) const noexcept { return 42; }
};

TEST(Cache, ACustomHashIsUsedAndCollisionsStayCorrect) {
  hotpath::cache<int, int, hotpath::cache_hash<collide_hash>> c({.capacity = 100});
  for (int k = 0; k < 50; ++k)
    c.put(k, k * 2);
  for (int k = 0; k < 50; ++k)
    EXPECT_EQ(c.get(k), k * 2);
  EXPECT_TRUE(c.erase(7));
  EXPECT_FALSE(c.contains(7));
  EXPECT_EQ(c.size(), 49u);
}

TEST(Cache, ExportsItsStatsToARegistry) {
  hotpath::metrics::registry reg;
  string_cache c({.capacity = 10});
  c.register_metrics(reg, "rows");
  c.put(1, "a");
  (void)c.get(1);
  (void)c.get(2);
  std::string page = reg.render_prometheus();
  EXPECT_NE(page.find("\nrows_hits_total 1\n"), std::string::npos) << page;
  EXPECT_NE(page.find("\nrows_misses_total 1\n"), std::string::npos);
  EXPECT_NE(page.find("\nrows_entries 1\n"), std::string::npos);
  EXPECT_NE(page.find("\nrows_capacity 10\n"), std::string::npos);
  EXPECT_NE(page.find("# TYPE rows_load_seconds histogram"), std::string::npos);
}

// ---- get_or_load ----

// Runs get_or_load on `threads` threads at once; the loader waits until every caller has
// missed, so all of them share its one call.
template <class Cache, class Loader>
std::vector<std::string> concurrent_loads(Cache& c, int threads, Loader loader,
                                          std::atomic<int>& exceptions) {
  std::vector<std::string> got(static_cast<std::size_t>(threads));
  std::vector<std::thread> ts;
  for (int t = 0; t < threads; ++t) {
    ts.emplace_back([&, t] {
      try {
        got[static_cast<std::size_t>(t)] = c.get_or_load(7, loader);
      } catch (const std::runtime_error&) {
        ++exceptions;
      }
    });
  }
  for (auto& t : ts)
    t.join();
  return got;
}

template <class Cache>
void concurrent_misses_run_the_loader_once() {
  Cache c({.capacity = 10});
  std::atomic<int> calls{0};
  std::atomic<int> exceptions{0};
  auto got = concurrent_loads(
      c, 4,
      [&](int k) {
        ++calls;
        while (c.stats().misses < 4)  // every caller has missed and now waits for this load
          std::this_thread::yield();
        return "v" + std::to_string(k);
      },
      exceptions);
  EXPECT_EQ(calls.load(), 1);
  EXPECT_EQ(exceptions.load(), 0);
  for (auto& g : got)
    EXPECT_EQ(g, "v7");
  EXPECT_EQ(c.get(7), "v7");
  auto st = c.stats();
  EXPECT_EQ(st.loads, 1u);
  EXPECT_EQ(st.load_ns.count(), 1u);
}

TEST(Cache, ConcurrentMissesRunTheLoaderOnce) {
  concurrent_misses_run_the_loader_once<string_cache>();
}

// With shared reads a get_or_load first looks under the shared lock, where a miss is not
// counted; it then misses again, counted, on the exclusive path, where single flight holds.
TEST(Cache, ConcurrentMissesWithSharedReadsRunTheLoaderOnce) {
  concurrent_misses_run_the_loader_once<
      hotpath::cache<int, std::string, hotpath::eviction::lru, hotpath::locking::shared_reads>>();
}

TEST(Cache, ALoaderExceptionReachesEveryWaiterAndIsNotCached) {
  string_cache c({.capacity = 10});
  std::atomic<int> calls{0};
  std::atomic<int> exceptions{0};
  auto failing = [&]() -> std::string {
    ++calls;
    while (c.stats().misses < 4)
      std::this_thread::yield();
    throw std::runtime_error("backend down");
  };
  concurrent_loads(c, 4, failing, exceptions);
  EXPECT_EQ(calls.load(), 1);
  EXPECT_EQ(exceptions.load(), 4);
  EXPECT_FALSE(c.contains(7));
  EXPECT_EQ(c.stats().load_failures, 1u);
  EXPECT_EQ(c.get_or_load(7, [] { return std::string("ok"); }), "ok");  // tried again
  EXPECT_EQ(c.stats().loads, 1u);
}

// A caller that waited for another's load finds that load in stats() once it has the value,
// even while the leader is still busy telling the listener what the store evicted.
TEST(Cache, AWaiterFindsTheLoadItWaitedForCounted) {
  std::promise<std::uint64_t> seen;
  auto seen_by_waiter = seen.get_future();
  int evictions_heard = 0;
  hotpath::cache<int, int, hotpath::eviction::lru> c(
      {.capacity = 1, .shards = 1, .on_removal = [&](const int&, const int&, removal_cause) {
         ++evictions_heard;
         seen_by_waiter.wait();  // the leader, after releasing the waiter
       }});
  c.put(2, 2);  // evicted when the load is stored
  std::atomic<int> calls{0};
  auto caller = [&] {
    bool led = false;
    int v = c.get_or_load(1, [&] {
      led = true;
      ++calls;
      while (c.stats().misses < 2)  // the other caller has missed and waits for this load
        std::this_thread::yield();
      return 10;
    });
    EXPECT_EQ(v, 10);
    if (!led) seen.set_value(c.stats().loads);
  };
  std::thread a(caller);
  std::thread b(caller);
  a.join();
  b.join();
  EXPECT_EQ(calls.load(), 1);
  EXPECT_EQ(evictions_heard, 1);
  EXPECT_EQ(seen_by_waiter.get(), 1u);
}

TEST(Cache, APutDuringALoadWinsOverTheLoadedValue) {
  string_cache c({.capacity = 10});
  std::string got = c.get_or_load(1, [&] {
    c.put(1, "written");
    return std::string("loaded");
  });
  EXPECT_EQ(got, "loaded");
  EXPECT_EQ(c.get(1), "written");
  std::string again = c.get_or_load(2, [&] {
    c.erase(2);
    return std::string("loaded");
  });
  EXPECT_EQ(again, "loaded");
  EXPECT_FALSE(c.contains(2));
}

// The refresh tests' cache: a TTL of 10 s, reloaded by get_or_load in its last 2 s.
using refreshing_cache =
    hotpath::cache<int, int, hotpath::expiry::after_write, hotpath::manual_clock>;
refreshing_cache make_refreshing(hotpath::manual_clock& clk) {
  using namespace std::chrono_literals;
  return refreshing_cache({.capacity = 10, .ttl = 10s, .refresh_ahead = 2s}, clk);
}

TEST(Cache, RefreshAheadReloadsAHotEntryBeforeItExpires) {
  using namespace std::chrono_literals;
  hotpath::manual_clock clk;
  refreshing_cache c = make_refreshing(clk);
  int version = 0;
  auto load = [&] { return ++version; };
  EXPECT_EQ(c.get_or_load(1, load), 1);
  clk.advance(7s);
  EXPECT_EQ(c.get_or_load(1, load), 1);  // not yet in the last 2 s
  clk.advance(1s);
  EXPECT_EQ(c.get_or_load(1, load), 2);  // refreshed early, no miss
  clk.advance(9s);                       // 17 s after the first load, 9 s after the refresh
  EXPECT_EQ(c.get_or_load(1, load), 3);
  EXPECT_EQ(c.stats().misses, 1u);
  // A failing refresh keeps the current value.
  clk.advance(9s);
  EXPECT_EQ(c.get_or_load(1, []() -> int { throw std::runtime_error("down"); }), 3);
  EXPECT_EQ(c.stats().load_failures, 1u);
}

// A refresh whose loader throws holds the entry's next refresh until half the time left to its
// deadline has passed, so that a backend that is down sees a few reloads of a hot key, not one
// per hit. A write of the key drops the hold; a miss after the entry expires loads at once.
TEST(Cache, AFailedRefreshWaitsHalfwayToTheDeadlineBeforeTheNextOne) {
  using namespace std::chrono_literals;
  hotpath::manual_clock clk;
  refreshing_cache c = make_refreshing(clk);  // TTL 10 s, refresh_ahead 2 s
  int calls = 0;
  auto down = [&]() -> int {
    ++calls;
    throw std::runtime_error("down");
  };
  auto up = [&] { return 100 + ++calls; };
  EXPECT_EQ(c.get_or_load(1, up), 101);  // t = 0: expires at 10 s
  clk.advance(8s);
  EXPECT_EQ(c.get_or_load(1, down), 101);  // the refresh fails: held until 9 s
  EXPECT_EQ(calls, 2);
  clk.advance(999ms);
  EXPECT_EQ(c.get_or_load(1, up), 101);  // 8.999 s: held, no load
  EXPECT_EQ(c.get_or_load(1, down), 101);
  EXPECT_EQ(calls, 2);
  clk.advance(1ms);
  EXPECT_EQ(c.get_or_load(1, down), 101);  // 9 s: tried again, fails: held until 9.5 s
  EXPECT_EQ(calls, 3);
  clk.advance(499ms);
  EXPECT_EQ(c.get_or_load(1, up), 101);
  EXPECT_EQ(calls, 3);
  clk.advance(1ms);
  EXPECT_EQ(c.get_or_load(1, up), 104);  // 9.5 s: the backend is back; expires at 19.5 s
  EXPECT_EQ(calls, 4);
  hotpath::cache_stats st = c.stats();
  EXPECT_EQ(st.hits, 6u);
  EXPECT_EQ(st.misses, 1u);
  EXPECT_EQ(st.loads, 2u);
  EXPECT_EQ(st.load_failures, 2u);

  // The new entry is not held: its first hit within 2 s of its deadline refreshes.
  clk.advance(8s);                         // 17.5 s
  EXPECT_EQ(c.get_or_load(1, down), 104);  // held until 18.5 s
  EXPECT_EQ(calls, 5);
  // A put of the key drops the hold, even one that gives the entry the same node and deadline.
  c.put(1, 7, 2s);
  EXPECT_EQ(c.get_or_load(1, up), 106);  // 17.5 s, within 2 s of 19.5 s: refreshed at once
  EXPECT_EQ(calls, 6);

  // A hold left on an entry that then expires does not keep the miss after it from loading.
  clk.advance(9999ms);  // 27.499 s: the entry (stored at 17.5 s) expires at 27.5 s
  EXPECT_EQ(c.get_or_load(1, down), 106);  // held until 27.4995 s
  EXPECT_EQ(calls, 7);
  clk.advance(1ms);
  EXPECT_FALSE(c.get(1).has_value());
  EXPECT_EQ(c.get_or_load(1, up), 108);  // loaded by this miss, not answered by the old failure
  EXPECT_EQ(calls, 8);
}

// A heavier put whose eviction fails keeps its value (the shard stays over its capacity until its
// next write), so it wins over what was pending for its key as a put that returns does: the
// hold of a failed refresh (here with the same node and deadline) and a load in flight.
using weighted_refreshing =
    hotpath::cache<int, std::string, hotpath::expiry::after_write, hotpath::manual_clock,
                   hotpath::weigh_by_size, hotpath::eviction::lru>;
// Keys 1 to 3 at weight 9 of 10, the clock at 8 s: within 2 s of their deadline. The listener's
// keys go to `told`.
struct weighted_refresh_case {
  hotpath::manual_clock clk;
  std::vector<int> told;
  weighted_refreshing c{{.capacity = 10,
                         .ttl = std::chrono::seconds(10),
                         .refresh_ahead = std::chrono::seconds(2),
                         .on_removal = [this](const int& k, const std::string&,
                                              hotpath::removal_cause) { told.push_back(k); }},
                        clk};
  weighted_refresh_case() {
    c.put(1, "a");
    c.put(2, "bbbb");
    c.put(3, "cccc");
    clk.advance(std::chrono::seconds(8));
  }
};
// Puts "aaaaaa" (weight 6) over key 1 with a 2 s TTL, failing its third allocation: the room
// for its eviction's listener record, after the value was replaced. True if the put threw and
// kept its value, over the capacity.
bool put_heavier_failing(weighted_refreshing& c) {
  using namespace std::chrono_literals;
  hotpath_test::fail_allocation_in = 2;
  bool threw = false;
  try {
    c.put(1, "aaaaaa", 2s);
  } catch (const std::bad_alloc&) {
    threw = true;
  }
  hotpath_test::fail_allocation_in = -1;
  return threw && c.weight() == 14;
}

TEST(Cache, AHeavierPutKeptDespiteItsFailedEvictionLiftsAFailedRefreshsHold) {
  weighted_refresh_case t;
  auto& c = t.c;
  EXPECT_EQ(c.get_or_load(1, []() -> std::string { throw std::runtime_error("down"); }), "a");
  ASSERT_TRUE(put_heavier_failing(c));       // at 8 s with 2 s: the same deadline, 10 s
  EXPECT_EQ(t.told, (std::vector<int>{1}));  // its old value, replaced
  EXPECT_EQ(c.get_or_load(1, [] { return std::string("up"); }), "up");  // refreshed at once
  EXPECT_EQ(c.stats().loads, 1u);
}

TEST(Cache, AHeavierPutKeptDespiteItsFailedEvictionWinsOverALoadInFlight) {
  weighted_refresh_case t;
  auto& c = t.c;
  std::latch started(1);
  std::latch go(1);
  std::string refreshed;
  std::thread refresh([&] {
    refreshed = c.get_or_load(1, [&] {
      started.count_down();
      go.wait();
      return std::string("zz");
    });
  });
  started.wait();
  bool kept = put_heavier_failing(c);
  go.count_down();
  refresh.join();
  ASSERT_TRUE(kept);
  EXPECT_EQ(refreshed, "zz");     // the refresh's caller gets what it loaded
  EXPECT_EQ(c.get(1), "aaaaaa");  // but the put's value stays
}

// Threads that hit a key due for a refresh while its backend is down share one failed reload:
// the hold it leaves answers every other hit with the current value until the clock moves.
TEST(Cache, ThreadsHittingAKeyWhoseRefreshFailedShareOneLoad) {
  using namespace std::chrono_literals;
  hotpath::manual_clock clk;
  refreshing_cache c = make_refreshing(clk);
  EXPECT_EQ(c.get_or_load(1, [] { return 7; }), 7);
  clk.advance(9s);  // within 2 s of the deadline
  constexpr int threads = 4;
  constexpr int calls = 2000;
  std::atomic<int> loads{0};
  std::atomic<int> sevens{0};
  std::latch start(threads);
  std::vector<std::thread> ts;
  for (int t = 0; t < threads; ++t) {
    ts.emplace_back([&] {
      start.arrive_and_wait();
      for (int j = 0; j < calls; ++j) {
        int v = c.get_or_load(1, [&]() -> int {
          loads.fetch_add(1);
          throw std::runtime_error("down");
        });
        if (v == 7) sevens.fetch_add(1);
      }
    });
  }
  for (auto& t : ts)
    t.join();
  EXPECT_EQ(loads.load(), 1);
  EXPECT_EQ(sevens.load(), threads * calls);
  hotpath::cache_stats st = c.stats();
  EXPECT_EQ(st.hits, std::uint64_t{threads * calls});
  EXPECT_EQ(st.load_failures, 1u);
}

// The holds of failed refreshes on keys never read again do not pile up: a later failed refresh
// sweeps out those that are over. Beside the cache under test runs a twin that gets the same
// calls but plain gets for the failing refreshes, so that both file the same entries in their
// timer wheels; the memory the first holds beyond the twin's peaks at the same count over the
// 200th to 400th keys as over the 800th to 1000th.
TEST(Cache, HoldsOfFailedRefreshesAreSweptOut) {
  using namespace std::chrono_literals;
  hotpath::manual_clock clk;
  refreshing_cache c = make_refreshing(clk);
  refreshing_cache twin = make_refreshing(clk);
  long held = 0;  // allocations live from c's calls, less those from twin's
  auto count = [&held](long sign, auto&& call) {
    long before = hotpath_test::live_allocations;
    call();
    held += sign * (hotpath_test::live_allocations - before);
  };
  auto up = [] { return 1; };
  auto down = []() -> int { throw std::runtime_error("down"); };
  long early = 0;
  long late = 0;
  for (int k = 0; k < 1000; ++k) {
    count(1, [&] { EXPECT_EQ(c.get_or_load(k, up), 1); });  // a miss: expires 10 s on
    count(-1, [&] { EXPECT_EQ(twin.get_or_load(k, up), 1); });
    clk.advance(8s);
    count(1, [&] { EXPECT_EQ(c.get_or_load(k, down), 1); });  // fails: held until 9 s on
    count(-1, [&] { EXPECT_EQ(twin.get(k), 1); });
    clk.advance(3s);
    count(1, [&] { c.cleanup(); });  // the entry expires; its key is never read again
    count(-1, [&] { twin.cleanup(); });
    if (k >= 200 && k < 400) early = std::max(early, held);
    if (k >= 800) late = std::max(late, held);
  }
  EXPECT_EQ(c.stats().load_failures, 1000u);
  EXPECT_EQ(c.size(), 0u);
  EXPECT_GT(early, 0);
  EXPECT_EQ(late, early);
}

// With per_entry, an entry whose own TTL is under twice refresh_ahead would always be within
// refresh_ahead of its deadline, and so reloaded on every hit; it is reloaded once half its TTL
// has passed instead. An entry with a long TTL keeps the refresh_ahead lead.
TEST(Cache, ARefreshOfAShortLivedEntryWaitsForHalfItsTtl) {
  using namespace std::chrono_literals;
  struct ttl_of_value {  // 1 s for odd values, 10 s for even ones
    std::chrono::nanoseconds operator()(const int&, const int& v) const {
      return v % 2 != 0 ? std::chrono::nanoseconds(1s) : std::chrono::nanoseconds(10s);
    }
  };
  hotpath::manual_clock clk;
  hotpath::cache<int, int, hotpath::expiry::per_entry<ttl_of_value>, hotpath::manual_clock> c(
      {.capacity = 10, .refresh_ahead = 2s}, clk);
  int calls = 0;
  auto odd = [&] {
    ++calls;
    return 2 * calls + 1;
  };
  EXPECT_EQ(c.get_or_load(1, odd), 3);  // t = 0: loaded, expires at 1 s
  clk.advance(499ms);
  EXPECT_EQ(c.get_or_load(1, odd), 3);  // within 2 s of its deadline, but not half way yet
  EXPECT_EQ(calls, 1);
  clk.advance(1ms);
  EXPECT_EQ(c.get_or_load(1, odd), 5);  // 500 ms: reloaded, expires at 1.5 s
  EXPECT_EQ(c.get_or_load(1, odd), 5);
  clk.advance(499ms);
  EXPECT_EQ(c.get_or_load(1, odd), 5);
  EXPECT_EQ(calls, 2);
  clk.advance(1ms);
  EXPECT_EQ(c.get_or_load(1, odd), 7);  // 1 s
  EXPECT_EQ(calls, 3);
  EXPECT_EQ(c.stats().misses, 1u);

  int even_calls = 0;
  auto even = [&] { return 2 * ++even_calls; };
  EXPECT_EQ(c.get_or_load(2, even), 2);  // t = 1 s: expires at 11 s
  clk.advance(7999ms);
  EXPECT_EQ(c.get_or_load(2, even), 2);  // 9 s: not yet within 2 s
  clk.advance(1ms);
  EXPECT_EQ(c.get_or_load(2, even), 4);  // within 2 s of its deadline
  EXPECT_EQ(even_calls, 2);
}

// A hit due for a refresh returns the value it found when the refresh cannot start: neither the
// flight (the first allocation) nor its place in the flight map (the second) could be made. No
// half-registered flight stays behind: the next hit refreshes.
TEST(Cache, AHitWhoseRefreshCannotStartReturnsTheValueFound) {
  using namespace std::chrono_literals;
  for (long failing : {0L, 1L}) {
    hotpath::manual_clock clk;
    refreshing_cache c = make_refreshing(clk);
    int version = 0;
    auto load = [&] { return ++version; };
    EXPECT_EQ(c.get_or_load(1, load), 1);
    clk.advance(9s);  // within 2 s of the deadline
    c.cleanup();      // the wheel files the entry lower down now, not in the call below
    hotpath_test::fail_allocation_in = failing;
    int got = c.get_or_load(1, load);
    bool failed = hotpath_test::fail_allocation_in == -1;
    hotpath_test::fail_allocation_in = -1;
    EXPECT_TRUE(failed) << "allocation " << failing << " was never made";
    EXPECT_EQ(got, 1);
    EXPECT_EQ(version, 1);  // no load ran
    EXPECT_EQ(c.stats().hits, 1u);
    EXPECT_EQ(c.stats().loads, 1u);
    EXPECT_EQ(c.get_or_load(1, load), 2);  // the next hit refreshes
    EXPECT_EQ(c.get(1), 2);
  }
}

// A refresh that stores its value reports the listener's exception over the value it replaced,
// as any write does; a refresh that fails to load still returns the current value quietly.
TEST(Cache, AListenerThatThrowsOverARefreshReachesTheCaller) {
  using namespace std::chrono_literals;
  hotpath::manual_clock clk;
  std::vector<int> replaced;
  hotpath::cache<int, int, hotpath::expiry::after_write, hotpath::manual_clock> c(
      {.capacity = 10,
       .ttl = 10s,
       .refresh_ahead = 2s,
       .on_removal =
           [&](const int&, const int& v, hotpath::removal_cause why) {
             if (why != hotpath::removal_cause::replaced) return;
             replaced.push_back(v);
             throw std::runtime_error("listener");
           }},
      clk);
  EXPECT_EQ(c.get_or_load(1, [] { return 1; }), 1);
  clk.advance(9s);
  EXPECT_THROW(c.get_or_load(1, [] { return 2; }), std::runtime_error);
  EXPECT_EQ(replaced, std::vector<int>{1});
  EXPECT_EQ(c.get(1), 2);  // stored before the listener ran
  EXPECT_EQ(c.stats().loads, 2u);
  clk.advance(9s);
  EXPECT_EQ(c.get_or_load(1, []() -> int { throw std::logic_error("down"); }), 2);
  EXPECT_EQ(c.stats().load_failures, 1u);
  EXPECT_EQ(replaced, std::vector<int>{1});
}

// Runs f on a thread of its own and waits up to a minute for its result: a call that deadlocks
// fails the test instead of hanging the suite (the thread is then left behind, blocked).
template <class F>
std::optional<std::invoke_result_t<F>> within_a_minute(F f) {
  std::packaged_task<std::invoke_result_t<F>()> task(std::move(f));
  auto result = task.get_future();
  std::thread(std::move(task)).detach();
  if (result.wait_for(std::chrono::minutes(1)) != std::future_status::ready) return std::nullopt;
  return result.get();
}

// A refresh whose loader throws still reports the listener's exception over an entry its
// store step reclaimed: the caller gets that exception, not the value it found, quietly.
TEST(Cache, AFailedRefreshStillReportsTheListenersException) {
  using namespace std::chrono_literals;
  hotpath::manual_clock clk;
  std::vector<int> expired;
  hotpath::cache<int, int, hotpath::expiry::after_write, hotpath::manual_clock> c(
      {.capacity = 10,
       .shards = 1,
       .ttl = 10s,
       .refresh_ahead = 2s,
       .on_removal =
           [&](const int& k, const int&, hotpath::removal_cause why) {
             if (why != hotpath::removal_cause::expired) return;
             expired.push_back(k);
             throw std::runtime_error("listener");
           }},
      clk);
  c.put(2, 2);  // expires at 10 s
  clk.advance(1s);
  EXPECT_EQ(c.get_or_load(1, [] { return 1; }), 1);  // expires at 11 s
  clk.advance(8500ms);                               // 9.5 s: 1 is due for a refresh
  EXPECT_THROW(c.get_or_load(1,
                             [&]() -> int {
                               clk.advance(1s);  // 2 expires while the load runs
                               throw std::logic_error("down");
                             }),
               std::runtime_error);
  EXPECT_EQ(expired, std::vector<int>{2});
  EXPECT_EQ(c.get(1), 1);
  EXPECT_EQ(c.stats().load_failures, 1u);
}

// The leader of a load whose lookup of its own flight throws (here the key's operator==, as
// the load is stored) gets that exception; the flight is still finished and unregistered, so
// no later caller of the key waits on it forever.
TEST(Cache, ALoadWhoseKeyComparisonThrowsStillReleasesItsFlight) {
  hotpath::cache<touchy_key, int, hotpath::cache_hash<same_hash>> c({.capacity = 10});
  EXPECT_THROW(c.get_or_load({1},
                             [] {
                               touchy_key::armed = true;
                               return 5;
                             }),
               std::runtime_error);
  touchy_key::armed = false;
  auto got = within_a_minute([&] { return c.get_or_load({1}, [] { return 7; }); });
  ASSERT_TRUE(got.has_value()) << "a later get_or_load waits on the failed load's flight";
  EXPECT_EQ(*got, 7);
  EXPECT_EQ(c.stats().loads, 2u);
}

// A value whose copy throws while its v is the poisoned one, after `spare` such copies have
// succeeded; its move may throw too, so the cache copies it where a throw must change nothing.
struct fragile {
  static inline int poison = 0;
  static inline int spare = 0;
  int v = 0;
  explicit fragile(int x) : v(x) {}
  fragile(const fragile& o) : v(o.v) {
    if (v != poison) return;
    if (spare == 0) throw std::runtime_error("copy failed");
    --spare;
  }
  fragile(fragile&& o) noexcept(false) : v(o.v) {}
  fragile& operator=(const fragile&) = default;
  fragile& operator=(fragile&&) = default;
};

// A removal whose listener record cannot be copied changes nothing, and clear() (like cleanup()
// and shrink_to()), which gathers removals over every shard, still tells the listener what it
// removed before the throw. With a key whose move cannot throw the key is copied too: moved
// out first, it would be gone from an entry left in place.
template <class Key>
void clear_that_throws_partway(Key one, Key two) {
  std::vector<Key> told;
  hotpath::cache<Key, fragile, hotpath::eviction::lru> c(
      {.capacity = 10, .shards = 1, .on_removal = [&](const Key& k, const fragile&, removal_cause) {
         told.push_back(k);
       }});
  c.put(one, fragile(1));  // node 0: cleared first
  c.put(two, fragile(2));
  fragile::poison = 2;
  EXPECT_THROW(c.clear(), std::runtime_error);
  fragile::poison = 0;
  EXPECT_EQ(told, std::vector<Key>{one});
  EXPECT_FALSE(c.contains(one));
  ASSERT_TRUE(c.contains(two));  // untouched: still in the table, the policy and the counts
  EXPECT_EQ(c.get(two)->v, 2);
  EXPECT_EQ(c.size(), 1u);
  c.clear();
  EXPECT_EQ(told, (std::vector<Key>{one, two}));
  EXPECT_EQ(c.size(), 0u);
}

TEST(Cache, ClearThatThrowsPartwayStillTellsWhatItRemoved) {
  clear_that_throws_partway<int>(1, 2);
  clear_that_throws_partway<std::string>("one", "two");
}

// A refresh whose store step fails in the cache itself (here the wheel expiring another entry,
// whose listener record cannot be copied) reports that failure, as a get would, rather than
// quietly returning the value it found.
TEST(Cache, ARefreshReportsTheCachesOwnFailure) {
  using namespace std::chrono_literals;
  hotpath::manual_clock clk;
  hotpath::cache<int, fragile, hotpath::expiry::after_write, hotpath::manual_clock> c(
      {.capacity = 10,
       .shards = 1,
       .ttl = 10s,
       .refresh_ahead = 2s,
       .on_removal = [](const int&, const fragile&, removal_cause) {}},
      clk);
  c.put(2, fragile(2));  // expires at 10 s
  clk.advance(1s);
  EXPECT_EQ(c.get_or_load(1, [] { return fragile(1); }).v, 1);  // expires at 11 s
  clk.advance(8500ms);                                          // 1 is due for a refresh
  fragile::poison = 2;
  EXPECT_THROW(c.get_or_load(1,
                             [&] {
                               clk.advance(1s);  // 2 expires while the load runs
                               return fragile(3);
                             }),
               std::runtime_error);
  fragile::poison = 0;
  EXPECT_FALSE(c.get(2).has_value());  // expired, reclaimed now
  EXPECT_EQ(c.get(1)->v, 1);           // the refresh was not stored
  // Storing fails too: the hit's copy of the current value succeeds, the listener's record of
  // it (as the refresh replaces it) cannot be made.
  auto loads = c.stats().loads;
  fragile::poison = 1;
  fragile::spare = 1;
  EXPECT_THROW(c.get_or_load(1, [] { return fragile(4); }), std::runtime_error);
  fragile::poison = 0;
  EXPECT_EQ(c.stats().loads, loads + 1);  // the loader ran and succeeded: storing failed
  EXPECT_EQ(c.get(1)->v, 1);
}

// A clock whose now() throws once armed.
struct flaky_clock {
  using rep = std::int64_t;
  using period = std::nano;
  using duration = std::chrono::nanoseconds;
  using time_point = std::chrono::time_point<flaky_clock, duration>;
  static inline bool armed = false;
  time_point now() const {
    if (armed) throw std::runtime_error("clock failed");
    return time_point(duration(0));
  }
};

// A load whose clock fails to time it still finishes its flight and stores its value (its time
// is recorded as 0).
TEST(Cache, ALoadWhoseClockThrowsStillFinishes) {
  hotpath::cache<int, int, flaky_clock> c({.capacity = 10});
  EXPECT_EQ(c.get_or_load(1,
                          [] {
                            flaky_clock::armed = true;
                            return 5;
                          }),
            5);
  flaky_clock::armed = false;
  auto again = within_a_minute([&] { return c.get_or_load(1, [] { return 6; }); });
  ASSERT_TRUE(again.has_value()) << "the flight was left unfinished";
  EXPECT_EQ(*again, 5);
  EXPECT_EQ(c.stats().loads, 1u);
  EXPECT_EQ(c.stats().load_ns.count(), 1u);
}

// A listener that throws over an expired entry found by get_or_load cannot strand the load that
// caller leads: the load runs and is stored, the caller then gets the listener's exception, and
// the next caller finds the value instead of waiting forever on a load nobody runs.
TEST(Cache, AThrowingListenerDoesNotStrandALoad) {
  using namespace std::chrono_literals;
  hotpath::manual_clock clk;
  int loads = 0;
  hotpath::cache<int, int, hotpath::expiry::after_write, hotpath::manual_clock> c(
      {.capacity = 10,
       .ttl = 10s,
       .on_removal = [](const int&, const int&,
                        removal_cause) { throw std::runtime_error("listener"); }},
      clk);
  c.put(1, 1);
  clk.advance(10s);
  EXPECT_THROW(c.get_or_load(1, [&] { return 10 + ++loads; }), std::runtime_error);
  EXPECT_EQ(loads, 1);
  EXPECT_EQ(c.get_or_load(1, [&] { return 10 + ++loads; }), 11);
  EXPECT_EQ(loads, 1);
  EXPECT_EQ(c.stats().loads, 1u);
}

// A loaded value that cannot be stored (here its weigher throws): the caller that ran the load
// gets the exception, the callers waiting for it get the value, and the next caller loads again.
struct weigh_or_throw {
  std::size_t operator()(const std::string& v) const {
    if (v == "unweighable") throw std::runtime_error("weigher");
    return v.size();
  }
};

TEST(Cache, AValueThatCannotBeStoredStillReachesTheWaiters) {
  hotpath::cache<int, std::string, hotpath::eviction::lru, weigh_or_throw> c({.capacity = 1000});
  constexpr int threads = 4;
  std::atomic<int> calls{0};
  std::atomic<int> exceptions{0};
  std::vector<std::string> got(threads);
  std::vector<std::thread> ts;
  for (int t = 0; t < threads; ++t) {
    ts.emplace_back([&, t] {
      try {
        got[static_cast<std::size_t>(t)] = c.get_or_load(7, [&] {
          ++calls;
          while (c.stats().misses < threads)  // every caller has missed: the others now wait
            std::this_thread::yield();
          return std::string("unweighable");
        });
      } catch (const std::runtime_error&) {
        ++exceptions;
      }
    });
  }
  for (auto& t : ts)
    t.join();
  EXPECT_EQ(calls.load(), 1);
  EXPECT_EQ(exceptions.load(), 1);
  EXPECT_EQ(std::count(got.begin(), got.end(), "unweighable"), threads - 1);
  EXPECT_FALSE(c.contains(7));
  EXPECT_EQ(c.get_or_load(7, [] { return std::string("ok"); }), "ok");
  EXPECT_EQ(c.get(7), "ok");
}

// put_if_absent on a present key changes nothing, not even a refresh of that key in flight;
// on an absent key whose value is too heavy to keep, it reports that nothing was stored.
TEST(Cache, PutIfAbsentLeavesARefreshAloneAndReportsARejectedValue) {
  using namespace std::chrono_literals;
  hotpath::manual_clock clk;
  refreshing_cache c = make_refreshing(clk);
  EXPECT_EQ(c.get_or_load(1, [] { return 1; }), 1);
  clk.advance(9s);
  EXPECT_EQ(c.get_or_load(1,
                          [&] {
                            EXPECT_FALSE(c.put_if_absent(1, 5));
                            return 2;
                          }),
            2);
  EXPECT_EQ(c.get(1), 2);  // the refresh was stored

  hotpath::cache<int, std::string, hotpath::weigh_by_size> w({.capacity = 8, .shards = 1});
  EXPECT_TRUE(w.put_if_absent(1, "fits"));
  EXPECT_FALSE(w.put_if_absent(2, "far too heavy"));
  EXPECT_FALSE(w.contains(2));
  EXPECT_EQ(w.stats().evictions, 1u);
}

// A weighted W-TinyLFU cache sizes its frequency sketch by its entries, not by its capacity in
// bytes: the sketch starts small and doubles as entries arrive, and every entry stays counted.
TEST(Cache, AWeightedCachesSketchGrowsWithItsEntries) {
  hotpath::cache<int, std::string, hotpath::weigh_by_size, hotpath::locking::none> c(
      {.capacity = std::uint64_t{1} << 40});
  EXPECT_EQ(c.eviction_state().sketch_entries(), 64u);
  for (int k = 0; k < 1000; ++k)
    c.put(k, "value");
  EXPECT_EQ(c.eviction_state().sketch_entries(), 1024u);
  EXPECT_EQ(c.size(), 1000u);
  EXPECT_EQ(c.weight(), 5000u);
  hotpath::cache<int, std::string, hotpath::locking::none> unit({.capacity = 1000});
  EXPECT_EQ(unit.eviction_state().sketch_entries(), 1000u);
}

// A capacity that means "unbounded" allocates a sketch for 2^16 entries, not for the capacity
// (whose size in bytes would wrap around), and grows it as entries arrive.
TEST(Cache, AnUnboundedCapacityAllocatesItsSketchAsEntriesArrive) {
  hotpath::cache<int, int, hotpath::locking::none> c(
      {.capacity = std::numeric_limits<std::uint64_t>::max()});
  EXPECT_EQ(c.eviction_state().sketch_entries(), std::uint64_t{1} << 16);
  for (int k = 0; k < 70'000; ++k)
    c.put(k, k);
  EXPECT_EQ(c.eviction_state().sketch_entries(), std::uint64_t{1} << 17);
  EXPECT_EQ(c.size(), 70'000u);
  EXPECT_EQ(c.get(69'999), 69'999);
}

TEST(Cache, ShrinkToRejectsNan) {
  hotpath::cache<int, int, hotpath::eviction::lru, hotpath::locking::none> c({.capacity = 10});
  c.put(1, 1);
  EXPECT_THROW(c.shrink_to(std::nan("")), hotpath::error);
  EXPECT_EQ(c.size(), 1u);
  c.shrink_to(2.0);  // clamped to 1: nothing to evict
  EXPECT_EQ(c.size(), 1u);
}

// A clock that steps back between the start and the end of a load (system_clock may): the load
// counts as taking no time instead of throwing from the histogram and stranding its waiters.
struct stepping_back_clock {
  using duration = std::chrono::nanoseconds;
  using time_point = std::chrono::time_point<stepping_back_clock>;
  std::shared_ptr<std::atomic<std::int64_t>> t =
      std::make_shared<std::atomic<std::int64_t>>(1'000'000'000);
  time_point now() const noexcept { return time_point(duration(t->fetch_sub(1000))); }
};

TEST(Cache, ALoadWhileTheClockStepsBackIsCountedAsTakingNoTime) {
  hotpath::cache<int, int, stepping_back_clock> c({.capacity = 10});
  EXPECT_EQ(c.get_or_load(1, [] { return 7; }), 7);
  EXPECT_EQ(c.get_or_load(1, [] { return 8; }), 7);
  auto st = c.stats();
  EXPECT_EQ(st.loads, 1u);
  EXPECT_EQ(st.load_ns.count(), 1u);
  EXPECT_EQ(st.load_ns.sum(), 0u);
}

// A hash that counts its calls and throws at call number fail_at (0: never).
struct counting_hash {
  static inline std::uint64_t calls = 0;
  static inline std::uint64_t fail_at = 0;
  std::size_t operator()(int k) const {
    if (++calls == fail_at) throw std::runtime_error("hash failed");
    return std::hash<int>{}(k);
  }
};

// The shard's table rehashes through the user's hash as it grows; a hash that throws partway
// through leaves the table as it was: the put that grew it fails, every entry already stored
// stays found, and the cache goes on growing once the hash works again.
TEST(Cache, AHashThatThrowsWhileTheTableGrowsLosesNoEntry) {
  hotpath::cache<int, int, hotpath::cache_hash<counting_hash>> c({.capacity = 1000, .shards = 1});
  // A put that does not grow the table hashes its key a fixed number of times; one that grows it
  // hashes every entry again. The hash fails on a put's fourth call beyond that number, so
  // three entries have moved to the new table by then.
  counting_hash::calls = 0;
  c.put(0, 0);
  c.put(1, 1);
  std::uint64_t before = counting_hash::calls;
  c.put(2, 2);
  const std::uint64_t per_put = counting_hash::calls - before;
  int stored = 3;
  bool failed = false;
  for (; stored < 1000 && !failed; ++stored) {
    counting_hash::fail_at = counting_hash::calls + per_put + 4;
    try {
      c.put(stored, stored);
    } catch (const std::runtime_error&) {
      failed = true;
    }
  }
  counting_hash::fail_at = 0;
  ASSERT_TRUE(failed) << "no put grew the table";
  --stored;  // the put that failed
  ASSERT_GT(stored, 4);
  EXPECT_EQ(c.size(), static_cast<std::size_t>(stored));
  EXPECT_FALSE(c.contains(stored));
  for (int k = 0; k < stored; ++k)
    EXPECT_EQ(c.get(k), k) << "key " << k;
  for (int k = stored; k < 1000; ++k)
    c.put(k, k);
  EXPECT_EQ(c.size(), 1000u);
  for (int k = 0; k < 1000; ++k)
    EXPECT_TRUE(c.erase(k)) << "key " << k;
  EXPECT_EQ(c.size(), 0u);
}

// ---- concurrency ----

// Threads put, get, erase and load random keys. Every value encodes its key and a unique id,
// so a read of a value written for another key would show, and every value written ends in
// exactly one place: still in the cache, or reported once to the listener. (A loaded value may
// also end nowhere: a write of its key during the load wins and the load is not stored.)
// With `faults`, one call in eight fails one of its first four allocations: a write that throws
// must have stored nothing, so its value ends nowhere.
template <class Locking, std::uint32_t threads, bool faults = false>
void concurrent_use_loses_nothing() {
  constexpr std::uint32_t ops = 40'000;
  enum : std::uint8_t { unused, put_value, loaded_value };
  std::vector<std::uint8_t> kind(threads * ops, unused);  // each thread writes its own range
  std::vector<std::atomic<int>> seen(threads * ops);
  std::atomic<std::uint64_t> wrong{0};
  std::atomic<std::uint64_t> lookups{0};         // gets and get_or_loads: each a hit or a miss
  std::atomic<std::uint64_t> failed_lookups{0};  // counted or not, by where they failed
  std::atomic<std::uint64_t> failed{0};
  auto account = [&](int k, std::uint64_t v) {
    if (static_cast<int>(v >> 32) != k) ++wrong;
    ++seen[static_cast<std::size_t>(v & 0xffffffffu)];
  };
  hotpath::cache<int, std::uint64_t, Locking> c(
      {.capacity = 500,
       .shards = 4,
       .on_removal = [&](const int& k, const std::uint64_t& v, removal_cause) { account(k, v); }});
  // A scraper reads size() and weight() (which take no lock) all along: a shard holds at most
  // its share, plus the entry an insert links before it evicts.
  std::atomic<bool> done{false};
  std::atomic<std::uint64_t> over{0};
  std::thread scraper([&] {
    do {
      if (c.size() > 500 + 4 || c.weight() > 500 + 4) ++over;
    } while (!done.load());
  });
  std::latch start(threads);
  std::vector<std::thread> ts;
  for (std::uint32_t t = 0; t < threads; ++t) {
    ts.emplace_back([&, t] {
      std::mt19937 rng(t);
      start.arrive_and_wait();
      for (std::uint32_t i = 0; i < ops; ++i) {
        int k = static_cast<int>(rng() % 1000);
        std::uint32_t id = t * ops + i;
        std::uint64_t v = (static_cast<std::uint64_t>(k) << 32) | id;
        std::uint32_t op = rng() % 4;
        std::uint32_t coin = rng() % 2;
        if (faults && rng() % 8 == 0) hotpath_test::fail_allocation_in = rng() % 4;
        try {
          switch (op) {
            case 0:
              c.put(k, v);
              kind[id] = put_value;
              break;
            case 1:
              if (c.put_if_absent(k, v)) kind[id] = put_value;
              break;
            case 2:
              if (auto got = c.get(k); got && static_cast<int>(*got >> 32) != k) ++wrong;
              ++lookups;
              break;
            default:
              if (coin == 0) {
                c.erase(k);
              } else {
                auto got = c.get_or_load(k, [&] {
                  kind[id] = loaded_value;
                  return v;
                });
                if (static_cast<int>(got >> 32) != k) ++wrong;
                ++lookups;
              }
          }
        } catch (const std::bad_alloc&) {
          ++failed;
          if (op == 2 || (op == 3 && coin == 1)) ++failed_lookups;
        }
        hotpath_test::fail_allocation_in = -1;
      }
    });
  }
  for (auto& t : ts)
    t.join();
  done = true;
  scraper.join();
  EXPECT_EQ(over.load(), 0u);
  EXPECT_LE(c.size(), 500u);
  std::size_t present = 0;
  for (int k = 0; k < 1000; ++k) {
    if (auto v = c.get(k)) {
      ++present;
      account(k, *v);
    }
  }
  EXPECT_EQ(c.size(), present);
  EXPECT_EQ(c.weight(), present);
  EXPECT_EQ(wrong.load(), 0u);
  auto st = c.stats();
  if (faults) {
    EXPECT_GT(failed.load(), 100u);
    EXPECT_GE(st.hits + st.misses, lookups.load() + 1000);
    EXPECT_LE(st.hits + st.misses, lookups.load() + failed_lookups.load() + 1000);
  } else {
    EXPECT_EQ(failed.load(), 0u);
    EXPECT_EQ(st.hits + st.misses, lookups.load() + 1000);  // each counted once, on one path
  }
  std::size_t lost = 0, twice = 0, stray = 0;
  for (std::size_t id = 0; id < kind.size(); ++id) {
    int n = seen[id].load();
    if (kind[id] == put_value && n == 0) ++lost;
    if (n > 1) ++twice;
    if (kind[id] == unused && n != 0) ++stray;
  }
  EXPECT_EQ(lost, 0u);
  EXPECT_EQ(twice, 0u);
  EXPECT_EQ(stray, 0u);
}

TEST(Cache, ConcurrentUseLosesNothingAndMixesNothingUp) {
  concurrent_use_loses_nothing<hotpath::locking::sharded, 4>();
}

TEST(Cache, ConcurrentUseWithSharedReadsLosesNothingAndMixesNothingUp) {
  // Reader slots are two per CPU (at most 16): on a machine of up to 2 CPUs, as in CI, 8 threads
  // share the 4 slots.
  concurrent_use_loses_nothing<hotpath::locking::shared_reads, 8>();
}

TEST(Cache, ConcurrentUseWithFailingAllocationsLosesNothing) {
  concurrent_use_loses_nothing<hotpath::locking::sharded, 4, true>();
}

}  // namespace
