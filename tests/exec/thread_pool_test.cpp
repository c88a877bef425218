#include "hotpath/exec/thread_pool.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <functional>
#include <future>
#include <latch>
#include <memory>
#include <mutex>
#include <numeric>
#include <stdexcept>
#include <stop_token>
#include <string>
#include <thread>
#include <vector>

#include "hotpath/core/clock.hpp"
#include "hotpath/metrics/registry.hpp"

#if defined(__linux__)
#include <pthread.h>
#endif

namespace {

using namespace std::chrono_literals;
using hotpath::priority;
using hotpath::shutdown_mode;

using default_pool = hotpath::thread_pool<>;
using manual_pool = hotpath::thread_pool<hotpath::manual_clock>;

// Blocks the pool's only worker until release(), so tests can queue tasks behind it.
struct gate {
  std::latch started{1};
  std::latch open{1};
  template <class Pool>
  hotpath::future<void> block(Pool& pool) {
    auto f = pool.submit([this] {
      started.count_down();
      open.wait();
    });
    started.wait();
    return f;
  }
  void release() { open.count_down(); }
};

TEST(ThreadPool, SubmitReturnsTheResult) {
  default_pool pool({.threads = 2});
  EXPECT_EQ(pool.thread_count(), 2u);
  auto f = pool.submit([](int a, int b) { return a * b; }, 6, 7);
  EXPECT_EQ(f.get(), 42);
  auto up = pool.submit([](std::unique_ptr<int> p) { return *p + 1; }, std::make_unique<int>(9));
  EXPECT_EQ(up.get(), 10);
  int side = 0;
  pool.submit([&side] { side = 5; }).get();
  EXPECT_EQ(side, 5);
  auto s = pool.submit([] { return std::string(100, 'x'); });  // result larger than inline
  EXPECT_EQ(s.get().size(), 100u);
}

TEST(ThreadPool, DefaultsToTheAffinityCpuCount) {
  default_pool pool;
  EXPECT_EQ(pool.thread_count(), hotpath::detail::affinity_cpu_count());
}

TEST(ThreadPool, ExceptionsTravelThroughTheFuture) {
  default_pool pool({.threads = 2});
  auto f = pool.submit([]() -> int { throw std::invalid_argument("bad row 7"); });
  try {
    (void)f.get();
    FAIL() << "no exception";
  } catch (const std::invalid_argument& e) {
    EXPECT_STREQ(e.what(), "bad row 7");
  }
  pool.wait_idle();
  auto st = pool.stats();
  EXPECT_EQ(st.submitted, 1u);
  EXPECT_EQ(st.completed, 1u);
  EXPECT_EQ(st.failed, 1u);
}

TEST(ThreadPool, PostedExceptionsGoToTheErrorHandlerAndWorkersSurvive) {
  std::mutex mu;
  std::vector<std::string> errors;
  default_pool pool({.threads = 2, .on_error = [&](std::exception_ptr e) {
                       try {
                         std::rethrow_exception(e);
                       } catch (const std::exception& ex) {
                         std::lock_guard lock(mu);
                         errors.emplace_back(ex.what());
                       }
                     }});
  for (int i = 0; i < 10; ++i) {
    pool.post([i] {
      if (i % 2 == 0) throw std::runtime_error("task " + std::to_string(i));
    });
  }
  pool.wait_idle();
  EXPECT_EQ(errors.size(), 5u);
  EXPECT_EQ(pool.submit([] { return 1; }).get(), 1);
  pool.wait_idle();  // the counters move after the future is ready
  auto st = pool.stats();
  EXPECT_EQ(st.completed, 11u);
  EXPECT_EQ(st.failed, 5u);
}

template <class Pool>
void count_every_task(unsigned threads) {
  constexpr int producers = 4;
  constexpr int per_producer = 250'000;
  std::vector<std::atomic<std::uint8_t>> hits(producers * per_producer);
  Pool pool({.threads = threads});
  std::vector<std::thread> ps;
  for (int p = 0; p < producers; ++p) {
    ps.emplace_back([&, p] {
      for (int i = 0; i < per_producer; ++i) {
        pool.post([&hits, k = p * per_producer + i] { hits[static_cast<std::size_t>(k)]++; });
      }
    });
  }
  for (auto& t : ps)
    t.join();
  pool.wait_idle();
  std::size_t once = 0;
  for (auto& h : hits)
    once += h.load() == 1 ? 1 : 0;
  EXPECT_EQ(once, hits.size());
  auto st = pool.stats();
  EXPECT_EQ(st.submitted, hits.size());
  EXPECT_EQ(st.completed, hits.size());
  EXPECT_EQ(st.failed + st.cancelled + st.expired, 0u);
  EXPECT_EQ(st.queue_depth, 0u);
}

TEST(ThreadPool, RunsEveryTaskOfFourProducersExactlyOnce) {
  count_every_task<default_pool>(2);
}
TEST(ThreadPool, RunsEveryTaskExactlyOnceWithTheMutexQueueAndParking) {
  count_every_task<hotpath::thread_pool<hotpath::queue::mutex_deque, hotpath::idle::park>>(3);
}

// Submits 20'000 tasks one at a time, waiting for each, and sums their results.
template <class Pool>
long sum_one_at_a_time(unsigned threads) {
  Pool pool({.threads = threads});
  long sum = 0;
  for (int i = 0; i < 20'000; ++i)
    sum += pool.submit([i] { return i % 3; }).get();
  return sum;
}

// Workers park between these tasks; a lost wake-up would hang here (ctest's timeout fails it).
TEST(ThreadPool, NeverLosesAWakeUpBetweenSingleTasks) {
  long expected = 0;
  for (int i = 0; i < 20'000; ++i)
    expected += i % 3;
  EXPECT_EQ(sum_one_at_a_time<default_pool>(2), expected);
  EXPECT_EQ(sum_one_at_a_time<hotpath::thread_pool<hotpath::idle::spin_yield_then_park>>(2),
            expected);
  EXPECT_EQ(sum_one_at_a_time<hotpath::thread_pool<hotpath::idle::park>>(3), expected);
}

TEST(ThreadPool, BurstsFromTwoProducersAllRunWithParkingWorkers) {
  hotpath::thread_pool<hotpath::idle::park> pool({.threads = 2});
  std::atomic<int> ran{0};
  auto producer = [&] {
    for (int burst = 0; burst < 2'000; ++burst) {
      std::vector<hotpath::future<void>> fs;
      for (int k = 0; k < 1 + burst % 5; ++k)
        fs.push_back(pool.submit([&ran] { ++ran; }));
      for (auto& f : fs)
        f.get();
    }
  };
  std::thread a(producer);
  std::thread b(producer);
  a.join();
  b.join();
  int expected = 0;
  for (int burst = 0; burst < 2'000; ++burst)
    expected += 2 * (1 + burst % 5);
  EXPECT_EQ(ran.load(), expected);
}

TEST(ThreadPool, PostBulkRunsEveryTask) {
  default_pool pool({.threads = 2});
  std::atomic<int> sum{0};
  std::vector<std::function<void()>> tasks;
  for (int i = 1; i <= 1000; ++i)
    tasks.emplace_back([&sum, i] { sum += i; });
  pool.post_bulk(tasks);
  pool.wait_idle();
  EXPECT_EQ(sum.load(), 500500);
  EXPECT_EQ(pool.stats().completed, 1000u);
}

TEST(ThreadPool, PostBulkReportsEachFailureAndCountsEveryCallable) {
  std::atomic<int> errors{0};
  std::atomic<int> ran{0};
  default_pool pool({.threads = 2, .on_error = [&](std::exception_ptr) { ++errors; }});
  std::vector<std::function<void()>> tasks;
  for (int i = 0; i < 100; ++i) {
    tasks.emplace_back([&ran, i] {
      ++ran;
      if (i % 10 == 0) throw std::runtime_error("bad");
    });
  }
  pool.post_bulk(tasks);
  pool.wait_idle();
  EXPECT_EQ(ran.load(), 100);
  EXPECT_EQ(errors.load(), 10);
  auto st = pool.stats();
  EXPECT_EQ(st.submitted, 100u);
  EXPECT_EQ(st.completed, 100u);
  EXPECT_EQ(st.failed, 10u);
}

TEST(ThreadPool, CancelModeCountsEveryBulkCallableItDrops) {
  std::atomic<int> ran{0};
  gate g;
  auto pool = std::make_unique<default_pool>(
      hotpath::thread_pool_options{.threads = 1, .on_destroy = shutdown_mode::cancel});
  auto blocker = g.block(*pool);
  std::vector<std::function<void()>> tasks(500, [&ran] { ++ran; });
  pool->post_bulk(tasks);
  pool->pause();  // nothing of the bulk starts once the blocker ends
  g.release();
  blocker.get();
  pool->shutdown(shutdown_mode::cancel);
  auto st = pool->stats();
  EXPECT_EQ(ran.load(), 0);
  EXPECT_EQ(st.submitted, 501u);
  EXPECT_EQ(st.cancelled, 500u);
  EXPECT_EQ(st.completed, 1u);
}

TEST(ThreadPool, AHighTaskQueuedAfterALowOneStartsFirst) {
  default_pool pool({.threads = 1});
  gate g;
  auto blocker = g.block(pool);
  std::mutex mu;
  std::vector<std::string> order;
  auto note = [&](std::string s) {
    return [&, s] {
      std::lock_guard lock(mu);
      order.push_back(s);
    };
  };
  pool.post({.priority = priority::low}, note("low1"));
  pool.post({.priority = priority::normal}, note("normal"));
  pool.post({.priority = priority::low}, note("low2"));
  pool.post({.priority = priority::high}, note("high"));
  g.release();
  pool.wait_idle();
  EXPECT_EQ(order, (std::vector<std::string>{"high", "normal", "low1", "low2"}));
}

// Workers take normal tasks from the shared queue in batches, into their own deque; a batch
// keeps the queue's order.
TEST(ThreadPool, OneWorkerStartsOneProducersNormalTasksInOrder) {
  default_pool pool({.threads = 1});
  gate g;
  auto blocker = g.block(pool);
  std::vector<int> order;
  for (int i = 0; i < 100; ++i)
    pool.post([&order, i] { order.push_back(i); });  // one worker: no lock needed
  g.release();
  pool.wait_idle();
  std::vector<int> expected(100);
  std::iota(expected.begin(), expected.end(), 0);
  EXPECT_EQ(order, expected);
}

// A batch taken by a worker that then blocks in the batch's first task is not stuck behind it:
// the other worker steals the rest.
TEST(ThreadPool, TheRestOfABatchRunsWhileItsWorkerIsBusy) {
  default_pool pool({.threads = 2});
  pool.pause();
  std::latch open{1};
  std::atomic<int> small{0};
  std::promise<void> all_small;
  auto blocker = pool.submit([&] { open.wait(); });
  for (int i = 0; i < 15; ++i)
    pool.post([&] {
      if (small.fetch_add(1) + 1 == 15) all_small.set_value();
    });
  pool.resume();
  // A bounded wait detects a stuck batch; nothing here waits for time to pass.
  EXPECT_EQ(all_small.get_future().wait_for(30s), std::future_status::ready);
  EXPECT_EQ(small.load(), 15);
  open.count_down();
  blocker.get();
  pool.wait_idle();
  EXPECT_EQ(pool.stats().completed, 16u);
}

TEST(ThreadPool, ATaskPastItsDeadlineIsNotRun) {
  hotpath::manual_clock clk;
  manual_pool pool({.threads = 1}, clk);
  gate g;
  auto blocker = g.block(pool);
  bool late_ran = false;
  bool on_time_ran = false;
  auto late = pool.submit({.deadline = clk.now() + 10ms}, [&] { late_ran = true; });
  auto on_time = pool.submit({.deadline = clk.now() + 50ms}, [&] { on_time_ran = true; });
  clk.advance(20ms);
  g.release();
  EXPECT_THROW(late.get(), hotpath::deadline_exceeded);
  on_time.get();
  EXPECT_FALSE(late_ran);
  EXPECT_TRUE(on_time_ran);
  pool.wait_idle();
  auto st = pool.stats();
  EXPECT_EQ(st.expired, 1u);
  EXPECT_EQ(st.completed, 2u);  // the blocker and on_time
}

TEST(ThreadPool, AQueuedTaskWhoseTokenStoppedIsDropped) {
  default_pool pool({.threads = 1});
  gate g;
  auto blocker = g.block(pool);
  std::stop_source src;
  bool ran = false;
  auto f = pool.submit({.stop = src.get_token()}, [&] { ran = true; });
  src.request_stop();
  g.release();
  EXPECT_THROW(f.get(), hotpath::cancelled);
  EXPECT_FALSE(ran);
  pool.wait_idle();
  EXPECT_EQ(pool.stats().cancelled, 1u);
}

TEST(ThreadPool, ARunningTaskSeesItsStopToken) {
  default_pool pool({.threads = 2});
  std::stop_source src;
  std::latch started(1);
  auto f = pool.submit(
      {.stop = src.get_token()},
      [&](std::stop_token tok, int base) {
        started.count_down();
        int spins = 0;
        while (!tok.stop_requested())
          ++spins;
        return base + (spins >= 0 ? 1 : 0);
      },
      41);
  started.wait();
  src.request_stop();
  EXPECT_EQ(f.get(), 42);
}

int fib(default_pool& pool, int n) {
  if (n < 2) return n;
  auto a = pool.submit([&pool, n] { return fib(pool, n - 1); });
  int b = fib(pool, n - 2);
  return a.get() + b;
}

TEST(ThreadPool, NestedSubmitAndWaitDoesNotDeadlock) {
  for (unsigned threads : {1u, 2u}) {
    default_pool pool({.threads = threads});
    EXPECT_EQ(pool.submit([&pool] { return fib(pool, 18); }).get(), 2584);
    pool.wait_idle();
    EXPECT_EQ(pool.stats().submitted, pool.stats().completed);
  }
}

TEST(ThreadPool, WaitIdleForReportsATimeoutWhileATaskRuns) {
  default_pool pool({.threads = 1});
  gate g;
  auto blocker = g.block(pool);
  EXPECT_FALSE(pool.wait_idle_for(1ms));
  g.release();
  EXPECT_TRUE(pool.wait_idle_for(60s));
  EXPECT_TRUE(pool.wait_idle_for(0ms));
}

TEST(ThreadPool, PauseHoldsTasksUntilResume) {
  default_pool pool({.threads = 2});
  pool.pause();
  EXPECT_TRUE(pool.paused());
  std::atomic<int> ran{0};
  std::vector<hotpath::future<void>> fs;
  for (int i = 0; i < 20; ++i)
    fs.push_back(pool.submit([&] { ++ran; }));
  EXPECT_EQ(fs.front().wait_for(5ms), std::future_status::timeout);
  EXPECT_EQ(ran.load(), 0);
  EXPECT_EQ(pool.stats().queue_depth, 20u);
  pool.resume();
  for (auto& f : fs)
    f.get();
  EXPECT_EQ(ran.load(), 20);
}

// The pool is paused while the tasks queue, so none can run before the destructor starts: what
// runs, runs because shutdown drained it. Each queued task submits a child while the pool
// drains; the children run too.
TEST(ThreadPool, DestroyingDrainsQueuedTasksAndWhatTheySubmit) {
  std::atomic<int> parents{0};
  std::atomic<int> children{0};
  auto pool = std::make_unique<default_pool>(hotpath::thread_pool_options{.threads = 2});
  pool->pause();
  for (int i = 0; i < 100; ++i) {
    pool->post([&, p = pool.get()] {
      ++parents;
      p->post([&] { ++children; });
    });
  }
  EXPECT_EQ(pool->stats().queue_depth, 100u);
  EXPECT_EQ(parents.load(), 0);
  pool.reset();
  EXPECT_EQ(parents.load(), 100);
  EXPECT_EQ(children.load(), 100);
}

TEST(ThreadPool, SubmitFromOutsideThrowsOnceShutdownBegan) {
  default_pool pool({.threads = 1});
  gate g;
  auto blocker = g.block(pool);
  std::thread stopper([&] { pool.shutdown(); });
  // shutdown() closes the pool before it waits for the running task; poll until it has.
  bool refused = false;
  while (!refused) {
    try {
      pool.post([] {});
      std::this_thread::yield();
    } catch (const hotpath::error&) {
      refused = true;
    }
  }
  g.release();
  stopper.join();
  blocker.get();
  auto st = pool.stats();
  EXPECT_EQ(st.submitted, st.completed + st.cancelled);
}

TEST(ThreadPool, CancelModeCompletesQueuedFuturesWithCancelled) {
  std::atomic<int> ran{0};
  gate g;
  auto pool = std::make_unique<default_pool>(
      hotpath::thread_pool_options{.threads = 1, .on_destroy = shutdown_mode::cancel});
  auto blocker = g.block(*pool);
  std::vector<hotpath::future<void>> fs;
  for (int i = 0; i < 100; ++i)
    fs.push_back(pool->submit([&] { ++ran; }));
  std::thread destroyer([&] { pool.reset(); });
  for (auto& f : fs)
    f.wait();  // completed by the shutdown while the worker is still blocked
  g.release();
  destroyer.join();
  blocker.get();  // the running task finished normally
  for (auto& f : fs)
    EXPECT_THROW(f.get(), hotpath::cancelled);
  EXPECT_EQ(ran.load(), 0);
}

// Workers take normal tasks from the shared queue 16 at a time, so a cancel that empties the
// queues races with workers holding such batches. Whatever the timing, every future ends exactly
// once, with its value or with cancelled, and the counters add up.
TEST(ThreadPool, CancelModeUnderLoadEndsEveryFutureExactlyOnce) {
  for (int round = 0; round < 20; ++round) {
    constexpr int n = 20'000;
    std::atomic<int> ran{0};
    default_pool pool({.threads = 2});
    std::vector<hotpath::future<int>> fs;
    fs.reserve(n);
    for (int i = 0; i < n; ++i) {
      fs.push_back(pool.submit([&ran, i] {
        ++ran;
        return i;
      }));
    }
    while (ran.load() < 100)
      std::this_thread::yield();
    pool.shutdown(shutdown_mode::cancel);
    int values = 0;
    int cancelled = 0;
    for (int i = 0; i < n; ++i) {
      try {
        EXPECT_EQ(fs[static_cast<std::size_t>(i)].get(), i);
        ++values;
      } catch (const hotpath::cancelled&) {
        ++cancelled;
      }
    }
    EXPECT_EQ(values, ran.load());
    EXPECT_EQ(values + cancelled, n);
    auto st = pool.stats();
    EXPECT_EQ(st.submitted, static_cast<std::uint64_t>(n));
    EXPECT_EQ(st.completed, static_cast<std::uint64_t>(values));
    EXPECT_EQ(st.cancelled, static_cast<std::uint64_t>(cancelled));
  }
}

// A queue policy for the test below: mutex_deque's queue, whose bulk pop (what a worker takes
// from the shared queue, up to 16 at once) can be told to stop, with the items in hand, until
// the test lets it go on.
struct holding_queue {
  static inline std::latch* holding = nullptr;  // counted down once items are in hand
  static inline std::latch* go_on = nullptr;    // waited on before they are returned
  template <class T>
  class queue : public hotpath::queue::mutex_deque::queue<T> {
   public:
    struct consumer {
      explicit consumer(queue&) {}
    };
    std::size_t try_pop_bulk(T* out, std::size_t max, consumer&) {
      std::size_t n = 0;
      while (n < max && this->try_pop(out[n]))
        ++n;
      if (n > 1 && holding != nullptr) {
        std::exchange(holding, nullptr)->count_down();
        std::exchange(go_on, nullptr)->wait();
      }
      return n;
    }
  };
};

// The race the cancel mode must win, made deterministic: the only worker has taken ten tasks
// off the shared queue and holds them when shutdown(cancel) empties the queues. None of the ten
// may run; each ends as cancelled.
TEST(ThreadPool, CancelModeDropsTasksAWorkerHeldWhileTheQueuesWereEmptied) {
  std::latch holding(1);
  std::latch go_on(1);
  holding_queue::holding = &holding;
  holding_queue::go_on = &go_on;
  hotpath::thread_pool<holding_queue> pool({.threads = 1});
  std::atomic<int> ran{0};
  std::vector<hotpath::future<void>> held;
  pool.pause();  // queue all ten before the worker looks
  for (int i = 0; i < 10; ++i)
    held.push_back(pool.submit([&ran] { ++ran; }));
  pool.resume();
  holding.wait();
  // Queued behind the held batch: the shutdown's sweep cancels it, so its count moving says
  // the sweep (and the flag set before it) has happened.
  auto swept = pool.submit({.priority = priority::high}, [&ran] { ++ran; });
  std::thread stopper([&] { pool.shutdown(shutdown_mode::cancel); });
  while (pool.stats().cancelled == 0)
    std::this_thread::yield();
  go_on.count_down();
  stopper.join();
  EXPECT_THROW(swept.get(), hotpath::cancelled);
  for (auto& f : held)
    EXPECT_THROW(f.get(), hotpath::cancelled);
  EXPECT_EQ(ran.load(), 0);
  auto st = pool.stats();
  EXPECT_EQ(st.submitted, 11u);
  EXPECT_EQ(st.cancelled, 11u);
  EXPECT_EQ(st.completed, 0u);
}

// A task queued before shutdown may submit while the pool drains; what it submits then may
// not, so a task that re-posts itself ends instead of keeping the destructor waiting forever.
TEST(ThreadPool, ATaskThatRepostsItselfCannotKeepADrainingPoolAlive) {
  std::atomic<int> runs{0};
  std::atomic<int> refused{0};
  auto pool = std::make_unique<default_pool>(hotpath::thread_pool_options{.threads = 1});
  default_pool* p = pool.get();  // reset() clears `pool` before the destructor drains
  std::function<void()> tick = [&] {
    ++runs;
    try {
      p->post(tick);
    } catch (const hotpath::error&) {
      ++refused;
    }
  };
  p->pause();
  p->post(tick);
  pool.reset();  // drains: tick runs, re-posts once (queued before), the re-post's re-post fails
  EXPECT_EQ(runs.load(), 2);
  EXPECT_EQ(refused.load(), 1);
}

TEST(ThreadPool, SubmitBulkReturnsEveryResultInOrder) {
  default_pool pool({.threads = 2});
  std::vector<std::function<int()>> tasks;
  for (int i = 0; i < 1000; ++i)
    tasks.emplace_back([i] {
      if (i == 500) throw std::runtime_error("five hundred");
      return i * 3;
    });
  auto fs = pool.submit_bulk(tasks);
  ASSERT_EQ(fs.size(), 1000u);
  for (int i = 0; i < 1000; ++i) {
    if (i == 500) {
      EXPECT_THROW((void)fs[500].get(), std::runtime_error);
    } else {
      EXPECT_EQ(fs[static_cast<std::size_t>(i)].get(), i * 3);
    }
  }
  pool.wait_idle();
  auto st = pool.stats();
  EXPECT_EQ(st.submitted, 1000u);
  EXPECT_EQ(st.completed, 1000u);
  EXPECT_EQ(st.failed, 1u);
}

TEST(ThreadPool, APostedTaskPastItsDeadlineIsNotRun) {
  hotpath::manual_clock clk;
  std::atomic<int> errors{0};
  manual_pool pool({.threads = 1, .on_error = [&](std::exception_ptr) { ++errors; }}, clk);
  gate g;
  auto blocker = g.block(pool);
  bool late_ran = false;
  bool on_time_ran = false;
  pool.post({.deadline = clk.now() + 10ms}, [&] { late_ran = true; });
  pool.post({.deadline = clk.now() + 50ms}, [&] { on_time_ran = true; });
  clk.advance(20ms);
  g.release();
  pool.wait_idle();
  EXPECT_FALSE(late_ran);
  EXPECT_TRUE(on_time_ran);
  EXPECT_EQ(errors.load(), 0);  // an expired post is counted, not reported as an error
  auto st = pool.stats();
  EXPECT_EQ(st.expired, 1u);
  EXPECT_EQ(st.completed, 2u);
}

TEST(ThreadPool, WithoutAnErrorHandlerPostedErrorsAreCountedAndTheFirstIsPrinted) {
  testing::internal::CaptureStderr();
  {
    default_pool pool({.threads = 2, .name = "loud"});
    for (int i = 0; i < 3; ++i)
      pool.post([i] { throw std::runtime_error("bad row " + std::to_string(i)); });
    pool.post([] { throw 7; });
    pool.wait_idle();
    auto st = pool.stats();
    EXPECT_EQ(st.failed, 4u);
    EXPECT_EQ(st.completed, 4u);
  }
  std::string err = testing::internal::GetCapturedStderr();
  EXPECT_EQ(err.find("hotpath::thread_pool 'loud': a posted task threw"), 0u) << err;
  // Exactly one line, whichever task failed first.
  EXPECT_EQ(std::count(err.begin(), err.end(), '\n'), 1) << err;
}

TEST(ThreadPool, DelayedTasksRunAfterTheirDelayOrAreCancelledAtShutdown) {
  default_pool pool({.threads = 1});
  auto soon = pool.submit_after(0ms, [] { return 1; });
  EXPECT_EQ(soon.get(), 1);
  std::latch ran(1);
  pool.post_after(0ms, [&ran] { ran.count_down(); });
  auto late = pool.submit_after(1h, [] { return 2; });
  ran.wait();  // the timer thread posted it when its (zero) delay was up
  pool.shutdown();
  EXPECT_THROW((void)late.get(), hotpath::cancelled);
  EXPECT_THROW(pool.post_after(0ms, [] {}), hotpath::error);
}

TEST(ThreadPool, WaitIdleAndShutdownFromAWorkerThrowInsteadOfDeadlocking) {
  default_pool pool({.threads = 1, .name = "self"});
  auto f = pool.submit([&pool] {
    std::string errors;
    try {
      pool.wait_idle();
    } catch (const hotpath::error& e) {
      errors += e.what();
    }
    try {
      pool.shutdown();
    } catch (const hotpath::error& e) {
      errors += std::string("|") + e.what();
    }
    return errors;
  });
  EXPECT_EQ(f.get(),
            "hotpath::thread_pool 'self': wait_idle called from one of its own workers would "
            "deadlock|hotpath::thread_pool 'self': shutdown called from one of its own workers "
            "would deadlock");
}

TEST(ThreadPool, SubmitAfterShutdownThrows) {
  default_pool pool({.threads = 1, .name = "io"});
  pool.shutdown();
  try {
    pool.post([] {});
    FAIL();
  } catch (const hotpath::error& e) {
    EXPECT_STREQ(e.what(), "hotpath::thread_pool 'io': submit after shutdown");
  }
  pool.shutdown();  // a second call does nothing
}

TEST(ThreadPool, TimesTasksWithItsClock) {
  hotpath::manual_clock clk;
  manual_pool pool({.threads = 1, .timing_sample = 1}, clk);
  gate g;
  auto blocker = g.block(pool);
  auto f = pool.submit([&clk] { clk.advance(5ms); });
  clk.advance(2ms);  // f waits 2 ms in the queue
  g.release();
  f.get();
  pool.wait_idle();
  auto st = pool.stats();
  EXPECT_EQ(st.run_time_ns.count(), 2u);
  EXPECT_EQ(st.run_time_ns.sum(), 5'000'000u + 2'000'000u);  // f ran 5 ms, the blocker 2 ms
  EXPECT_EQ(st.queue_wait_ns.count(), 2u);
  EXPECT_EQ(st.queue_wait_ns.sum(), 2'000'000u);
}

TEST(ThreadPool, ExportsItsStatsToARegistry) {
  hotpath::metrics::registry reg;
  default_pool pool({.threads = 1});
  pool.register_metrics(reg, "ingest_pool");
  pool.submit([] {}).get();
  pool.wait_idle();
  std::string page = reg.render_prometheus();
  EXPECT_NE(page.find("\ningest_pool_tasks_submitted_total 1\n"), std::string::npos) << page;
  EXPECT_NE(page.find("\ningest_pool_tasks_completed_total 1\n"), std::string::npos);
  EXPECT_NE(page.find("\ningest_pool_threads 1\n"), std::string::npos);
  EXPECT_NE(page.find("# TYPE ingest_pool_run_seconds histogram"), std::string::npos);
}

TEST(ThreadPool, RunsThreadHooksAndNamesThreads) {
  std::mutex mu;
  std::vector<unsigned> started;
  std::vector<std::string> names;
  std::atomic<int> exited{0};
  {
    default_pool pool({.threads = 2,
                       .name = "parser",
                       .on_thread_start =
                           [&](unsigned i) {
                             char buf[16] = {};
#if defined(__linux__)
                             pthread_getname_np(pthread_self(), buf, sizeof buf);
#endif
                             std::lock_guard lock(mu);
                             started.push_back(i);
                             names.emplace_back(buf);
                           },
                       .on_thread_exit = [&](unsigned) { ++exited; }});
    pool.wait_idle();
  }
  std::sort(started.begin(), started.end());
  std::sort(names.begin(), names.end());
  EXPECT_EQ(started, (std::vector<unsigned>{0, 1}));
#if defined(__linux__)
  EXPECT_EQ(names, (std::vector<std::string>{"parser-0", "parser-1"}));
#endif
  EXPECT_EQ(exited.load(), 2);
}

TEST(ThreadPool, CutsThreadNamesToTheFifteenCharactersLinuxKeeps) {
#if defined(__linux__)
  std::string name;
  {
    default_pool pool({.threads = 1, .name = "document-ingest", .on_thread_start = [&](unsigned) {
                         char buf[16] = {};
                         pthread_getname_np(pthread_self(), buf, sizeof buf);
                         name = buf;
                       }});
    pool.wait_idle();
  }
  EXPECT_EQ(name, "document-ingest");  // "document-ingest-0" cut to 15
#else
  GTEST_SKIP() << "thread names are read back on Linux only";
#endif
}

}  // namespace
