#include "hotpath/stream/progress.hpp"

#include <gtest/gtest.h>

#include <cstdio>
#include <string>

namespace hs = hotpath::stream;

namespace {

TEST(ProgressInfo, FractionNeedsAKnownTotal) {
  hs::progress_info p;
  p.consumed = 25;
  EXPECT_FALSE(p.fraction().has_value());
  p.total = 100;
  EXPECT_EQ(p.fraction(), 0.25);
  p.total = 0;
  EXPECT_FALSE(p.fraction().has_value());
}

TEST(ProgressBar, WritesNothingWhenTheStreamIsNotATerminal) {
  std::FILE* f = std::tmpfile();
  ASSERT_NE(f, nullptr);
  hs::progress_bar bar(f);
  hs::progress_info p;
  p.consumed = 50;
  p.total = 100;
  p.done = true;
  bar(p);
  EXPECT_EQ(std::ftell(f), 0L);
  std::fclose(f);
}

}  // namespace
