#include "hotpath/metrics/exposition.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

namespace {

using hotpath::metrics::exposition;
using hotpath::metrics::histogram;
using hotpath::metrics::histogram_exposition;
using hotpath::metrics::label;

TEST(Exposition, CountersAndGaugesWithEscapedLabelsAndHelp) {
  exposition out;
  label get[] = {{"method", "GET"}, {"path", "/a\"b\\c\nd"}};
  label post[] = {{"method", "POST"}, {"path", "/"}};
  out.add_counter("http_requests_total", "Requests\\served\nso far.", get, 3);
  out.add_counter("http_requests_total", "ignored on the second sample", post,
                  18446744073709551615u);
  out.add_gauge("queue_depth", "Items waiting.", {}, 2.5);
  EXPECT_EQ(out.str(),
            "# HELP http_requests_total Requests\\\\served\\nso far.\n"
            "# TYPE http_requests_total counter\n"
            "http_requests_total{method=\"GET\",path=\"/a\\\"b\\\\c\\nd\"} 3\n"
            "http_requests_total{method=\"POST\",path=\"/\"} 18446744073709551615\n"
            "# HELP queue_depth Items waiting.\n"
            "# TYPE queue_depth gauge\n"
            "queue_depth 2.5\n");
}

TEST(Exposition, GaugeSpecialValues) {
  exposition out;
  label a[] = {{"k", "nan"}};
  label b[] = {{"k", "pinf"}};
  label c[] = {{"k", "ninf"}};
  out.add_gauge("g", "h", a, std::nan(""));
  out.add_gauge("g", "h", b, INFINITY);
  out.add_gauge("g", "h", c, -INFINITY);
  EXPECT_EQ(out.str(),
            "# HELP g h\n# TYPE g gauge\n"
            "g{k=\"nan\"} NaN\ng{k=\"pinf\"} +Inf\ng{k=\"ninf\"} -Inf\n");
}

TEST(Exposition, HistogramBucketsAreCumulativeInScaledUnits) {
  histogram h;
  for (std::uint64_t ns :
       {500'000ull, 2'000'000ull, 2'000'000ull, 7'000'000ull, 90'000'000'000ull}) {
    h.record(ns);
  }
  exposition out;
  label l[] = {{"op", "read"}};
  out.add_histogram("op_duration_seconds", "Time per op.", l, h.snapshot(),
                    {.scale = 1e-9, .buckets = {0.001, 0.005, 0.01}});
  EXPECT_EQ(out.str(),
            "# HELP op_duration_seconds Time per op.\n"
            "# TYPE op_duration_seconds histogram\n"
            "op_duration_seconds_bucket{op=\"read\",le=\"0.001\"} 1\n"
            "op_duration_seconds_bucket{op=\"read\",le=\"0.005\"} 3\n"
            "op_duration_seconds_bucket{op=\"read\",le=\"0.01\"} 4\n"
            "op_duration_seconds_bucket{op=\"read\",le=\"+Inf\"} 5\n"
            "op_duration_seconds_sum{op=\"read\"} 90.0115\n"
            "op_duration_seconds_count{op=\"read\"} 5\n");
}

TEST(Exposition, DefaultHistogramBucketsAreA125SeriesOverTheRange) {
  auto b = hotpath::metrics::detail::default_buckets(1e-9);
  ASSERT_FALSE(b.empty());
  EXPECT_EQ(b.front(), 1e-9);
  EXPECT_EQ(b[1], 2.5e-9);
  EXPECT_EQ(b[2], 5e-9);
  EXPECT_EQ(b.back(), 2.5e4);  // 2^45 ns is about 3.5e4 s
  for (std::size_t i = 1; i < b.size(); ++i)
    EXPECT_LT(b[i - 1], b[i]);
}

TEST(Exposition, DefaultBucketLinesAgreeWithCountAtOrBelow) {
  histogram h;
  for (std::uint64_t v = 1; v < 100'000'000; v = v * 3 + 1)
    h.record(v);
  auto snap = h.snapshot();
  exposition out;
  out.add_histogram("t_seconds", "h", {}, snap, {.scale = 1e-9});
  std::string text = out.str();
  auto bounds = hotpath::metrics::detail::default_buckets(1e-9);
  std::size_t pos = 0;
  for (double b : bounds) {
    pos = text.find("t_seconds_bucket{le=\"", pos);
    ASSERT_NE(pos, std::string::npos);
    std::size_t value_at = text.find("} ", pos) + 2;
    std::uint64_t shown = std::stoull(text.substr(value_at, text.find('\n', value_at) - value_at));
    EXPECT_EQ(shown, snap.count_at_or_below(b * 1e9)) << "le=" << b;
    pos = value_at;
  }
  EXPECT_NE(text.find("t_seconds_bucket{le=\"+Inf\"} " + std::to_string(snap.count()) + "\n"),
            std::string::npos);
}

TEST(Exposition, RejectsInvalidNames) {
  exposition out;
  EXPECT_THROW(out.add_gauge("1abc", "h", {}, 1), hotpath::error);
  EXPECT_THROW(out.add_gauge("a-b", "h", {}, 1), hotpath::error);
  label bad[] = {{"__reserved", "x"}};
  EXPECT_THROW(out.add_gauge("ok", "h", bad, 1), hotpath::error);
  label le[] = {{"le", "x"}};
  EXPECT_THROW(out.add_histogram("hist", "h", le, histogram{}.snapshot()), hotpath::error);
}

TEST(Exposition, RejectsAFamilyWithTwoTypesOrTwoLabelSets) {
  exposition out;
  out.add_counter("x_total", "h", {}, 1);
  EXPECT_THROW(out.add_gauge("x_total", "h", {}, 1), hotpath::error);
  label a[] = {{"a", "1"}};
  EXPECT_THROW(out.add_counter("x_total", "h", a, 1), hotpath::error);
}

TEST(Exposition, RejectsBucketsThatDoNotAscend) {
  exposition out;
  histogram h;
  EXPECT_THROW(out.add_histogram("h", "h", {}, h.snapshot(), {.buckets = {1, 1}}), hotpath::error);
}

}  // namespace
