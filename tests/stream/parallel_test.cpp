#include "hotpath/stream/parallel.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <mutex>
#include <stdexcept>
#include <string>
#include <vector>

#include "hotpath/exec/thread_pool.hpp"
#include "hotpath/stream/line_reader.hpp"
#include "stream_test_util.hpp"

namespace hs = hotpath::stream;

namespace {

void spin_for(std::chrono::microseconds d) {
  auto until = std::chrono::steady_clock::now() + d;
  while (std::chrono::steady_clock::now() < until) {
  }
}

// Records how many callbacks run at once, at most.
struct concurrency {
  std::atomic<int> live{0}, peak{0};
  void enter() {
    int now = live.fetch_add(1) + 1;
    int p = peak.load();
    while (now > p && !peak.compare_exchange_weak(p, now)) {
    }
  }
  void leave() { live.fetch_sub(1); }
};

std::uint64_t line_hash(std::string_view line) {
  std::uint64_t h = 1469598103934665603ull;
  for (char c : line)
    h = (h ^ static_cast<unsigned char>(c)) * 1099511628211ull;
  return h;
}

TEST(ParallelLines, SeesEveryLineOnceWithTheSameSumAsASerialPass) {
  hotpath_test::temp_dir dir;
  std::string text = hotpath_test::make_text(3 << 20) + "last line without newline\r\nx";
  std::string gz = hotpath_test::compress_with(dir, text, "gzip");
  std::uint64_t want_sum = 0, want_lines = 0;
  hs::line_reader<hs::memory_source> serial{hs::memory_source(text)};
  for (std::string_view l : serial) {
    want_sum += line_hash(l);
    ++want_lines;
  }
  hotpath::thread_pool<> pool({.threads = 3});
  for (std::size_t chunk : {std::size_t{1000}, std::size_t{65536}, std::size_t{1} << 22}) {
    hs::block_reader<hs::memory_source> in(hs::memory_source(gz, 5000));
    std::atomic<std::uint64_t> sum{0}, count{0};
    auto stats = hs::parallel_lines(in, pool,
                                    [&](std::string_view l) {
                                      sum.fetch_add(line_hash(l), std::memory_order_relaxed);
                                      count.fetch_add(1, std::memory_order_relaxed);
                                    },
                                    {.chunk_bytes = chunk, .max_in_flight = 4});
    EXPECT_EQ(count.load(), want_lines) << chunk;
    EXPECT_EQ(stats.lines, want_lines);
    EXPECT_EQ(sum.load(), want_sum);
    EXPECT_EQ(stats.bytes, text.size());
  }
}

// More workers than chunks allowed in flight, and callbacks slow enough to overlap: the bound,
// not the pool's size, is what keeps the count down.
TEST(ForEachChunk, ChunksEndAtLineBreaksAndKeepAtMostMaxInFlight) {
  std::string text = hotpath_test::make_text(2 << 20);
  hotpath::thread_pool<> pool({.threads = 6});
  hs::block_reader<hs::memory_source> in(hs::memory_source(text, 7000));
  concurrency running;
  std::mutex m;
  std::vector<std::pair<std::uint64_t, std::string>> seen;
  auto stats = hs::for_each_chunk(in, pool,
                                  [&](const hs::chunk& c) {
                                    running.enter();
                                    spin_for(std::chrono::microseconds(200));
                                    EXPECT_EQ(c.data.back(), '\n');
                                    {
                                      std::lock_guard lock(m);
                                      seen.emplace_back(c.offset, std::string(c.data));
                                    }
                                    running.leave();
                                  },
                                  {.chunk_bytes = 50000, .max_in_flight = 2});
  EXPECT_LE(running.peak.load(), 2);
  std::sort(seen.begin(), seen.end());
  std::string joined;
  for (auto& [off, d] : seen) {
    EXPECT_EQ(off, joined.size());
    joined += d;
  }
  EXPECT_EQ(joined, text);
  EXPECT_EQ(stats.chunks, seen.size());
}

// Earlier chunks take longer, so later ones finish first; the results still reach the consumer
// in input order, and no more than max_in_flight chunks run at once.
TEST(ForEachChunkOrdered, ConsumesResultsInInputOrder) {
  std::string text = hotpath_test::make_text(1 << 20);
  hotpath::thread_pool<> pool({.threads = 6});
  hs::block_reader<hs::memory_source> in{hs::memory_source(text)};
  std::vector<std::uint64_t> order;
  std::string joined;
  concurrency running;
  hs::for_each_chunk_ordered(
      in, pool,
      [&](const hs::chunk& c) {
        running.enter();
        spin_for(std::chrono::microseconds(50 * (4 - static_cast<int>(c.index % 4))));
        running.leave();
        return std::pair{c.index, std::string(c.data)};
      },
      [&](std::pair<std::uint64_t, std::string>&& r) {
        order.push_back(r.first);
        joined += r.second;
      },
      {.chunk_bytes = 10000, .max_in_flight = 5});
  for (std::size_t i = 0; i < order.size(); ++i)
    ASSERT_EQ(order[i], i);
  EXPECT_EQ(joined, text);
  EXPECT_LE(running.peak.load(), 5);
}

TEST(ForEachChunk, TheFirstExceptionReachesTheCallerAfterRunningChunksFinish) {
  std::string text = hotpath_test::make_text(1 << 20);
  hotpath::thread_pool<> pool({.threads = 2});
  hs::block_reader<hs::memory_source> in{hs::memory_source(text)};
  std::atomic<int> ran{0};
  EXPECT_THROW(hs::for_each_chunk(in, pool,
                                  [&](const hs::chunk& c) {
                                    ran.fetch_add(1);
                                    if (c.index == 3) throw std::runtime_error("chunk 3");
                                  },
                                  {.chunk_bytes = 10000, .max_in_flight = 4}),
               std::runtime_error);
  // Reading stops: at most the chunks in flight after chunk 3 were started.
  EXPECT_LE(ran.load(), 3 + 1 + 4);
  pool.wait_idle();
}

TEST(ForEachChunk, DecodingErrorsReachTheCaller) {
  hotpath_test::temp_dir dir;
  std::string gz = hotpath_test::compress_with(dir, hotpath_test::make_text(1 << 20), "gzip");
  gz.resize(gz.size() - 5);
  hotpath::thread_pool<> pool({.threads = 2});
  hs::block_reader<hs::memory_source> in{hs::memory_source(gz)};
  std::atomic<std::uint64_t> bytes{0};
  EXPECT_THROW(
      hs::for_each_chunk(in, pool, [&](const hs::chunk& c) { bytes.fetch_add(c.data.size()); },
                         {.chunk_bytes = 10000}),
      hs::format_error);
}

TEST(ForEachChunk, ALineLongerThanTheChunkIsKeptWholeUpToTheLimit) {
  std::string text = "short\n" + std::string(30000, 'x') + "\nend\n";
  hotpath::thread_pool<> pool({.threads = 2});
  hs::block_reader<hs::memory_source> in(hs::memory_source(text, 100), {.buffer_bytes = 100});
  std::vector<std::string> lines;
  std::mutex m;
  hs::parallel_lines(in, pool,
                     [&](std::string_view l) {
                       std::lock_guard lock(m);
                       lines.emplace_back(l);
                     },
                     {.chunk_bytes = 1000});
  std::sort(lines.begin(), lines.end());
  EXPECT_EQ(lines, (std::vector<std::string>{"end", "short", std::string(30000, 'x')}));
  hs::block_reader<hs::memory_source> in2(hs::memory_source(text, 100), {.buffer_bytes = 100});
  EXPECT_THROW(hs::parallel_lines(in2, pool, [](std::string_view) {},
                                  {.chunk_bytes = 1000, .max_line_bytes = 5000}),
               hs::format_error);
}

}  // namespace
