// hotpath/metrics/gauge.hpp: a value that goes up and down (queue depth, bytes in use).
//
// A gauge is one atomic double: set() must win over every earlier inc(), which per-thread cells
// cannot express, so gauges are for values that change at most per batch or per state change, not
// per item. For per-item rates use a counter.
//
//   hotpath::metrics::gauge depth;
//   depth.set(42);  depth.inc();  depth.dec(3);   // value() == 40
//
// Thread safety: every member may be called from any thread.
#pragma once

#include <atomic>

#include "hotpath/config.hpp"

namespace hotpath::inline HOTPATH_ABI::metrics {

/// An atomic floating-point level.
class gauge {
 public:
  gauge() = default;
  gauge(const gauge&) = delete;
  gauge& operator=(const gauge&) = delete;

  /// Replaces the value.
  void set(double v) noexcept { value_.store(v, std::memory_order_relaxed); }
  /// Adds `d` (may be negative).
  void inc(double d = 1.0) noexcept { value_.fetch_add(d, std::memory_order_relaxed); }
  /// Subtracts `d`.
  void dec(double d = 1.0) noexcept { value_.fetch_sub(d, std::memory_order_relaxed); }
  /// The current value.
  [[nodiscard]] double value() const noexcept { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> value_{0.0};
};

}  // namespace hotpath::inline HOTPATH_ABI::metrics
