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
  void lock() noexcept {
    for (unsigned spins = 0;; ++spins) {
      if (!held_.load(std::memory_order_relaxed) &&
          !held_.exchange(true, std::memory_order_acquire)) {
        return;
      }
      spin_backoff(spins);
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
