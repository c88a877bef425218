#include "hotpath/cache/eviction.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <functional>
#include <map>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "hotpath/cache/cache.hpp"

namespace {

// Records the keys the cache evicts, in order.
struct eviction_log {
  std::vector<int> evicted;
  auto listener() {
    return [this](const int& k, const int&, hotpath::removal_cause why) {
      if (why == hotpath::removal_cause::evicted) evicted.push_back(k);
    };
  }
};

template <class Policy>
using small_cache = hotpath::cache<int, int, Policy, hotpath::locking::none>;

TEST(Eviction, LruEvictsTheLeastRecentlyUsed) {
  eviction_log log;
  small_cache<hotpath::eviction::lru> c({.capacity = 3, .on_removal = log.listener()});
  c.put(1, 10);
  c.put(2, 20);
  c.put(3, 30);
  EXPECT_EQ(c.get(1), 10);  // 2 is now the least recent
  c.put(4, 40);
  c.put(5, 50);
  EXPECT_EQ(log.evicted, (std::vector<int>{2, 3}));
  c.put(1, 11);  // a write is an access too
  c.put(6, 60);
  EXPECT_EQ(log.evicted, (std::vector<int>{2, 3, 4}));
  EXPECT_EQ(c.size(), 3u);
  EXPECT_FALSE(c.contains(4));
  EXPECT_TRUE(c.contains(1) && c.contains(5) && c.contains(6));
}

// The cache hands hits to the policy in batches; every other event replays the pending ones
// first, so the order is exactly that of the calls, across and inside batches.
TEST(Eviction, HitsReplayedInBatchesKeepTheExactLruOrder) {
  eviction_log log;
  small_cache<hotpath::eviction::lru> c({.capacity = 100, .on_removal = log.listener()});
  for (int k = 0; k < 100; ++k)
    c.put(k, k);
  std::vector<int> order(100);
  for (int k = 0; k < 100; ++k)
    order[static_cast<std::size_t>(k)] = k;
  std::shuffle(order.begin(), order.end(), std::mt19937(7));
  order.resize(75);  // two whole batches of hits and part of a third
  for (int k : order)
    EXPECT_EQ(c.get(k), k);
  std::vector<int> expected;
  for (int k = 0; k < 100; ++k)
    if (std::find(order.begin(), order.end(), k) == order.end()) expected.push_back(k);
  expected.insert(expected.end(), order.begin(), order.end());
  for (int k = 100; k < 200; ++k)
    c.put(k, k);
  EXPECT_EQ(log.evicted, expected);
}

TEST(Eviction, ContainsDoesNotCountAsAnAccess) {
  eviction_log log;
  small_cache<hotpath::eviction::lru> c({.capacity = 2, .on_removal = log.listener()});
  c.put(1, 1);
  c.put(2, 2);
  EXPECT_TRUE(c.contains(1));
  c.put(3, 3);
  EXPECT_EQ(log.evicted, (std::vector<int>{1}));
}

TEST(Eviction, SlruEvictsFromProbationBeforeProtected) {
  eviction_log log;
  // capacity 5: protected holds at most 4.
  small_cache<hotpath::eviction::slru> c({.capacity = 5, .on_removal = log.listener()});
  for (int k = 1; k <= 5; ++k)
    c.put(k, k);
  EXPECT_EQ(c.get(1), 1);  // promoted to protected
  EXPECT_EQ(c.get(2), 2);  // promoted to protected
  c.put(6, 6);             // probation, oldest first: 3 4 5 6
  c.put(7, 7);
  EXPECT_EQ(log.evicted, (std::vector<int>{3, 4}));
  // Protected overflows into probation's recent end: 1 (least recent protected) is demoted.
  EXPECT_EQ(c.get(5), 5);
  EXPECT_EQ(c.get(6), 6);
  EXPECT_EQ(c.get(7), 7);  // protected now 2 5 6 7; 1 demoted to probation
  c.put(8, 8);
  EXPECT_EQ(log.evicted, (std::vector<int>{3, 4, 1}));
}

// Puts keys 0..99 into a cache of capacity 100 (window 1, main 99), then reads each three times.
template <class Cache>
void fill_and_read_three_times(Cache& c) {
  for (int k = 0; k < 100; ++k)
    c.put(k, k);
  for (int round = 0; round < 3; ++round) {
    for (int k = 0; k < 100; ++k)
      ASSERT_EQ(c.get(k), k);
  }
}

TEST(Eviction, WTinyLfuRejectsANewcomerLessFrequentThanTheVictim) {
  eviction_log log;
  small_cache<hotpath::eviction::w_tinylfu> c({.capacity = 100, .on_removal = log.listener()});
  fill_and_read_three_times(c);
  // Every resident key has been seen 4 times, its put and three reads: each round's
  // promotions push protected over its share and demote the entries not yet read again that
  // round to probation, so every read is a promotion and reaches the sketch.
  for (int k = 0; k < 100; ++k)
    ASSERT_EQ(c.eviction_state().frequency(hotpath::detail::mix64(std::hash<int>{}(k))), 4u) << k;
  // One-off newcomers never get in, and each newcomer pushes the previous one (the window's
  // only entry) out as the losing candidate.
  for (int k = 1000; k < 1010; ++k)
    c.put(k, k);
  EXPECT_EQ(log.evicted,
            (std::vector<int>{99, 1000, 1001, 1002, 1003, 1004, 1005, 1006, 1007, 1008}));
  for (int k = 0; k < 99; ++k)
    EXPECT_TRUE(c.contains(k)) << k;
}

TEST(Eviction, WTinyLfuAdmitsANewcomerMoreFrequentThanTheVictim) {
  eviction_log log;
  small_cache<hotpath::eviction::w_tinylfu> c({.capacity = 100, .on_removal = log.listener()});
  fill_and_read_three_times(c);  // residents: frequency 4
  // 500 is written four times, each time pushed out of the window by a one-off key and then
  // losing its duel (frequency 1..4, never above the victim's 4).
  for (int i = 0; i < 4; ++i) {
    c.put(500, 500);
    c.put(600 + i, 0);
  }
  EXPECT_FALSE(c.contains(500));
  log.evicted.clear();
  c.put(500, 500);  // frequency 5; the one-off 603 leaves the window and loses
  c.put(700, 700);  // 500 leaves the window and beats the probation victim (4)
  EXPECT_TRUE(c.contains(500));
  ASSERT_EQ(log.evicted.size(), 2u);
  EXPECT_EQ(log.evicted[0], 603);
  EXPECT_LT(log.evicted[1], 100);
}

// A shard's nodes as a policy sees them, to drive a policy state directly.
struct test_nodes {
  std::vector<hotpath::detail::node_links> l;
  hotpath::detail::node_links& links(std::uint32_t i) { return l[i]; }
  std::uint64_t weight(std::uint32_t) const { return 1; }
  std::uint64_t hash(std::uint32_t i) const { return hotpath::detail::mix64(i + 1); }
};

TEST(Eviction, WTinyLfuGivesAProtectedEntryHitSinceItWasPlacedAnotherRound) {
  // Capacity 10: a window of 1 and at most (10 - 1) - 9 / 5 = 8 protected entries.
  test_nodes n{std::vector<hotpath::detail::node_links>(10)};
  hotpath::eviction::w_tinylfu::state<test_nodes> p(10);
  std::vector<std::uint32_t> removed;
  auto remove = [&](std::uint32_t i) {
    removed.push_back(i);
    p.on_remove(n, i);
  };
  for (std::uint32_t i = 0; i < 10; ++i) {
    p.on_insert(n, i, n.hash(i));
    p.evict(n, 10, remove);  // moves all but the newest to probation, removes nothing
  }
  for (std::uint32_t i = 0; i < 8; ++i)
    p.on_access(n, i, n.hash(i));  // promoted: protected is 0..7, full
  p.on_access(n, 0, n.hash(0));    // marked, not moved
  p.on_access(n, 8, n.hash(8));    // promoted: 0 goes round, 1 is demoted
  EXPECT_EQ(n.links(0).referenced, 0);
  EXPECT_TRUE(removed.empty());
  p.evict(n, 9, remove);  // probation holds only 1
  p.evict(n, 8, remove);  // probation is empty: protected's front, 2
  EXPECT_EQ(removed, (std::vector<std::uint32_t>{1, 2}));

  // The cache's hit path. A protected entry's first hit marks it and leaves its hash for the
  // sketch; its next ones, until the clock passes it, leave nothing. A window entry's move is
  // replayed.
  using hotpath::eviction::hit_deferral;
  EXPECT_EQ(p.hit_in_place(n, 3), hit_deferral::hash);
  EXPECT_EQ(n.links(3).referenced, 1);
  EXPECT_EQ(p.hit_in_place(n, 3), hit_deferral::nothing);
  EXPECT_EQ(p.hit_in_place(n, 9), hit_deferral::node);
  EXPECT_EQ(n.links(9).referenced, 0);

  // A reader under a shared lock may only count a hit on a marked protected entry.
  EXPECT_TRUE(p.plain_hit(n, 3));
  EXPECT_FALSE(p.plain_hit(n, 4)) << "protected but not marked: its hash is needed";
  EXPECT_FALSE(p.plain_hit(n, 9)) << "the window's: its move is needed";
}

// Recency-heavy traffic (each key reused a few times soon after it first appears) rewards a
// large window: the hill climber must grow it from its initial 1%.
TEST(Eviction, WTinyLfuGrowsItsWindowForRecencyHeavyTraffic) {
  small_cache<hotpath::eviction::w_tinylfu> c({.capacity = 1000});
  std::mt19937_64 rng(7);
  std::geometric_distribution<int> back(0.02);
  std::vector<int> history;
  int next = 0;
  for (int i = 0; i < 400'000; ++i) {
    int key;
    auto b = static_cast<std::size_t>(back(rng));
    if (rng() % 10 < 3 || b >= history.size()) {
      key = next++;
    } else {
      key = history[history.size() - 1 - b];
    }
    history.push_back(key);
    if (!c.get(key)) c.put(key, key);
  }
  EXPECT_GT(c.eviction_state().window_max(), 100u);  // 10x the initial window of 10
}

// Draws keys 0..n-1 with P(k) proportional to 1 / (k + 1)^s.
class zipf_keys {
 public:
  zipf_keys(int n, double s, std::uint64_t seed) : rng_(seed), cdf_(static_cast<std::size_t>(n)) {
    double sum = 0;
    for (int k = 0; k < n; ++k)
      cdf_[static_cast<std::size_t>(k)] = sum += 1.0 / std::pow(k + 1, s);
    for (auto& c : cdf_)
      c /= sum;
  }
  int operator()() {
    double u = std::uniform_real_distribution<double>(0, 1)(rng_);
    return static_cast<int>(std::lower_bound(cdf_.begin(), cdf_.end(), u) - cdf_.begin());
  }

 private:
  std::mt19937_64 rng_;
  std::vector<double> cdf_;
};

template <class Policy>
double zipf_hit_rate(std::uint64_t capacity) {
  small_cache<Policy> c({.capacity = capacity});
  zipf_keys keys(100'000, 0.9, 5);
  for (int i = 0; i < 300'000; ++i) {
    int k = keys();
    if (!c.get(k)) c.put(k, k);
  }
  return c.stats().hit_rate();
}

// On Zipf traffic frequency beats recency, so the window stays small and the hit rate is well
// above LRU's.
TEST(Eviction, WTinyLfuBeatsLruOnZipfTraffic) {
  double lfu = zipf_hit_rate<hotpath::eviction::w_tinylfu>(1000);
  double lru = zipf_hit_rate<hotpath::eviction::lru>(1000);
  EXPECT_GT(lfu, lru + 0.05) << "w_tinylfu " << lfu << ", lru " << lru;
}

TEST(Eviction, WeightedEntriesEvictUntilTheNewOneFits) {
  std::vector<std::string> evicted;
  hotpath::cache<std::string, std::string, hotpath::eviction::lru, hotpath::weigh_by_size,
                 hotpath::locking::none>
      c({.capacity = 10,
         .on_removal = [&](const std::string& k, const std::string&, hotpath::removal_cause why) {
           if (why == hotpath::removal_cause::evicted) evicted.push_back(k);
         }});
  c.put("a", "1234");
  c.put("b", "123");
  c.put("c", "12");
  EXPECT_EQ(c.weight(), 9u);
  c.put("d", "12345");  // needs 5: a goes, and 10 fits
  EXPECT_EQ(evicted, (std::vector<std::string>{"a"}));
  EXPECT_EQ(c.weight(), 10u);
  c.put("e", "12345678901");  // heavier than the whole cache: never stored
  EXPECT_EQ(evicted, (std::vector<std::string>{"a", "e"}));
  EXPECT_FALSE(c.contains("e"));
  c.put("c", "1234567");  // c grows to 7 and becomes the most recent: b, then d, go
  EXPECT_EQ(evicted, (std::vector<std::string>{"a", "e", "b", "d"}));
  EXPECT_EQ(c.weight(), 7u);
}

// The weight bound, and the cache's weight and size against a model: every value put, less
// what the listener hears leave (a replaced value's successor is the value put).
template <class Policy>
void weight_never_exceeds_capacity() {
  std::vector<std::pair<int, hotpath::removal_cause>> gone;
  hotpath::cache<int, std::string, Policy, hotpath::weigh_by_size> c(
      {.capacity = 2000,
       .shards = 4,
       .on_removal = [&](const int& k, const std::string&, hotpath::removal_cause why) {
         gone.emplace_back(k, why);
       }});
  std::map<int, std::size_t> model;
  std::mt19937 rng(3);
  for (int i = 0; i < 20'000; ++i) {
    int k = static_cast<int>(rng() % 500);
    std::size_t len = rng() % 64;
    // Shrinking or growing an entry in place: lighter and heavier values of a present key.
    c.put(k, std::string(len, 'x'));
    model[k] = len;
    for (auto [key, why] : gone) {
      if (why != hotpath::removal_cause::replaced) model.erase(key);
    }
    gone.clear();
    ASSERT_LE(c.weight(), 2000u) << "after put " << i;
    std::size_t sum = 0;
    for (auto [key, w] : model)
      sum += w;
    ASSERT_EQ(c.weight(), sum) << "after put " << i;
    ASSERT_EQ(c.size(), model.size()) << "after put " << i;
  }
  EXPECT_GT(c.stats().evictions, 0u);
  for (auto [key, w] : model)
    EXPECT_EQ(c.get(key), std::string(w, 'x')) << key;
}

// Tiny capacities keep room in probation: with protected at 80% of 2 (rounded up to all of
// it), two promoted keys held the main region for good and every newcomer left at once.
TEST(Eviction, SlruOfCapacityTwoStillAdmitsNewcomers) {
  small_cache<hotpath::eviction::slru> c({.capacity = 2});
  c.put(1, 1);
  EXPECT_EQ(c.get(1), 1);  // protected
  c.put(2, 2);
  EXPECT_EQ(c.get(2), 2);  // protected; 1 goes back to probation
  c.put(3, 3);             // evicts probation's 1
  EXPECT_FALSE(c.contains(1));
  EXPECT_TRUE(c.contains(2));
  EXPECT_TRUE(c.contains(3));
}

TEST(Eviction, WTinyLfuOfCapacityThreeLetsNewHotKeysIn) {
  small_cache<hotpath::eviction::w_tinylfu> c({.capacity = 3});
  for (int k : {1, 2, 3})
    c.put(k, k);
  for (int r = 0; r < 4; ++r) {  // 1 and 2 reach protected
    (void)c.get(1);
    (void)c.get(2);
  }
  for (int r = 0; r < 50; ++r) {  // then only 5 and 6 are wanted
    for (int k : {5, 6}) {
      if (!c.get(k)) c.put(k, k);
    }
  }
  EXPECT_TRUE(c.contains(5));
  EXPECT_TRUE(c.contains(6));
}

// The sketch grows by copying blocks: every key's estimate is what it was.
TEST(Eviction, TheFrequencySketchKeepsEveryEstimateWhenItGrows) {
  hotpath::detail::frequency_sketch s(64);
  std::mt19937_64 rng(5);
  std::vector<std::uint64_t> keys(200);
  for (auto& h : keys) {
    h = hotpath::detail::mix64(rng());
    for (auto n = rng() % 8; n > 0; --n)
      s.increment(h);
  }
  std::vector<unsigned> before;
  for (auto h : keys)
    before.push_back(s.frequency(h));
  EXPECT_GT(std::count_if(before.begin(), before.end(), [](unsigned f) { return f >= 3; }), 50);
  s.grow(1000);
  for (std::size_t i = 0; i < keys.size(); ++i)
    EXPECT_EQ(s.frequency(keys[i]), before[i]) << i;
}

TEST(Eviction, WeightNeverExceedsTheCapacityAfterAPut) {
  weight_never_exceeds_capacity<hotpath::eviction::lru>();
  weight_never_exceeds_capacity<hotpath::eviction::slru>();
  weight_never_exceeds_capacity<hotpath::eviction::w_tinylfu>();
}

}  // namespace
