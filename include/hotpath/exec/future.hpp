// hotpath/exec/future.hpp: the result of a task submitted to a hotpath::thread_pool.
//
// One allocation per future (the shared state, with an intrusive count of two owners), no mutex,
// no condition variable: the state is a 32-bit word that waiters block on with a futex, and the
// task wakes them only if someone waits. A future waited on from a worker thread of a pool helps
// run that pool's queued tasks meanwhile, so a task that submits work and waits for it cannot
// deadlock the pool.
//
//   hotpath::thread_pool<> pool;
//   hotpath::future<int> f = pool.submit([] { return 6 * 7; });
//   int v = f.get();                  // 42, or rethrows what the task threw
//   f = pool.submit(...);
//   if (f.wait_for(std::chrono::milliseconds(5)) == std::future_status::ready) { ... }
//
// Thread safety: one future is used by one thread at a time (like std::future). A task that was
// cancelled, expired or dropped at shutdown completes its future with hotpath::cancelled or
// hotpath::deadline_exceeded.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <exception>
#include <future>
#include <memory>
#include <new>
#include <type_traits>
#include <utility>

#include "hotpath/config.hpp"
#include "hotpath/core/detail/futex.hpp"
#include "hotpath/core/error.hpp"

namespace hotpath::inline HOTPATH_ABI {

template <class T>
class future;

namespace detail {

/// What a worker thread offers to a future it waits on: run one queued task, if there is one.
class helper {
 public:
  virtual bool help_one() = 0;

 protected:
  ~helper() = default;
};

constinit inline thread_local helper* tls_helper = nullptr;

class state_base {
 public:
  static constexpr std::uint32_t ready_bit = 1;
  static constexpr std::uint32_t waiter_bit = 2;

  [[nodiscard]] bool is_ready() const noexcept {
    return (word_.load(std::memory_order_acquire) & ready_bit) != 0;
  }

  /// Blocks until ready or until `timeout` (negative: none) has passed; true when ready.
  bool block(std::chrono::nanoseconds timeout) const noexcept {
    auto start = std::chrono::steady_clock::now();
    for (;;) {
      std::uint32_t w = word_.load(std::memory_order_acquire);
      if ((w & ready_bit) != 0) return true;
      std::chrono::nanoseconds left = timeout;
      if (timeout.count() >= 0) {
        left = timeout - (std::chrono::steady_clock::now() - start);
        if (left.count() <= 0) return false;
      }
      if ((w & waiter_bit) == 0 &&
          !word_.compare_exchange_weak(w, w | waiter_bit, std::memory_order_acq_rel)) {
        continue;
      }
      futex_wait(word_, w | waiter_bit, left);
    }
  }

  /// Waits until ready; on a pool's worker thread, runs that pool's tasks meanwhile.
  void wait_helping() const {
    helper* h = tls_helper;
    if (h == nullptr) {
      block(std::chrono::nanoseconds(-1));
      return;
    }
    while (!is_ready()) {
      if (!h->help_one()) {
        // Nothing to run here: the result comes from a task on another thread. Block briefly,
        // then look for queued work again (it may be what that task is waiting for).
        block(std::chrono::microseconds(50));
      }
    }
  }

  std::exception_ptr error_;

 protected:
  void publish() noexcept {
    std::uint32_t prev = word_.exchange(ready_bit, std::memory_order_acq_rel);
    if ((prev & waiter_bit) != 0) futex_wake_all(word_);
  }

  mutable std::atomic<std::uint32_t> word_{0};
  std::atomic<std::uint32_t> refs_{2};  // the promise side and the future side
};

template <class T>
class shared_state final : public state_base {
 public:
  shared_state() noexcept {}
  ~shared_state() {
    if constexpr (!std::is_void_v<T>) {
      if (has_value_) value_.~T();
    }
  }

  template <class... A>
  void set_value(A&&... a) {
    if constexpr (!std::is_void_v<T>) {
      ::new (static_cast<void*>(&value_)) T(std::forward<A>(a)...);
      has_value_ = true;
    }
    publish();
  }
  void set_exception(std::exception_ptr e) noexcept {
    error_ = std::move(e);
    publish();
  }

  /// The result, moved out; rethrows the task's exception.
  T take() {
    // Moved out: the consuming thread then owns the only reference, so the exception is freed
    // where it was last used, whichever side drops the shared state last.
    if (error_) std::rethrow_exception(std::exchange(error_, nullptr));
    if constexpr (!std::is_void_v<T>) return std::move(value_);
  }

  void release() noexcept {
    if (refs_.fetch_sub(1, std::memory_order_acq_rel) == 1) delete this;
  }

 private:
  struct empty {};
  union {
    std::conditional_t<std::is_void_v<T>, empty, T> value_;
  };
  bool has_value_ = false;
};

/// The task side of a future: completes it exactly once. Destroyed without completing (a task
/// thrown away unrun), it completes the future with hotpath::cancelled.
template <class T>
class promise {
 public:
  promise() : state_(new shared_state<T>) {}
  promise(promise&& o) noexcept : state_(std::exchange(o.state_, nullptr)) {}
  promise& operator=(promise&&) = delete;
  ~promise() {
    if (state_ != nullptr) {
      state_->set_exception(std::make_exception_ptr(cancelled("hotpath: task dropped unrun")));
      state_->release();
    }
  }

  shared_state<T>* state() const noexcept { return state_; }

  template <class... A>
  void set_value(A&&... a) {
    state_->set_value(std::forward<A>(a)...);
    std::exchange(state_, nullptr)->release();
  }
  void set_exception(std::exception_ptr e) noexcept {
    state_->set_exception(std::move(e));
    std::exchange(state_, nullptr)->release();
  }

  /// Runs `f` and stores its result or exception; false when `f` threw.
  template <class F>
  bool run(F& f) {
    std::exception_ptr error;
    try {
      if constexpr (std::is_void_v<T>) {
        f();
        set_value();
      } else {
        set_value(f());
      }
      return true;
    } catch (...) {
      error = std::current_exception();
    }
    // Published after the handler ended, so this thread holds no reference to the exception
    // once the waiter can see it: the waiter's thread frees it, after its last use.
    set_exception(std::move(error));
    return false;
  }

 private:
  shared_state<T>* state_;
};

/// The future bound to a fresh promise.
template <class U>
future<U> make_future(promise<U>& p) noexcept;

}  // namespace detail

/// The eventual result of a task: a value of type T or the exception the task threw.
template <class T>
class future {
 public:
  future() noexcept = default;
  future(future&& o) noexcept : state_(std::exchange(o.state_, nullptr)) {}
  future& operator=(future&& o) noexcept {
    if (this != &o) {
      reset();
      state_ = std::exchange(o.state_, nullptr);
    }
    return *this;
  }
  future(const future&) = delete;
  future& operator=(const future&) = delete;
  ~future() { reset(); }

  /// True until get() consumed the result.
  [[nodiscard]] bool valid() const noexcept { return state_ != nullptr; }
  /// True once the task finished (or was cancelled / expired).
  [[nodiscard]] bool is_ready() const noexcept { return state_ != nullptr && state_->is_ready(); }

  /// Waits for the result and returns it, or rethrows the task's exception. Consumes the
  /// future. On a pool worker thread, runs queued tasks while waiting.
  T get() {
    check_valid();
    state_->wait_helping();
    struct release_after {
      detail::shared_state<T>* s;
      ~release_after() { s->release(); }
    } guard{std::exchange(state_, nullptr)};
    return guard.s->take();
  }

  /// Waits for the task to finish without consuming the result.
  void wait() const {
    check_valid();
    state_->wait_helping();
  }
  /// Waits at most `d`; does not help run tasks.
  template <class Rep, class Period>
  std::future_status wait_for(std::chrono::duration<Rep, Period> d) const {
    check_valid();
    return state_->block(std::max(std::chrono::nanoseconds(0),
                                  std::chrono::duration_cast<std::chrono::nanoseconds>(d)))
               ? std::future_status::ready
               : std::future_status::timeout;
  }
  /// Waits until `t` of a steady clock at most.
  template <class Clock, class Duration>
  std::future_status wait_until(std::chrono::time_point<Clock, Duration> t) const {
    return wait_for(t - Clock::now());
  }

 private:
  template <class U>
  friend future<U> detail::make_future(detail::promise<U>& p) noexcept;

  explicit future(detail::shared_state<T>* s) noexcept : state_(s) {}

  void check_valid() const {
    if (state_ == nullptr) {
      hotpath::detail::throw_error(
          "hotpath::future: no state (default-constructed or already got)");
    }
  }
  void reset() noexcept {
    if (state_ != nullptr) std::exchange(state_, nullptr)->release();
  }

  detail::shared_state<T>* state_ = nullptr;
};

template <class U>
future<U> detail::make_future(detail::promise<U>& p) noexcept {
  return future<U>(p.state());
}

}  // namespace hotpath::inline HOTPATH_ABI
