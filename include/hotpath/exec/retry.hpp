// hotpath/exec/retry.hpp: retrying a failing call with backoff, a retry-on predicate and a retry
// budget.
//
//   hotpath::retry_policy policy{.max_attempts = 5,
//                                .backoff = hotpath::backoff::full_jitter,
//                                .base_delay = std::chrono::milliseconds(20),
//                                .max_delay = std::chrono::seconds(2),
//                                .retry_on = hotpath::retry_on<std::system_error>()};
//   Row r = hotpath::retry([&] { return fetch(key); }, policy);      // sleeps between attempts
//   auto f = hotpath::retry_async(pool, [&] { return fetch(key); }, policy);  // never blocks a
//                                                                    // worker while it waits
//
// Delays for retry number k (k = 1 after the first failure), capped at max_delay:
//   constant: base; exponential: base * multiplier^(k-1); full_jitter: uniform in [0, exponential];
//   decorrelated_jitter: uniform in [base, 3 * previous delay], the first in [base, 3 * base]
//   (AWS's "decorrelated jitter").
// A retry_budget shared by many calls allows retries for at most `ratio` of the calls seen in a
// sliding window (plus a floor per window), so a failing dependency is not hit by a retry storm.
// When the last attempt fails (or the predicate or the budget says no), the last exception is
// rethrown, or the last result returned when a result predicate asked for the retry.
//
// Thread safety: retry_policy is a value; a retry_budget may be shared by any threads.
#pragma once

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <deque>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <thread>
#include <type_traits>
#include <utility>

#include "hotpath/config.hpp"
#include "hotpath/core/clock.hpp"
#include "hotpath/core/error.hpp"
#include "hotpath/exec/future.hpp"

namespace hotpath::inline HOTPATH_ABI {

/// How the delay between attempts grows.
enum class backoff : std::uint8_t { constant, exponential, full_jitter, decorrelated_jitter };

/// What a retry_policy consults before each retry; retry_budget<Clock> is the implementation.
/// Virtual because a policy is a plain value whatever the budget's clock, and it is called once
/// per call and once per retry, never per item.
class retry_budget_base {
 public:
  virtual ~retry_budget_base() = default;
  /// Counts a first attempt.
  virtual void record_call() = 0;
  /// Takes one retry if the budget allows it.
  virtual bool try_acquire_retry() = 0;
  /// Retries taken within the current window.
  [[nodiscard]] virtual std::uint64_t retries_in_window() = 0;
};

/// Admits retries for at most `ratio` of the calls seen in the last `window`, plus
/// `min_per_window` retries. Shared by every call to one dependency:
///
///   auto budget = std::make_shared<hotpath::retry_budget<>>();   // 10% + 10 per 10 s
///   hotpath::retry_policy policy{.max_attempts = 4, .budget = budget};
template <hotpath::clock Clock = std::chrono::steady_clock>
class retry_budget final : public retry_budget_base {
 public:
  struct options {
    double ratio = 0.1;
    std::chrono::nanoseconds window = std::chrono::seconds(10);
    unsigned min_per_window = 10;
  };

  explicit retry_budget(options opts = {}, Clock clk = Clock{})
      : opts_(opts), clock_(std::move(clk)) {
    if (!(opts_.ratio >= 0.0) || opts_.window.count() <= 0) {
      hotpath::detail::throw_error("hotpath::retry_budget: ratio ", opts_.ratio, " and window ",
                                   opts_.window.count(), " ns must be >= 0 and > 0");
    }
  }

  /// Counts a first attempt.
  void record_call() override {
    std::lock_guard lock(mu_);
    expire();
    events_.push_back({clock_.now(), false});
    ++calls_;
  }
  /// Takes one retry if the budget allows it.
  bool try_acquire_retry() override {
    std::lock_guard lock(mu_);
    expire();
    double allowed = opts_.ratio * static_cast<double>(calls_) + opts_.min_per_window;
    if (static_cast<double>(retries_) + 1.0 > allowed) return false;
    events_.push_back({clock_.now(), true});
    ++retries_;
    return true;
  }
  /// Retries taken within the current window.
  [[nodiscard]] std::uint64_t retries_in_window() override {
    std::lock_guard lock(mu_);
    expire();
    return retries_;
  }

 private:
  struct event {
    typename Clock::time_point at;
    bool retry;
  };
  void expire() {
    auto horizon = clock_.now() - opts_.window;
    while (!events_.empty() && events_.front().at <= horizon) {
      (events_.front().retry ? retries_ : calls_) -= 1;
      events_.pop_front();
    }
  }

  options opts_;
  Clock clock_;
  std::mutex mu_;
  std::deque<event> events_;
  std::uint64_t calls_ = 0;
  std::uint64_t retries_ = 0;
};

/// How many times to try, how long to wait between tries, and which failures to retry.
struct retry_policy {
  /// Attempts in all, the first included; 1 means no retry.
  unsigned max_attempts = 3;
  hotpath::backoff backoff = hotpath::backoff::exponential;
  std::chrono::nanoseconds base_delay = std::chrono::milliseconds(10);
  std::chrono::nanoseconds max_delay = std::chrono::seconds(1);
  double multiplier = 2.0;
  /// Which exceptions to retry; empty: every exception.
  std::function<bool(const std::exception_ptr&)> retry_on = {};
  /// Shared budget consulted before each retry (a retry_budget<Clock> of any clock); none when
  /// null.
  std::shared_ptr<retry_budget_base> budget = {};

  /// Checks the values; throws hotpath::error naming the bad one.
  void validate() const {
    if (max_attempts == 0) hotpath::detail::throw_error("hotpath::retry_policy: max_attempts is 0");
    if (base_delay.count() < 0 || max_delay < base_delay) {
      hotpath::detail::throw_error("hotpath::retry_policy: delays must satisfy 0 <= base_delay (",
                                   base_delay.count(), " ns) <= max_delay (", max_delay.count(),
                                   " ns)");
    }
    if (!(multiplier >= 1.0)) {
      hotpath::detail::throw_error("hotpath::retry_policy: multiplier ", multiplier, " < 1");
    }
  }

  /// The delay before retry number `k` (1-based) given the previous delay (0 before the first).
  template <class Rng>
  std::chrono::nanoseconds delay(unsigned k, std::chrono::nanoseconds previous, Rng& rng) const {
    auto cap = static_cast<double>(max_delay.count());
    auto base = static_cast<double>(base_delay.count());
    double exp = std::min(cap, base * std::pow(multiplier, static_cast<double>(k - 1)));
    double d = base;
    switch (backoff) {
      case hotpath::backoff::constant:
        d = base;
        break;
      case hotpath::backoff::exponential:
        d = exp;
        break;
      case hotpath::backoff::full_jitter:
        d = std::uniform_real_distribution<double>(0.0, exp)(rng);
        break;
      case hotpath::backoff::decorrelated_jitter: {
        double prev = previous.count() > 0 ? static_cast<double>(previous.count()) : base;
        double hi = std::max(base, 3.0 * prev);
        d = std::min(cap, std::uniform_real_distribution<double>(base, hi)(rng));
        break;
      }
    }
    return std::chrono::nanoseconds(static_cast<std::int64_t>(std::min(cap, d)));
  }
};

namespace detail {
template <class E>
bool holds_exception(const std::exception_ptr& e) {
  try {
    std::rethrow_exception(e);
  } catch (const E&) {
    return true;
  } catch (...) {
    return false;
  }
}
}  // namespace detail

/// A retry_on predicate that matches any of the exception types Es (and types derived from them).
template <class... Es>
std::function<bool(const std::exception_ptr&)> retry_on() {
  return [](const std::exception_ptr& e) { return (detail::holds_exception<Es>(e) || ...); };
}

namespace detail {

inline std::minstd_rand& retry_rng() {
  thread_local std::minstd_rand rng(static_cast<std::uint32_t>(
      std::hash<std::thread::id>{}(std::this_thread::get_id()) ^
      static_cast<std::size_t>(std::chrono::steady_clock::now().time_since_epoch().count())));
  return rng;
}

struct no_result_check {
  template <class T>
  bool operator()(const T&) const noexcept {
    return false;
  }
};

// One retry loop's decisions, shared by the blocking and the pool versions.
class retry_state {
 public:
  explicit retry_state(const retry_policy& p) : policy_(&p) {
    p.validate();
    if (p.budget) p.budget->record_call();
  }
  /// After a failed attempt: the delay before the next one, or nullopt to give up.
  std::optional<std::chrono::nanoseconds> next(const std::exception_ptr* error) {
    if (attempt_ >= policy_->max_attempts) return std::nullopt;
    if (error != nullptr && policy_->retry_on && !policy_->retry_on(*error)) return std::nullopt;
    if (policy_->budget && !policy_->budget->try_acquire_retry()) return std::nullopt;
    previous_ = policy_->delay(attempt_, previous_, retry_rng());
    ++attempt_;
    return previous_;
  }
  [[nodiscard]] unsigned attempt() const noexcept { return attempt_; }

 private:
  const retry_policy* policy_;
  unsigned attempt_ = 1;
  std::chrono::nanoseconds previous_{0};
};

}  // namespace detail

/// Calls f() until it succeeds or the policy gives up, calling sleep(delay) between attempts.
/// `retry_result(value)` returning true treats a returned value as a failure to retry (the last
/// such value is returned when attempts run out).
template <class F, class Sleep, class ResultCheck = detail::no_result_check>
auto retry(F&& f, const retry_policy& policy, Sleep&& sleep, ResultCheck retry_result = {})
    -> std::invoke_result_t<F&> {
  using R = std::invoke_result_t<F&>;
  detail::retry_state state(policy);
  for (;;) {
    std::exception_ptr error;
    if constexpr (std::is_void_v<R>) {
      try {
        f();
        return;
      } catch (...) {
        error = std::current_exception();
      }
    } else {
      try {
        R r = f();
        if (!retry_result(std::as_const(r))) return r;
        auto d = state.next(nullptr);
        if (!d) return r;
        sleep(*d);
        continue;
      } catch (...) {
        error = std::current_exception();
      }
    }
    auto d = state.next(&error);
    if (!d) std::rethrow_exception(error);
    sleep(*d);
  }
}

/// retry() that sleeps the calling thread between attempts.
template <class F>
auto retry(F&& f, const retry_policy& policy) {
  return retry(std::forward<F>(f), policy,
               [](std::chrono::nanoseconds d) { std::this_thread::sleep_for(d); });
}

/// Runs f() on `pool`, retrying by the policy; between attempts no thread waits: the next
/// attempt is posted to the pool when its delay is up (thread_pool::post_after). The future holds
/// the first success, or the last failure. If the pool shuts down meanwhile, it holds
/// hotpath::cancelled.
template <class Pool, class F, class ResultCheck = detail::no_result_check>
auto retry_async(Pool& pool, F f, retry_policy policy, ResultCheck retry_result = {})
    -> future<std::invoke_result_t<F&>> {
  using R = std::invoke_result_t<F&>;
  struct op : std::enable_shared_from_this<op> {
    op(Pool& p, F fn, retry_policy pol, ResultCheck rc)
        : pool(p), f(std::move(fn)), policy(std::move(pol)), check(std::move(rc)), state(policy) {}
    Pool& pool;
    F f;
    retry_policy policy;
    ResultCheck check;
    detail::retry_state state;
    detail::promise<R> promise;

    void again(std::chrono::nanoseconds d) {
      try {
        pool.post_after(d, [self = this->shared_from_this()] { self->attempt(); });
      } catch (...) {
        promise.set_exception(
            std::make_exception_ptr(cancelled("hotpath::retry_async: pool shut down")));
      }
    }
    void attempt() {
      std::exception_ptr error;
      try {
        if constexpr (std::is_void_v<R>) {
          f();
          promise.set_value();
          return;
        } else {
          R r = f();
          if (check(std::as_const(r))) {
            if (auto d = state.next(nullptr)) return again(*d);
          }
          promise.set_value(std::move(r));
          return;
        }
      } catch (...) {
        error = std::current_exception();
      }
      if (auto d = state.next(&error)) return again(*d);
      promise.set_exception(std::move(error));
    }
  };
  auto o = std::make_shared<op>(pool, std::move(f), std::move(policy), std::move(retry_result));
  auto fut = detail::make_future(o->promise);
  pool.post([o] { o->attempt(); });
  return fut;
}

}  // namespace hotpath::inline HOTPATH_ABI
