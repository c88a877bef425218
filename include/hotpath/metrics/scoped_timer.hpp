// hotpath/metrics/scoped_timer.hpp: records how long a scope took into a histogram, in
// nanoseconds of the clock policy.
//
//   void handle() {
//     hotpath::metrics::scoped_timer t(latency);   // latency is a metrics::histogram
//     ...                                          // recorded when t goes out of scope
//   }
//
// Tests pass a hotpath::manual_clock and advance it instead of sleeping.
// Thread safety: one timer belongs to one scope; the histogram may be shared.
#pragma once

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <utility>

#include "hotpath/config.hpp"
#include "hotpath/core/clock.hpp"
#include "hotpath/metrics/histogram.hpp"

namespace hotpath::inline HOTPATH_ABI::metrics {

/// Measures from construction to destruction (or stop()) and records the time once.
template <hotpath::clock Clock = std::chrono::steady_clock>
class scoped_timer {
 public:
  explicit scoped_timer(histogram& h, Clock clk = Clock{})
      : hist_(&h), clock_(std::move(clk)), start_(clock_.now()) {}
  scoped_timer(const scoped_timer&) = delete;
  scoped_timer& operator=(const scoped_timer&) = delete;

  /// Records now unless already stopped or cancelled.
  ~scoped_timer() {
    // A destructor must not throw; the only failure is a 4 KiB page allocation when the process
    // is out of memory, and then one timing sample is the right thing to lose.
    try {
      stop();
    } catch (...) {
    }
  }

  /// Time since construction.
  [[nodiscard]] std::chrono::nanoseconds elapsed() const {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(clock_.now() - start_);
  }
  /// Records the elapsed time now and returns it; later calls and the destructor do nothing.
  std::chrono::nanoseconds stop() {
    auto d = elapsed();
    if (hist_ != nullptr) {
      histogram* h = std::exchange(hist_, nullptr);
      h->record(static_cast<std::uint64_t>(std::max<std::int64_t>(0, d.count())));
    }
    return d;
  }
  /// Records nothing (an aborted operation that should not skew the latency).
  void cancel() noexcept { hist_ = nullptr; }

 private:
  histogram* hist_;
  Clock clock_;
  typename Clock::time_point start_;
};

}  // namespace hotpath::inline HOTPATH_ABI::metrics
