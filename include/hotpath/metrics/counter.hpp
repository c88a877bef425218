// hotpath/metrics/counter.hpp: a monotonically increasing count that threads bump without
// contending.
//
// Each thread increments its own cell (a plain load and store in a per-thread page, see
// detail/thread_slots.hpp); value() adds the cells. Increments from one thread are never lost;
// value() read concurrently with increments sees each increment either in full or not yet.
//
//   hotpath::metrics::counter requests;
//   requests.inc();                 // from any thread, about as cheap as `++x` on a local
//   std::uint64_t n = requests.value();
//
// Thread safety: every member may be called from any thread.
// Cost: inc() is O(1) with no atomic read-modify-write; value() is O(threads that ever recorded).
// Bad input: a negative increment throws hotpath::error (a counter never goes down).
#pragma once

#include <atomic>
#include <concepts>
#include <cstdint>

#include "hotpath/config.hpp"
#include "hotpath/core/error.hpp"
#include "hotpath/metrics/detail/thread_slots.hpp"

namespace hotpath::inline HOTPATH_ABI::metrics {

/// A sharded-per-thread monotonic counter.
class counter {
 public:
  counter() : slot_(detail::slots().allocate(1)) {}
  ~counter() { detail::slots().release(slot_, 1); }
  counter(const counter&) = delete;
  counter& operator=(const counter&) = delete;

  /// Adds one.
  void inc() { detail::local_add(detail::local_slot(slot_), 1); }
  /// Adds `n`.
  void inc(std::uint64_t n) { detail::local_add(detail::local_slot(slot_), n); }
  /// Adds `n`; throws hotpath::error if `n` is negative, leaving the counter unchanged.
  template <std::signed_integral T>
  void inc(T n) {
    if (HOTPATH_UNLIKELY(n < 0)) {
      hotpath::detail::throw_error("hotpath::metrics::counter: negative increment ", n,
                                   " (a counter only goes up; use a gauge)");
    }
    inc(static_cast<std::uint64_t>(n));
  }
  template <std::floating_point T>
  void inc(T) = delete;  // counts are integers: record fractional amounts in a histogram

  /// The total since construction or the last reset().
  [[nodiscard]] std::uint64_t value() const {
    return detail::slots().sum_one(slot_) + offset_.load(std::memory_order_relaxed);
  }

  /// Starts the count again from zero. Increments racing with reset() land on either side.
  void reset() { offset_.store(0 - detail::slots().sum_one(slot_), std::memory_order_relaxed); }

 private:
  std::size_t slot_;
  // Added (mod 2^64) to the per-thread sum: reset() cannot zero cells other threads own.
  std::atomic<std::uint64_t> offset_{0};
};

}  // namespace hotpath::inline HOTPATH_ABI::metrics
