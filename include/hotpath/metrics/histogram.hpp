// hotpath/metrics/histogram.hpp: a log-linear histogram of non-negative integers (latencies in
// nanoseconds, sizes in bytes) with quantiles within 1% relative error.
//
// Buckets follow HdrHistogram's layout with 64 sub-buckets per power of two: values below 128 are
// exact, a larger value v falls in a bucket no wider than v/64, and a quantile is reported as
// the middle of its bucket, so it is within 1/128 (0.79%) of the exact sample. The range is
// 0 .. 2^45-1 (about 9.8 hours in nanoseconds); larger values are clamped to the top and counted
// in snapshot().clamped(). 2560 buckets.
//
// Recording is per-thread like counter: two plain load/store pairs in the calling thread's pages
// (bucket and sum), no atomic read-modify-write. snapshot() merges all threads.
//
//   hotpath::metrics::histogram latency;
//   latency.record(1'250);                       // from any thread
//   auto s = latency.snapshot();
//   s.quantile(0.99); s.max(); s.count(); s.sum();
//
// Thread safety: every member may be called from any thread. Memory: each recording thread holds
// the 4 KiB pages covering the buckets it touched (at most 20 KiB per histogram and thread).
// Bad input: a negative value or a quantile outside [0, 1] throws hotpath::error.
#pragma once

#include <algorithm>
#include <bit>
#include <chrono>
#include <cmath>
#include <concepts>
#include <cstdint>
#include <memory>
#include <mutex>
#include <span>
#include <vector>

#include "hotpath/config.hpp"
#include "hotpath/core/error.hpp"
#include "hotpath/metrics/detail/thread_slots.hpp"

namespace hotpath::inline HOTPATH_ABI::metrics {

/// A merged, immutable copy of a histogram's buckets, with quantile queries.
class histogram_snapshot {
 public:
  static constexpr unsigned sub_bits = 6;
  static constexpr std::uint64_t sub_count = std::uint64_t{1} << sub_bits;
  static constexpr unsigned top_bit = 45;
  /// Values above this are clamped to it.
  static constexpr std::uint64_t max_trackable = (std::uint64_t{1} << top_bit) - 1;
  static constexpr std::size_t bucket_count = (top_bit - sub_bits + 1) * sub_count;

  /// The bucket a value falls in (the value must be <= max_trackable).
  static constexpr std::size_t bucket_index(std::uint64_t v) noexcept {
    if (v < sub_count) return static_cast<std::size_t>(v);
    unsigned e = static_cast<unsigned>(std::bit_width(v)) - 1;  // >= sub_bits
    return static_cast<std::size_t>((e - sub_bits + 1) * sub_count + (v >> (e - sub_bits)) -
                                    sub_count);
  }
  /// Smallest value of bucket `i`.
  static constexpr std::uint64_t bucket_lower(std::size_t i) noexcept {
    if (i < sub_count) return i;
    std::size_t k = i / sub_count;
    return (sub_count + i % sub_count) << (k - 1);
  }
  /// Number of distinct values in bucket `i`.
  static constexpr std::uint64_t bucket_width(std::size_t i) noexcept {
    return i < 2 * sub_count ? 1 : std::uint64_t{1} << (i / sub_count - 1);
  }
  /// The value reported for samples in bucket `i`: its middle.
  static constexpr std::uint64_t bucket_value(std::size_t i) noexcept {
    return bucket_lower(i) + bucket_width(i) / 2;
  }

  histogram_snapshot() : counts_(bucket_count, 0) {}

  /// Number of recorded values.
  [[nodiscard]] std::uint64_t count() const noexcept { return count_; }
  /// Sum of recorded values (after clamping), modulo 2^64.
  [[nodiscard]] std::uint64_t sum() const noexcept { return sum_; }
  /// How many values were above max_trackable and recorded as max_trackable.
  [[nodiscard]] std::uint64_t clamped() const noexcept { return clamped_; }
  /// Arithmetic mean, 0 when empty.
  [[nodiscard]] double mean() const noexcept {
    return count_ == 0 ? 0.0 : static_cast<double>(sum_) / static_cast<double>(count_);
  }
  /// Per-bucket counts, indexed like bucket_index().
  [[nodiscard]] std::span<const std::uint64_t> buckets() const noexcept { return counts_; }

  /// The nearest-rank quantile: the value of the ceil(q * count)-th smallest sample (the first for
  /// q = 0), to within 1/128 relative error. 0 when empty. Throws hotpath::error unless 0 <= q
  /// <= 1.
  [[nodiscard]] std::uint64_t quantile(double q) const {
    if (!(q >= 0.0 && q <= 1.0)) {
      hotpath::detail::throw_error("hotpath::metrics::histogram: quantile ", q,
                                   " is outside [0, 1]");
    }
    if (count_ == 0) return 0;
    auto rank = static_cast<std::uint64_t>(std::ceil(q * static_cast<double>(count_)));
    rank = std::clamp<std::uint64_t>(rank, 1, count_);
    std::uint64_t seen = 0;
    for (std::size_t i = 0; i < bucket_count; ++i) {
      seen += counts_[i];
      if (seen >= rank) return bucket_value(i);
    }
    return bucket_value(bucket_count - 1);
  }
  /// Smallest recorded value (within 1/128), 0 when empty.
  [[nodiscard]] std::uint64_t min() const { return quantile(0.0); }
  /// Largest recorded value (within 1/128), 0 when empty.
  [[nodiscard]] std::uint64_t max() const { return quantile(1.0); }

  /// Number of samples at or below `v`. A bucket that straddles `v` counts when its middle
  /// value is <= v, so the answer is exact at bucket edges and within one bucket (1/64) elsewhere.
  [[nodiscard]] std::uint64_t count_at_or_below(double v) const noexcept {
    std::uint64_t n = 0;
    for (std::size_t i = 0; i < bucket_count; ++i) {
      if (static_cast<double>(bucket_value(i)) > v) break;
      n += counts_[i];
    }
    return n;
  }

  /// Adds another snapshot's samples to this one.
  histogram_snapshot& operator+=(const histogram_snapshot& other) noexcept {
    for (std::size_t i = 0; i < bucket_count; ++i)
      counts_[i] += other.counts_[i];
    count_ += other.count_;
    sum_ += other.sum_;
    clamped_ += other.clamped_;
    return *this;
  }

 private:
  friend class histogram;
  std::vector<std::uint64_t> counts_;
  std::uint64_t count_ = 0;
  std::uint64_t sum_ = 0;
  std::uint64_t clamped_ = 0;
};

/// A per-thread-sharded log-linear histogram.
class histogram {
  // Slot layout of one histogram: [sum, clamped, bucket 0 .. bucket_count-1].
  static constexpr std::size_t sum_slot = 0;
  static constexpr std::size_t clamped_slot = 1;
  static constexpr std::size_t first_bucket = 2;
  static constexpr std::size_t slot_count = first_bucket + histogram_snapshot::bucket_count;

 public:
  histogram() : base_(detail::slots().allocate(slot_count)) {}
  ~histogram() { detail::slots().release(base_, slot_count); }
  histogram(const histogram&) = delete;
  histogram& operator=(const histogram&) = delete;

  /// Records one value; values above max_trackable are clamped to it and counted.
  void record(std::uint64_t v) {
    detail::arena* a = detail::local_arena();
    if (HOTPATH_UNLIKELY(v > histogram_snapshot::max_trackable)) {
      v = histogram_snapshot::max_trackable;
      detail::local_add(detail::arena_slot(a, base_ + clamped_slot), 1);
    }
    std::size_t b = histogram_snapshot::bucket_index(v);
    detail::local_add(detail::arena_slot(a, base_ + first_bucket + b), 1);
    detail::local_add(detail::arena_slot(a, base_ + sum_slot), v);
  }
  /// Records a signed value; throws hotpath::error (recording nothing) when it is negative.
  template <std::signed_integral T>
  void record(T v) {
    if (HOTPATH_UNLIKELY(v < 0)) {
      hotpath::detail::throw_error("hotpath::metrics::histogram: negative value ", v);
    }
    record(static_cast<std::uint64_t>(v));
  }
  template <std::floating_point T>
  void record(T) = delete;  // record integers in the smallest unit you need (ns, bytes)

  /// Records a duration in nanoseconds; a negative one throws hotpath::error.
  template <class Rep, class Period>
  void record(std::chrono::duration<Rep, Period> d) {
    record(std::chrono::duration_cast<std::chrono::nanoseconds>(d).count());
  }

  /// All threads' samples since construction or the last reset(), plus merged ones.
  [[nodiscard]] histogram_snapshot snapshot() const {
    std::vector<std::uint64_t> raw(slot_count, 0);
    std::lock_guard lock(mu_);
    detail::slots().sum(base_, slot_count, raw.data());
    if (offset_) {
      for (std::size_t i = 0; i < slot_count; ++i)
        raw[i] += offset_[i];
    }
    histogram_snapshot s;
    s.sum_ = raw[sum_slot];
    s.clamped_ = raw[clamped_slot];
    std::copy(raw.begin() + first_bucket, raw.end(), s.counts_.begin());
    for (std::uint64_t c : s.counts_)
      s.count_ += c;
    return s;
  }

  /// Forgets every sample. Records racing with reset() land on either side.
  void reset() {
    std::vector<std::uint64_t> raw(slot_count, 0);
    std::lock_guard lock(mu_);
    detail::slots().sum(base_, slot_count, raw.data());
    ensure_offset();
    for (std::size_t i = 0; i < slot_count; ++i)
      offset_[i] = 0 - raw[i];
  }

  /// Adds the samples of `other` (from another histogram or process) to this one.
  void merge(const histogram_snapshot& other) {
    std::lock_guard lock(mu_);
    ensure_offset();
    offset_[sum_slot] += other.sum_;
    offset_[clamped_slot] += other.clamped_;
    for (std::size_t i = 0; i < histogram_snapshot::bucket_count; ++i) {
      offset_[first_bucket + i] += other.counts_[i];
    }
  }

 private:
  void ensure_offset() {
    if (!offset_) offset_ = std::make_unique<std::uint64_t[]>(slot_count);
  }

  std::size_t base_;
  mutable std::mutex mu_;
  // Added (mod 2^64) to the per-thread sums; allocated by the first reset() or merge().
  std::unique_ptr<std::uint64_t[]> offset_;
};

}  // namespace hotpath::inline HOTPATH_ABI::metrics
