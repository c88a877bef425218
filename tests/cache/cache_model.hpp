// A check of a cache against the account its removal listener gives, for the seeded model test
// (cache_model_test.cpp) and the fuzz target (tests/fuzz/fuzz_cache.cpp).
//
// It replays a stream of operations (two bytes each: which, and its key or amount) on a
// one-shard cache of int keys and values (every value written is new, so a removal names its
// entry) and keeps the entries the cache must hold: those written, less those the listener was
// told of. After each operation it checks:
// - every removal told was of an entry the cache held, with its value, for a cause the
//   operation allows: replaced only by a put or a refresh of that key, explicit_ only by erase
//   or clear, expired only once the entry's deadline has come, evicted only while the weight is
//   over the capacity (or the limit of shrink_to);
// - what the operation returned: a get finds exactly the live entries, erase and contains and
//   put_if_absent answer by them, a loader runs on a miss or a due refresh and only then (a
//   refresh whose loader threw holds the entry's next one until halfway to its deadline);
// - size(), weight() and every count of stats() against the model;
// - after cleanup(), nothing is left two ticks of the timer wheel past its deadline.
// At the end, time moves an hour on: everything with a deadline must be reclaimed; then clear.
//
// With faults on, an operation's first byte also says whether one of its first four
// allocations fails (in a binary that includes failing_new.hpp), or one of its first four
// calls of the key hash (in the configurations that use countdown_hash, which throws a
// std::bad_alloc too, as a hash that allocates would). A call that then throws must have
// stored nothing, and counted in stats() only the lookups it made before the failure and a
// loader that ran; what it removed on its way (an expiry, an eviction) is told to the
// listener. See faulted() for the one write that keeps its value. A get_or_load hit whose
// refresh could not start because of the failure returns the value found, and changes nothing.
// Everything above is checked as before.
#pragma once

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <limits>
#include <map>
#include <new>
#include <optional>
#include <stdexcept>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "fail_allocation.hpp"
#include "hotpath/cache.hpp"
#include "hotpath/core/clock.hpp"

namespace hotpath_test {

enum class ttl_kind { none, after_write, after_access, per_entry };

/// Weights 1 to 4, by value.
struct weigh_by_value {
  std::size_t operator()(const int& v) const { return static_cast<std::size_t>(v % 4) + 1; }
};

/// The number of calls of countdown_hash on this thread, counting down, until one throws
/// (-1: none does).
inline thread_local long fail_hash_in = -1;

/// What countdown_hash throws.
struct hash_failure : std::bad_alloc {
  [[nodiscard]] const char* what() const noexcept override { return "hash failed"; }
};

/// std::hash<int>, but for the call where fail_hash_in runs out.
struct countdown_hash {
  std::size_t operator()(int k) const {
    if (fail_hash_in >= 0 && fail_hash_in-- == 0) throw hash_failure();
    return std::hash<int>{}(k);
  }
};

/// A per_entry TTL of 0.5 to 3.5 s, by value.
struct ttl_by_value {
  std::chrono::nanoseconds operator()(const int&, const int& v) const {
    return std::chrono::milliseconds(500 * (v % 7 + 1));
  }
};

/// One cache the check runs on: its type, its expiry, whether its entries are weighed (by
/// weigh_by_value), its capacity, and its refresh_ahead in ns (0: none).
template <class Cache, ttl_kind Ttl, bool Weighted, std::uint64_t Capacity = Weighted ? 14 : 8,
          std::int64_t RefreshNs = 0>
struct model_config {
  using cache = Cache;
  static constexpr ttl_kind ttl = Ttl;
  static constexpr bool weighted = Weighted;
  static constexpr std::uint64_t capacity = Capacity;
  static constexpr std::int64_t refresh_ns = RefreshNs;
};

/// Runs the check on a model_config's cache (whose clock is hotpath::manual_clock); returns the
/// first violation found, or an empty string.
template <class Config>
class cache_model {
  using Cache = typename Config::cache;
  static constexpr ttl_kind Ttl = Config::ttl;
  static constexpr bool Weighted = Config::weighted;

 public:
  static constexpr std::uint64_t capacity = Config::capacity;
  static constexpr std::int64_t refresh_ns = Config::refresh_ns;
  static constexpr int keys = 16;
  static constexpr std::int64_t never = std::numeric_limits<std::int64_t>::max();
  static constexpr std::int64_t ttl_ns = 3'000'000'000;
  // The wheel reclaims an entry within two of its 2^20 ns ticks.
  static constexpr std::int64_t slack_ns = std::int64_t{2} << 20;

  /// `faults`: whether operations may be made to fail an allocation or a hash call.
  explicit cache_model(bool faults = false) : faults_(faults), cache_(options(), clk_) {
    told_.reserve(64);
  }

  std::string run(const std::uint8_t* data, std::size_t size) {
    for (std::size_t p = 0; p + 1 < size && error_.empty(); p += 2) {
      step(data[p], data[p + 1]);
      if (error_.empty()) check_totals(p / 2);
    }
    if (error_.empty()) finish();
    return error_;
  }

 private:
  struct entry {
    int value;
    std::int64_t deadline;
    std::uint64_t weight;
  };
  struct told {
    int key;
    int value;
    hotpath::removal_cause cause;
  };
  enum class op { put, put_if_absent, get, erase, contains, load, advance, cleanup, shrink, clear };

  hotpath::cache_options<int, int> options() {
    hotpath::cache_options<int, int> o{.capacity = capacity, .shards = 1};
    if constexpr (Ttl == ttl_kind::after_write || Ttl == ttl_kind::after_access)
      o.ttl = std::chrono::nanoseconds(ttl_ns);
    o.refresh_ahead = std::chrono::nanoseconds(refresh_ns);
    o.on_removal = [this](const int& k, const int& v, hotpath::removal_cause why) {
      long armed = std::exchange(fail_allocation_in, -1);  // the model's own record never fails
      told_.push_back({k, v, why});
      fail_allocation_in = armed;
    };
    return o;
  }

  static std::uint64_t weight_of(int v) {
    return Weighted ? static_cast<std::uint64_t>(weigh_by_value{}(v)) : 1;
  }
  std::int64_t write_deadline(int k, int v, std::int64_t ttl = 0) const {
    switch (Ttl) {
      case ttl_kind::none:
        return never;
      case ttl_kind::per_entry:
        return now_ + ttl_by_value{}(k, v).count();
      default:
        return now_ + (ttl > 0 ? ttl : ttl_ns);
    }
  }
  // Whether get_or_load of k reloads it: within refresh_ahead of its deadline or, with
  // per_entry, within half its TTL if that is shorter; and not held by a failed refresh of the
  // same entry, halfway from that failure to the deadline.
  bool refresh_due(int k, bool was_live) const {
    if (!was_live || refresh_ns == 0) return false;
    const entry& e = pool_.at(k);
    if (auto h = holds_.find(k);
        h != holds_.end() && h->second.value == e.value && now_ < h->second.retry_at) {
      return false;
    }
    std::int64_t lead = refresh_ns;
    if constexpr (Ttl == ttl_kind::per_entry)
      lead = std::min(lead, ttl_by_value{}(k, e.value).count() / 2);
    return now_ >= e.deadline - lead;
  }
  bool live(int k) const {
    auto it = pool_.find(k);
    return it != pool_.end() && it->second.deadline > now_;
  }
  void fail(const std::string& what) {
    if (error_.empty()) error_ = what + " (at t = " + std::to_string(now_) + " ns)";
  }
  // A hit refreshes the deadline with after_access.
  void accessed(int k) {
    if constexpr (Ttl == ttl_kind::after_access) pool_[k].deadline = now_ + ttl_ns;
  }

  // Runs one call into the cache with the failure this operation arms (an allocation or a hash
  // call), if any.
  template <class F>
  decltype(auto) call(F&& f) {
    struct disarm {
      ~disarm() {
        fail_allocation_in = -1;
        fail_hash_in = -1;
      }
    } guard;
    fail_allocation_in = armed_ < 4 ? armed_ : -1;
    fail_hash_in = armed_ >= 4 ? armed_ - 4 : -1;
    return std::forward<F>(f)();
  }

  // Settles an operation whose call threw std::bad_alloc. In stats() it may have counted the
  // lookups of `looked_up` it made before the failure (in order), and nothing else, but for a
  // loader that ran (the caller counts it). It stored nothing, unless it was a put over a live
  // entry that got as far as replacing it (the listener heard the old value replaced) before
  // an eviction for the heavier value failed: the cache may then stay over its capacity until
  // its next write. `attempted`: the entry it tried to add, counted by evictions before the
  // failure. A timer-wheel bucket whose expiry failed is drained again at the next tick.
  void faulted(op o, int k, bool was_live, std::optional<entry> attempted = std::nullopt,
               std::vector<int> looked_up = {}) {
    ++faults_seen_;
    fault_tick_ = now_ >> 20;
    hotpath::cache_stats st = cache_.stats();
    std::uint64_t hits = 0, misses = 0;
    std::size_t counted = 0;
    bool match = st.hits == hits_ && st.misses == misses_;
    for (std::size_t j = 0; j < looked_up.size() && !match; ++j) {
      ++(live(looked_up[j]) ? hits : misses);
      match = st.hits == hits_ + hits && st.misses == misses_ + misses;
      counted = j + 1;
    }
    if (!match) {
      fail("a call that failed miscounted its lookups");
      return;
    }
    for (std::size_t j = 0; j < counted; ++j) {
      if (live(looked_up[j])) accessed(looked_up[j]);
    }
    hits_ += hits;
    misses_ += misses;
    bool replaced = false;
    for (const told& t : told_)
      replaced = replaced || (t.key == k && t.cause == hotpath::removal_cause::replaced);
    if (replaced) over_ok_ = true;
    settle(o, k, was_live, attempted, replaced);
  }

  void step(std::uint8_t which, std::uint8_t arg) {
    int k = arg % keys;
    // 1 to 4: an allocation fails; 5 to 8: a call of the hash.
    armed_ = faults_ && which / 16 >= 1 && which / 16 <= 8 ? which / 16 - 1 : -1;
    std::string at = " of key " + std::to_string(k);
    switch (which % 16) {
      case 0:
      case 1:
      case 2:
      case 13: {
        int v = ++values_;
        bool was_live = live(k);
        std::int64_t ttl = 0;
        try {
          if constexpr (Ttl == ttl_kind::after_write) {
            if (which % 16 == 13) {
              ttl = std::int64_t{700'000'000} * (arg % 5 + 1);
              call([&] { cache_.put(k, v, std::chrono::nanoseconds(ttl)); });
            } else {
              call([&] { cache_.put(k, v); });
            }
          } else {
            call([&] { cache_.put(k, v); });
          }
        } catch (const std::bad_alloc&) {
          return faulted(op::put, k, was_live, entry{v, write_deadline(k, v, ttl), weight_of(v)});
        }
        settle(op::put, k, was_live, entry{v, write_deadline(k, v, ttl), weight_of(v)});
        if (cache_.weight() > capacity) fail("a put returned with the weight over the capacity");
        return;
      }
      case 3: {
        int v = ++values_;
        bool was_live = live(k);
        bool stored = false;
        try {
          stored = call([&] { return cache_.put_if_absent(k, v); });
        } catch (const std::bad_alloc&) {
          std::optional<entry> tried;
          if (!was_live) tried = entry{v, write_deadline(k, v), weight_of(v)};
          return faulted(op::put_if_absent, k, was_live, tried);
        }
        // A value heavier than the capacity is not kept: told as evicted at once.
        if (stored != (!was_live && weight_of(v) <= capacity))
          fail("put_if_absent" + at + " returned " + std::to_string(stored));
        std::optional<entry> added;
        if (!was_live) added = entry{v, write_deadline(k, v), weight_of(v)};
        settle(op::put_if_absent, k, was_live, added);
        return;
      }
      case 4:
      case 5:
      case 6:
        get(k);
        return;
      case 7:
        return ask(op::erase, "erase", k, [&] { return cache_.erase(k); });
      case 8:
        return ask(op::contains, "contains", k, [&] { return cache_.contains(k); });
      case 9:
      case 10:
        load(k, which % 16 == 10);
        return;
      case 11:
        // About 7 ms a unit, off the millisecond grid, so reads fall on every side of deadlines.
        clk_.advance(std::chrono::nanoseconds(std::int64_t{7'001'003} * arg));
        now_ += std::int64_t{7'001'003} * arg;
        settle(op::advance, k, false, std::nullopt);
        return;
      case 12:
        try {
          call([&] { cache_.cleanup(); });
        } catch (const std::bad_alloc&) {
          return faulted(op::cleanup, k, false);
        }
        settle(op::cleanup, k, false, std::nullopt);
        for (auto& [key, e] : pool_) {
          if (e.deadline != never && e.deadline + slack_ns <= now_ && now_ >> 20 != fault_tick_)
            fail("cleanup left key " + std::to_string(key) + " past its deadline");
        }
        return;
      case 14:
        if (arg < 64) {
          double fraction = arg / 63.0;
          limit_ = static_cast<std::uint64_t>(static_cast<double>(capacity) * fraction);
          try {
            call([&] { cache_.shrink_to(fraction); });
          } catch (const std::bad_alloc&) {
            return faulted(op::shrink, k, false);
          }
          settle(op::shrink, k, false, std::nullopt);
          if (cache_.weight() > limit_) fail("shrink_to left more than its limit");
        } else {
          get(k);
        }
        return;
      default:
        if (arg < 16) {
          try {
            call([&] { cache_.clear(); });
          } catch (const std::bad_alloc&) {
            return faulted(op::clear, k, false);
          }
          settle(op::clear, k, false, std::nullopt);
          if (!pool_.empty()) fail("clear left entries untold");
        } else {
          std::vector<int> both{k, (k + 1) % keys};
          std::vector<std::optional<int>> got;
          try {
            got = call([&] { return cache_.get_all(both); });
          } catch (const std::bad_alloc&) {
            return faulted(op::get, k, false, std::nullopt, both);
          }
          check_got(k, got.at(0));
          check_got((k + 1) % keys, got.at(1));
          settle(op::get, k, false, std::nullopt);
        }
    }
  }

  // erase or contains: whether k's entry was live.
  template <class F>
  void ask(op o, const char* name, int k, F&& f) {
    bool was_live = live(k);
    try {
      if (call(std::forward<F>(f)) != was_live)
        fail(std::string(name) + " of key " + std::to_string(k) + " answered wrong");
    } catch (const std::bad_alloc&) {
      return faulted(o, k, was_live);
    }
    settle(o, k, was_live, std::nullopt);
  }

  void get(int k) {
    std::optional<int> got;
    try {
      got = call([&] { return cache_.get(k); });
    } catch (const std::bad_alloc&) {
      return faulted(op::get, k, false, std::nullopt, {k});
    }
    check_got(k, got);
    settle(op::get, k, false, std::nullopt);
  }
  // Checks a get's result, before settle() applies what the listener heard.
  void check_got(int k, const std::optional<int>& got) {
    if (live(k)) {
      ++hits_;
      if (got != pool_[k].value) fail("get of live key " + std::to_string(k) + " missed it");
      accessed(k);
    } else {
      ++misses_;
      if (got) fail("get of key " + std::to_string(k) + " found a value it should not hold");
    }
  }

  void load(int k, bool throws) {
    int v = ++values_;
    int calls = 0;
    bool was_live = live(k);
    std::optional<int> got;
    bool threw = false;
    bool fired = false;  // the armed failure happened, inside the call, without reaching us
    try {
      got = call([&] {
        int r = cache_.get_or_load(k, [&]() -> int {
          ++calls;
          if (throws) throw std::runtime_error("load failed");
          return v;
        });
        fired = armed_ >= 0 && (armed_ < 4 ? fail_allocation_in : fail_hash_in) == -1;
        return r;
      });
    } catch (const std::runtime_error&) {
      threw = true;
    } catch (const std::bad_alloc&) {
      // The loader ran or not; if it did, its result counts, but nothing was stored.
      if (calls != 0) ++(throws ? failures_ : loads_);
      std::optional<entry> tried;
      if (calls != 0 && !throws) tried = entry{v, write_deadline(k, v), weight_of(v)};
      return faulted(refresh_due(k, was_live) ? op::put : op::load, k, was_live, tried, {k});
    }
    std::optional<entry> added;
    bool refresh = refresh_due(k, was_live);
    if (refresh && fired && calls == 0 && !threw) {
      // A refresh that could not start (its flight's allocation, or a hash call for it,
      // failed) is skipped: the value found comes back, and nothing changes.
      refresh = false;
      ++hits_;
      if (got != pool_[k].value) fail("a refresh that could not start lost the value found");
    } else if (refresh) {
      // A hit close to its deadline reloads; a failed reload keeps the value found.
      ++hits_;
      if (calls != 1 || threw) fail("get_or_load did not refresh key " + std::to_string(k));
      if (throws) {
        ++failures_;
        const entry& e = pool_[k];
        if (got != e.value) fail("a failed refresh lost the value found");
        holds_[k] = {now_ + (e.deadline - now_) / 2, e.value};
      } else {
        ++loads_;
        if (got != v) fail("a refresh did not return the loaded value");
        added = entry{v, write_deadline(k, v), weight_of(v)};
      }
    } else if (was_live) {
      ++hits_;
      if (calls != 0 || threw || got != pool_[k].value) fail("get_or_load of a live key loaded");
      accessed(k);
    } else {
      ++misses_;
      if (calls != 1) fail("get_or_load of a missing key ran its loader " + std::to_string(calls));
      if (throws) {
        ++failures_;
        if (!threw) fail("get_or_load swallowed its loader's exception");
      } else {
        ++loads_;
        if (got != v) fail("get_or_load did not return the loaded value");
        added = entry{v, write_deadline(k, v), weight_of(v)};
      }
    }
    settle(refresh ? op::put : op::load, k, was_live, added);
  }

  // Applies what the listener heard during one operation on key k (was_live: k's entry was live
  // before it), then adds the entry the operation stored, if any.
  // `keep`: whether the operation stored `added` (false: it failed, and added is what it tried).
  void settle(op o, int k, bool was_live, std::optional<entry> added, bool keep = true) {
    std::uint64_t weight = 0;
    for (auto& [key, e] : pool_)
      weight += e.weight;
    bool evicting = false;
    const bool inserts = added.has_value();
    std::uint64_t limit = o == op::shrink ? limit_ : capacity;
    for (const told& t : told_) {
      std::string what = "key " + std::to_string(t.key) + " value " + std::to_string(t.value);
      auto it = pool_.find(t.key);
      bool held = it != pool_.end() && it->second.value == t.value;
      bool is_new = added && t.key == k && added->value == t.value;
      if (!held && !is_new) {
        fail("the listener heard of " + what + ", which the cache did not hold");
        return;
      }
      entry e = held ? it->second : *added;
      switch (t.cause) {
        case hotpath::removal_cause::expired:
          if (e.deadline > now_) fail(what + " expired before its deadline");
          ++expirations_;
          break;
        case hotpath::removal_cause::replaced:
          if (o != op::put || t.key != k || !held || !was_live) fail(what + " told as replaced");
          break;
        case hotpath::removal_cause::explicit_:
          if (!(o == op::clear || (o == op::erase && t.key == k && held && was_live)))
            fail(what + " told as removed explicitly");
          break;
        case hotpath::removal_cause::evicted:
          if (o != op::shrink && !inserts) fail(what + " evicted by an operation that adds none");
          if (!evicting) {
            evicting = true;
            if (added) weight += added->weight;
          }
          if (weight <= limit) fail(what + " evicted while the entries fit");
          ++evictions_;
          evicted_weight_ += e.weight;
          break;
      }
      // A load tells what it stored evicted before what its lookup found expired; a write to
      // a cache left over its capacity evicts the excess before it writes.
      if (evicting && t.cause != hotpath::removal_cause::evicted && o != op::load && !over_ok_)
        fail(what + " told after an eviction of the same operation");
      if (held) {
        pool_.erase(it);
        weight -= e.weight;
      } else {
        added.reset();
        weight -= e.weight;
      }
    }
    told_.clear();
    if (added && keep) {
      if (pool_.count(k) != 0) {
        fail("key " + std::to_string(k) + "'s old value was not told as replaced");
        return;
      }
      pool_[k] = *added;
    }
  }

  void check_totals(std::size_t step) {
    std::uint64_t weight = 0;
    for (auto& [key, e] : pool_)
      weight += e.weight;
    std::string at = " after operation " + std::to_string(step);
    if (cache_.size() != pool_.size()) fail("size() " + std::to_string(cache_.size()) + at);
    if (cache_.weight() != weight) fail("weight() " + std::to_string(cache_.weight()) + at);
    if (cache_.weight() > capacity && !over_ok_) fail("weight() over the capacity" + at);
    if (over_ok_ && cache_.weight() <= capacity) over_ok_ = false;
    hotpath::cache_stats s = cache_.stats();
    if (s.hits != hits_ || s.misses != misses_) fail("hits or misses miscounted" + at);
    if (s.loads != loads_ || s.load_failures != failures_) fail("loads miscounted" + at);
    if (s.evictions != evictions_ || s.evicted_weight != evicted_weight_)
      fail("evictions miscounted" + at);
    if (s.expirations != expirations_) fail("expirations miscounted" + at);
  }

  void finish() {
    clk_.advance(std::chrono::hours(1));
    now_ += std::int64_t{3'600'000'000'000};
    cache_.cleanup();
    settle(op::cleanup, 0, false, std::nullopt);
    for (auto& [key, e] : pool_) {
      if (e.deadline != never) fail("key " + std::to_string(key) + " outlived its deadline");
    }
    cache_.clear();
    settle(op::clear, 0, false, std::nullopt);
    if (!pool_.empty() || cache_.size() != 0 || cache_.weight() != 0) fail("clear left entries");
    check_totals(0);
  }

  bool faults_;
  long armed_ = -1;               // 0 to 3: that allocation fails; 4 to 7: that hash call, less 4
  std::int64_t fault_tick_ = -1;  // the wheel's tick of the last failed call
  bool over_ok_ = false;          // a failed heavier put left the weight over the capacity
  hotpath::manual_clock clk_;
  std::vector<told> told_;
  Cache cache_;
  std::map<int, entry> pool_;
  // The refreshes that failed: k's entry of that value is not refreshed again before retry_at.
  struct hold {
    std::int64_t retry_at;
    int value;
  };
  std::map<int, hold> holds_;
  std::int64_t now_ = 0;
  int values_ = 0;
  std::uint64_t limit_ = 0;
  std::uint64_t hits_ = 0, misses_ = 0, loads_ = 0, failures_ = 0;
  std::uint64_t evictions_ = 0, evicted_weight_ = 0, expirations_ = 0;
  std::string error_;
  std::uint64_t faults_seen_ = 0;

 public:
  /// Calls that threw std::bad_alloc (with faults on).
  [[nodiscard]] std::uint64_t faults_seen() const { return faults_seen_; }
};

namespace model_policies {
using hotpath::manual_clock;
namespace ev = hotpath::eviction;
namespace ex = hotpath::expiry;
namespace lk = hotpath::locking;
using hash = hotpath::cache_hash<countdown_hash>;
// Every eviction policy, every expiry, weights (some too heavy to keep), refresh_ahead, and all
// three lockings; four with a hash that fails on demand.
using all = std::tuple<
    model_config<hotpath::cache<int, int, ev::lru, manual_clock, lk::none>, ttl_kind::none, false>,
    model_config<hotpath::cache<int, int, ev::slru, manual_clock>, ttl_kind::none, false>,
    model_config<hotpath::cache<int, int, manual_clock>, ttl_kind::none, false>,
    model_config<hotpath::cache<int, int, manual_clock, weigh_by_value, lk::none, hash>,
                 ttl_kind::none, true>,
    model_config<hotpath::cache<int, int, ex::after_write, manual_clock, ev::lru>,
                 ttl_kind::after_write, false>,
    model_config<hotpath::cache<int, int, ex::after_access, manual_clock, hash>,
                 ttl_kind::after_access, false>,
    model_config<hotpath::cache<int, int, ex::per_entry<ttl_by_value>, manual_clock, ev::slru,
                                weigh_by_value, hash>,
                 ttl_kind::per_entry, true>,
    model_config<
        hotpath::cache<int, int, ex::after_write, manual_clock, weigh_by_value, lk::shared_reads>,
        ttl_kind::after_write, true>,
    // Values of weight 4 do not fit: puts and loads of them are evicted at once.
    model_config<hotpath::cache<int, int, ex::after_access, manual_clock, ev::slru, weigh_by_value>,
                 ttl_kind::after_access, true, 3>,
    // get_or_load reloads a hit within refresh_ahead of its deadline.
    model_config<hotpath::cache<int, int, ex::after_write, manual_clock, hash>,
                 ttl_kind::after_write, false, 8, 1'000'000'000>,
    model_config<hotpath::cache<int, int, ex::per_entry<ttl_by_value>, manual_clock, ev::lru>,
                 ttl_kind::per_entry, false, 8, 400'000'000>>;
}  // namespace model_policies

/// Runs the check with configuration `I` of model_policies::all.
/// With `faults`, operations fail allocations too; `faulted`, if given, counts the calls that
/// threw std::bad_alloc.
template <std::size_t I>
std::string run_model(const std::uint8_t* data, std::size_t size, bool faults = false,
                      std::uint64_t* faulted = nullptr) {
  using c = std::tuple_element_t<I, model_policies::all>;
  cache_model<c> m(faults);
  std::string err = m.run(data, size);
  if (faulted != nullptr) *faulted += m.faults_seen();
  return err;
}

}  // namespace hotpath_test
