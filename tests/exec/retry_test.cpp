#include "hotpath/exec/retry.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <latch>
#include <memory>
#include <random>
#include <stdexcept>
#include <string>
#include <system_error>
#include <vector>

#include "hotpath/core/clock.hpp"
#include "hotpath/exec/thread_pool.hpp"

namespace {

using namespace std::chrono_literals;
using hotpath::backoff;
using hotpath::retry_policy;

// Records the delays instead of sleeping.
struct recording_sleep {
  std::vector<std::chrono::nanoseconds>* out;
  void operator()(std::chrono::nanoseconds d) const { out->push_back(d); }
};

TEST(Retry, SucceedsAfterTransientFailures) {
  std::vector<std::chrono::nanoseconds> slept;
  int calls = 0;
  int v = hotpath::retry(
      [&] {
        if (++calls < 3) throw std::runtime_error("flaky");
        return 7;
      },
      retry_policy{.max_attempts = 3, .backoff = backoff::constant, .base_delay = 5ms},
      recording_sleep{&slept});
  EXPECT_EQ(v, 7);
  EXPECT_EQ(calls, 3);
  EXPECT_EQ(slept, (std::vector<std::chrono::nanoseconds>{5ms, 5ms}));
}

TEST(Retry, GivesUpAfterMaxAttemptsAndRethrowsTheLastError) {
  std::vector<std::chrono::nanoseconds> slept;
  int calls = 0;
  try {
    hotpath::retry([&] { throw std::runtime_error("attempt " + std::to_string(++calls)); },
                   retry_policy{.max_attempts = 4}, recording_sleep{&slept});
    FAIL();
  } catch (const std::runtime_error& e) {
    EXPECT_STREQ(e.what(), "attempt 4");
  }
  EXPECT_EQ(calls, 4);
  EXPECT_EQ(slept.size(), 3u);
}

TEST(Retry, ExponentialDelaysGrowUpToTheCap) {
  std::vector<std::chrono::nanoseconds> slept;
  EXPECT_THROW(hotpath::retry([] { throw std::runtime_error("down"); },
                              retry_policy{.max_attempts = 6,
                                           .backoff = backoff::exponential,
                                           .base_delay = 10ms,
                                           .max_delay = 50ms,
                                           .multiplier = 2.0},
                              recording_sleep{&slept}),
               std::runtime_error);
  EXPECT_EQ(slept, (std::vector<std::chrono::nanoseconds>{10ms, 20ms, 40ms, 50ms, 50ms}));
}

TEST(Retry, FullJitterStaysUnderTheExponentialBound) {
  retry_policy p{.backoff = backoff::full_jitter, .base_delay = 10ms, .max_delay = 1s};
  std::minstd_rand rng(1);
  std::chrono::nanoseconds lo = 1h, hi = 0ns;
  for (int i = 0; i < 2000; ++i) {
    auto d = p.delay(3, 0ns, rng);  // bound: 10 ms * 2^2 = 40 ms
    ASSERT_GE(d, 0ns);
    ASSERT_LE(d, 40ms);
    lo = std::min(lo, d);
    hi = std::max(hi, d);
  }
  EXPECT_LT(lo, 4ms);  // spread over the range, not a constant
  EXPECT_GT(hi, 36ms);
}

TEST(Retry, DecorrelatedJitterStaysBetweenBaseAndThreeTimesThePreviousDelay) {
  retry_policy p{.backoff = backoff::decorrelated_jitter, .base_delay = 10ms, .max_delay = 100ms};
  std::minstd_rand rng(2);
  std::chrono::nanoseconds prev = 10ms;
  for (unsigned k = 1; k < 500; ++k) {
    auto d = p.delay(k, prev, rng);
    ASSERT_GE(d, 10ms);
    ASSERT_LE(d, std::min<std::chrono::nanoseconds>(100ms, 3 * prev + 1ns));
    prev = d;
  }
}

TEST(Retry, DecorrelatedJitterDrawsTheFirstDelayBetweenBaseAndThreeTimesBase) {
  retry_policy p{.backoff = backoff::decorrelated_jitter, .base_delay = 10ms, .max_delay = 1s};
  std::minstd_rand rng(3);
  std::chrono::nanoseconds lo = 1h, hi = 0ns;
  for (int i = 0; i < 2000; ++i) {
    auto d = p.delay(1, 0ns, rng);
    ASSERT_GE(d, 10ms);
    ASSERT_LE(d, 30ms);
    lo = std::min(lo, d);
    hi = std::max(hi, d);
  }
  EXPECT_LT(lo, 11ms);
  EXPECT_GT(hi, 29ms);
}

TEST(Retry, RetriesOnlyTheExceptionsThePredicateNames) {
  int calls = 0;
  std::vector<std::chrono::nanoseconds> slept;
  retry_policy p{.max_attempts = 5,
                 .retry_on = hotpath::retry_on<std::system_error, std::range_error>()};
  EXPECT_THROW(hotpath::retry(
                   [&] {
                     ++calls;
                     throw std::invalid_argument("bad input");
                   },
                   p, recording_sleep{&slept}),
               std::invalid_argument);
  EXPECT_EQ(calls, 1);
  calls = 0;
  EXPECT_THROW(hotpath::retry(
                   [&] {
                     ++calls;
                     throw std::system_error(std::make_error_code(std::errc::connection_refused));
                   },
                   p, recording_sleep{&slept}),
               std::system_error);
  EXPECT_EQ(calls, 5);
}

TEST(Retry, ARetryableResultIsRetriedAndTheLastOneReturned) {
  std::vector<std::chrono::nanoseconds> slept;
  int calls = 0;
  auto is_503 = [](int status) { return status == 503; };
  int status = hotpath::retry([&] { return ++calls < 3 ? 503 : 200; },
                              retry_policy{.max_attempts = 5}, recording_sleep{&slept}, is_503);
  EXPECT_EQ(status, 200);
  EXPECT_EQ(calls, 3);
  calls = 0;
  status = hotpath::retry(
      [&] {
        ++calls;
        return 503;
      },
      retry_policy{.max_attempts = 2}, recording_sleep{&slept}, is_503);
  EXPECT_EQ(status, 503);
  EXPECT_EQ(calls, 2);
}

TEST(Retry, InvalidPoliciesAreRejected) {
  auto noop = [] {};
  EXPECT_THROW(hotpath::retry(noop, retry_policy{.max_attempts = 0}), hotpath::error);
  EXPECT_THROW(hotpath::retry(noop, retry_policy{.base_delay = 2s, .max_delay = 1s}),
               hotpath::error);
  EXPECT_THROW(hotpath::retry(noop, retry_policy{.multiplier = 0.5}), hotpath::error);
}

TEST(RetryBudget, AllowsRetriesForARatioOfCallsInTheWindow) {
  hotpath::manual_clock clk;
  hotpath::retry_budget<hotpath::manual_clock> budget(
      {.ratio = 0.1, .window = 10s, .min_per_window = 0}, clk);
  for (int i = 0; i < 100; ++i)
    budget.record_call();
  int granted = 0;
  for (int i = 0; i < 20; ++i)
    granted += budget.try_acquire_retry() ? 1 : 0;
  EXPECT_EQ(granted, 10);
  EXPECT_EQ(budget.retries_in_window(), 10u);
  clk.advance(11s);  // calls and retries leave the window
  EXPECT_EQ(budget.retries_in_window(), 0u);
  EXPECT_FALSE(budget.try_acquire_retry());
  for (int i = 0; i < 10; ++i)
    budget.record_call();
  EXPECT_TRUE(budget.try_acquire_retry());
  EXPECT_FALSE(budget.try_acquire_retry());
}

TEST(RetryBudget, StopsRetryWhenExhausted) {
  auto budget = std::make_shared<hotpath::retry_budget<>>(
      hotpath::retry_budget<>::options{.ratio = 0.0, .min_per_window = 1});
  std::vector<std::chrono::nanoseconds> slept;
  int calls = 0;
  retry_policy p{.max_attempts = 10, .budget = budget};
  EXPECT_THROW(hotpath::retry(
                   [&] {
                     ++calls;
                     throw std::runtime_error("x");
                   },
                   p, recording_sleep{&slept}),
               std::runtime_error);
  EXPECT_EQ(calls, 2);  // the first attempt and the one retry the budget had
}

// A budget on a manual clock, through the policy: one retry per window, and the window moves
// only when the clock does.
TEST(RetryBudget, APolicyTakesABudgetOnAnyClock) {
  hotpath::manual_clock clk;
  auto budget = std::make_shared<hotpath::retry_budget<hotpath::manual_clock>>(
      hotpath::retry_budget<hotpath::manual_clock>::options{
          .ratio = 0.0, .window = 10s, .min_per_window = 1},
      clk);
  retry_policy p{.max_attempts = 10, .base_delay = 0ns, .max_delay = 0ns, .budget = budget};
  auto failing = [](int& calls) {
    return [&calls] {
      ++calls;
      throw std::runtime_error("x");
    };
  };
  std::vector<std::chrono::nanoseconds> slept;
  int first = 0;
  EXPECT_THROW(hotpath::retry(failing(first), p, recording_sleep{&slept}), std::runtime_error);
  EXPECT_EQ(first, 2);
  int second = 0;
  EXPECT_THROW(hotpath::retry(failing(second), p, recording_sleep{&slept}), std::runtime_error);
  EXPECT_EQ(second, 1);  // the window's one retry is spent
  clk.advance(11s);
  int third = 0;
  EXPECT_THROW(hotpath::retry(failing(third), p, recording_sleep{&slept}), std::runtime_error);
  EXPECT_EQ(third, 2);
  EXPECT_EQ(budget->retries_in_window(), 1u);
}

TEST(RetryAsync, RetriesOnThePoolUntilSuccess) {
  hotpath::thread_pool<> pool({.threads = 2});
  std::atomic<int> calls{0};
  auto f = hotpath::retry_async(
      pool,
      [&] {
        if (++calls < 4) throw std::runtime_error("not yet");
        return std::string("done");
      },
      retry_policy{.max_attempts = 5, .backoff = backoff::constant, .base_delay = 0ns});
  EXPECT_EQ(f.get(), "done");
  EXPECT_EQ(calls.load(), 4);
}

TEST(RetryAsync, ReportsTheLastErrorWhenAttemptsRunOut) {
  hotpath::thread_pool<> pool({.threads = 1});
  std::atomic<int> calls{0};
  auto f = hotpath::retry_async(
      pool, [&]() -> int { throw std::runtime_error("try " + std::to_string(++calls)); },
      retry_policy{.max_attempts = 3, .base_delay = 0ns, .max_delay = 0ns});
  try {
    (void)f.get();
    FAIL();
  } catch (const std::runtime_error& e) {
    EXPECT_STREQ(e.what(), "try 3");
  }
}

TEST(RetryAsync, RetriesARetryableResultAndReturnsTheLastOne) {
  hotpath::thread_pool<> pool({.threads = 2});
  std::atomic<int> calls{0};
  auto busy = [](int status) { return status == 503; };
  auto until_ok = hotpath::retry_async(
      pool, [&] { return ++calls < 3 ? 503 : 200; },
      retry_policy{.max_attempts = 5, .backoff = backoff::constant, .base_delay = 0ns}, busy);
  EXPECT_EQ(until_ok.get(), 200);
  EXPECT_EQ(calls.load(), 3);
  calls = 0;
  auto never_ok = hotpath::retry_async(
      pool, [&] { return ++calls, 503; },
      retry_policy{.max_attempts = 4, .backoff = backoff::constant, .base_delay = 0ns}, busy);
  EXPECT_EQ(never_ok.get(), 503);
  EXPECT_EQ(calls.load(), 4);
}

TEST(RetryAsync, StopsWhenTheBudgetIsSpent) {
  hotpath::thread_pool<> pool({.threads = 1});
  auto budget = std::make_shared<hotpath::retry_budget<>>(
      hotpath::retry_budget<>::options{.ratio = 0.0, .window = 1h, .min_per_window = 2});
  retry_policy p{
      .max_attempts = 10, .backoff = backoff::constant, .base_delay = 0ns, .budget = budget};
  std::atomic<int> calls{0};
  auto f = hotpath::retry_async(
      pool, [&]() -> int { throw std::runtime_error(std::to_string(++calls)); }, p);
  EXPECT_THROW((void)f.get(), std::runtime_error);
  EXPECT_EQ(calls.load(), 3);  // the first attempt and the two retries the budget had
  EXPECT_EQ(budget->retries_in_window(), 2u);
}

TEST(RetryAsync, DoesNotHoldAWorkerWhileItBacksOff) {
  hotpath::thread_pool<> pool({.threads = 1});
  std::latch failed_once(1);
  auto f = hotpath::retry_async(
      pool,
      [&]() -> int {
        failed_once.count_down();
        throw std::runtime_error("down");
      },
      retry_policy{
          .max_attempts = 2, .backoff = backoff::constant, .base_delay = 1h, .max_delay = 1h});
  failed_once.wait();
  // The only worker is free although the retry waits an hour.
  EXPECT_EQ(pool.submit([] { return 5; }).get(), 5);
  pool.shutdown(hotpath::shutdown_mode::cancel);
  EXPECT_THROW((void)f.get(), hotpath::cancelled);
}

}  // namespace
