#include "hotpath/metrics/gauge.hpp"

#include <gtest/gtest.h>

#include <thread>

namespace {

using hotpath::metrics::gauge;

TEST(Gauge, SetIncDec) {
  gauge g;
  EXPECT_EQ(g.value(), 0.0);
  g.set(42);
  g.inc();
  g.dec(3);
  EXPECT_EQ(g.value(), 40.0);
  g.inc(-50.5);
  EXPECT_EQ(g.value(), -10.5);
}

TEST(Gauge, ConcurrentIncAndDecBalance) {
  gauge g;
  constexpr int n = 50000;
  std::thread up([&] {
    for (int i = 0; i < n; ++i)
      g.inc(2);
  });
  std::thread down([&] {
    for (int i = 0; i < n; ++i)
      g.dec();
  });
  up.join();
  down.join();
  EXPECT_EQ(g.value(), static_cast<double>(n));
}

}  // namespace
