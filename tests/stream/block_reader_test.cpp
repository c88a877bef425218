#include "hotpath/stream/block_reader.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "hotpath/core/clock.hpp"
#include "stream_test_util.hpp"

namespace hs = hotpath::stream;
using namespace std::chrono_literals;

namespace {

TEST(BlockReader, ReportsProgressAtMostOncePerIntervalOnItsClockAndOnceAtTheEnd) {
  hotpath_test::temp_dir dir;
  std::string text = hotpath_test::make_text(1 << 20);
  std::string gz = hotpath_test::compress_with(dir, text, "gzip");
  hotpath::manual_clock clock;
  std::vector<hs::progress_info> reports;
  hs::block_reader<hs::memory_source, hs::gzip, hotpath::manual_clock> r(
      hs::memory_source(gz, 10000),
      {.buffer_bytes = 65536,
       .on_progress = [&](const hs::progress_info& p) { reports.push_back(p); },
       .progress_interval = 1s},
      clock);
  int blocks = 0;
  std::vector<std::uint64_t> produced_at_report;
  std::uint64_t produced = 0;
  for (auto b = r.next(); !b.empty(); b = r.next()) {
    produced += b.size();
    // The clock moves after every 4th block, so the block after it is reported.
    if (blocks % 4 == 0 && blocks > 0) produced_at_report.push_back(produced);
    if (++blocks % 4 == 0) clock.advance(1s);
  }
  ASSERT_GE(blocks, 16);
  ASSERT_EQ(reports.size(), produced_at_report.size() + 1);
  for (std::size_t i = 0; i + 1 < reports.size(); ++i) {
    EXPECT_FALSE(reports[i].done);
    EXPECT_EQ(reports[i].produced, produced_at_report[i]);
    EXPECT_EQ(reports[i].total, gz.size());
    EXPECT_DOUBLE_EQ(reports[i].elapsed_seconds, static_cast<double>(i + 1));
    EXPECT_GT(reports[i].bytes_per_second, 0);
    ASSERT_TRUE(reports[i].eta_seconds.has_value());
    EXPECT_NEAR(*reports[i].eta_seconds,
                static_cast<double>(gz.size() - reports[i].consumed) / reports[i].bytes_per_second,
                1e-9);
  }
  const auto& last = reports.back();
  EXPECT_TRUE(last.done);
  EXPECT_EQ(last.consumed, gz.size());
  EXPECT_EQ(last.produced, text.size());
  EXPECT_EQ(last.fraction(), 1.0);
  EXPECT_EQ(r.next(), "");  // stays at the end, without a second final report
  EXPECT_EQ(reports.size(), produced_at_report.size() + 1);
}

TEST(BlockReader, CountsConsumedAndProducedBytes) {
  hotpath_test::temp_dir dir;
  std::string text = hotpath_test::make_text(200000);
  std::string xz = hotpath_test::compress_with(dir, text, "xz");
  hs::block_reader<hs::memory_source> r(hs::memory_source(xz, 1000));
  std::size_t n = 0;
  for (auto b = r.next(); !b.empty(); b = r.next()) {
    n += b.size();
    EXPECT_EQ(r.produced(), n);
    EXPECT_LE(r.consumed(), xz.size());
  }
  EXPECT_EQ(r.consumed(), xz.size());
  EXPECT_TRUE(r.done());
  EXPECT_EQ(r.codec().name(), "xz");
}

TEST(BlockReader, RejectsAZeroBuffer) {
  EXPECT_THROW(hs::block_reader<hs::memory_source>(hs::memory_source("x"), {.buffer_bytes = 0}),
               hotpath::error);
}

}  // namespace
