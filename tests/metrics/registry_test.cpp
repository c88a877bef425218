#include "hotpath/metrics/registry.hpp"

#include <gtest/gtest.h>

#include <string>
#include <thread>
#include <vector>

namespace {

using hotpath::metrics::registry;

TEST(Registry, RendersFamiliesInNameOrderWithTheirChildren) {
  registry reg;
  auto& req = reg.add_counter("requests_total", "Requests.", {"method", "code"});
  req.with({"GET", "200"}).inc(3);
  req.with({"GET", "500"}).inc();
  reg.add_gauge("depth", "Queue depth.").with().set(7);
  reg.add_histogram("size_bytes", "Sizes.", {}, {.buckets = {10, 100}}).with().record(50);
  EXPECT_EQ(reg.render_prometheus(),
            "# HELP depth Queue depth.\n# TYPE depth gauge\ndepth 7\n"
            "# HELP requests_total Requests.\n# TYPE requests_total counter\n"
            "requests_total{method=\"GET\",code=\"200\"} 3\n"
            "requests_total{method=\"GET\",code=\"500\"} 1\n"
            "# HELP size_bytes Sizes.\n# TYPE size_bytes histogram\n"
            "size_bytes_bucket{le=\"10\"} 0\nsize_bytes_bucket{le=\"100\"} 1\n"
            "size_bytes_bucket{le=\"+Inf\"} 1\nsize_bytes_sum 50\nsize_bytes_count 1\n");
}

TEST(Registry, WithReturnsTheSameChildForTheSameValues) {
  registry reg;
  auto& fam = reg.add_counter("a_total", "h", {"k"});
  EXPECT_EQ(&fam.with({"x"}), &fam.with({"x"}));
  EXPECT_NE(&fam.with({"x"}), &fam.with({"y"}));
  EXPECT_EQ(fam.size(), 2u);
  EXPECT_TRUE(fam.remove({"x"}));
  EXPECT_FALSE(fam.remove({"x"}));
  EXPECT_EQ(fam.size(), 1u);
}

TEST(Registry, AddingTheSameFamilyAgainReturnsIt) {
  registry reg;
  auto& a = reg.add_counter("a_total", "h", {"k"});
  EXPECT_EQ(&reg.add_counter("a_total", "h", {"k"}), &a);
  EXPECT_EQ(&reg.get_counter("a_total"), &a);
}

TEST(Registry, UnknownNameThrows) {
  registry reg;
  try {
    (void)reg.get_counter("nope_total");
    FAIL();
  } catch (const hotpath::error& e) {
    EXPECT_STREQ(e.what(), "hotpath::metrics::registry: no metric named 'nope_total'");
  }
  reg.add_gauge("g", "h");
  EXPECT_THROW((void)reg.get_counter("g"), hotpath::error);
  EXPECT_THROW((void)reg.get_histogram("g"), hotpath::error);
  EXPECT_NO_THROW((void)reg.get_gauge("g"));
}

TEST(Registry, WrongNumberOfLabelValuesThrows) {
  registry reg;
  auto& fam = reg.add_counter("req_total", "h", {"method", "code"});
  try {
    fam.with({"GET"});
    FAIL();
  } catch (const hotpath::error& e) {
    EXPECT_STREQ(e.what(),
                 "hotpath::metrics::registry: 'req_total' has 2 label(s) (method, code), got 1 "
                 "value(s)");
  }
  EXPECT_THROW(fam.with(), hotpath::error);
  EXPECT_THROW(fam.with({"a", "b", "c"}), hotpath::error);
  EXPECT_EQ(fam.size(), 0u);
}

TEST(Registry, RejectsBadNamesAndConflictingRegistrations) {
  registry reg;
  EXPECT_THROW(reg.add_counter("requests", "h"), hotpath::error);  // no _total
  EXPECT_THROW(reg.add_gauge("bad name", "h"), hotpath::error);
  EXPECT_THROW(reg.add_gauge("g", "h", {"0bad"}), hotpath::error);
  EXPECT_THROW(reg.add_histogram("h", "h", {"le"}), hotpath::error);
  reg.add_gauge("g", "h", {"a"});
  EXPECT_THROW(reg.add_gauge("g", "h", {"b"}), hotpath::error);
  EXPECT_THROW(reg.add_histogram("g", "h", {"a"}), hotpath::error);
}

TEST(Registry, CollectorsAddSamplesUntilTheirHandleGoes) {
  registry reg;
  int calls = 0;
  {
    auto handle = reg.add_collector([&](hotpath::metrics::exposition& out) {
      ++calls;
      out.add_gauge("pool_queue_depth", "Tasks queued.", {}, 4);
    });
    const std::string expected =
        "# HELP pool_queue_depth Tasks queued.\n# TYPE pool_queue_depth gauge\n"
        "pool_queue_depth 4\n";
    EXPECT_EQ(reg.render_prometheus(), expected);
    auto moved = std::move(handle);
    EXPECT_EQ(reg.render_prometheus(), expected);
  }
  EXPECT_EQ(reg.render_prometheus(), "");
  EXPECT_EQ(calls, 2);
}

TEST(Registry, ConcurrentLookupsAndRecordingCountEverything) {
  registry reg;
  auto& fam = reg.add_counter("ops_total", "h", {"worker"});
  constexpr int threads = 4;
  constexpr int per_thread = 20000;
  std::vector<std::thread> ts;
  for (int t = 0; t < threads; ++t) {
    ts.emplace_back([&, t] {
      std::string mine = std::to_string(t % 2);
      for (int i = 0; i < per_thread; ++i)
        fam.with({mine}).inc();
    });
  }
  std::thread scraper([&] {
    for (int i = 0; i < 50; ++i)
      (void)reg.render_prometheus();
  });
  for (auto& t : ts)
    t.join();
  scraper.join();
  EXPECT_EQ(fam.with({"0"}).value(), 2u * per_thread);
  EXPECT_EQ(fam.with({"1"}).value(), 2u * per_thread);
}

}  // namespace
