#include "hotpath/metrics/histogram.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <thread>
#include <vector>

namespace {

using hotpath::metrics::histogram;
using hotpath::metrics::histogram_snapshot;
using snap = histogram_snapshot;

TEST(HistogramBuckets, ValuesBelow128AreExact) {
  for (std::uint64_t v = 0; v < 128; ++v) {
    ASSERT_EQ(snap::bucket_index(v), v);
    ASSERT_EQ(snap::bucket_lower(v), v);
    ASSERT_EQ(snap::bucket_width(v), 1u);
  }
}

TEST(HistogramBuckets, AreContiguousAndNarrowerThanOneSixtyFourth) {
  for (std::size_t i = 0; i + 1 < snap::bucket_count; ++i) {
    std::uint64_t lo = snap::bucket_lower(i);
    std::uint64_t w = snap::bucket_width(i);
    ASSERT_EQ(snap::bucket_lower(i + 1), lo + w) << i;
    ASSERT_EQ(snap::bucket_index(lo), i);
    ASSERT_EQ(snap::bucket_index(lo + w - 1), i);
    if (i >= 64) {
      ASSERT_LE(w * 64, lo) << i;
    }
  }
  std::size_t last = snap::bucket_count - 1;
  EXPECT_EQ(snap::bucket_count, 2560u);
  EXPECT_EQ(snap::bucket_lower(last) + snap::bucket_width(last) - 1, snap::max_trackable);
  EXPECT_EQ(snap::bucket_index(snap::max_trackable), last);
}

std::uint64_t exact_quantile(const std::vector<std::uint64_t>& sorted, double q) {
  auto rank = static_cast<std::size_t>(std::ceil(q * static_cast<double>(sorted.size())));
  rank = std::clamp<std::size_t>(rank, 1, sorted.size());
  return sorted[rank - 1];
}

void expect_quantiles_within_one_percent(const std::vector<std::uint64_t>& samples) {
  histogram h;
  for (std::uint64_t v : samples)
    h.record(v);
  auto s = h.snapshot();
  std::vector<std::uint64_t> sorted = samples;
  std::sort(sorted.begin(), sorted.end());
  ASSERT_EQ(s.count(), sorted.size());
  for (double q : {0.0, 0.5, 0.9, 0.99, 0.999, 1.0}) {
    auto exact = static_cast<double>(exact_quantile(sorted, q));
    auto got = static_cast<double>(s.quantile(q));
    double rel = exact == 0 ? got : std::abs(got - exact) / exact;
    EXPECT_LE(rel, 0.01) << "q=" << q << " exact=" << exact << " got=" << got;
    EXPECT_LE(rel, 1.0 / 128) << "q=" << q;  // the documented bound, tighter than 1%
  }
  EXPECT_EQ(s.min(), s.quantile(0.0));
  EXPECT_EQ(s.max(), s.quantile(1.0));
}

TEST(Histogram, QuantilesOfLogUniformLatenciesAreWithinOnePercent) {
  std::mt19937_64 rng(12345);
  std::uniform_real_distribution<double> exponent(0.0, 12.0);  // 1 ns .. 1000 s
  std::vector<std::uint64_t> samples(200000);
  for (auto& v : samples)
    v = static_cast<std::uint64_t>(std::pow(10.0, exponent(rng)));
  expect_quantiles_within_one_percent(samples);
}

TEST(Histogram, QuantilesOfAnExponentialTailAreWithinOnePercent) {
  std::mt19937_64 rng(777);
  std::exponential_distribution<double> d(1.0 / 250000.0);  // mean 250 us in ns
  std::vector<std::uint64_t> samples(100000);
  for (auto& v : samples)
    v = static_cast<std::uint64_t>(d(rng)) + 1;
  expect_quantiles_within_one_percent(samples);
}

TEST(Histogram, QuantilesOfSmallIntegersAreExact) {
  std::vector<std::uint64_t> samples;
  for (std::uint64_t v = 0; v < 100; ++v)
    samples.push_back(v);
  histogram h;
  for (auto v : samples)
    h.record(v);
  auto s = h.snapshot();
  EXPECT_EQ(s.quantile(0.5), 49u);  // 50th of 0..99
  EXPECT_EQ(s.quantile(0.9), 89u);
  EXPECT_EQ(s.quantile(0.99), 98u);
  EXPECT_EQ(s.min(), 0u);
  EXPECT_EQ(s.max(), 99u);
}

TEST(Histogram, CountSumAndMeanAreExact) {
  histogram h;
  h.record(std::uint64_t{10});
  h.record(20);
  h.record(std::uint64_t{1'000'000'007});
  auto s = h.snapshot();
  EXPECT_EQ(s.count(), 3u);
  EXPECT_EQ(s.sum(), 1'000'000'037u);
  EXPECT_DOUBLE_EQ(s.mean(), 1'000'000'037.0 / 3);
  EXPECT_EQ(s.clamped(), 0u);
}

TEST(Histogram, RecordsDurationsInNanoseconds) {
  histogram h;
  h.record(std::chrono::microseconds(3));
  h.record(std::chrono::milliseconds(2));
  auto s = h.snapshot();
  EXPECT_EQ(s.sum(), 2'003'000u);
  EXPECT_EQ(s.buckets()[snap::bucket_index(3000)], 1u);
  EXPECT_EQ(s.buckets()[snap::bucket_index(2'000'000)], 1u);
}

TEST(Histogram, ClampsValuesAboveTheRangeAndCountsThem) {
  histogram h;
  h.record(snap::max_trackable + 1000);
  h.record(std::numeric_limits<std::uint64_t>::max());
  h.record(std::uint64_t{5});
  auto s = h.snapshot();
  EXPECT_EQ(s.count(), 3u);
  EXPECT_EQ(s.clamped(), 2u);
  EXPECT_EQ(s.sum(), 2 * snap::max_trackable + 5);
  EXPECT_EQ(s.buckets()[snap::bucket_count - 1], 2u);
  EXPECT_EQ(s.max(), snap::bucket_value(snap::bucket_count - 1));
}

TEST(Histogram, NegativeValueThrowsAndRecordsNothing) {
  histogram h;
  EXPECT_THROW(h.record(-1), hotpath::error);
  EXPECT_THROW(h.record(std::chrono::nanoseconds(-5)), hotpath::error);
  EXPECT_EQ(h.snapshot().count(), 0u);
}

TEST(Histogram, QuantileOutsideZeroToOneThrows) {
  histogram h;
  h.record(1);
  auto s = h.snapshot();
  EXPECT_THROW((void)s.quantile(-0.01), hotpath::error);
  EXPECT_THROW((void)s.quantile(1.01), hotpath::error);
  EXPECT_THROW((void)s.quantile(std::nan("")), hotpath::error);
}

TEST(Histogram, EmptyReportsZeros) {
  histogram h;
  auto s = h.snapshot();
  EXPECT_EQ(s.count(), 0u);
  EXPECT_EQ(s.sum(), 0u);
  EXPECT_EQ(s.mean(), 0.0);
  EXPECT_EQ(s.quantile(0.99), 0u);
  EXPECT_EQ(s.max(), 0u);
}

TEST(Histogram, ResetForgetsSamplesOfAllThreads) {
  histogram h;
  h.record(100);
  std::thread([&] { h.record(200); }).join();
  h.reset();
  auto s = h.snapshot();
  EXPECT_EQ(s.count(), 0u);
  EXPECT_EQ(s.sum(), 0u);
  h.record(7);
  s = h.snapshot();
  EXPECT_EQ(s.count(), 1u);
  EXPECT_EQ(s.max(), 7u);
}

TEST(Histogram, MergeAddsAnotherHistogramsSamples) {
  histogram a;
  histogram b;
  for (std::uint64_t v = 1; v <= 50; ++v)
    a.record(v);
  for (std::uint64_t v = 51; v <= 100; ++v)
    b.record(v);
  a.merge(b.snapshot());
  auto s = a.snapshot();
  EXPECT_EQ(s.count(), 100u);
  EXPECT_EQ(s.sum(), 5050u);
  EXPECT_EQ(s.quantile(0.5), 50u);
  EXPECT_EQ(s.max(), 100u);
  EXPECT_EQ(b.snapshot().count(), 50u);  // the source is unchanged

  auto sum = a.snapshot();
  sum += b.snapshot();
  EXPECT_EQ(sum.count(), 150u);
  EXPECT_EQ(sum.sum(), 5050u + 3775u);
}

TEST(Histogram, CountAtOrBelowIsExactAtBucketEdges) {
  histogram h;
  for (std::uint64_t v : {1u, 10u, 100u, 1000u, 10000u})
    h.record(v);
  auto s = h.snapshot();
  EXPECT_EQ(s.count_at_or_below(0), 0u);
  EXPECT_EQ(s.count_at_or_below(1), 1u);
  EXPECT_EQ(s.count_at_or_below(99), 2u);
  EXPECT_EQ(s.count_at_or_below(100), 3u);
  EXPECT_EQ(s.count_at_or_below(1e12), 5u);
}

TEST(Histogram, CountsEveryRecordFromConcurrentThreads) {
  histogram h;
  constexpr int threads = 4;
  constexpr std::uint64_t per_thread = 50000;
  std::vector<std::thread> ts;
  for (int t = 0; t < threads; ++t) {
    ts.emplace_back([&h, t] {
      for (std::uint64_t i = 0; i < per_thread; ++i)
        h.record(static_cast<std::uint64_t>(t) * 1000 + i % 7);
    });
  }
  for (auto& t : ts)
    t.join();
  auto s = h.snapshot();
  EXPECT_EQ(s.count(), threads * per_thread);
  std::uint64_t expected_sum = 0;
  for (int t = 0; t < threads; ++t) {
    for (std::uint64_t i = 0; i < per_thread; ++i)
      expected_sum += static_cast<std::uint64_t>(t) * 1000 + i % 7;
  }
  EXPECT_EQ(s.sum(), expected_sum);
  // Per bucket: thread 0 writes 0..6 exactly (buckets of width 1).
  for (std::uint64_t v = 0; v < 7; ++v) {
    EXPECT_EQ(s.buckets()[v], per_thread / 7 + (v < per_thread % 7 ? 1 : 0));
  }
}

}  // namespace
