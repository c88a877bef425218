#include "hotpath/exec/batch_processor.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <latch>
#include <map>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "hotpath/core/clock.hpp"
#include "hotpath/exec/thread_pool.hpp"
#include "hotpath/metrics/registry.hpp"

namespace {

using namespace std::chrono_literals;
using hotpath::flush_reason;
using hotpath::overflow;

template <class T>
struct recorder {
  std::mutex mu;
  std::vector<std::vector<T>> batches;
  auto sink() {
    return [this](const std::vector<T>& b) {
      std::lock_guard lock(mu);
      batches.push_back(b);
    };
  }
};

int reason(const hotpath::batch_stats& s, flush_reason r) {
  return static_cast<int>(s.flushes[static_cast<int>(r)]);
}

TEST(BatchProcessor, CutsABatchEveryMaxItems) {
  hotpath::thread_pool<> pool({.threads = 2});
  recorder<int> rec;
  hotpath::batch_processor<int> bp(pool, rec.sink(), {.max_items = 3, .max_delay = 1h});
  for (int i = 1; i <= 7; ++i)
    EXPECT_TRUE(bp.add(i));
  bp.flush();
  EXPECT_EQ(rec.batches, (std::vector<std::vector<int>>{{1, 2, 3}, {4, 5, 6}, {7}}));
  auto s = bp.stats();
  EXPECT_EQ(reason(s, flush_reason::items), 2);
  EXPECT_EQ(reason(s, flush_reason::explicit_), 1);
  EXPECT_EQ(s.added, 7u);
  EXPECT_EQ(s.delivered, 7u);
  EXPECT_EQ(s.batches, 3u);
  EXPECT_DOUBLE_EQ(s.mean_batch_size(), 7.0 / 3);
  EXPECT_EQ(s.queue_depth, 0u);
  EXPECT_EQ(s.sink_ns.count(), 3u);
}

TEST(BatchProcessor, CutsBeforeAnItemWouldPassMaxBytes) {
  hotpath::thread_pool<> pool({.threads = 1});
  recorder<std::string> rec;
  hotpath::batch_processor<std::string, hotpath::weigh_by_size> bp(
      pool, rec.sink(), {.max_items = 100, .max_bytes = 10, .max_delay = 1h});
  bp.add("aaaa");
  bp.add("bbbb");
  bp.add("cccc");  // 12 bytes with the two before: they go first
  bp.flush();
  EXPECT_EQ(rec.batches, (std::vector<std::vector<std::string>>{{"aaaa", "bbbb"}, {"cccc"}}));
  EXPECT_EQ(reason(bp.stats(), flush_reason::bytes), 1);
}

TEST(BatchProcessor, SendsAnOversizedItemAloneAndAtOnce) {
  hotpath::thread_pool<> pool({.threads = 1});
  recorder<std::string> rec;
  hotpath::batch_processor<std::string, hotpath::weigh_by_size> bp(
      pool, rec.sink(), {.max_items = 100, .max_bytes = 10, .max_delay = 1h});
  bp.add("ab");
  bp.add(std::string(20, 'x'));
  bp.flush();
  EXPECT_EQ(rec.batches, (std::vector<std::vector<std::string>>{{"ab"}, {std::string(20, 'x')}}));
  auto s = bp.stats();
  EXPECT_EQ(s.batches, 2u);
  EXPECT_EQ(reason(s, flush_reason::bytes), 1);  // "ab", cut ahead of the big one
  EXPECT_EQ(reason(s, flush_reason::oversized), 1);
  EXPECT_EQ(reason(s, flush_reason::explicit_), 0);  // both were cut before flush()
}

TEST(BatchProcessor, CutsWhenTheOldestItemWaitedMaxDelay) {
  hotpath::manual_clock clk;
  hotpath::thread_pool<> pool({.threads = 1});
  recorder<int> rec;
  hotpath::batch_processor<int, hotpath::manual_clock> bp(
      pool, rec.sink(), {.max_items = 100, .max_delay = 50ms}, clk);
  bp.add(1);
  clk.advance(30ms);
  bp.add(2);
  clk.advance(19ms);
  bp.poll();
  EXPECT_EQ(bp.stats().batches, 0u);  // the oldest waited 49 ms
  clk.advance(1ms);
  bp.poll();
  auto s = bp.stats();
  EXPECT_EQ(s.batches, 1u);
  EXPECT_EQ(reason(s, flush_reason::delay), 1);
  bp.flush();
  EXPECT_EQ(rec.batches, (std::vector<std::vector<int>>{{1, 2}}));
}

TEST(BatchProcessor, RejectRefusesNewItemsWhenFull) {
  hotpath::thread_pool<> pool({.threads = 1});
  recorder<int> rec;
  std::vector<std::pair<int, overflow>> dropped;
  hotpath::batch_processor<int> bp(
      pool, rec.sink(),
      {.max_items = 100,
       .max_delay = 1h,
       .capacity = 2,
       .on_overflow = overflow::reject,
       .on_drop = [&](int&& v, overflow why) { dropped.emplace_back(v, why); }});
  EXPECT_TRUE(bp.add(1));
  EXPECT_TRUE(bp.add(2));
  EXPECT_FALSE(bp.add(3));
  bp.flush();
  EXPECT_EQ(rec.batches, (std::vector<std::vector<int>>{{1, 2}}));
  EXPECT_EQ(dropped, (std::vector<std::pair<int, overflow>>{{3, overflow::reject}}));
  EXPECT_EQ(bp.stats().rejected, 1u);
}

TEST(BatchProcessor, DropOldestEvictsTheOldestWaitingItem) {
  hotpath::thread_pool<> pool({.threads = 1});
  recorder<int> rec;
  std::vector<int> dropped;
  hotpath::batch_processor<int> bp(pool, rec.sink(),
                                   {.max_items = 100,
                                    .max_delay = 1h,
                                    .capacity = 2,
                                    .on_overflow = overflow::drop_oldest,
                                    .on_drop = [&](int&& v, overflow) { dropped.push_back(v); }});
  EXPECT_TRUE(bp.add(1));
  EXPECT_TRUE(bp.add(2));
  EXPECT_TRUE(bp.add(3));
  bp.flush();
  EXPECT_EQ(rec.batches, (std::vector<std::vector<int>>{{2, 3}}));
  EXPECT_EQ(dropped, (std::vector<int>{1}));
  auto s = bp.stats();
  EXPECT_EQ(s.dropped, 1u);
  EXPECT_EQ(s.added, 3u);
  EXPECT_EQ(s.delivered, 2u);
}

TEST(BatchProcessor, BlockTimesOutWhileTheSinkHoldsEverything) {
  hotpath::thread_pool<> pool({.threads = 1});
  std::latch in_sink(1), release(1);
  std::mutex mu;
  std::vector<int> got;
  hotpath::batch_processor<int> bp(pool,
                                   [&](const std::vector<int>& b) {
                                     if (b.front() == 1) {
                                       in_sink.count_down();
                                       release.wait();
                                     }
                                     std::lock_guard lock(mu);
                                     got.insert(got.end(), b.begin(), b.end());
                                   },
                                   {.max_items = 1, .capacity = 1, .block_timeout = 1ms});
  EXPECT_TRUE(bp.add(1));
  in_sink.wait();
  EXPECT_FALSE(bp.add(2));  // capacity 1 is taken by the batch in the sink
  EXPECT_EQ(bp.stats().rejected, 1u);
  release.count_down();
  bp.flush();  // batch {1} is delivered: its slot is free again
  EXPECT_TRUE(bp.add(3));
  bp.close();
  EXPECT_EQ(got, (std::vector<int>{1, 3}));
}

TEST(BatchProcessor, BlockWaitsForSpaceWithoutATimeout) {
  hotpath::thread_pool<> pool({.threads = 1});
  std::latch in_sink(1), release(1);
  std::atomic<int> delivered{0};
  hotpath::batch_processor<int> bp(pool,
                                   [&](const std::vector<int>& b) {
                                     if (b.front() == 1) {
                                       in_sink.count_down();
                                       release.wait();
                                     }
                                     delivered += static_cast<int>(b.size());
                                   },
                                   {.max_items = 1, .capacity = 1});
  EXPECT_TRUE(bp.add(1));
  in_sink.wait();
  std::atomic<bool> added{false};
  std::thread producer([&] { added = bp.add(2); });
  release.count_down();
  producer.join();
  EXPECT_TRUE(added.load());
  bp.close();
  EXPECT_EQ(delivered.load(), 2);
}

TEST(BatchProcessor, RetriesAFailingSinkUntilItSucceeds) {
  hotpath::thread_pool<> pool({.threads = 2});
  std::atomic<int> calls{0};
  recorder<int> rec;
  hotpath::batch_processor<int> bp(
      pool,
      [&](const std::vector<int>& b) {
        if (++calls < 3) throw std::runtime_error("db busy");
        rec.sink()(b);
      },
      {.max_items = 10, .retry = {.max_attempts = 3, .base_delay = 0ns, .max_delay = 0ns}});
  bp.add(1);
  bp.add(2);
  bp.flush();
  EXPECT_EQ(rec.batches, (std::vector<std::vector<int>>{{1, 2}}));
  auto s = bp.stats();
  EXPECT_EQ(s.sink_failures, 2u);
  EXPECT_EQ(s.delivered, 2u);
  EXPECT_EQ(s.dead_lettered, 0u);
}

TEST(BatchProcessor, ABatchThatFailsEveryAttemptGoesToTheDeadLetter) {
  hotpath::thread_pool<> pool({.threads = 2});
  std::vector<int> dead;
  std::string why;
  hotpath::batch_processor<int> bp(
      pool, [](const std::vector<int>&) { throw std::runtime_error("disk full"); },
      {.max_items = 10,
       .retry = {.max_attempts = 2, .base_delay = 0ns, .max_delay = 0ns},
       .dead_letter = [&](std::vector<int>&& b, std::exception_ptr e) {
         dead = std::move(b);
         try {
           std::rethrow_exception(e);
         } catch (const std::exception& ex) {
           why = ex.what();
         }
       }});
  bp.add(1);
  bp.add(2);
  bp.flush();
  EXPECT_EQ(dead, (std::vector<int>{1, 2}));
  EXPECT_EQ(why, "disk full");
  auto s = bp.stats();
  EXPECT_EQ(s.sink_failures, 2u);
  EXPECT_EQ(s.dead_lettered, 2u);
  EXPECT_EQ(s.delivered, 0u);
}

TEST(BatchProcessor, DeliversEveryItemOfFourProducersExactlyOnce) {
  hotpath::thread_pool<> pool({.threads = 2});
  constexpr int producers = 4;
  constexpr int per_producer = 50'000;
  std::vector<std::atomic<std::uint8_t>> hits(producers * per_producer);
  {
    hotpath::batch_processor<int> bp(
        pool,
        [&](const std::vector<int>& b) {
          for (int v : b)
            hits[static_cast<std::size_t>(v)]++;
        },
        {.max_items = 64, .max_delay = 1ms, .capacity = 1000, .max_in_flight = 2});
    std::vector<std::thread> ps;
    for (int p = 0; p < producers; ++p) {
      ps.emplace_back([&, p] {
        for (int i = 0; i < per_producer; ++i)
          ASSERT_TRUE(bp.add(p * per_producer + i));
      });
    }
    for (auto& t : ps)
      t.join();
    bp.close();
    auto s = bp.stats();
    EXPECT_EQ(s.added, hits.size());
    EXPECT_EQ(s.delivered, hits.size());
    EXPECT_EQ(s.queue_depth, 0u);
  }
  std::size_t once = 0;
  for (auto& h : hits)
    once += h.load() == 1 ? 1 : 0;
  EXPECT_EQ(once, hits.size());
}

TEST(BatchProcessor, AccountsForEveryItemUnderOverflowFromFourProducers) {
  for (overflow policy : {overflow::reject, overflow::drop_oldest}) {
    hotpath::thread_pool<> pool({.threads = 2});
    constexpr int producers = 4;
    constexpr int per_producer = 20'000;
    std::vector<std::atomic<std::uint8_t>> seen(producers * per_producer);
    std::atomic<std::uint64_t> refused{0};
    std::atomic<std::uint64_t> accepted{0};
    {
      hotpath::batch_processor<int> bp(pool,
                                       [&](const std::vector<int>& b) {
                                         // Hold the sink until the buffer has overflowed once,
                                         // so the overflow path runs whatever the timing.
                                         while (refused.load() == 0)
                                           std::this_thread::yield();
                                         for (int v : b)
                                           seen[static_cast<std::size_t>(v)]++;
                                       },
                                       {.max_items = 32,
                                        .max_delay = 1ms,
                                        .capacity = 64,
                                        .on_overflow = policy,
                                        .max_in_flight = 2,
                                        .on_drop = [&](int&& v, overflow) {
                                          seen[static_cast<std::size_t>(v)]++;
                                          ++refused;
                                        }});
      std::vector<std::thread> ps;
      for (int p = 0; p < producers; ++p) {
        ps.emplace_back([&, p] {
          for (int i = 0; i < per_producer; ++i)
            accepted += bp.add(p * per_producer + i) ? 1 : 0;
        });
      }
      for (auto& t : ps)
        t.join();
      bp.close();
      auto s = bp.stats();
      // Every item is either delivered or handed to on_drop, exactly once.
      EXPECT_EQ(s.delivered + s.rejected + s.dropped, seen.size());
      EXPECT_EQ(s.rejected + s.dropped, refused.load());
      EXPECT_GT(refused.load(), 0u);
      EXPECT_EQ(s.added, accepted.load());
      if (policy == overflow::reject) {
        EXPECT_EQ(s.dropped, 0u);
      }
    }
    std::size_t once = 0;
    for (auto& h : seen)
      once += h.load() == 1 ? 1 : 0;
    EXPECT_EQ(once, seen.size());
  }
}

// overflow::block under load: producers wait instead of losing items, so every item reaches the
// sink exactly once, and no more than `capacity` items are ever accepted and undelivered.
TEST(BatchProcessor, BlockingProducersLoseNothingAndNeverPassTheCapacity) {
  hotpath::thread_pool<> pool({.threads = 2});
  constexpr int producers = 4;
  constexpr int per_producer = 25'000;
  constexpr std::size_t capacity = 100;
  std::vector<std::atomic<std::uint8_t>> seen(producers * per_producer);
  std::atomic<std::uint64_t> max_depth{0};
  hotpath::batch_processor<int>* self = nullptr;
  {
    hotpath::batch_processor<int> bp(
        pool,
        [&](const std::vector<int>& b) {
          std::uint64_t depth = self->stats().queue_depth;
          std::uint64_t m = max_depth.load();
          while (depth > m && !max_depth.compare_exchange_weak(m, depth)) {
          }
          for (int v : b)
            seen[static_cast<std::size_t>(v)]++;
        },
        {.max_items = 16,
         .max_delay = 1ms,
         .capacity = capacity,
         .on_overflow = overflow::block,
         .max_in_flight = 2});
    self = &bp;
    std::vector<std::thread> ps;
    for (int p = 0; p < producers; ++p) {
      ps.emplace_back([&, p] {
        for (int i = 0; i < per_producer; ++i)
          EXPECT_TRUE(bp.add(p * per_producer + i));
      });
    }
    for (auto& t : ps)
      t.join();
    bp.close();
    auto s = bp.stats();
    EXPECT_EQ(s.added, seen.size());
    EXPECT_EQ(s.delivered, seen.size());
    EXPECT_EQ(s.rejected + s.dropped, 0u);
  }
  EXPECT_LE(max_depth.load(), capacity);
  EXPECT_GT(max_depth.load(), 0u);
  std::size_t once = 0;
  for (auto& h : seen)
    once += h.load() == 1 ? 1 : 0;
  EXPECT_EQ(once, seen.size());
}

// max_in_flight = 2: two batches reach the sink at once (the first two calls wait for each
// other), and never three.
TEST(BatchProcessor, RunsUpToMaxInFlightBatchesAtOnce) {
  hotpath::thread_pool<> pool({.threads = 4});
  std::mutex mu;
  std::condition_variable cv;
  int inside = 0;
  int most = 0;
  int calls = 0;
  int arrived = 0;
  bool timed_out = false;
  hotpath::batch_processor<int> bp(pool,
                                   [&](const std::vector<int>&) {
                                     std::unique_lock lock(mu);
                                     most = std::max(most, ++inside);
                                     if (++calls <= 2) {
                                       // The first two batches meet here: only a second batch
                                       // in flight can let the first one go on.
                                       ++arrived;
                                       cv.notify_all();
                                       if (!cv.wait_for(lock, 30s, [&] { return arrived == 2; }))
                                         timed_out = true;
                                     }
                                     --inside;
                                   },
                                   {.max_items = 1, .max_in_flight = 2});
  for (int i = 0; i < 8; ++i)
    bp.add(i);
  bp.flush();
  EXPECT_FALSE(timed_out);
  EXPECT_EQ(most, 2);
  EXPECT_EQ(calls, 8);
  EXPECT_EQ(bp.stats().delivered, 8u);
}

// One partition, three batches in flight that finish out of order: each flush() still returns
// only once every item added before it has reached the sink.
TEST(BatchProcessor, FlushWaitsForEveryEarlierBatchWhenBatchesOverlap) {
  hotpath::thread_pool<> pool({.threads = 3});
  constexpr int n = 30'000;
  std::vector<std::atomic<std::uint8_t>> delivered(n);
  std::atomic<int> added_upto{0};
  std::atomic<int> broken_flushes{0};
  {
    hotpath::batch_processor<int> bp(pool,
                                     [&](const std::vector<int>& b) {
                                       if (b.front() % 7 == 0) {  // some batches take longer
                                         auto until = std::chrono::steady_clock::now() + 20us;
                                         while (std::chrono::steady_clock::now() < until) {
                                         }
                                       }
                                       for (int v : b)
                                         delivered[static_cast<std::size_t>(v)]++;
                                     },
                                     {.max_items = 4, .max_in_flight = 3});
    std::thread producer([&] {
      for (int i = 0; i < n; ++i) {
        bp.add(i);
        added_upto.store(i + 1);
      }
    });
    std::thread flusher([&] {
      for (int round = 0; round < 300; ++round) {
        int upto = added_upto.load();
        bp.flush();
        for (int i = 0; i < upto; ++i) {
          if (delivered[static_cast<std::size_t>(i)].load() != 1) {
            ++broken_flushes;
            break;
          }
        }
      }
    });
    producer.join();
    flusher.join();
    bp.flush();
    EXPECT_EQ(bp.stats().delivered, static_cast<std::uint64_t>(n));
  }
  EXPECT_EQ(broken_flushes.load(), 0);
  std::size_t once = 0;
  for (auto& d : delivered)
    once += d.load() == 1 ? 1 : 0;
  EXPECT_EQ(once, delivered.size());
}

TEST(BatchProcessor, WithoutADeadLetterAFailedBatchIsCountedAndReportedOnce) {
  hotpath::thread_pool<> pool({.threads = 1});
  testing::internal::CaptureStderr();
  {
    hotpath::batch_processor<int> bp(
        pool, [](const std::vector<int>&) { throw std::runtime_error("db down"); },
        {.max_items = 2});
    for (int i = 0; i < 6; ++i)
      bp.add(i);
    bp.flush();
    auto s = bp.stats();
    EXPECT_EQ(s.dead_lettered, 6u);
    EXPECT_EQ(s.delivered, 0u);
    EXPECT_EQ(s.sink_failures, 3u);
  }
  std::string err = testing::internal::GetCapturedStderr();
  EXPECT_EQ(err,
            "hotpath::batch_processor: a batch of 2 items failed every attempt (db down) and has "
            "no dead_letter; counted in stats().dead_lettered\n");
}

TEST(BatchProcessor, ExportsItsStatsToARegistry) {
  hotpath::thread_pool<> pool({.threads = 1});
  hotpath::metrics::registry reg;
  std::string page;
  {
    hotpath::batch_processor<int> bp(pool, [](const std::vector<int>&) {}, {.max_items = 2});
    bp.register_metrics(reg, "rows");
    for (int i = 0; i < 5; ++i)
      bp.add(i);
    bp.flush();
    page = reg.render_prometheus();
  }
  EXPECT_NE(page.find("\nrows_items_added_total 5\n"), std::string::npos) << page;
  EXPECT_NE(page.find("\nrows_items_delivered_total 5\n"), std::string::npos) << page;
  EXPECT_NE(page.find("\nrows_batches_total{reason=\"items\"} 2\n"), std::string::npos) << page;
  EXPECT_NE(page.find("\nrows_batches_total{reason=\"explicit\"} 1\n"), std::string::npos) << page;
  EXPECT_NE(page.find("\nrows_queue_depth 0\n"), std::string::npos) << page;
  EXPECT_NE(page.find("\nrows_sink_seconds_count 3\n"), std::string::npos) << page;
  // Unregistered with the processor: the registry no longer reads a dead object.
  EXPECT_EQ(reg.render_prometheus().find("rows_"), std::string::npos);
}

TEST(BatchProcessor, KeepsTheOrderOfEachKeyAcrossPartitions) {
  struct event {
    int key;
    int seq;
  };
  hotpath::thread_pool<> pool({.threads = 2});
  std::mutex mu;
  std::map<int, int> last;
  bool in_order = true;
  int seen = 0;
  {
    hotpath::batch_processor<event> bp(
        pool,
        [&](const std::vector<event>& b) {
          std::lock_guard lock(mu);
          for (const auto& e : b) {
            auto [it, fresh] = last.emplace(e.key, e.seq);
            if (!fresh) {
              in_order = in_order && e.seq > it->second;
              it->second = e.seq;
            }
            ++seen;
          }
        },
        {.max_items = 8,
         .max_delay = 1ms,
         .max_in_flight = 4,
         .partitions = 4,
         .key = [](const event& e) { return static_cast<std::size_t>(e.key); }});
    for (int i = 0; i < 20'000; ++i)
      bp.add({i % 13, i});
  }
  EXPECT_TRUE(in_order);
  EXPECT_EQ(seen, 20'000);
}

TEST(BatchProcessor, RejectsBadOptionsAndAddAfterClose) {
  hotpath::thread_pool<> pool({.threads = 1});
  auto sink = [](const std::vector<int>&) {};
  EXPECT_THROW((hotpath::batch_processor<int>(pool, sink, {.max_items = 0})), hotpath::error);
  EXPECT_THROW((hotpath::batch_processor<int>(pool, sink, {.partitions = 2})), hotpath::error);
  hotpath::batch_processor<int> bp(pool, sink);
  bp.close();
  EXPECT_THROW(bp.add(1), hotpath::error);
}

TEST(BatchProcessor, DeadLettersWhatAShutDownPoolCannotRun) {
  hotpath::thread_pool<> pool({.threads = 1});
  std::vector<int> dead;
  hotpath::batch_processor<int> bp(
      pool, [](const std::vector<int>&) {},
      {.max_items = 10, .dead_letter = [&](std::vector<int>&& b, std::exception_ptr) {
         dead.insert(dead.end(), b.begin(), b.end());
       }});
  bp.add(1);
  bp.add(2);
  pool.shutdown();
  bp.close();
  EXPECT_EQ(dead, (std::vector<int>{1, 2}));
  EXPECT_EQ(bp.stats().dead_lettered, 2u);
}

}  // namespace
