// hotpath/core/clock.hpp: the clock policy concept and a manual clock for tests.
//
// Components that measure time (TTLs, flush intervals, circuit breakers, timers) take a clock
// policy instead of calling steady_clock directly, so tests advance time by hand instead of
// sleeping. Any type with `time_point`, `duration` and a `now()` callable on an instance models
// `hotpath::clock`; std::chrono::steady_clock does.
//
//   hotpath::manual_clock clk;            // starts at zero
//   auto t0 = clk.now();
//   clk.advance(std::chrono::seconds(5));  // every copy of clk sees the new time
//
// Thread safety: manual_clock may be read and advanced from any thread; copies share one time.
#pragma once

#include <atomic>
#include <chrono>
#include <concepts>
#include <cstdint>
#include <memory>

#include "hotpath/config.hpp"

namespace hotpath::inline HOTPATH_ABI {

/// A clock policy: a monotonic source of time points, called through an instance.
template <class C>
concept clock = requires(const C& c) {
  typename C::time_point;
  typename C::duration;
  { c.now() } -> std::convertible_to<typename C::time_point>;
};

/// A clock that moves only when told to; copies share the same time.
class manual_clock {
 public:
  using rep = std::int64_t;
  using period = std::nano;
  using duration = std::chrono::nanoseconds;
  using time_point = std::chrono::time_point<manual_clock, duration>;
  static constexpr bool is_steady = true;

  manual_clock() : now_(std::make_shared<std::atomic<rep>>(0)) {}

  /// The current manual time.
  [[nodiscard]] time_point now() const noexcept {
    return time_point(duration(now_->load(std::memory_order_acquire)));
  }
  /// Moves time forward by `d`; a negative `d` is ignored, the clock never goes back.
  void advance(duration d) noexcept {
    if (d.count() > 0) now_->fetch_add(d.count(), std::memory_order_acq_rel);
  }
  /// Jumps to `t` if it is later than now; an earlier `t` is ignored.
  void set(time_point t) noexcept {
    rep target = t.time_since_epoch().count();
    rep cur = now_->load(std::memory_order_acquire);
    while (cur < target && !now_->compare_exchange_weak(cur, target, std::memory_order_acq_rel)) {
    }
  }

 private:
  std::shared_ptr<std::atomic<rep>> now_;
};

static_assert(clock<std::chrono::steady_clock>);
static_assert(clock<manual_clock>);

}  // namespace hotpath::inline HOTPATH_ABI
