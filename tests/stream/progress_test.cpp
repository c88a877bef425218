#include "hotpath/stream/progress.hpp"

#include <gtest/gtest.h>
#include <pty.h>
#include <unistd.h>

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

TEST(ProgressBar, DrawsOneRewrittenLineOnATerminal) {
  int master = -1, slave = -1;
  ASSERT_EQ(::openpty(&master, &slave, nullptr, nullptr, nullptr), 0);
  std::FILE* f = ::fdopen(slave, "w");
  ASSERT_NE(f, nullptr);
  hs::progress_bar bar(f);
  hs::progress_info p;
  p.consumed = 50;
  p.total = 100;
  p.bytes_per_second = 2e6;
  p.eta_seconds = 25;
  bar(p);
  p.consumed = 100;
  p.eta_seconds = 0;
  p.done = true;
  bar(p);
  std::fclose(f);
  std::string out;
  char buf[512];
  ssize_t n;
  while ((n = ::read(master, buf, sizeof buf)) > 0) {
    out.append(buf, static_cast<std::size_t>(n));
    if (out.find('\n') != std::string::npos) break;
  }
  ::close(master);
  EXPECT_EQ(out,
            "\r[###############...............]  50.0%      2.0 MB/s  ETA   25s "
            "\r[##############################] 100.0%      2.0 MB/s  ETA    0s \r\n");
}

}  // namespace
