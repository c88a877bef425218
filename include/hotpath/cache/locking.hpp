// hotpath/cache/locking.hpp: how a cache guards its state.
//
//   hotpath::cache<K, V, hotpath::locking::none> c({.capacity = 100});   // one thread only
//
// - locking::sharded (default): the cache is split by key hash into `options.shards` shards (a
//   power of two; 0 picks one from the CPU count and the capacity), each with its own lock and
//   its own share of the capacity. Eviction order is exact within a shard.
// - locking::none: one shard, no lock: for single-threaded use (and exact order cache-wide).
#pragma once

#include <concepts>

#include "hotpath/cache/detail/spin_mutex.hpp"
#include "hotpath/config.hpp"

namespace hotpath::inline HOTPATH_ABI {
namespace locking {

/// A lock per shard (a spinning one: shard critical sections are far shorter than a futex
/// sleep and wake-up, which std::mutex paid under contention).
struct sharded {
  using mutex = detail::spin_mutex;
  static constexpr bool concurrent = true;
};

/// No locking, one shard.
struct none {
  struct mutex {
    void lock() noexcept {}
    void unlock() noexcept {}
  };
  static constexpr bool concurrent = false;
};

}  // namespace locking

/// A locking policy: a `mutex` type (lock/unlock) and a `concurrent` flag.
template <class P>
concept locking_policy = requires(typename P::mutex& m) {
  m.lock();
  m.unlock();
  { P::concurrent } -> std::convertible_to<bool>;
};

static_assert(locking_policy<locking::sharded>);
static_assert(locking_policy<locking::none>);

}  // namespace hotpath::inline HOTPATH_ABI
