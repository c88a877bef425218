// hotpath/cache/locking.hpp: how a cache guards its state.
//
//   hotpath::cache<K, V, hotpath::locking::none> c({.capacity = 100});   // one thread only
//
// - locking::sharded (default): the cache is split by key hash into `options.shards` shards (a
//   power of two; 0 picks one from the CPU count and the capacity), each with its own lock and
//   its own share of the capacity. Eviction order is exact within a shard.
// - locking::shared_reads: sharded, with gets under a shared lock whose readers write only their
//   own cache line; for caches read by more threads than there are CPUs to run them.
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

/// Sharded like locking::sharded, and gets, get_or_load hits and contains take the shard's
/// lock shared: a reader writes only a cache line of its own (its slot's log of hits for the
/// eviction policy), so threads reading the same shards stop passing the lock's line back and
/// forth; writes take the lock exclusively and replay the logs first. Until a second thread
/// uses the cache every read goes the exclusive way. For caches read by more threads than CPUs;
/// with an expiry policy reads stay exclusive (they may remove an entry and move the wheel).
/// A reader's hit that changes nothing but the policy's hit count (w_tinylfu: a protected entry
/// already marked) and its misses are only counted in its slot, not logged. Measured on a
/// 2-vCPU VM, Zipf 0.99 with 95% gets (benchmarks/cache, read_heavy): with both vCPUs running
/// freely, two threads at 84.0-93.9 M/s against locking::sharded's 108.9 and one thread at
/// 72.3 against 82.0 (a reader's exchange on its slot costs as much as the sharded lock's, and a
/// write fetches the readers' slots); while the host kept the other vCPU busy, two threads at
/// 32-33 M/s against sharded's 27 in one run (its readers then wait on a preempted lock holder)
/// but 34.1 against 38.5 in another.
///
///   hotpath::cache<K, V, hotpath::locking::shared_reads> c({.capacity = 1'000'000});
struct shared_reads {
  using mutex = detail::spin_mutex;  // not used: the cache keeps a read_slot_lock per shard
  static constexpr bool concurrent = true;
  static constexpr bool read_shared = true;
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
static_assert(locking_policy<locking::shared_reads>);

}  // namespace hotpath::inline HOTPATH_ABI
