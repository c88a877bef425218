// hotpath/cache/cache.hpp: a thread-safe in-memory cache with eviction, expiry and admission
// policies, single-flight loading and a removal listener.
//
//   hotpath::cache<std::string, Row> rows({.capacity = 100'000});
//   rows.put("k", row);
//   if (auto r = rows.get("k")) use(*r);                       // std::optional<Row>: a copy
//   Row r = rows.get_or_load("k", [](const std::string& k) { return db_fetch(k); });
//
//   hotpath::cache<Key, Blob, hotpath::eviction::lru, hotpath::expiry::after_write,
//                  hotpath::weigh_by_size> blobs({.capacity = 64 << 20, .ttl = 30s});
//
// Policies, in any order, each at most once: eviction (eviction::w_tinylfu by default, slru,
// lru), expiry (expiry::none by default, after_write, after_access, per_entry<F>), a weigher of
// values (hotpath::weigh_unit by default: capacity counts entries; any `size_t(const V&)` or
// `size_t(const K&, const V&)` callable type), locking (locking::sharded by default,
// locking::shared_reads, locking::none), a clock (std::chrono::steady_clock by default;
// hotpath::manual_clock in tests) and a hash (cache_hash<H>; std::hash<K> by default).
//
// Values are returned by copy, never by reference, so nothing a caller holds can dangle when
// the entry is evicted; cache std::shared_ptr<const T> for large values.
//
// Capacity: the total weight never exceeds options.capacity once a put returns (but after a
// heavier put whose eviction failed: see Failures). Sharding splits the capacity evenly among
// shards, and each shard evicts on its own, so the eviction order is exact per shard; an entry
// heavier than its shard's share (or than 2^32 - 1) is not stored, and the listener hears it
// as evicted.
//
// get_or_load: concurrent misses on one key run the loader once; every waiter gets its value or
// its exception, and a failed load is not cached. A put, erase or clear of the key while its
// load runs wins: the load's result still goes to its waiters but is not stored (a put or erase
// that throws changes nothing, and the load's result is stored). With refresh_ahead, a hit near
// its deadline reloads the entry while other callers keep getting the current value; if that
// loader throws, the caller gets the current value too, and the entry's next refresh waits until
// half the time then left to its deadline has passed, so a backend that is down sees a few
// reloads of a hot key before it expires, not one per hit (a write of the key lifts the wait).
//
// Removal listener (options.on_removal): called after the shard lock is released, on the
// thread whose operation removed the entry, once per removed entry, with its cause. If it
// throws, the other removals of that operation are still reported, then the first exception
// reaches the caller; the cache itself is already consistent. A get_or_load that leads a load
// runs and stores it first, so that its waiters are never stranded.
//
// Failures: a put or a load whose TTL function, value copy, allocation or eviction throws
// stores nothing. One exception: a heavier value over a live entry whose eviction fails stays
// stored (the listener hears the old value replaced, and a load of the key in flight is not
// stored over it, as after a put that returns), and its shard stays over its capacity until its
// next write evicts the excess. Any operation that throws (a key's operator==, an
// allocation) after removing entries on its way (expired, or evicted before the failure) has
// the listener told of them first. A lookup is counted in stats() once made, even if the call
// then fails (an allocation for its load). A get_or_load hit whose early refresh cannot start
// (no memory for it, or the key's hash or operator== throws in the map of loads in flight)
// returns the value it found, unrefreshed. Expired entries whose reclaiming failed are
// reclaimed at the timer wheel's next tick. Keys must be equal to themselves, as in any
// hash map: a NaN key is stored anew by every put and never found by a get, and every get_or_load
// of one runs its loader.
//
// Thread safety: every member may be called from any thread concurrently (with
// locking::sharded or shared_reads). Loaders and listeners run without any cache lock held and may
// use the cache; a loader that calls get_or_load on its own key gets a hotpath::error rather
// than waiting for itself (loaders on two threads that each wait for the other's key deadlock,
// as in any single-flight cache). Complexity: O(1) expected per operation; expired entries are
// reclaimed by a timer wheel in O(1) amortized each.
#pragma once

#include <algorithm>
#include <array>
#include <atomic>
#include <bit>
#include <chrono>
#include <cmath>
#include <concepts>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <functional>
#include <limits>
#include <memory>
#include <mutex>
#include <new>
#include <optional>
#include <span>
#include <string>
#include <thread>
#include <type_traits>
#include <unordered_map>
#include <utility>
#include <vector>

#include "hotpath/cache/detail/node_index.hpp"
#include "hotpath/cache/detail/node_list.hpp"
#include "hotpath/cache/detail/read_slot_lock.hpp"
#include "hotpath/cache/detail/timer_wheel.hpp"
#include "hotpath/cache/eviction.hpp"
#include "hotpath/cache/expiry.hpp"
#include "hotpath/cache/locking.hpp"
#include "hotpath/cache/removal.hpp"
#include "hotpath/cache/stats.hpp"
#include "hotpath/config.hpp"
#include "hotpath/core/cache_line.hpp"
#include "hotpath/core/clock.hpp"
#include "hotpath/core/detail/policy.hpp"
#include "hotpath/core/error.hpp"
#include "hotpath/core/weigher.hpp"
#include "hotpath/metrics/counter.hpp"
#include "hotpath/metrics/exposition.hpp"
#include "hotpath/metrics/histogram.hpp"
#include "hotpath/metrics/registry.hpp"

namespace hotpath::inline HOTPATH_ABI {

/// Chooses the hash function of a cache: cache<K, V, cache_hash<my_hash>>.
template <class H>
struct cache_hash {
  using type = H;
};

/// Runtime knobs of a cache.
template <class K, class V>
struct cache_options {
  /// The maximum total weight (entries, with the default weigher).
  std::uint64_t capacity = 10'000;
  /// Shards with locking::sharded: a power of two, or 0 to pick from the CPU count and the
  /// capacity (small caches get one shard, so their eviction order is exact).
  unsigned shards = 0;
  /// Time to live for expiry::after_write and after_access; required (> 0) with them.
  std::chrono::nanoseconds ttl = std::chrono::nanoseconds::zero();
  /// get_or_load() reloads an entry this close to its expiry, once, while other callers keep
  /// getting the current value: hot keys never miss at expiry. Zero: off. Needs
  /// expiry::after_write (shorter than ttl) or per_entry; others are rejected at construction.
  /// With per_entry, an entry whose TTL is under twice this is reloaded once half its TTL has
  /// passed (so a reload is due at most once per half TTL, not on every hit). A reload whose
  /// loader throws keeps the current value; the next waits until half the time left to the
  /// deadline has passed.
  std::chrono::nanoseconds refresh_ahead = std::chrono::nanoseconds::zero();
  /// Told of every entry that leaves the cache, with the reason.
  std::function<void(const K&, const V&, removal_cause)> on_removal = {};
};

namespace detail {

template <class P>
struct is_eviction_policy : std::bool_constant<eviction_policy<P>> {};
template <class P>
struct is_expiry_policy : std::bool_constant<expiry_policy<P>> {};
template <class P>
struct is_locking_policy : std::bool_constant<locking_policy<P>> {};
template <class P>
struct is_cache_hash : std::false_type {};
template <class H>
struct is_cache_hash<cache_hash<H>> : std::true_type {};
template <class K, class V>
struct is_cache_weigher_of {
  template <class P>
  struct test
      : std::bool_constant<std::default_initializable<P> &&
                           (std::is_invocable_r_v<std::size_t, const P&, const V&> ||
                            std::is_invocable_r_v<std::size_t, const P&, const K&, const V&>)> {};
};

template <class H>
struct hash_of {
  using type = void;
};
template <class H>
struct hash_of<cache_hash<H>> {
  using type = H;
};

inline unsigned cpu_count_for_shards() noexcept {
  unsigned n = std::thread::hardware_concurrency();
  return n == 0 ? 1 : n;
}

}  // namespace detail

/// A bounded, thread-safe key-value cache; see the header comment for the contract.
template <class K, class V, class... Policies>
class cache {
  template <class P>
  using is_weigher = typename detail::is_cache_weigher_of<K, V>::template test<P>;

  static_assert(detail::count_policies<detail::is_eviction_policy, Policies...> <= 1,
                "hotpath::cache: at most one eviction policy");
  static_assert(detail::count_policies<detail::is_expiry_policy, Policies...> <= 1,
                "hotpath::cache: at most one expiry policy");
  static_assert(detail::count_policies<detail::is_locking_policy, Policies...> <= 1,
                "hotpath::cache: at most one locking policy");
  static_assert(detail::count_policies<detail::is_clock_policy, Policies...> <= 1,
                "hotpath::cache: at most one clock");
  static_assert(detail::count_policies<detail::is_cache_hash, Policies...> <= 1,
                "hotpath::cache: at most one cache_hash");
  static_assert(detail::count_policies<is_weigher, Policies...> <= 1,
                "hotpath::cache: at most one weigher");
  static_assert((... && (eviction_policy<Policies> || expiry_policy<Policies> ||
                         locking_policy<Policies> || hotpath::clock<Policies> ||
                         detail::is_cache_hash<Policies>::value || is_weigher<Policies>::value)),
                "hotpath::cache: each policy must be an eviction policy, an expiry policy, a "
                "locking policy, a clock, a cache_hash<H> or a weigher of V (see "
                "cache/eviction.hpp, expiry.hpp, locking.hpp, core/clock.hpp, core/weigher.hpp)");
  static_assert(std::copy_constructible<K> && std::copy_constructible<V>,
                "hotpath::cache: keys and values are copied out to callers and listeners");

 public:
  using key_type = K;
  using mapped_type = V;
  using eviction_type =
      detail::select_policy_t<detail::is_eviction_policy, eviction::w_tinylfu, Policies...>;
  using expiry_type = detail::select_policy_t<detail::is_expiry_policy, expiry::none, Policies...>;
  using locking_type =
      detail::select_policy_t<detail::is_locking_policy, locking::sharded, Policies...>;
  using clock_type =
      detail::select_policy_t<detail::is_clock_policy, std::chrono::steady_clock, Policies...>;
  using weigher_type = detail::select_policy_t<is_weigher, weigh_unit, Policies...>;
  using hasher = typename detail::hash_of<
      detail::select_policy_t<detail::is_cache_hash, cache_hash<std::hash<K>>, Policies...>>::type;
  using options = cache_options<K, V>;

  /// Builds an empty cache. Throws hotpath::error for a zero capacity, a shard count that is not
  /// a power of two, or a missing ttl with after_write / after_access.
  explicit cache(options opts = {}, clock_type clock = {}, expiry_type expiry = {})
      : opts_(std::move(opts)), clock_(std::move(clock)), expiry_(std::move(expiry)) {
    if (opts_.capacity == 0) detail::throw_error("hotpath::cache: capacity must be > 0");
    if constexpr (expiry_type::expires && !is_per_entry) {
      if (opts_.ttl <= std::chrono::nanoseconds::zero()) {
        detail::throw_error("hotpath::cache: expiry policy needs options.ttl > 0, got ",
                            opts_.ttl.count(), " ns");
      }
    }
    check_refresh_ahead();
    unsigned n = pick_shards();
    shard_shift_ = 63 - static_cast<unsigned>(std::countr_zero(n));
    std::int64_t now = now_ns();
    shards_.reserve(n);
    for (unsigned i = 0; i < n; ++i) {
      std::uint64_t share = opts_.capacity / n + (i < opts_.capacity % n ? 1 : 0);
      shards_.push_back(std::make_unique<shard>(*this, share, now));
    }
  }

  cache(const cache&) = delete;
  cache& operator=(const cache&) = delete;

  /// The value for `k`, if present and not expired; counts as an access.
  [[nodiscard]] std::optional<V> get(const K& k) {
    if constexpr (shared_reads) {
      std::optional<V> out;
      if (read_shared() && shared_get(k, out, true) != shared_result::busy) return out;
    }
    return read_key(k, [&](locked_key& at) {
      std::optional<V> out;
      if (std::uint32_t i = live_index(at, k); i != detail::nil_node) {
        touch(at, i);
        out.emplace(at.s.nodes[i].value());
        at.s.hits.add(1);
      } else {
        count_miss(at);
      }
      return out;
    });
  }

  /// Values for `keys`, in their order (std::nullopt where absent).
  template <class Keys>
  [[nodiscard]] std::vector<std::optional<V>> get_all(const Keys& keys) {
    std::vector<std::optional<V>> out;
    if constexpr (requires { std::size(keys); }) out.reserve(std::size(keys));
    for (const auto& k : keys)
      out.push_back(get(k));
    return out;
  }

  /// Whether `k` is present and not expired; not an access (eviction order is unchanged).
  [[nodiscard]] bool contains(const K& k) {
    if constexpr (shared_reads) {
      if (read_shared()) {
        const auto hm = hashes(k);
        shard& s = shard_for(hm.second);
        if (typename shard_lock::scoped_reader r(s.mu, detail::thread_slot()); r)
          return find_node(s, k, hm.first) != detail::nil_node;
      }
    }
    return read_key(k, [&](locked_key& at) { return live_index(at, k) != detail::nil_node; });
  }

  /// Stores `v` for `k`, replacing (listener: replaced) any value there.
  void put(K k, V v) { put_impl(std::move(k), std::move(v), no_ttl, false); }

  /// Stores `v` for `k` with its own time to live (expiry::after_write only). Throws
  /// hotpath::error, storing nothing, if `ttl` is not positive; a TTL beyond the range of
  /// std::chrono::nanoseconds (about 292 years) never expires.
  template <class Rep, class Period>
  void put(K k, V v, std::chrono::duration<Rep, Period> ttl) requires(
      std::same_as<expiry_type, expiry::after_write>) {
    if (!(ttl > std::chrono::duration<Rep, Period>::zero())) {
      detail::throw_error("hotpath::cache: put's ttl must be > 0, got ",
                          std::chrono::duration<double>(ttl).count(), " s");
    }
    put_impl(std::move(k), std::move(v), saturating_ns(ttl), false);
  }

  /// Stores `v` only if `k` is absent (or expired); true if it stored (false also when `v` is
  /// heavier than a shard's share of the capacity, and so evicted at once).
  bool put_if_absent(K k, V v) { return put_impl(std::move(k), std::move(v), no_ttl, true); }

  /// Removes `k` (listener: explicit_); true if it was present and not expired.
  bool erase(const K& k) {
    return with_key(k, [&](locked_key& at) {
      auto pending = find_flight(at.s, k);
      std::uint32_t i = live_index(at, k);
      if (i != detail::nil_node) remove(at.s, i, removal_cause::explicit_, at.ev);
      abandon(at.s, pending);
      return i != detail::nil_node;
    });
  }

  /// Removes every entry (listener: explicit_).
  void clear() {
    for_each_shard([&](shard& s, removals& ev) {
      for (auto& [key, f] : s.inflight)
        f->invalidated = true;
      s.inflight.clear();
      for (std::uint32_t i = 0; i < s.nodes.size(); ++i) {
        if (s.nodes[i].links.queue != 0) remove(s, i, removal_cause::explicit_, ev);
      }
    });
  }

  /// The value for `k`, running `loader` on a miss (loader(k) or loader()) and storing what it
  /// returns. Concurrent misses on one key share one loader call; its exception reaches every
  /// one of them and nothing is stored.
  template <class F>
  V get_or_load(const K& k, F&& loader) {
    if constexpr (shared_reads) {
      std::optional<V> out;
      if (read_shared() && shared_get(k, out, false) == shared_result::hit) return std::move(*out);
    }
    struct outcome {
      std::optional<V> hit;
      std::shared_ptr<flight> f;
      shard* s = nullptr;  // the leader's
      bool leader = false;
    };
    removals ev;
    outcome o = under_lock_told(k, ev, [&](locked_key& at) {
      outcome r;
      std::uint32_t i = live_index(at, k);
      flight_position held = at.s.inflight.end();
      if (i != detail::nil_node) {
        touch(at, i);
        r.hit.emplace(at.s.nodes[i].value());
        at.s.hits.add(1);
        if (!refresh_due(at.s, i, at.now)) return r;
        try {
          held = find_flight(at.s, k);
        } catch (...) {
          return r;  // a refresh that cannot start is skipped (see below)
        }
        if (held != at.s.inflight.end() &&
            (!held->second->cooling || refresh_held(*held->second, at.s, i, at.now))) {
          return r;  // a load of k is in flight, or a failed refresh holds this one
        }
      } else {
        count_miss(at);
        held = find_flight(at.s, k);
        if (held != at.s.inflight.end() && !held->second->cooling) {
          r.f = held->second;
          return r;
        }
      }
      try {
        r.f = std::make_shared<flight>();
        r.f->leader = std::this_thread::get_id();
        if (r.hit) {
          r.f->held_node = i;
          r.f->held_deadline = entry_deadline(at.s, i);
        }
        if (held != at.s.inflight.end()) {
          held->second = r.f;  // in the place of a hold that is over (or was a removed entry's)
        } else {
          at.s.inflight.emplace(k, r.f);
        }
      } catch (...) {
        // A refresh that cannot start (no memory for its flight, or the key's hash or
        // operator== throws in the flight map) is skipped: the caller gets the value it found, and
        // a later hit tries again. A miss has no value to fall back on.
        if (!r.hit) throw;
        r.f.reset();
        return r;
      }
      r.s = &at.s;
      r.leader = true;
      return r;
    });
    if (!o.leader) {
      notify(ev);
      if (o.hit) return std::move(*o.hit);
      if (o.f->leader == std::this_thread::get_id()) {
        detail::throw_error(
            "hotpath::cache: get_or_load of a key from inside that key's own loader would wait "
            "for itself");
      }
      return o.f->wait();
    }
    // The load runs before the listener hears what this call removed on its way (an expired
    // entry, perhaps of this very key): a listener may use the cache, even get_or_load this
    // key, and would otherwise wait on a flight that only this thread can finish. Other
    // callers already waiting are not held up by the listener either, nor stranded if it throws.
    std::optional<V> v;
    std::exception_ptr failed;
    std::exception_ptr told;
    if (o.hit) {
      // An early refresh: if the loader throws (counted in load_failures), this caller gets the
      // value it found. Any other failure (storing the value, the cache's own, a listener's)
      // reaches the caller, as it would from a write.
      try {
        v.emplace(run_load(k, *o.s, *o.f, std::forward<F>(loader), &told));
      } catch (...) {
        v.emplace(std::move(*o.hit));
      }
    } else {
      try {
        v.emplace(run_load(k, *o.s, *o.f, std::forward<F>(loader)));
      } catch (...) {
        failed = std::current_exception();
      }
    }
    std::exception_ptr heard;
    try {
      notify(ev);
    } catch (...) {
      heard = std::current_exception();
    }
    if (failed) std::rethrow_exception(failed);  // the loader's exception wins
    if (heard) std::rethrow_exception(heard);
    if (told) std::rethrow_exception(told);
    return std::move(*v);
  }

  /// Reclaims expired entries in every shard now (operations on a shard also do it for that
  /// shard as they go).
  void cleanup() {
    for_each_shard([&](shard& s, removals& ev) { maintain(s, ev); });
  }

  /// Evicts (by the eviction policy, listener: evicted) until the weight is at most
  /// `fraction` of the capacity; for memory pressure. The capacity itself is unchanged, so the
  /// cache refills as it is used. `fraction` is clamped to [0, 1]; NaN throws hotpath::error.
  void shrink_to(double fraction) {
    if (std::isnan(fraction)) detail::throw_error("hotpath::cache: shrink_to(NaN)");
    fraction = std::clamp(fraction, 0.0, 1.0);
    for_each_shard([&](shard& s, removals& ev) {
      // At 1 the product could round up past 2^64 - 1 for a huge capacity.
      auto limit = fraction >= 1.0
                       ? s.capacity
                       : static_cast<std::uint64_t>(static_cast<double>(s.capacity) * fraction);
      evict_to(s, limit, ev);
    });
  }

  /// Entries, including expired ones not yet reclaimed. Takes no lock: each shard's count is
  /// exact as of some moment during the call, so with writers running the sum is approximate.
  [[nodiscard]] std::size_t size() const noexcept {
    std::size_t n = 0;
    for (auto& sp : shards_)
      n += static_cast<std::size_t>(sp->live.get());
    return n;
  }

  /// Total weight of the entries; takes no lock, like size().
  [[nodiscard]] std::uint64_t weight() const noexcept {
    std::uint64_t w = 0;
    for (auto& sp : shards_)
      w += sp->weight.get();
    return w;
  }

  [[nodiscard]] std::uint64_t capacity() const noexcept { return opts_.capacity; }
  [[nodiscard]] std::size_t shard_count() const noexcept { return shards_.size(); }
  [[nodiscard]] const clock_type& clock() const noexcept { return clock_; }

  /// The eviction state of shard `i`, for inspection (e.g. eviction::w_tinylfu's window_max()).
  /// Not synchronized: call it only while no other thread uses the cache.
  [[nodiscard]] const auto& eviction_state(std::size_t i = 0) noexcept {
    flush_reads(*shards_[i]);
    absorb_reads(*shards_[i]);
    return shards_[i]->policy;
  }

  [[nodiscard]] cache_stats stats() const {
    cache_stats st;
    st.hits = shared_hits_.value();
    st.misses = shared_misses_.value();
    for (auto& sp : shards_) {
      st.hits += sp->hits.get();
      st.misses += sp->misses.get();
      st.evictions += sp->evictions.get();
      st.evicted_weight += sp->evicted_weight.get();
      st.expirations += sp->expirations.get();
    }
    st.loads = loads_.value();
    st.load_failures = load_failures_.value();
    st.size = size();
    st.weight = weight();
    st.capacity = opts_.capacity;
    st.load_ns = load_ns_.snapshot();
    return st;
  }

  /// Exports stats() as `<name>_hits_total`, `_misses_total`, ... on each scrape of `reg`,
  /// until this cache is destroyed.
  void register_metrics(metrics::registry& reg, std::string name) {
    metrics_handle_ = reg.add_collector([this, name = std::move(name)](metrics::exposition& out) {
      cache_stats s = stats();
      out.add_counter(name + "_hits_total", "Lookups that found a live entry.", {}, s.hits);
      out.add_counter(name + "_misses_total", "Lookups that found nothing.", {}, s.misses);
      out.add_counter(name + "_loads_total", "Loader calls that returned a value.", {}, s.loads);
      out.add_counter(name + "_load_failures_total", "Loader calls that threw.", {},
                      s.load_failures);
      out.add_counter(name + "_evictions_total", "Entries evicted by the policy.", {}, s.evictions);
      out.add_counter(name + "_evicted_weight_total", "Weight of the evicted entries.", {},
                      s.evicted_weight);
      out.add_counter(name + "_expirations_total", "Entries removed at their TTL.", {},
                      s.expirations);
      out.add_gauge(name + "_entries", "Entries in the cache.", {}, static_cast<double>(s.size));
      out.add_gauge(name + "_weight", "Total weight of the entries.", {},
                    static_cast<double>(s.weight));
      out.add_gauge(name + "_capacity", "Maximum total weight.", {},
                    static_cast<double>(s.capacity));
      out.add_histogram(name + "_load_seconds", "Loader run time.", {}, s.load_ns, {.scale = 1e-9});
    });
  }

 private:
  static constexpr bool unit_weight = std::is_same_v<weigher_type, weigh_unit>;
  static constexpr bool expiring = expiry_type::expires;
  static constexpr bool is_per_entry = expiring &&
                                       !std::is_same_v<expiry_type, expiry::after_write> &&
                                       !std::is_same_v<expiry_type, expiry::after_access>;
  // With locking::shared_reads and no expiry, get and contains take the shard's lock shared: a
  // reader writes only its own slot's cache line, where it logs its hits and misses for the
  // eviction policy (read_slot_lock.hpp). With expiry a read may remove an entry and advances
  // the timer wheel, so it takes the lock exclusively.
  static constexpr bool locks_reads_shared = requires { locking_type::read_shared; };
  static constexpr bool shared_reads = locks_reads_shared && locking_type::concurrent && !expiring;
  static constexpr std::uint8_t unlisted = 0xff;  // live, not yet in a policy list
  static constexpr std::chrono::nanoseconds no_ttl{-1};

  struct empty_weight {};
  struct stored_weight {
    std::uint32_t w = 0;
  };
  struct empty_timer {};

  // An entry. Key and value live in raw storage so that free nodes cost no construction;
  // links.queue != 0 marks a live node.
  struct node {
    detail::node_links links;
    [[no_unique_address]] std::conditional_t<unit_weight, empty_weight, stored_weight> wt;
    [[no_unique_address]] std::conditional_t<expiring, detail::timer_links, empty_timer> timer;
    alignas(K) std::byte key_buf[sizeof(K)];
    alignas(V) std::byte value_buf[sizeof(V)];

    node() noexcept {}
    node(node&& o) noexcept(
        std::is_nothrow_move_constructible_v<K>&& std::is_nothrow_move_constructible_v<V>)
        : links(o.links), wt(o.wt), timer(o.timer) {
      if (o.links.queue != 0) {
        ::new (static_cast<void*>(key_buf)) K(std::move(o.key()));
        ::new (static_cast<void*>(value_buf)) V(std::move(o.value()));
      }
    }
    node& operator=(node&&) = delete;
    ~node() {
      if (links.queue != 0) destroy();
    }
    K& key() noexcept { return *std::launder(reinterpret_cast<K*>(key_buf)); }
    V& value() noexcept { return *std::launder(reinterpret_cast<V*>(value_buf)); }
    void destroy() noexcept {
      key().~K();
      value().~V();
    }
  };

  // A shard's index from keys to nodes: it hashes nothing itself, so a lookup hands it the
  // hash computed once per operation, and a rebuild asks for each node's (table_hash_of).
  using table_type = detail::node_index;
  static constexpr auto no_position = table_type::npos;

  // What eviction policies and the timer wheel see of a shard's nodes.
  struct nodes_view {
    node* base;
    const hasher* hash_fn;
    detail::node_links& links(std::uint32_t i) noexcept { return base[i].links; }
    std::uint64_t weight(std::uint32_t i) const noexcept {
      if constexpr (unit_weight) {
        (void)i;
        return 1;
      } else {
        return base[i].wt.w;
      }
    }
    std::uint64_t hash(std::uint32_t i) const {
      return detail::mix64(static_cast<std::uint64_t>((*hash_fn)(base[i].key())));
    }
    auto& timer(std::uint32_t i) noexcept { return base[i].timer; }
  };

  // One caller's load of a key; others that miss on the key wait for it.
  struct flight {
    std::mutex mu;
    std::condition_variable cv;
    bool done = false;
    std::optional<V> value;
    std::exception_ptr error;
    bool invalidated = false;  // guarded by the shard's lock; set when taken out of inflight
    std::thread::id leader;    // the thread running the load
    // A refresh's entry (its node and deadline when the refresh started), and whether its
    // loader threw: the flight then stays in inflight, finished, holding the entry's next
    // refresh until retry_at (see hold_refresh). Guarded by the shard's lock.
    std::uint32_t held_node = detail::nil_node;
    std::int64_t held_deadline = 0;
    std::int64_t retry_at = 0;
    bool cooling = false;

    // Releases the waiters once; later calls do nothing. A value that cannot be copied for
    // them (its copy threw) reaches them as that exception.
    void finish(const std::optional<V>& v, std::exception_ptr e) noexcept {
      {
        std::lock_guard lock(mu);
        if (done) return;
        try {
          value = v;
        } catch (...) {
          e = std::current_exception();
        }
        error = std::move(e);
        done = true;
      }
      cv.notify_all();
    }
    V wait() {
      std::unique_lock lock(mu);
      cv.wait(lock, [this] { return done; });
      if (error) std::rethrow_exception(error);
      return *value;
    }
  };

  using policy_state = typename eviction_type::template state<nodes_view>;
  struct no_wheel {};
  using wheel_type = std::conditional_t<expiring, detail::timer_wheel, no_wheel>;

  static constexpr std::uint32_t read_batch = 32;
  // Logged for a hit the policy placed at once (hit_in_place): the replay needs only the hash.
  static constexpr std::uint32_t in_place = detail::nil_node - 1;

  // Reads a shared reader logged for the eviction policy, replayed by the next exclusive holder
  // of the shard before anything else (nil_node: a miss).
  struct read_log {
    std::uint32_t count = 0;
    // Hits that change nothing but the policy's hit count (plain_hit), and misses of a policy
    // that only counts them (on_plain_misses), summed here instead of logged.
    std::uint64_t plain_hits = 0;
    std::uint64_t plain_misses = 0;
    std::array<std::uint32_t, read_batch> nodes;
    std::array<std::uint64_t, read_batch> hashes;
  };
  using shard_lock = std::conditional_t<shared_reads, detail::read_slot_lock<read_log>,
                                        typename locking_type::mutex>;

  // A shard's entry count or weight: changed only under the shard's lock, read by size() and
  // weight() without it, so that a metrics scrape of a cache with hundreds of shards takes no
  // lock (a plain load and store each way on x86).
  class shard_total {
   public:
    // Inline by force: GCC left it a call, six of them a put.
    HOTPATH_ALWAYS_INLINE void add(std::uint64_t d) noexcept {
      v_.store(v_.load(std::memory_order_relaxed) + d, std::memory_order_relaxed);
    }
    [[nodiscard]] std::uint64_t get() const noexcept { return v_.load(std::memory_order_relaxed); }

   private:
    std::atomic<std::uint64_t> v_{0};
  };

  struct alignas(cache_line_size) shard {
    shard(cache& c, std::uint64_t cap, std::int64_t now)
        : mu(make_lock(c.reader_slots_)),
          capacity(cap),
          policy(make_policy(cap)),
          inflight(0, c.hash_),
          wheel(make_wheel(now)) {
      // One node more than the capacity: an insert into a full shard evicts after it links the
      // new node, and a vector grown for that one node would double.
      if constexpr (unit_weight) {
        nodes.reserve(static_cast<std::size_t>(std::min<std::uint64_t>(cap, 1u << 16) + 1));
        // An eighth more than the shard holds: erases from groups that inserts overflowed each
        // lower the index's load limit until it rebuilds, and a full shard that keeps evicting
        // would otherwise rebuild every few such erases.
        std::size_t most = static_cast<std::size_t>(std::min<std::uint64_t>(cap, 1ull << 32) + 1);
        table.expect(most + most / 8);
      }
    }
    static shard_lock make_lock(unsigned slots) {
      if constexpr (shared_reads) {
        return shard_lock(slots);
      } else {
        (void)slots;
        return {};
      }
    }
    // A weighted shard's capacity is a weight; a policy that can size itself by its entries
    // instead starts small and grows with them.
    static policy_state make_policy(std::uint64_t cap) {
      if constexpr (!unit_weight &&
                    std::is_constructible_v<policy_state, std::uint64_t, std::uint64_t>) {
        return policy_state(cap, std::min<std::uint64_t>(cap, 64));
      } else {
        return policy_state(cap);
      }
    }
    static wheel_type make_wheel(std::int64_t now) {
      if constexpr (expiring) {
        return detail::timer_wheel(now);
      } else {
        (void)now;
        return {};
      }
    }

    // The members an operation touches come first, packed so that a get reads three lines of
    // the shard and an insert two more: with 512 shards their lines do not all stay in L1.
    mutable shard_lock mu;
    // Hits not yet told to the eviction policy (see touch()); the log itself is further down.
    std::uint32_t reads = 0;
    // Hits only counted (hit_deferral::nothing) and misses only counted (count_miss), not yet
    // reported to the policy: in the lock's cache line, which such a read writes anyway.
    std::uint64_t plain_hits = 0;
    std::uint64_t plain_misses = 0;
    // The shard's part of stats(), changed under its lock: in that line too, a get's count
    // costs a load and a store where a per-thread metrics::counter cost 16 instructions.
    shard_total hits;
    shard_total misses;
    std::vector<node> nodes;
    table_type table;
    // What inserts and removals change.
    std::uint32_t free_head = detail::nil_node;
    std::uint64_t capacity;
    shard_total live;
    shard_total weight;
    shard_total evictions;
    shard_total evicted_weight;
    shard_total expirations;
    policy_state policy;
    std::unordered_map<K, std::shared_ptr<flight>, hasher> inflight;
    // inflight's size at which a failed refresh next sweeps out the holds that are over.
    std::size_t sweep_holds_at = 16;
    [[no_unique_address]] wheel_type wheel;
    std::array<std::uint32_t, read_batch> read_nodes;
    std::array<std::uint64_t, read_batch> read_hashes;
    // Scratch of expire(): table positions of the nodes being expired.
    std::vector<table_type::position> expiring_positions;
  };

  // Removed entries, told to the listener once the lock is released.
  struct removed {
    K key;
    V value;
    removal_cause cause;
  };
  using removals = std::vector<removed>;

  // refresh_ahead reloads an entry that close to its deadline, so it needs deadlines that only
  // writes set: after_access moves the deadline on every hit (a hot entry would never be
  // refreshed), and a refresh_ahead of the whole TTL or more would reload on every hit.
  void check_refresh_ahead() const {
    auto ra = opts_.refresh_ahead;
    if (ra == std::chrono::nanoseconds::zero()) return;
    if (ra < std::chrono::nanoseconds::zero()) {
      detail::throw_error("hotpath::cache: refresh_ahead must be >= 0, got ", ra.count(), " ns");
    }
    if (!expiring || expiry_type::on_access) {
      detail::throw_error(
          "hotpath::cache: refresh_ahead needs an expiry set by writes "
          "(after_write or per_entry)");
    }
    if (!is_per_entry && ra >= opts_.ttl) {
      detail::throw_error("hotpath::cache: refresh_ahead (", ra.count(),
                          " ns) must be shorter than ttl (", opts_.ttl.count(), " ns)");
    }
  }

  unsigned pick_shards() const {
    if constexpr (!locking_type::concurrent) {
      return 1;
    } else {
      if (opts_.shards != 0) {
        if (!std::has_single_bit(opts_.shards)) {
          detail::throw_error("hotpath::cache: shards must be a power of two, got ", opts_.shards);
        }
        if (opts_.shards > opts_.capacity) {
          detail::throw_error("hotpath::cache: ", opts_.shards, " shards for a capacity of ",
                              opts_.capacity, ": a shard would have no room");
        }
        return opts_.shards;
      }
      // Many more shards than threads. Two threads on a Zipf 0.99 read-heavy load
      // (benchmarks/cache, read_heavy, 2-vCPU VM; medians of alternating rounds): 256 shards ran
      // at 67 M/s with one thread and 89 with two, 512 at 76 and 104, 1024 at 75 and 105. (In an
      // earlier version, whose misses and puts wrote the policy's lines: 8 shards at 1.0-1.15x
      // one thread's rate, 64 at 1.34-1.49x, 256 at 1.42-1.47x.) Every shard's lock line goes
      // back and forth between the threads, so the more there are, the less often a thread finds
      // its shard's line taken; one thread keeps the shards' lines in its own cache only while
      // they are few enough. Keys fall on shards by hash, so a shard of s entries is full while
      // others have room: with a working set as large as the capacity, about 0.4 / sqrt(s) of it
      // cannot stay (3.5% at 128 entries a shard); mixed_zipf's hit ratio was 85.0% with 512 and
      // 1024 shards, 84.8-85.0% with 256. A weighted cache keeps fewer, larger shards (32 per
      // CPU, a capacity of 1024 or more each): an entry heavier than its shard's share is not
      // stored, and more shards would turn away big values that fit the cache.
      constexpr std::uint64_t per_cpu = unit_weight ? 256 : 32;
      constexpr std::uint64_t min_share = unit_weight ? 128 : 1024;
      std::uint64_t by_cpu = std::bit_ceil(per_cpu * detail::cpu_count_for_shards());
      std::uint64_t by_size =
          std::bit_floor(std::max<std::uint64_t>(1, opts_.capacity / min_share));
      return static_cast<unsigned>(std::min<std::uint64_t>({by_cpu, by_size, 1024}));
    }
  }

  // The table's hash of a key whose mixed hash is m. The shard is picked by m's high bits and
  // the table places a key by its hash's high bits too, so the table gets m times an odd
  // constant: its high bits depend on all of m's, and its low byte (the table's tag) is a
  // bijection of m's low byte.
  static constexpr std::size_t table_hash_of(std::uint64_t m) noexcept {
    return static_cast<std::size_t>(m * 0x9e3779b97f4a7c15ull);
  }
  // {the table's hash, the mixed hash (for the shard and the frequency sketch)}.
  std::pair<std::size_t, std::uint64_t> hashes(const K& k) const {
    std::uint64_t m = detail::mix64(static_cast<std::uint64_t>(hash_(k)));
    return {table_hash_of(m), m};
  }
  shard& shard_for(std::uint64_t m) noexcept {
    // m's top log2(shards) bits: shifting by one first keeps the count under 64 for one shard,
    // so that no test for that case sits on every operation.
    return *shards_[static_cast<std::size_t>((m >> 1) >> shard_shift_)];
  }
  nodes_view view(shard& s) noexcept { return {s.nodes.data(), &hash_}; }

  std::int64_t now_ns() const {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(clock_.now().time_since_epoch())
        .count();
  }

  // What an operation on one key has while it holds the key's shard lock.
  struct locked_key {
    shard& s;
    std::size_t h;       // the table's hash
    std::uint64_t m;     // its mix, for the shard and the frequency sketch
    std::int64_t now;    // the clock in ns (0 without expiry)
    removals& ev;        // removals to report once the lock is released
    bool wrote = false;  // a value replaced k's (set by replace(), which may throw after it)
  };

  // Runs f(locked_key&) under k's shard lock, after advancing the shard's timer wheel, and tells
  // the listener of the removals once the lock is released.
  template <class F>
  auto with_key(const K& k, F&& f) {
    removals ev;
    auto result = under_lock_told(k, ev, std::forward<F>(f));
    notify(ev);
    return result;
  }

  // with_key for a get or a contains. Without expiry they remove nothing, so there is no
  // listener to tell: no call to notify().
  template <class F>
  auto read_key(const K& k, F&& f) {
    if constexpr (expiring) {
      return with_key(k, std::forward<F>(f));
    } else {
      removals none;
      return under_lock(k, none, std::forward<F>(f));
    }
  }

  // under_lock that, with expiry, still tells the listener of the entries the wheel reclaimed
  // when the operation then throws (a key's operator==, a value's copy, an allocation), before
  // the exception reaches the caller. Without expiry nothing is removed before an operation's
  // own work, and operations that may throw after removing (put) catch in f themselves: the
  // handler would cost gets without expiry 6% (see under_lock).
  template <class F>
  auto under_lock_told(const K& k, removals& ev, F&& f) {
    if constexpr (expiring) {
      try {
        return under_lock(k, ev, std::forward<F>(f));
      } catch (...) {
        tell_and_rethrow(ev);
      }
    } else {
      return under_lock(k, ev, std::forward<F>(f));
    }
  }

  // Runs f(shard&, removals&) on every shard in turn under its exclusive lock, then tells the
  // listener of all the removals; if a shard's step throws, of those made before it.
  template <class F>
  void for_each_shard(F&& f) {
    removals ev;
    try {
      for (auto& sp : shards_) {
        exclusive lock(*this, *sp);
        f(*sp, ev);
      }
    } catch (...) {
      tell_and_rethrow(ev);
    }
    notify(ev);
  }

  // Tells the listener of `ev` and rethrows the exception being handled; one the listener
  // throws is dropped: the operation's own reaches the caller.
  [[noreturn]] void tell_and_rethrow(removals& ev) {
    std::exception_ptr failed = std::current_exception();
    try {
      notify(ev);
    } catch (...) {
    }
    std::rethrow_exception(failed);
  }

  // with_key without telling the listener: the removals are left in `ev`. An operation whose
  // own work may throw after the wheel's advance reclaimed entries catches that exception in f
  // and rethrows it after the listener has heard them (a handler here would keep `ev` out of
  // registers on every get: about 10 instructions, 6% of get_hit's rate).
  template <class F>
  auto under_lock(const K& k, removals& ev, F&& f) {
    const auto hm = hashes(k);  // a pair, not a structured binding: clang 14 cannot capture those
    shard& s = shard_for(hm.second);
    exclusive lock(*this, s);
    locked_key at{s, hm.first, hm.second, maintain(s, ev), ev};
    return f(at);
  }

  // Advances the shard's timer wheel; returns the time read (0 without expiry).
  std::int64_t maintain(shard& s, removals& ev) {
    if constexpr (expiring) {
      std::int64_t now = now_ns();
      auto v = view(s);
      s.wheel.advance(v, now, [&](std::span<const std::uint32_t> due, std::size_t& done) {
        expire(s, due, done, ev);
      });
      return now;
    } else {
      (void)s;
      (void)ev;
      return 0;
    }
  }

  // The index of k's node, or nil_node; h is the table's hash of k.
  HOTPATH_ALWAYS_INLINE std::uint32_t find_node(shard& s, const K& k, std::size_t h) {
    auto p = s.table.find(h, [&](std::uint32_t i) { return k == s.nodes[i].key(); });
    return p == no_position ? detail::nil_node : s.table.at(p);
  }

  // The index of k's node if live; an expired node found on the way is removed.
  std::uint32_t live_index(locked_key& at, const K& k) {
    std::uint32_t i = find_node(at.s, k, at.h);
    if (i == detail::nil_node) return i;
    if constexpr (expiring) {
      if (at.s.nodes[i].timer.at <= at.now) {
        remove(at.s, i, removal_cause::expired, at.ev);
        return detail::nil_node;
      }
    }
    return i;
  }

  // A hit is told to the eviction policy later, in a batch of read_batch hits (and before
  // anything else the policy sees, so its order of events is the same): the batch fetches the
  // list neighbours and sketch lines of all its nodes before it moves any, so their cache
  // misses overlap instead of each hit waiting for its own. A policy with hit_in_place handles
  // what it can of the hit now, while the node is in cache (w_tinylfu: a protected entry's
  // mark), ahead of the batch's older hits; that only matters to a mark the replay of an older
  // hit could clear, and only until the clock's next round.
  void touch(locked_key& at, std::uint32_t i) {
    shard& s = at.s;
    auto v = view(at.s);
    // With after_access, room in the timer's new bucket first: a hit that cannot file its timer
    // changes nothing.
    [[maybe_unused]] std::int64_t due = 0;
    [[maybe_unused]] std::uint16_t bucket = 0;
    if constexpr (expiry_type::on_access) {
      due = deadline(at.now, opts_.ttl);
      bucket = s.wheel.prepare(due, at.now);
    }
    std::uint32_t logged = i;
    if constexpr (requires { s.policy.hit_in_place(v, i); }) {
      switch (s.policy.hit_in_place(v, i)) {
        case eviction::hit_deferral::node:
          break;
        case eviction::hit_deferral::hash:
          logged = in_place;
          break;
        case eviction::hit_deferral::nothing:
          ++s.plain_hits;
          logged = detail::nil_node;
      }
    }
    if (logged != detail::nil_node) {
      s.read_nodes[s.reads] = logged;
      s.read_hashes[s.reads] = at.m;
      if (++s.reads == read_batch) flush_reads(s);
    }
    if constexpr (expiry_type::on_access) {
      s.wheel.unschedule(v, i);
      s.nodes[i].timer.at = due;
      s.wheel.schedule_at(v, i, bucket);
    }
  }

  // Whether a hit on node i at `now` reloads it. With per_entry, an entry whose own TTL is
  // under twice refresh_ahead is reloaded in the second half of its life instead: else its every
  // hit would reload it (each reload's TTL puts it within refresh_ahead of its deadline again),
  // as fast as the loader runs, for as long as the key is read.
  bool refresh_due(shard& s, std::uint32_t i, std::int64_t now) const {
    if constexpr (expiring) {
      if (opts_.refresh_ahead <= std::chrono::nanoseconds::zero()) return false;
      node& n = s.nodes[i];
      std::int64_t lead = opts_.refresh_ahead.count();
      if (now < n.timer.at - lead) return false;  // no overflow: a deadline is not near the minimum
      if constexpr (is_per_entry) {
        // The TTL the entry was written with: the function's, for the same key and value (one
        // of zero or less, an entry expired at once, is no lead at all).
        std::int64_t half = ttl_for(n.key(), n.value(), no_ttl).count() / 2;
        lead = std::clamp<std::int64_t>(half, 0, lead);
        return now >= n.timer.at - lead;
      } else {
        return true;
      }
    } else {
      (void)s;
      (void)i;
      (void)now;
      return false;
    }
  }

  // A TTL of zero or less (from a per_entry function) has the entry expire at once.
  static std::int64_t deadline(std::int64_t now, std::chrono::nanoseconds ttl) noexcept {
    constexpr auto max = std::numeric_limits<std::int64_t>::max();
    if (ttl.count() <= 0) return now;
    return now >= 0 && ttl.count() >= max - now ? max : now + ttl.count();
  }

  // A duration in nanoseconds, clamped to the range they hold: a cast of hours::max() would
  // wrap around to a negative TTL.
  template <class Rep, class Period>
  static std::chrono::nanoseconds saturating_ns(std::chrono::duration<Rep, Period> d) noexcept {
    using ns = std::chrono::nanoseconds;
    using wide = std::chrono::duration<long double, std::nano>;
    if (wide(d) >= wide(ns::max())) return ns::max();
    if (wide(d) <= wide(ns::min())) return ns::min();
    return std::chrono::duration_cast<ns>(d);
  }

  std::chrono::nanoseconds ttl_for(const K& k, const V& v, std::chrono::nanoseconds ttl) const {
    if constexpr (is_per_entry) {
      auto t = expiry_.ttl_of(k, v);
      if constexpr (std::is_floating_point_v<typename decltype(t)::rep>) {
        if (std::isnan(t.count())) {
          detail::throw_error("hotpath::cache: the per_entry TTL function returned NaN");
        }
      }
      return saturating_ns(t);
    } else {
      return ttl >= std::chrono::nanoseconds::zero() ? ttl : opts_.ttl;
    }
  }

  // The deadline of an entry written now (0 without expiry).
  std::int64_t due_for(const K& k, const V& v, std::int64_t now,
                       std::chrono::nanoseconds ttl) const {
    if constexpr (expiring) {
      return deadline(now, ttl_for(k, v, ttl));
    } else {
      (void)k;
      (void)v;
      (void)now;
      (void)ttl;
      return 0;
    }
  }

  std::uint64_t weigh(const K& k, const V& v) const {
    if constexpr (unit_weight) {
      return 1;
    } else if constexpr (std::is_invocable_v<const weigher_type&, const K&, const V&>) {
      return static_cast<std::uint64_t>(weigher_(k, v));
    } else {
      (void)k;
      return static_cast<std::uint64_t>(weigher_(v));
    }
  }

  bool put_impl(K&& k, V&& v, std::chrono::nanoseconds ttl, bool only_if_absent) {
    std::uint64_t w = weigh(k, v);
    std::exception_ptr failed;  // rethrown once the listener has heard what was removed
    bool stored = with_key(k, [&](locked_key& at) {
      std::uint32_t i = live_index(at, k);
      if (i != detail::nil_node && only_if_absent) return false;  // a refresh of k goes on
      auto pending = find_flight(at.s, k);
      bool kept = false;
      try {
        kept = store(at, i, std::move(k), std::move(v), w, ttl);
      } catch (...) {
        // A heavier value whose eviction failed stays stored: it wins over a load of k in flight
        // (and a failed refresh's hold) as a put that returns does.
        failed = std::current_exception();
        if (at.wrote) abandon(at.s, pending);
        return false;
      }
      abandon(at.s, pending);  // even if the value was too heavy to keep: it replaced k's
      return kept;
    });
    if (failed) std::rethrow_exception(failed);
    return stored;
  }

  // Writes v for k under the shard lock: over the live entry i, or as a new entry. false if a
  // new entry was too heavy to keep.
  bool store(locked_key& at, std::uint32_t i, K&& k, V&& v, std::uint64_t w,
             std::chrono::nanoseconds ttl) {
    if constexpr (!unit_weight) {
      // A heavier value whose eviction failed left the shard over its capacity (replace()).
      // The excess goes first, so that this write fails without storing or stores for good,
      // within the capacity. It may evict k's own entry.
      if (at.s.weight.get() > at.s.capacity) [[unlikely]] {
        evict_to(at.s, at.s.capacity, at.ev);
        if (i != detail::nil_node && at.s.nodes[i].links.queue == 0) i = detail::nil_node;
      }
    }
    if (i != detail::nil_node) {
      replace(at, i, std::move(v), w, ttl);
      return true;
    }
    return insert(at.s, std::move(k), std::move(v), w, at.m, at.now, ttl, at.ev);
  }

  // A new value for the live entry i. To the policy it is one more access, deferred like a get's
  // (touch), so that putting a hot key writes no line of the policy's; only a heavier value has
  // to evict.
  void replace(locked_key& at, std::uint32_t i, V&& v, std::uint64_t w,
               std::chrono::nanoseconds ttl) {
    shard& s = at.s;
    node& n = s.nodes[i];
    if (w > s.capacity || w > std::numeric_limits<std::uint32_t>::max()) {
      // Too heavy to keep: the old entry is replaced and the new one evicted at once. Room for
      // both records first, so that the listener hears both or the put changes nothing.
      K key = n.key();
      room_for(at.ev, 2);
      remove(s, i, removal_cause::replaced, at.ev);
      reject(s, std::move(key), std::move(v), w, at.ev);
      return;
    }
    // The new deadline first: a per_entry TTL function that throws then changes nothing.
    // (With after_access, touch() sets it.)
    [[maybe_unused]] std::int64_t due = due_for(n.key(), v, at.now, ttl);
    // Room first, in the timer's bucket (with after_access, touch() files it there again, and
    // finds the room) and in the listener's list, so that nothing fails once the value changed.
    [[maybe_unused]] std::uint16_t bucket = 0;
    if constexpr (expiring) bucket = s.wheel.prepare(due, at.now);
    room_for(at.ev, 1);
    if (opts_.on_removal) {
      at.ev.push_back({n.key(), std::move_if_noexcept(n.value()), removal_cause::replaced});
    }
    n.value() = std::move(v);
    at.wrote = true;
    bool heavier = false;
    if constexpr (!unit_weight) {
      std::uint64_t old = n.wt.w;
      if (w != old) {
        auto nv = view(s);
        n.wt.w = static_cast<std::uint32_t>(w);
        s.weight.add(w - old);  // modulo 2^64: a lighter value subtracts
        s.policy.on_reweigh(nv, i, old, w);
        heavier = w > old;
      }
    }
    touch(at, i);  // with expiry::after_access, this also sets the new deadline
    if constexpr (expiring && !expiry_type::on_access) {
      auto nv = view(s);
      s.wheel.unschedule(nv, i);
      n.timer.at = due;
      s.wheel.schedule_at(nv, i, bucket);
    }
    // If this eviction fails (room for the listener's records, the user's hash in a duel), the
    // new value stays and the shard over its capacity until the next write (see store()).
    if (heavier) evict_to(s, s.capacity, at.ev);
  }

  // false if the entry is too heavy to keep (told to the listener as evicted at once).
  bool insert(shard& s, K&& k, V&& v, std::uint64_t w, std::uint64_t m, std::int64_t now,
              std::chrono::nanoseconds ttl, removals& ev) {
    if (w > s.capacity || w > std::numeric_limits<std::uint32_t>::max()) {
      reject(s, std::move(k), std::move(v), w, ev);
      return false;
    }
    // The deadline and the room in its timer bucket first: a per_entry TTL function that throws,
    // or a bucket that cannot grow, then changes nothing.
    [[maybe_unused]] std::int64_t due = due_for(k, v, now, ttl);
    [[maybe_unused]] std::uint16_t bucket = 0;
    if constexpr (expiring) bucket = s.wheel.prepare(due, now);
    // The nodes the eviction will read are fetched while the table insert runs. (Prefetching
    // more, the new key's sketch line, the free node or the lists' tails, measured no faster.)
    if constexpr (requires(nodes_view nv) { s.policy.prefetch_eviction(nv); }) {
      auto pv = view(s);
      s.policy.prefetch_eviction(pv);
    }
    flush_reads(s);
    std::uint32_t i = allocate(s);
    node& n = s.nodes[i];
    ::new (static_cast<void*>(n.key_buf)) K(std::move(k));
    try {
      ::new (static_cast<void*>(n.value_buf)) V(std::move(v));
    } catch (...) {
      n.key().~K();
      release(s, i);
      throw;
    }
    n.links.queue = unlisted;
    if constexpr (!unit_weight) n.wt.w = static_cast<std::uint32_t>(w);
    try {
      // The index stays at most 60% full: a full shard that keeps evicting erases and inserts
      // all the time, and at that load groups rarely overflow, so the rebuilds that undo the
      // overflow marks of erased entries are rare (with boost's table at up to 87.5%, they came
      // every few dozen evictions: 4% of mixed_zipf's time).
      s.table.prepare_insert([&](std::uint32_t j) { return table_hash_of(view(s).hash(j)); });
      s.table.insert(table_hash_of(m), i);
    } catch (...) {
      n.destroy();
      n.links.queue = 0;
      release(s, i);
      throw;
    }
    auto nv = view(s);
    s.policy.on_insert(nv, i, m);
    s.weight.add(w);
    s.live.add(1);
    if constexpr (expiring) {
      n.timer.at = due;
      s.wheel.schedule_at(nv, i, bucket);
    }
    try {
      evict_to(s, s.capacity, ev);
    } catch (...) {
      // An eviction failed (room for the listener's record, a copy for it, the user's hash in
      // an admission duel): the new entry comes back out unheard, so that the put stores
      // nothing; what was evicted before the failure stays evicted and is told.
      if (n.links.queue != 0) {
        auto at = position_of(s, i);
        drop(s, i);
        s.table.erase(at);
      }
      throw;
    }
    return true;
  }

  void reject(shard& s, K&& k, V&& v, std::uint64_t w, removals& ev) {
    // The record first: if it cannot be made, nothing was counted.
    if (opts_.on_removal) ev.push_back({std::move(k), std::move(v), removal_cause::evicted});
    s.evictions.add(1);
    s.evicted_weight.add(w);
  }

  std::uint32_t allocate(shard& s) {
    if (s.free_head != detail::nil_node) {
      std::uint32_t i = s.free_head;
      s.free_head = s.nodes[i].links.next;
      s.nodes[i].links = detail::node_links{};
      return i;
    }
    if (s.nodes.size() >= detail::nil_node - 1) {
      detail::throw_error("hotpath::cache: more than 2^32 - 2 entries in one shard");
    }
    s.nodes.emplace_back();
    return static_cast<std::uint32_t>(s.nodes.size() - 1);
  }
  void release(shard& s, std::uint32_t i) noexcept {
    s.nodes[i].links.queue = 0;
    s.nodes[i].links.next = s.free_head;
    s.free_head = i;
  }

  // A get's miss. A policy that only counts misses (on_plain_misses) gets it later in a sum kept
  // in the lock's line, as plain hits are, so that the miss writes no line of the policy's:
  // with two threads that line went back and forth on every miss (a fifth of read_heavy's
  // gets). Others hear it now, after the hits before it.
  void count_miss(locked_key& at) {
    if constexpr (requires { at.s.policy.on_plain_misses(std::uint64_t{}); }) {
      ++at.s.plain_misses;
    } else {
      flush_reads(at.s);
      at.s.policy.on_miss(at.m);
    }
    at.s.misses.add(1);
  }

  // Tells the policy of the hits that changed nothing but the hit count and of the misses only
  // counted, and zeroes both sums.
  void report_plain(shard& s, std::uint64_t& hits, std::uint64_t& misses) noexcept {
    if constexpr (requires { s.policy.on_plain_misses(misses); }) {
      if (misses != 0) {
        s.policy.on_plain_misses(misses);
        misses = 0;
      }
    } else {
      (void)misses;
    }
    if constexpr (requires(nodes_view nv) { s.policy.on_plain_hits(nv, hits); }) {
      if (hits != 0) {
        auto nv = view(s);
        s.policy.on_plain_hits(nv, hits);
        hits = 0;
      }
    }
  }

  // Tells the policy what the shard still owes it. Most calls owe nothing: an insert flushes,
  // then its eviction and each removal flush again. The test is inline and the work is not, so
  // that such a call costs a few instructions instead of a call that saves and restores every
  // register (about 50 instructions, three times a miss on mixed_zipf).
  HOTPATH_ALWAYS_INLINE void flush_reads(shard& s) noexcept {
    if ((s.plain_hits | s.plain_misses | s.reads) != 0) flush_owed(s);
  }
  HOTPATH_NOINLINE void flush_owed(shard& s) noexcept {
    report_plain(s, s.plain_hits, s.plain_misses);
    if (s.reads == 0) return;
    std::uint32_t n = s.reads;
    s.reads = 0;
    replay(s, s.read_nodes.data(), s.read_hashes.data(), n);
  }

  // Tells the policy of the reads the shard's shared readers logged; the caller holds the lock
  // exclusively. The shard's own batch is older, so it goes first.
  void absorb_reads(shard& s) noexcept {
    if constexpr (shared_reads) {
      flush_reads(s);
      s.mu.for_each_payload([&](read_log& log) {
        report_plain(s, log.plain_hits, log.plain_misses);
        if (log.count == 0) return;
        std::uint32_t n = log.count;
        log.count = 0;
        replay(s, log.nodes.data(), log.hashes.data(), n);
      });
    } else {
      (void)s;
    }
  }

  // Replays n reads (nil_node: a miss) into the policy. Every hit's list neighbours and sketch
  // line are fetched before any node moves, so their cache misses overlap.
  void replay(shard& s, const std::uint32_t* nodes, const std::uint64_t* hash,
              std::uint32_t n) noexcept {
    auto nv = view(s);
    for (std::uint32_t k = 0; k < n; ++k) {
      if (nodes[k] == detail::nil_node) continue;
      if (nodes[k] != in_place) {
        const detail::node_links& l = nv.links(nodes[k]);
        if (l.prev != detail::nil_node) detail::prefetch(&nv.links(l.prev));
        if (l.next != detail::nil_node) detail::prefetch(&nv.links(l.next));
      }
      if constexpr (requires { s.policy.prefetch(hash[k]); }) s.policy.prefetch(hash[k]);
    }
    for (std::uint32_t k = 0; k < n; ++k) {
      if (nodes[k] == detail::nil_node) {
        s.policy.on_miss(hash[k]);
      } else if (nodes[k] == in_place) {
        if constexpr (requires { s.policy.on_access_in_place(nv, hash[k]); })
          s.policy.on_access_in_place(nv, hash[k]);
      } else {
        s.policy.on_access(nv, nodes[k], hash[k]);
      }
    }
  }

  // Holds a shard's lock exclusively, with its shared readers' reads told to the policy.
  class exclusive {
   public:
    exclusive(cache& c, shard& s) noexcept : s_(s) {
      s.mu.lock();
      if constexpr (shared_reads) {
        if (s.mu.read_before()) c.absorb_reads(s);
      }
    }
    exclusive(const exclusive&) = delete;
    exclusive& operator=(const exclusive&) = delete;
    ~exclusive() { s_.mu.unlock(); }

   private:
    shard& s_;
  };

  enum class shared_result { hit, miss, busy };

  // Whether reads take the shared path. Until a second thread reads they do not: the reader
  // slot costs one thread a cache line per get (read_heavy's one-thread rate was 18% lower
  // through it) for nothing while no other thread reads.
  bool read_shared() noexcept {
    if (threads_.shared.load(std::memory_order_relaxed)) return true;
    unsigned me = detail::thread_slot();
    unsigned owner = threads_.owner.load(std::memory_order_relaxed);
    if (owner == me) return false;
    if (owner == 0 &&
        threads_.owner.compare_exchange_strong(owner, me, std::memory_order_relaxed)) {
      return false;
    }
    threads_.shared.store(true, std::memory_order_relaxed);
    return true;
  }

  // get under the shared lock: `out` gets the value on a hit. A miss is logged (and counted)
  // only if log_miss. busy: the lock was not free for reading, or this slot's log is full;
  // nothing was done and the caller takes the exclusive path.
  shared_result shared_get(const K& k, std::optional<V>& out, bool log_miss) {
    const auto hm = hashes(k);
    shard& s = shard_for(hm.second);
    std::uint32_t i;
    {
      typename shard_lock::scoped_reader r(s.mu, detail::thread_slot());
      if (!r) return shared_result::busy;
      read_log& log = r.payload();
      i = find_node(s, k, hm.first);
      if (i == detail::nil_node && !log_miss) return shared_result::miss;
      auto nv = view(s);
      bool plain = false;
      if (i == detail::nil_node) {
        plain = requires {
          s.policy.on_plain_misses(std::uint64_t{});
        };
      } else if constexpr (requires { s.policy.plain_hit(nv, i); }) {
        plain = s.policy.plain_hit(nv, i);
      }
      if (!plain && log.count == read_batch) return shared_result::busy;
      if (i != detail::nil_node) out.emplace(s.nodes[i].value());
      if (plain) {
        ++(i == detail::nil_node ? log.plain_misses : log.plain_hits);
      } else {
        log.nodes[log.count] = i;
        log.hashes[log.count] = hm.second;
        ++log.count;
      }
    }
    if (i == detail::nil_node) {
      shared_misses_.inc();
      return shared_result::miss;
    }
    shared_hits_.inc();
    return shared_result::hit;
  }

  void evict_to(shard& s, std::uint64_t limit, removals& ev) {
    flush_reads(s);
    auto nv = view(s);
    // A policy that hashed the node it evicts (an admission duel) hands over that mixed hash.
    s.policy.evict(nv, limit, [&](std::uint32_t i, auto... m) {
      remove(s, i, removal_cause::evicted, ev, m...);
    });
  }

  // Removes node i (whose mixed hash is m, if given). Only the listener's copy of the entry can
  // throw, and then nothing changed.
  template <class... Hash>
  void remove(shard& s, std::uint32_t i, removal_cause cause, removals& ev, Hash... m) {
    room_for(ev, 1);
    auto at = position_of(s, i, m...);
    forget(s, i, cause, ev);
    s.table.erase(at);
  }

  // Node i's place in the table, found by its key's hash; if the user's hash throws (for a key
  // it hashed before), by a scan of the table, so that a removal under way (an eviction, the
  // wheel's expiry of a whole bucket) is never left half done.
  table_type::position position_of(shard& s, std::uint32_t i) {
    try {
      return position_of(s, i, view(s).hash(i));
    } catch (...) {
    }
    return scan_position(s, i);
  }
  // Node i's place in the table, given its mixed hash m.
  table_type::position position_of(shard& s, std::uint32_t i, std::uint64_t m) noexcept {
    auto p = s.table.find(table_hash_of(m), [i](std::uint32_t j) { return j == i; });
    return p != no_position ? p : scan_position(s, i);
  }
  static table_type::position scan_position(shard& s, std::uint32_t i) noexcept {
    if (auto p = s.table.scan_for(i); p != no_position) return p;
    std::terminate();  // every live node is in the table: erasing no position would corrupt it
  }

  // Grows the listener's list before a removal starts, so that the push_back in forget() cannot
  // throw halfway through (a node unlinked and uncounted but still holding its entry).
  void room_for(removals& ev, std::size_t n) const {
    if (opts_.on_removal && ev.capacity() - ev.size() < n)
      ev.reserve(std::max(ev.size() + n, 2 * ev.capacity()));
  }

  // Removes the expired nodes `due` (off the wheel already), counting them in `done` (if one
  // throws, the wheel keeps the rest for its next tick). The table lookups of a whole batch run
  // first, back to back, so that their cache misses overlap instead of queueing behind the list and
  // listener work of each removal; then each node goes by its table position.
  void expire(shard& s, std::span<const std::uint32_t> due, std::size_t& done, removals& ev) {
    auto& found = s.expiring_positions;
    found.clear();
    found.reserve(due.size());
    room_for(ev, due.size());
    // By the node's index: a key not equal to itself (NaN) would not be found by key, and
    // erasing end() is undefined.
    for (std::uint32_t i : due)
      found.push_back(position_of(s, i));
    for (std::size_t j = 0; j < due.size(); ++j) {
      forget(s, due[j], removal_cause::expired, ev);
      s.table.erase(found[j]);
      ++done;
    }
  }

  // Everything of removing node i but its hash-table entry. The listener's record comes first,
  // moved if neither key nor value can throw in a move, copied otherwise: a copy that throws
  // then changes nothing (a key moved out before the value's copy threw would leave a live
  // entry with an emptied key).
  // (The caller made room in `ev`, so the push_back itself does not allocate.)
  void forget(shard& s, std::uint32_t i, removal_cause cause, removals& ev) {
    flush_reads(s);
    node& n = s.nodes[i];
    if (opts_.on_removal) {
      if constexpr (std::is_nothrow_move_constructible_v<K> &&
                    std::is_nothrow_move_constructible_v<V>) {
        ev.push_back({std::move(n.key()), std::move(n.value()), cause});
      } else {
        ev.push_back({n.key(), n.value(), cause});  // a throw leaves the node whole
      }
    }
    std::uint64_t w = drop(s, i);
    if (cause == removal_cause::evicted) {
      s.evictions.add(1);
      s.evicted_weight.add(w);
    } else if (cause == removal_cause::expired) {
      s.expirations.add(1);
    }
  }

  // Takes node i out of the policy, the wheel and the shard's totals, and frees it (not out of
  // the table); returns its weight.
  HOTPATH_ALWAYS_INLINE std::uint64_t drop(shard& s, std::uint32_t i) {
    auto nv = view(s);
    std::uint64_t w = nv.weight(i);
    s.policy.on_remove(nv, i);
    if constexpr (expiring) s.wheel.unschedule(nv, i);
    s.weight.add(0 - w);
    s.live.add(0 - std::uint64_t{1});
    s.nodes[i].destroy();
    release(s, i);
    return w;
  }

  using flight_position = typename decltype(shard::inflight)::iterator;
  // A write of k abandons a load of k in flight, so that the older loaded value is not stored
  // over it; a write that fails leaves the load to store its value. The flight is looked up
  // before the write, where a key comparison that throws changes nothing, and abandoned after
  // it (writes do not touch the flights, so the position holds).
  static flight_position find_flight(shard& s, const K& k) {
    return s.inflight.empty() ? s.inflight.end() : s.inflight.find(k);
  }
  static void abandon(shard& s, flight_position it) noexcept {
    if (it == s.inflight.end()) return;
    it->second->invalidated = true;
    s.inflight.erase(it);
  }

  // Runs the loader of a flight this caller leads; its waiters get the result or the exception.
  // The value is stored unless a write of k came first (abandon() marked the flight).
  // The waiters are released and the flight unregistered on every way out: if storing the
  // value throws (a copy, a TTL function), the waiters still get the loaded value and this
  // caller gets the exception, after the listener has heard what was removed.
  // With still_thrown given (a refresh, which swallows the exception run_load throws), every
  // failure but the loader's goes there too, so that the refresh can rethrow it: storing the
  // value, the cache's own (the wheel's advance, a key comparison), a listener's.
  template <class F>
  V run_load(const K& k, shard& s, flight& f, F&& loader,
             std::exception_ptr* still_thrown = nullptr) {
    // A clock whose now() throws must not keep the flight from finishing: the load's time is
    // then recorded as 0.
    using time_point = typename clock_type::time_point;
    auto read_clock = [this]() noexcept -> std::optional<time_point> {
      try {
        return clock_.now();
      } catch (...) {
        return std::nullopt;
      }
    };
    std::optional<time_point> start = read_clock();
    std::optional<V> v;
    std::exception_ptr error;
    try {
      if constexpr (std::is_invocable_v<F&, const K&>) {
        v.emplace(loader(k));
      } else {
        v.emplace(loader());
      }
    } catch (...) {
      error = std::current_exception();
    }
    // Counted before the waiters are released, so that a caller who waited for this load finds
    // it in stats() once it has the value. A clock that stepped back (system_clock) records 0,
    // not a negative time.
    using span = decltype(*start - *start);
    std::optional<time_point> end = read_clock();
    count_load(start && end ? std::max(*end - *start, span::zero()) : span::zero(),
               error != nullptr);
    std::exception_ptr store_error;
    removals ev;
    try {
      under_lock(k, ev, [&](locked_key& at) {
        if (!error || still_thrown == nullptr || !hold_refresh(at, k, f)) drop_flight(at.s, k, f);
        if (!error && !f.invalidated) {
          try {
            store(at, live_index(at, k), K(k), V(*v), weigh(k, *v), no_ttl);
          } catch (...) {
            store_error = std::current_exception();
          }
        }
        f.finish(v, error);  // before the listener runs: it may throw
        return 0;
      });
    } catch (...) {
      // The wheel's advance threw, or the lambda's lookup of the flight did (a key's
      // operator==), so the flight may still be registered. The waiters are released and the
      // flight unregistered (by identity: comparing keys again could throw again) before the
      // listener hears what the advance removed, since it may get_or_load this key.
      // The cache's own failure reaches the caller even from a refresh (via still_thrown),
      // as it would from a get; the loader's, if it failed too, is what this call throws.
      std::exception_ptr own = std::current_exception();
      f.finish(v, error);
      {
        exclusive lock(*this, s);
        forget_flight(s, f);
      }
      try {
        notify(ev);
      } catch (...) {
      }
      if (still_thrown != nullptr) *still_thrown = own;
      std::rethrow_exception(error ? error : own);
    }
    std::exception_ptr heard;
    try {
      notify(ev);
    } catch (...) {
      heard = std::current_exception();
    }
    if (still_thrown != nullptr) *still_thrown = store_error ? store_error : heard;
    if (error) std::rethrow_exception(error);
    if (store_error) std::rethrow_exception(store_error);
    if (heard && still_thrown == nullptr) std::rethrow_exception(heard);
    return std::move(*v);
  }

  template <class Duration>
  void count_load(Duration took, bool failed) noexcept {
    // A thread's first metric page may fail to allocate; the load's own outcome matters more.
    try {
      load_ns_.record(took);
      (failed ? load_failures_ : loads_).inc();
    } catch (...) {
    }
  }

  // Unregisters f, unless a write or clear() has already (invalidated). By key, or by identity
  // for a key not equal to itself (NaN), which the map cannot find.
  static void drop_flight(shard& s, const K& k, flight& f) {
    if (f.invalidated) return;
    if (auto it = s.inflight.find(k); it != s.inflight.end() && it->second.get() == &f) {
      s.inflight.erase(it);
      return;
    }
    forget_flight(s, f);
  }
  // A refresh whose loader threw holds the entry's next refresh until half the time left to its
  // deadline has passed (as DHCP retries a lease's renewal): while a backend is down, a hot
  // entry is reloaded a few times before it expires (at most about log2 of refresh_ahead over
  // the loader's time), not once per hit, and no hit waits on a load bound to fail. The flight
  // stays registered, finished, as the hold: a miss or a hit once the hold is over replaces it,
  // a write or erase of k drops it, and a failed refresh that finds inflight grown sweeps out
  // the holds that are over. False if there is nothing to hold (a write came, the entry is due,
  // or the key is not equal to itself, so that no hit can find the hold): the flight goes.
  bool hold_refresh(locked_key& at, const K& k, flight& f) {
    shard& s = at.s;
    if (f.invalidated || f.held_deadline <= at.now) return false;
    auto it = s.inflight.find(k);
    if (it == s.inflight.end() || it->second.get() != &f) return false;
    // The deadline is after now, so their difference fits in 64 unsigned bits.
    auto left = static_cast<std::uint64_t>(f.held_deadline) - static_cast<std::uint64_t>(at.now);
    f.retry_at = at.now + static_cast<std::int64_t>(left / 2);
    f.cooling = true;
    if (s.inflight.size() >= s.sweep_holds_at) {
      for (auto h = s.inflight.begin(); h != s.inflight.end();) {
        if (h->second->cooling && h->second->retry_at <= at.now) {
          h = s.inflight.erase(h);
        } else {
          ++h;
        }
      }
      s.sweep_holds_at = std::max<std::size_t>(16, 2 * s.inflight.size());
    }
    return true;
  }
  // Whether the hold f, left by a failed refresh, still holds the refresh of node i.
  static bool refresh_held(const flight& f, shard& s, std::uint32_t i, std::int64_t now) {
    return now < f.retry_at && f.held_node == i && f.held_deadline == entry_deadline(s, i);
  }
  static std::int64_t entry_deadline(shard& s, std::uint32_t i) noexcept {
    if constexpr (expiring) {
      return s.nodes[i].timer.at;
    } else {
      (void)s;
      (void)i;
      return 0;
    }
  }

  // drop_flight without comparing keys, for when comparing them has just thrown.
  static void forget_flight(shard& s, const flight& f) {
    for (auto it = s.inflight.begin(); it != s.inflight.end(); ++it) {
      if (it->second.get() == &f) {
        s.inflight.erase(it);
        return;
      }
    }
  }

  void notify(removals& ev) {
    if (ev.empty()) return;
    std::exception_ptr first;
    for (auto& r : ev) {
      try {
        opts_.on_removal(r.key, r.value, r.cause);
      } catch (...) {
        if (!first) first = std::current_exception();
      }
    }
    if (first) std::rethrow_exception(first);
  }

  options opts_;
  clock_type clock_;
  [[no_unique_address]] expiry_type expiry_;
  [[no_unique_address]] weigher_type weigher_{};
  [[no_unique_address]] hasher hash_{};
  unsigned shard_shift_ = 63;  // 63 - log2(shards): see shard_for
  // Read on every get with shared_reads, written once or twice: a line of their own.
  struct alignas(cache_line_size) thread_use {
    std::atomic<unsigned> owner{0};   // thread_slot() of the first thread to read (0: none yet)
    std::atomic<bool> shared{false};  // a second thread has read
  };
  struct no_thread_use {};
  [[no_unique_address]] std::conditional_t<shared_reads, thread_use, no_thread_use> threads_;
  // Reader slots per shard with shared_reads: two per CPU, so that threads rarely share one.
  unsigned reader_slots_ = std::min(16u, std::bit_ceil(2 * detail::cpu_count_for_shards()));
  std::vector<std::unique_ptr<shard>> shards_;

  // Reads under a shared lock may not write the shard's counts (stats() adds the shards').
  metrics::counter shared_hits_;
  metrics::counter shared_misses_;
  metrics::counter loads_;
  metrics::counter load_failures_;
  metrics::histogram load_ns_;
  metrics::collector_handle metrics_handle_;
};

}  // namespace hotpath::inline HOTPATH_ABI
