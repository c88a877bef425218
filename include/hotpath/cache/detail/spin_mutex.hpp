// hotpath/cache/detail/spin_mutex.hpp: the lock of a cache shard.
//
// Shard critical sections last tens to hundreds of nanoseconds, far less than a futex sleep and
// wake-up, so a waiter spins (test and test-and-set, with a CPU pause) and only after a while
// yields its time slice (the holder may have been preempted).
#pragma once

#include <atomic>
#include <thread>

#include "hotpath/config.hpp"
#include "hotpath/core/detail/futex.hpp"

namespace hotpath::inline HOTPATH_ABI::detail {

/// One wait of a shard lock's spin loop: a CPU pause for the first 256, then a yield (the
/// holder may have been preempted).
inline void spin_backoff(unsigned spins) noexcept {
  if (spins < 256) {
    cpu_relax();
  } else {
    std::this_thread::yield();
  }
}

class spin_mutex {
 public:
  // The first try is the exchange itself, not a load and then the exchange: the lock's line is
  // usually free but last written by another core, and a load would fetch it shared only for
  // the exchange to fetch it again for writing, two transfers where one does. Once it is taken,
  // waiters spin on loads so that they do not steal the line from the holder.
  void lock() noexcept {
    if (!held_.exchange(true, std::memory_order_acquire)) return;
    for (unsigned spins = 0;; ++spins) {
      spin_backoff(spins);
      if (!held_.load(std::memory_order_relaxed) &&
          !held_.exchange(true, std::memory_order_acquire)) {
        return;
      }
    }
  }
  bool try_lock() noexcept {
    return !held_.load(std::memory_order_relaxed) &&
           !held_.exchange(true, std::memory_order_acquire);
  }
  void unlock() noexcept { held_.store(false, std::memory_order_release); }

 private:
  std::atomic<bool> held_{false};
};

}  // namespace hotpath::inline HOTPATH_ABI::detail
