#include "hotpath/cache/expiry.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <random>
#include <set>
#include <stdexcept>
#include <utility>
#include <vector>

#include "cache_test_util.hpp"
#include "hotpath/cache/cache.hpp"
#include "hotpath/core/clock.hpp"

namespace {

using hotpath_test::same_hash;
using hotpath_test::touchy_key;

using namespace std::chrono_literals;
using hotpath::removal_cause;

struct expiry_log {
  std::vector<int> expired;
  auto listener() {
    return [this](const int& k, const int&, removal_cause why) {
      if (why == removal_cause::expired) expired.push_back(k);
    };
  }
};

template <class Expiry>
using timed_cache = hotpath::cache<int, int, Expiry, hotpath::manual_clock, hotpath::eviction::lru>;

TEST(Expiry, AfterWriteExpiresTtlAfterTheLastWrite) {
  expiry_log log;
  hotpath::manual_clock clk;
  timed_cache<hotpath::expiry::after_write> c(
      {.capacity = 10, .ttl = 10s, .on_removal = log.listener()}, clk);
  c.put(1, 1);
  clk.advance(6s);
  EXPECT_EQ(c.get(1), 1);  // reads do not extend after_write
  c.put(2, 2);
  clk.advance(4s - 1ns);
  EXPECT_EQ(c.get(1), 1);
  clk.advance(1ns);
  EXPECT_FALSE(c.get(1).has_value());  // exactly at the TTL: gone
  EXPECT_EQ(c.get(2), 2);
  EXPECT_EQ(log.expired, std::vector<int>{1});
  c.put(2, 20);  // a write restarts the TTL
  clk.advance(9s);
  EXPECT_EQ(c.get(2), 20);
  EXPECT_EQ(c.stats().expirations, 1u);
}

TEST(Expiry, PutWithATtlOverridesTheDefault) {
  hotpath::manual_clock clk;
  timed_cache<hotpath::expiry::after_write> c({.capacity = 10, .ttl = 10s}, clk);
  c.put(1, 1, 2s);
  c.put(2, 2);
  clk.advance(2s);
  EXPECT_FALSE(c.contains(1));
  EXPECT_TRUE(c.contains(2));
}

TEST(Expiry, AfterAccessExpiresTtlAfterTheLastReadOrWrite) {
  hotpath::manual_clock clk;
  timed_cache<hotpath::expiry::after_access> c({.capacity = 10, .ttl = 10s}, clk);
  c.put(1, 1);
  c.put(2, 2);
  for (int i = 0; i < 5; ++i) {
    clk.advance(8s);
    EXPECT_EQ(c.get(1), 1) << i;
  }
  EXPECT_FALSE(c.get(2).has_value());
  clk.advance(10s);
  EXPECT_FALSE(c.get(1).has_value());
}

struct ttl_by_value {
  std::chrono::seconds operator()(const int&, const int& v) const {
    return std::chrono::seconds(v);
  }
};

TEST(Expiry, PerEntryTtlComesFromTheFunction) {
  hotpath::manual_clock clk;
  timed_cache<hotpath::expiry::per_entry<ttl_by_value>> c({.capacity = 10}, clk);
  c.put(1, 5);
  c.put(2, 50);
  clk.advance(5s);
  EXPECT_FALSE(c.contains(1));
  EXPECT_TRUE(c.contains(2));
  clk.advance(45s);
  EXPECT_FALSE(c.contains(2));
}

// TTLs beyond what nanoseconds hold never expire, instead of wrapping around to a negative TTL
// (which put read as "none given" and per_entry as "already expired"); a TTL that is not
// positive is an error at put and stores nothing.
struct ttl_forever {
  std::chrono::hours operator()(const int&, const int&) const { return std::chrono::hours::max(); }
};

TEST(Expiry, HugeTtlsNeverExpireAndNonPositiveOnesAreRejected) {
  hotpath::manual_clock clk;
  timed_cache<hotpath::expiry::after_write> c({.capacity = 10, .ttl = 10s}, clk);
  c.put(1, 1, std::chrono::seconds::max());
  c.put(2, 2, std::chrono::hours::max());
  EXPECT_THROW(c.put(3, 3, 0s), hotpath::error);
  EXPECT_THROW(c.put(3, 3, -1s), hotpath::error);
  EXPECT_THROW(c.put(3, 3, std::chrono::duration<double>(std::nan(""))), hotpath::error);
  EXPECT_FALSE(c.contains(3));
  clk.advance(std::chrono::hours(24 * 365 * 100));
  EXPECT_EQ(c.get(1), 1);
  EXPECT_EQ(c.get(2), 2);

  timed_cache<hotpath::expiry::per_entry<ttl_forever>> forever({.capacity = 10}, clk);
  forever.put(1, 1);
  clk.advance(std::chrono::hours(24 * 365 * 100));
  EXPECT_EQ(forever.get(1), 1);
}

// A per_entry TTL function that throws leaves the cache as it was: no entry stored that the
// wheel does not know of, no value replaced; removals the operation did before it threw (an
// expired entry reclaimed on the way) still reach the listener.
struct ttl_or_throw {
  std::chrono::seconds operator()(const int&, const int& v) const {
    if (v < 0) throw std::runtime_error("no TTL for a negative value");
    return std::chrono::seconds(v);
  }
};

TEST(Expiry, AThrowingTtlFunctionChangesNothingAndRemovalsDoneBeforeAreTold) {
  hotpath::manual_clock clk;
  expiry_log log;
  timed_cache<hotpath::expiry::per_entry<ttl_or_throw>> c(
      {.capacity = 10, .shards = 1, .on_removal = log.listener()}, clk);
  c.put(1, 5);
  c.put(2, 50);
  clk.advance(6s);                                 // 1 has expired, unread
  EXPECT_THROW(c.put(3, -1), std::runtime_error);  // reclaims 1 first
  EXPECT_EQ(log.expired, std::vector<int>{1});
  EXPECT_FALSE(c.contains(3));
  EXPECT_THROW(c.put(2, -1), std::runtime_error);
  EXPECT_EQ(c.get(2), 50);
  EXPECT_EQ(c.size(), 1u);
  clk.advance(50s);
  c.cleanup();
  EXPECT_EQ(c.size(), 0u);
  EXPECT_EQ(log.expired, (std::vector<int>{1, 2}));
}

// A write of a key abandons a load of it in flight (the loaded value is older); a write that
// throws changes nothing, so the load still stores its value.
TEST(Expiry, APutThatThrowsLeavesTheLoadInFlightToStoreItsValue) {
  hotpath::manual_clock clk;
  timed_cache<hotpath::expiry::per_entry<ttl_or_throw>> c({.capacity = 10}, clk);
  int got = c.get_or_load(1, [&] {
    EXPECT_THROW(c.put(1, -1), std::runtime_error);
    return 7;
  });
  EXPECT_EQ(got, 7);
  EXPECT_EQ(c.get(1), 7);
  EXPECT_EQ(c.get_or_load(2,
                          [&] {
                            c.put(2, 20);
                            return 8;
                          }),
            8);
  EXPECT_EQ(c.get(2), 20);
}

// An operation that throws after the wheel reclaimed entries on its way (here a key's
// operator==, in get, contains, erase and get_or_load) still has the listener told of them
// before the exception reaches the caller.
TEST(Expiry, ExpiredEntriesAreToldEvenWhenTheOperationThenThrows) {
  hotpath::manual_clock clk;
  std::vector<int> expired;
  hotpath::cache<touchy_key, int, hotpath::expiry::after_write, hotpath::manual_clock,
                 hotpath::cache_hash<same_hash>, hotpath::eviction::lru>
      c({.capacity = 20,
         .ttl = 10s,
         .on_removal =
             [&](const touchy_key& k, const int&, removal_cause why) {
               if (why == removal_cause::expired) expired.push_back(k.id);
             }},
        clk);
  for (int i = 0; i < 4; ++i) {
    c.put({i}, i);
    clk.advance(1s);
  }
  c.put({9}, 9);  // written last: outlives the others
  clk.advance(6500ms);
  // Now 0 has expired, half a second ago. Each operation below reclaims the next one before its
  // lookup throws.
  touchy_key::armed = true;
  EXPECT_THROW((void)c.get({9}), std::runtime_error);
  EXPECT_EQ(expired, std::vector<int>{0});
  clk.advance(1s);
  EXPECT_THROW((void)c.contains({9}), std::runtime_error);
  EXPECT_EQ(expired, (std::vector<int>{0, 1}));
  clk.advance(1s);
  EXPECT_THROW(c.erase({9}), std::runtime_error);
  EXPECT_EQ(expired, (std::vector<int>{0, 1, 2}));
  clk.advance(1s);
  EXPECT_THROW(c.get_or_load({9}, [] { return 0; }), std::runtime_error);
  EXPECT_EQ(expired, (std::vector<int>{0, 1, 2, 3}));
  touchy_key::armed = false;
  EXPECT_EQ(c.get({9}), 9);
  EXPECT_EQ(c.size(), 1u);
  EXPECT_EQ(c.stats().expirations, 4u);
}

// A value whose copy throws for one value once armed.
struct touchy_value {
  int v;
  static inline int fails = -1;  // the value whose copy throws; -1: none
  explicit touchy_value(int x) : v(x) {}
  touchy_value(const touchy_value& o) : v(o.v) {
    if (v == fails) throw std::runtime_error("copy failed");
  }
  touchy_value& operator=(const touchy_value&) = default;
};

// The listener's copy of a value that throws while the wheel expires a bucket: the entries
// removed before it are told, and those not yet removed stay on the wheel, so the next tick's
// cleanup() reclaims them (they had been left to a read or an eviction).
TEST(Expiry, EntriesAThrowingExpiryLeftAreReclaimedAtTheNextTick) {
  hotpath::manual_clock clk;
  std::vector<int> expired;
  hotpath::cache<int, touchy_value, hotpath::expiry::after_write, hotpath::manual_clock,
                 hotpath::eviction::lru>
      c({.capacity = 10,
         .shards = 1,
         .ttl = 10s,
         .on_removal =
             [&](const int& k, const touchy_value&, removal_cause why) {
               if (why == removal_cause::expired) expired.push_back(k);
             }},
        clk);
  for (int i = 0; i < 4; ++i)
    c.put(i, touchy_value(i));
  clk.advance(11s);
  touchy_value::fails = 2;  // the listener's record of entry 2 cannot be made
  EXPECT_THROW(c.cleanup(), std::runtime_error);
  touchy_value::fails = -1;
  EXPECT_EQ(std::count(expired.begin(), expired.end(), 2), 0);
  EXPECT_EQ(expired.size() + c.size(), 4u);
  clk.advance(2ms);
  c.cleanup();
  std::sort(expired.begin(), expired.end());
  EXPECT_EQ(expired, (std::vector<int>{0, 1, 2, 3}));
  EXPECT_EQ(c.size(), 0u);
  EXPECT_EQ(c.stats().expirations, 4u);
}

// A hash that throws for one key once armed.
struct hash_but_13 {
  static inline bool armed = false;
  std::size_t operator()(int k) const {
    if (armed && k == 13) throw std::runtime_error("hash failed");
    return std::hash<int>{}(k);
  }
};

// Removals the cache starts on its own (the wheel's expiry of a bucket, an eviction) find an
// entry by a scan of the table when the user's hash throws for it: they finish, and the
// listener hears every one.
TEST(Expiry, ExpiryAndEvictionFinishWhenTheHashThrows) {
  hotpath::manual_clock clk;
  std::vector<std::pair<int, removal_cause>> told;
  hotpath::cache<int, int, hotpath::expiry::after_write, hotpath::manual_clock,
                 hotpath::cache_hash<hash_but_13>, hotpath::eviction::lru>
      c({.capacity = 3,
         .shards = 1,
         .ttl = 10s,
         .on_removal = [&](const int& k, const int&,
                           removal_cause why) { told.emplace_back(k, why); }},
        clk);
  c.put(1, 1);
  c.put(13, 13);
  clk.advance(10s);
  hash_but_13::armed = true;
  c.cleanup();
  EXPECT_EQ(told, (std::vector<std::pair<int, removal_cause>>{{1, removal_cause::expired},
                                                              {13, removal_cause::expired}}));
  EXPECT_EQ(c.size(), 0u);
  hash_but_13::armed = false;
  c.put(13, 13);  // least recent: evicted by the fourth put
  c.put(2, 2);
  c.put(3, 3);
  hash_but_13::armed = true;
  c.put(4, 4);
  hash_but_13::armed = false;
  EXPECT_EQ(told.back(), (std::pair<int, removal_cause>{13, removal_cause::evicted}));
  EXPECT_EQ(c.size(), 3u);
  EXPECT_EQ(c.stats().expirations, 2u);
  EXPECT_EQ(c.stats().evictions, 1u);
}

// A per_entry TTL function that returns NaN is an error, and nothing is stored.
struct nan_ttl {
  std::chrono::duration<double> operator()(const int&, const int& v) const {
    return std::chrono::duration<double>(v < 0 ? std::nan("") : v);
  }
};

TEST(Expiry, APerEntryNanTtlIsRejected) {
  hotpath::manual_clock clk;
  timed_cache<hotpath::expiry::per_entry<nan_ttl>> c({.capacity = 10}, clk);
  c.put(1, 5);
  EXPECT_THROW(c.put(2, -1), hotpath::error);
  EXPECT_THROW(c.put(1, -1), hotpath::error);
  EXPECT_FALSE(c.contains(2));
  EXPECT_EQ(c.get(1), 5);
  clk.advance(5s);
  EXPECT_FALSE(c.contains(1));
}

// A key that is not equal to itself is found by its node, not by key, when it expires: the
// wheel reclaims it like any other.
TEST(Expiry, AKeyNotEqualToItselfStillExpires) {
  hotpath::manual_clock clk;
  hotpath::cache<double, int, hotpath::expiry::after_write, hotpath::manual_clock> c(
      {.capacity = 10, .ttl = 10s}, clk);
  c.put(std::nan(""), 1);
  c.put(2.0, 2);
  EXPECT_EQ(c.size(), 2u);
  clk.advance(11s);
  c.cleanup();
  EXPECT_EQ(c.size(), 0u);
  EXPECT_EQ(c.stats().expirations, 2u);
}

// refresh_ahead needs deadlines that only writes set and that are longer than it.
TEST(Expiry, RefreshAheadIsRejectedWhereItCannotWork) {
  EXPECT_THROW(
      timed_cache<hotpath::expiry::after_access>({.capacity = 10, .ttl = 10s, .refresh_ahead = 1s}),
      hotpath::error);
  EXPECT_THROW(
      timed_cache<hotpath::expiry::after_write>({.capacity = 10, .ttl = 10s, .refresh_ahead = 10s}),
      hotpath::error);
  EXPECT_THROW(timed_cache<hotpath::expiry::none>({.capacity = 10, .refresh_ahead = 1s}),
               hotpath::error);
  EXPECT_THROW(
      timed_cache<hotpath::expiry::after_write>({.capacity = 10, .ttl = 10s, .refresh_ahead = -1s}),
      hotpath::error);
  EXPECT_NO_THROW(
      timed_cache<hotpath::expiry::after_write>({.capacity = 10, .ttl = 10s, .refresh_ahead = 9s}));
}

// A clock before its epoch (negative times) with the longest TTL: the deadline saturates
// instead of overflowing, and the entry does not expire.
struct before_epoch_clock {
  using duration = std::chrono::nanoseconds;
  using time_point = std::chrono::time_point<before_epoch_clock>;
  time_point now() const noexcept { return time_point(duration(-5'000'000'000)); }
};

TEST(Expiry, ATimeBeforeTheEpochStillGetsALongDeadline) {
  hotpath::cache<int, int, hotpath::expiry::after_write, before_epoch_clock> c(
      {.capacity = 10, .ttl = std::chrono::nanoseconds::max()});
  c.put(1, 1);
  EXPECT_EQ(c.get(1), 1);
}

TEST(Expiry, AnExpiringPolicyWithoutATtlIsRejected) {
  EXPECT_THROW(timed_cache<hotpath::expiry::after_write>({.capacity = 10}), hotpath::error);
}

// Entries that are never read again are still reclaimed: an entry is gone from the cache (and
// reported) once the 1.05 ms wheel tick holding its expiry has fully passed, and never before
// its expiry.
TEST(Expiry, TheTimerWheelReclaimsUnreadEntries) {
  expiry_log log;
  hotpath::manual_clock clk;
  clk.advance(123'456'789ns);  // not at a tick boundary
  timed_cache<hotpath::expiry::after_write> c(
      {.capacity = 100'000, .ttl = 1h, .on_removal = log.listener()}, clk);
  std::mt19937_64 rng(9);
  std::vector<std::int64_t> at(20'000);
  auto t0 = clk.now().time_since_epoch().count();
  for (int k = 0; k < 20'000; ++k) {
    // TTLs from 1 us to ~2 days, log-uniform, so every level of the wheel is used.
    auto ttl = std::chrono::nanoseconds(static_cast<std::int64_t>(
        std::pow(10.0, 3 + 11.3 * std::uniform_real_distribution<double>(0, 1)(rng))));
    c.put(k, k, ttl);
    at[static_cast<std::size_t>(k)] = t0 + ttl.count();
  }
  std::set<int> gone;
  std::int64_t step = 7'777'777;  // ns; grows so that the test covers days in a few hundred steps
  while (gone.size() < at.size()) {
    clk.advance(std::chrono::nanoseconds(step));
    step = step * 11 / 10;
    c.cleanup();
    for (int k : log.expired)
      ASSERT_TRUE(gone.insert(k).second) << "reported twice: " << k;
    log.expired.clear();
    std::int64_t now = clk.now().time_since_epoch().count();
    for (int k = 0; k < static_cast<int>(at.size()); ++k) {
      std::int64_t a = at[static_cast<std::size_t>(k)];
      bool is_gone = gone.count(k) != 0;
      if ((a >> 20) < (now >> 20)) {
        ASSERT_TRUE(is_gone) << "key " << k << " expired at " << a << ", now " << now;
      }
      if (a > now) {
        ASSERT_FALSE(is_gone) << "key " << k << " reclaimed early";
      }
    }
    ASSERT_EQ(c.size(), at.size() - gone.size());
  }
  EXPECT_EQ(c.stats().expirations, at.size());
}

}  // namespace
