#include "hotpath/metrics/scoped_timer.hpp"

#include <gtest/gtest.h>

#include <chrono>

#include "hotpath/core/clock.hpp"

namespace {

using namespace std::chrono_literals;
using hotpath::manual_clock;
using hotpath::metrics::histogram;
using hotpath::metrics::histogram_snapshot;
using hotpath::metrics::scoped_timer;

TEST(ScopedTimer, RecordsTheScopeDurationOnce) {
  manual_clock clk;
  histogram h;
  {
    scoped_timer<manual_clock> t(h, clk);
    clk.advance(1500ns);
    EXPECT_EQ(t.elapsed(), 1500ns);
  }
  auto s = h.snapshot();
  EXPECT_EQ(s.count(), 1u);
  EXPECT_EQ(s.sum(), 1500u);
  EXPECT_EQ(s.buckets()[histogram_snapshot::bucket_index(1500)], 1u);
}

TEST(ScopedTimer, StopRecordsNowAndTheDestructorAddsNothing) {
  manual_clock clk;
  histogram h;
  {
    scoped_timer<manual_clock> t(h, clk);
    clk.advance(40us);
    EXPECT_EQ(t.stop(), 40us);
    clk.advance(1s);
    t.stop();
  }
  auto s = h.snapshot();
  EXPECT_EQ(s.count(), 1u);
  EXPECT_EQ(s.sum(), 40000u);
}

TEST(ScopedTimer, CancelRecordsNothing) {
  manual_clock clk;
  histogram h;
  {
    scoped_timer<manual_clock> t(h, clk);
    clk.advance(1ms);
    t.cancel();
  }
  EXPECT_EQ(h.snapshot().count(), 0u);
}

TEST(ScopedTimer, DefaultsToTheSteadyClock) {
  histogram h;
  { scoped_timer t(h); }
  EXPECT_EQ(h.snapshot().count(), 1u);
}

}  // namespace
