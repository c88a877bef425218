// hotpath/exec/thread_pool.hpp: a thread pool with futures, priorities, deadlines, cancellation,
// nested waits and work stealing.
//
//   hotpath::thread_pool<> pool;                                  // one thread per CPU it may use
//   auto f = pool.submit([](int x) { return x * 2; }, 21);        // hotpath::future<int>
//   pool.post([] { log_line(); });                                // fire and forget
//   pool.submit({.priority = hotpath::priority::high, .stop = source.get_token()}, job);
//   pool.wait_idle();
//
// Policies, in any order: a queue policy (queue::moodycamel by default, queue::mutex_deque), an
// idle policy (idle::spin_then_park by default, idle::park) and a clock (std::chrono::steady_clock
// by default; hotpath::manual_clock in tests) for deadlines and the timing histograms.
//
// Scheduling: three global queues (high, normal, low). A worker takes, in order: a high task, a
// task from its own local deque (newest first: what it submitted itself), a normal task, a task
// stolen from another worker's deque (oldest first), a low task. So a high task queued after a
// low one starts first when both wait. Tasks submitted from a worker thread at normal priority
// without a deadline or stop token go to that worker's deque. A worker takes normal tasks from
// the global queue up to 16 at a time, runs the first and keeps the rest in its deque, in queue
// order, where idle workers steal them.
//
// Deadlines and cancellation: a task whose deadline passed before a worker took it is not run;
// its future holds hotpath::deadline_exceeded. A task whose stop token was stopped while it
// waited is not run; its future holds hotpath::cancelled. A callable that takes a std::stop_token
// first receives the task's token and can stop early while running.
//
// Exceptions: from submit()ted tasks they go to the future; from post()ed tasks to
// options.on_error (default: counted in stats().failed and the first one printed to stderr).
// A worker thread never dies of a task's exception.
//
// Nested work: future::get() on a worker runs queued tasks while it waits, so tasks that submit
// and wait on the same pool do not deadlock it.
//
// Delayed work: post_after()/submit_after() hand a task to a timer thread (started on first use)
// that queues it when its delay is up; retry_async() backs off this way without holding a worker.
//
// Idle workers poll briefly (the idle policy), then park on a futex. A post wakes a parked worker
// only when no worker is searching, and a searcher that finds work wakes the next, so a burst of
// posts costs one wake-up, not one per task.
//
// Shutdown: the destructor (or shutdown()) stops the pool by options.on_destroy:
// shutdown_mode::drain runs every queued task first (resuming a paused pool); shutdown_mode::cancel
// completes every task that has not started by then, queued or already taken by a worker, with
// hotpath::cancelled without running it. Running tasks always finish. Once shutdown has begun,
// submit/post from outside the pool throw hotpath::error, and so do post_after/submit_after
// (or their task is cancelled, if it raced with the shutdown). Tasks queued before the shutdown
// may still submit (a parent task fanning out to children while the pool drains); the tasks they
// submit then may not, so a task that re-posts itself cannot keep a draining pool alive.
//
// Thread safety: every member may be called from any thread, including pool workers, except
// wait_idle, shutdown and the destructor: on a worker of the same pool they would wait for
// themselves, so wait_idle and shutdown throw hotpath::error there.
// Cost: submit is one allocation (the future's shared state) and one queue push; post allocates
// only when the callable's captures exceed 48 bytes.
#pragma once

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <cstdio>
#include <deque>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <ranges>
#include <stop_token>
#include <string>
#include <thread>
#include <type_traits>
#include <utility>
#include <vector>

#if defined(__linux__)
#include <pthread.h>
#include <sched.h>
#endif

#include "hotpath/config.hpp"
#include "hotpath/core/cache_line.hpp"
#include "hotpath/core/clock.hpp"
#include "hotpath/core/detail/futex.hpp"
#include "hotpath/core/detail/policy.hpp"
#include "hotpath/core/error.hpp"
#include "hotpath/exec/detail/task.hpp"
#include "hotpath/exec/future.hpp"
#include "hotpath/exec/idle_policy.hpp"
#include "hotpath/exec/queue_policy.hpp"
#include "hotpath/metrics/counter.hpp"
#include "hotpath/metrics/exposition.hpp"
#include "hotpath/metrics/histogram.hpp"
#include "hotpath/metrics/registry.hpp"

namespace hotpath::inline HOTPATH_ABI {

/// Which global queue a task waits in.
enum class priority : std::uint8_t { high = 0, normal = 1, low = 2 };

/// What stopping a pool does with tasks still queued.
enum class shutdown_mode : std::uint8_t {
  drain,   ///< run them all, then stop
  cancel,  ///< complete them with hotpath::cancelled without running them
};

/// Runtime knobs of a thread_pool.
struct thread_pool_options {
  /// Worker threads; 0 means the number of CPUs in this process's affinity mask.
  unsigned threads = 0;
  /// Thread names are "<name>-<index>", cut to the 15 characters Linux keeps.
  std::string name = "hotpath";
  /// Called on each worker thread before it takes tasks, with the worker's index.
  std::function<void(unsigned)> on_thread_start = {};
  /// Called on each worker thread after its last task.
  std::function<void(unsigned)> on_thread_exit = {};
  /// Receives exceptions thrown by post()ed tasks; empty: print the first to stderr.
  std::function<void(std::exception_ptr)> on_error = {};
  /// What the destructor does with queued tasks.
  shutdown_mode on_destroy = shutdown_mode::drain;
  /// Time one task in this many for the queue-wait and run-time histograms; 0: none.
  unsigned timing_sample = 16;
};

/// A snapshot of a pool's counters. Every submitted task ends up in exactly one of
/// completed, cancelled or expired; failed counts the completed ones that threw.
struct thread_pool_stats {
  std::uint64_t submitted = 0;                ///< tasks accepted (a post_bulk callable is one)
  std::uint64_t completed = 0;                ///< tasks that ran, failed ones included
  std::uint64_t failed = 0;                   ///< tasks that ran and threw
  std::uint64_t cancelled = 0;                ///< dropped unrun: stop token or shutdown
  std::uint64_t expired = 0;                  ///< dropped unrun: deadline passed
  std::uint64_t queue_depth = 0;              ///< waiting for a worker now
  unsigned threads = 0;                       ///< worker threads
  metrics::histogram_snapshot queue_wait_ns;  ///< submit to start, sampled
  metrics::histogram_snapshot run_time_ns;    ///< start to end, sampled
};

namespace detail {

inline unsigned affinity_cpu_count() noexcept {
#if defined(__linux__)
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof set, &set) == 0) {
    int n = CPU_COUNT(&set);
    if (n > 0) return static_cast<unsigned>(n);
  }
#endif
  unsigned n = std::thread::hardware_concurrency();
  return n == 0 ? 1 : n;
}

template <class P>
struct is_queue_policy : std::bool_constant<queue_policy<P>> {};
template <class P>
struct is_idle_policy : std::bool_constant<idle_policy<P>> {};

// Tells future::get() and submit() which pool (and worker) the calling thread belongs to.
constinit inline thread_local const void* tls_pool = nullptr;
constinit inline thread_local void* tls_worker = nullptr;

}  // namespace detail

/// A work-stealing thread pool; see the header comment for the scheduling contract.
template <class... Policies>
class thread_pool {
  static_assert(detail::count_policies<detail::is_queue_policy, Policies...> <= 1,
                "hotpath::thread_pool: more than one queue policy");
  static_assert(detail::count_policies<detail::is_idle_policy, Policies...> <= 1,
                "hotpath::thread_pool: more than one idle policy");
  static_assert(detail::count_policies<detail::is_clock_policy, Policies...> <= 1,
                "hotpath::thread_pool: more than one clock");
  static_assert((... &&
                 (queue_policy<Policies> || idle_policy<Policies> || hotpath::clock<Policies>)),
                "hotpath::thread_pool: a policy is neither a queue policy, an idle policy nor a "
                "clock (see queue_policy.hpp, idle_policy.hpp, core/clock.hpp)");

 public:
  using queue_type =
      detail::select_policy_t<detail::is_queue_policy, queue::moodycamel, Policies...>;
  using idle_type =
      detail::select_policy_t<detail::is_idle_policy, idle::spin_then_park, Policies...>;
  using clock_type =
      detail::select_policy_t<detail::is_clock_policy, std::chrono::steady_clock, Policies...>;
  using time_point = typename clock_type::time_point;

  /// Per-task scheduling options.
  struct task_options {
    hotpath::priority priority = hotpath::priority::normal;
    /// Not started by then: not run, the future holds hotpath::deadline_exceeded.
    time_point deadline = time_point::max();
    /// Stopped while queued: not run, the future holds hotpath::cancelled.
    std::stop_token stop = {};
  };

  explicit thread_pool(thread_pool_options opts = {}, clock_type clk = clock_type{})
      : opts_(std::move(opts)), clock_(std::move(clk)) {
    unsigned n = opts_.threads == 0 ? detail::affinity_cpu_count() : opts_.threads;
    workers_.reserve(n);
    for (unsigned i = 0; i < n; ++i)
      workers_.push_back(std::make_unique<worker>(*this, i));
    try {
      for (auto& w : workers_)
        w->thread = std::thread([this, p = w.get()] { worker_main(*p); });
    } catch (...) {
      shutdown(shutdown_mode::cancel);
      throw;
    }
  }

  thread_pool(const thread_pool&) = delete;
  thread_pool& operator=(const thread_pool&) = delete;

  /// Stops the pool as options.on_destroy says; see shutdown().
  ~thread_pool() { shutdown(opts_.on_destroy); }

  /// Number of worker threads.
  [[nodiscard]] unsigned thread_count() const noexcept {
    return static_cast<unsigned>(workers_.size());
  }

  /// Runs f(args...) on the pool; the future holds its result or exception.
  template <class F, class... Args>
    requires(!std::is_same_v<std::remove_cvref_t<F>, task_options>)
  [[nodiscard]] auto submit(F&& f, Args&&... args) {
    return submit(task_options{}, std::forward<F>(f), std::forward<Args>(args)...);
  }

  /// submit() with a priority, a deadline or a stop token. If f takes a std::stop_token first,
  /// it receives `opts.stop`.
  template <class F, class... Args>
  [[nodiscard]] auto submit(task_options opts, F&& f, Args&&... args) {
    auto call = bind(opts.stop, std::forward<F>(f), std::forward<Args>(args)...);
    using result = std::invoke_result_t<decltype(call)&>;
    detail::promise<result> p;
    future<result> fut = detail::make_future(p);
    enqueue(opts, future_body<result, decltype(call)>{std::move(call), std::move(p)});
    return fut;
  }

  /// Runs f(args...) on the pool without a future; an exception goes to options.on_error.
  template <class F, class... Args>
    requires(!std::is_same_v<std::remove_cvref_t<F>, task_options>)
  void post(F&& f, Args&&... args) {
    post(task_options{}, std::forward<F>(f), std::forward<Args>(args)...);
  }

  /// post() with a priority, a deadline or a stop token.
  template <class F, class... Args>
  void post(task_options opts, F&& f, Args&&... args) {
    auto call = bind(opts.stop, std::forward<F>(f), std::forward<Args>(args)...);
    enqueue(opts, post_body<decltype(call)>{std::move(call), this});
  }

  /// Posts f(args...) once `delay` has passed (real time, whatever the clock policy). A timer
  /// thread, started on first use, holds the task until then; tasks still waiting at shutdown
  /// are cancelled (submit_after's future holds hotpath::cancelled).
  template <class F, class... Args>
  void post_after(std::chrono::nanoseconds delay, F&& f, Args&&... args) {
    auto call = bind({}, std::forward<F>(f), std::forward<Args>(args)...);
    schedule(delay, detail::task(post_body<decltype(call)>{std::move(call), this}));
  }

  /// submit() once `delay` has passed; see post_after().
  template <class F, class... Args>
  [[nodiscard]] auto submit_after(std::chrono::nanoseconds delay, F&& f, Args&&... args) {
    auto call = bind({}, std::forward<F>(f), std::forward<Args>(args)...);
    using result = std::invoke_result_t<decltype(call)&>;
    detail::promise<result> p;
    future<result> fut = detail::make_future(p);
    schedule(delay,
             detail::task(future_body<result, decltype(call)>{std::move(call), std::move(p)}));
    return fut;
  }

  /// Submits every callable of `tasks` (moved out of it) and returns their futures, in order.
  /// The tasks go to the shared normal queue in groups of 64 per queue operation, so any worker
  /// may start any of them. All tasks are built before any is queued: if building one throws,
  /// none was submitted.
  template <std::ranges::input_range R>
  [[nodiscard]] auto submit_bulk(R&& tasks) {
    (void)check_open();  // refuse before building anything; push_normal_bulk checks again
    using fn = std::remove_cvref_t<std::ranges::range_reference_t<R>>;
    static_assert(std::is_invocable_v<fn&>,
                  "hotpath::thread_pool::submit_bulk: the range's elements must be callable "
                  "without arguments");
    using result = std::invoke_result_t<fn&>;
    std::vector<future<result>> futures;
    std::vector<queued> items;
    if constexpr (std::ranges::sized_range<R>) {
      futures.reserve(static_cast<std::size_t>(std::ranges::size(tasks)));
      items.reserve(static_cast<std::size_t>(std::ranges::size(tasks)));
    }
    for (auto&& f : tasks) {
      detail::promise<result> p;
      futures.push_back(detail::make_future(p));
      items.push_back(queued{detail::task(future_body<result, fn>{fn(std::move(f)), std::move(p)}),
                             time_point::max(),
                             {},
                             sample_time()});
    }
    constexpr std::size_t chunk = 64;
    for (std::size_t at = 0; at < items.size(); at += chunk) {
      std::size_t n = std::min(chunk, items.size() - at);
      push_normal_bulk(items.data() + at, n, n);
    }
    return futures;
  }

  /// Posts every callable of `tasks` (moved out of it) in bulk. Callables are grouped into runs
  /// that one worker executes back to back: one queue operation and one counter update per run,
  /// not per callable. A run holds up to 32; with a sized range, few enough that every worker
  /// gets several runs. An exception from one callable goes to on_error and the rest of its run
  /// still executes.
  template <std::ranges::input_range R>
  void post_bulk(R&& tasks) {
    (void)check_open();  // refuse before building anything; push_normal_bulk checks again
    using fn = std::remove_cvref_t<std::ranges::range_reference_t<R>>;
    std::size_t per_run = 32;
    if constexpr (std::ranges::sized_range<R>) {
      auto n = static_cast<std::size_t>(std::ranges::size(tasks));
      per_run = std::clamp<std::size_t>(n / (4 * workers_.size() + 1), 1, 32);
    }
    constexpr std::size_t chunk = 64;  // runs per queue operation
    queued batch[chunk];
    std::size_t runs = 0;
    std::size_t count = 0;
    std::vector<fn> run;
    run.reserve(per_run);
    auto push = [&] {
      push_normal_bulk(batch, runs, count);
      runs = 0;
      count = 0;
    };
    auto close_run = [&] {
      count += run.size();
      batch[runs].work = detail::task(run_body<fn>{std::exchange(run, {}), this});
      run.reserve(per_run);
      if (++runs == chunk) push();
    };
    for (auto&& f : tasks) {
      run.push_back(std::move(f));
      if (run.size() == per_run) close_run();
    }
    if (!run.empty()) close_run();
    if (runs != 0) push();
  }

  /// Blocks until no task is queued or running.
  void wait_idle() { wait_idle_impl(std::chrono::nanoseconds(-1)); }

  /// wait_idle() for at most `d`; true if the pool became idle.
  template <class Rep, class Period>
  bool wait_idle_for(std::chrono::duration<Rep, Period> d) {
    return wait_idle_impl(std::chrono::duration_cast<std::chrono::nanoseconds>(d));
  }

  /// Workers finish their current task and take no new one until resume().
  void pause() noexcept { paused_.store(true, std::memory_order_seq_cst); }
  /// Lets workers take tasks again.
  void resume() noexcept {
    paused_.store(false, std::memory_order_seq_cst);
    wake(static_cast<int>(workers_.size()));
  }
  [[nodiscard]] bool paused() const noexcept { return paused_.load(std::memory_order_relaxed); }

  /// Stops accepting work, handles queued tasks by `mode`, waits for running tasks and joins
  /// the workers. Later calls do nothing. Must not be called from a worker of this pool.
  void shutdown(shutdown_mode mode = shutdown_mode::drain) {
    check_not_worker("shutdown");
    std::lock_guard lock(shutdown_mu_);
    if (joined_) return;
    metrics_handle_.reset();
    closed_.store(true, std::memory_order_seq_cst);
    stop_timer();
    if (mode == shutdown_mode::cancel) {
      // Set before the queues are emptied: a worker may hold a batch it took from the shared
      // queue and has not yet put in its deque; execute() drops those when they come out.
      cancelling_.store(true, std::memory_order_seq_cst);
      cancel_queued();
    }
    stopping_.store(true, std::memory_order_seq_cst);
    paused_.store(false, std::memory_order_seq_cst);
    wake_all();
    for (auto& w : workers_) {
      if (w->thread.joinable()) w->thread.join();
    }
    joined_ = true;
    // A submit that raced with closing may have queued after the workers left.
    cancel_queued();
  }

  /// Counters and histograms since construction.
  [[nodiscard]] thread_pool_stats stats() const {
    thread_pool_stats s;
    s.submitted = submitted_.value();
    s.completed = completed_.value();
    s.failed = failed_.value();
    s.cancelled = cancelled_.value();
    s.expired = expired_.value();
    s.queue_depth = static_cast<std::uint64_t>(std::max<std::int64_t>(0, queued_estimate()));
    s.threads = thread_count();
    s.queue_wait_ns = queue_wait_.snapshot();
    s.run_time_ns = run_time_.snapshot();
    return s;
  }

  /// Exports stats() into `reg` under `<name>_...` until the pool is destroyed (or this is called
  /// again).
  void register_metrics(metrics::registry& reg, std::string name) {
    metrics_handle_ = reg.add_collector([this, name = std::move(name)](metrics::exposition& out) {
      thread_pool_stats s = stats();
      out.add_counter(name + "_tasks_submitted_total", "Tasks submitted.", {}, s.submitted);
      out.add_counter(name + "_tasks_completed_total", "Tasks that ran (including failed).", {},
                      s.completed);
      out.add_counter(name + "_tasks_failed_total", "Tasks that threw.", {}, s.failed);
      out.add_counter(name + "_tasks_cancelled_total",
                      "Tasks dropped unrun by a stop token or shutdown.", {}, s.cancelled);
      out.add_counter(name + "_tasks_expired_total", "Tasks dropped unrun at their deadline.", {},
                      s.expired);
      out.add_gauge(name + "_queue_depth", "Tasks waiting for a worker.", {},
                    static_cast<double>(s.queue_depth));
      out.add_gauge(name + "_threads", "Worker threads.", {}, s.threads);
      out.add_histogram(name + "_queue_wait_seconds", "Time from submit to start (sampled).", {},
                        s.queue_wait_ns, {.scale = 1e-9});
      out.add_histogram(name + "_run_seconds", "Task run time (sampled).", {}, s.run_time_ns,
                        {.scale = 1e-9});
    });
  }

  /// The clock the pool reads deadlines and timings from.
  [[nodiscard]] const clock_type& clock() const noexcept { return clock_; }

 private:
  struct queued {
    detail::task work;
    time_point deadline = time_point::max();
    std::stop_token stop;
    time_point enqueued = time_point::min();  // min: not sampled for timing
    bool late = false;  // submitted after shutdown began: may not submit in turn
  };

  using normal_queue = typename queue_type::template queue<queued>;

  // Normal tasks a worker takes from the shared queue at once (see take_normal()).
  static constexpr std::size_t take_batch = 16;

  // A worker's own deque: the owner pushes and pops at the back, thieves take the front.
  struct worker final : detail::helper {
    worker(thread_pool& p, unsigned i) : pool(p), index(i), normal_consumer(p.queues_[1]) {}
    bool help_one() override {
      if (pool.run_one(*this)) return true;
      pool.flush_done(*this);  // about to block: let wait_idle() see what this thread finished
      return false;
    }

    thread_pool& pool;
    unsigned index;
    std::thread thread;
    std::mutex local_mu;
    std::deque<queued> local;
    alignas(cache_line_size) std::atomic<std::size_t> local_size{0};
    std::atomic<std::int64_t> running{0};
    // Finished tasks not yet taken off unfinished_; written by the owner only, read by
    // queued_estimate() so a busy worker's backlog never looks like queued work.
    std::atomic<std::int64_t> done_pending{0};
    bool spinning = false;      // counted in spinners_: looking for work
    bool running_late = false;  // the task running now was submitted after shutdown began
    // Used by the owner only (consumer tokens are single-threaded).
    detail::consumer_of_t<normal_queue> normal_consumer;
    // Where take_normal() receives a batch (kept here, not built per call).
    queued taken[take_batch];
  };

  template <class R, class Call>
  struct future_body {
    Call call;
    detail::promise<R> promise;
    bool run() { return promise.run(call); }
    void fail(std::exception_ptr e) noexcept { promise.set_exception(std::move(e)); }
  };

  template <class Call>
  struct post_body {
    Call call;
    thread_pool* pool;
    bool run() {
      try {
        call();
        return true;
      } catch (...) {
        pool->report_error(std::current_exception());
        return false;
      }
    }
    void fail(std::exception_ptr) noexcept {}
  };

  // Several posted callables run back to back as one queued task (post_bulk).
  template <class Fn>
  struct run_body {
    std::vector<Fn> fns;
    thread_pool* pool;
    bool run() {
      std::uint64_t failures = 0;
      for (auto& f : fns) {
        try {
          f();
        } catch (...) {
          ++failures;
          pool->report_error(std::current_exception());
        }
      }
      // execute() counts this as one task (failed if we return false); count the others here.
      if (fns.size() > 1) {
        pool->completed_.inc(fns.size() - 1);
        pool->finish(fns.size() - 1);
      }
      if (failures > 1) pool->failed_.inc(failures - 1);
      return failures == 0;
    }
    void fail(std::exception_ptr) noexcept {
      // Dropped unrun (cancel shutdown): execute's caller finishes one, the rest are ours.
      if (fns.size() > 1) {
        pool->cancelled_.inc(fns.size() - 1);
        pool->finish(fns.size() - 1);
      }
    }
  };

  // A nullary callable for f(args...), or f(token, args...) when f accepts a stop token. Each
  // task runs once, so the callable and its arguments are passed as rvalues, like std::thread.
  template <class F, class... Args>
  static auto bind(const std::stop_token& tok, F&& f, Args&&... args) {
    using fn = std::decay_t<F>;
    if constexpr (std::is_invocable_v<fn, std::stop_token, std::decay_t<Args>...>) {
      return [f = std::forward<F>(f), tok,
              ... a = std::forward<Args>(args)]() mutable -> decltype(auto) {
        return std::invoke(std::move(f), tok, std::move(a)...);
      };
    } else {
      static_assert(std::is_invocable_v<fn, std::decay_t<Args>...>,
                    "hotpath::thread_pool: the task is not callable with these arguments");
      if constexpr (sizeof...(Args) == 0) {
        return fn(std::forward<F>(f));
      } else {
        return
            [f = std::forward<F>(f), ... a = std::forward<Args>(args)]() mutable -> decltype(auto) {
              return std::invoke(std::move(f), std::move(a)...);
            };
      }
    }
  }

  // ---- delayed tasks: one timer thread per pool, started by the first post_after ----

  struct timed {
    std::chrono::steady_clock::time_point due;
    std::uint64_t seq;  // FIFO among equal due times
    mutable detail::task work;
    bool operator>(const timed& o) const { return due != o.due ? due > o.due : seq > o.seq; }
  };

  void schedule(std::chrono::nanoseconds delay, detail::task&& work) {
    check_open();
    std::unique_lock lock(timer_mu_);
    if (timer_stop_) {
      lock.unlock();
      hotpath::detail::throw_error("hotpath::thread_pool '", opts_.name,
                                   "': submit after shutdown");
    }
    if (!timer_thread_.joinable()) timer_thread_ = std::thread([this] { timer_main(); });
    auto due = std::chrono::steady_clock::now() + std::max(delay, std::chrono::nanoseconds(0));
    timers_.push_back(timed{due, timer_seq_++, std::move(work)});
    std::push_heap(timers_.begin(), timers_.end(), std::greater<>{});
    timer_cv_.notify_one();
  }

  void timer_main() {
    name_thread(static_cast<unsigned>(workers_.size()));  // "<name>-<threads>": the timer
    std::unique_lock lock(timer_mu_);
    while (!timer_stop_) {
      if (timers_.empty()) {
        timer_cv_.wait(lock);
        continue;
      }
      auto due = timers_.front().due;
      if (std::chrono::steady_clock::now() < due) {
        timer_cv_.wait_until(lock, due);
        continue;
      }
      std::pop_heap(timers_.begin(), timers_.end(), std::greater<>{});
      detail::task work = std::move(timers_.back().work);
      timers_.pop_back();
      lock.unlock();
      try {
        enqueue(task_options{}, std::move(work));
      } catch (...) {
        // Closed between the check and the push: the task was completed as cancelled.
      }
      lock.lock();
    }
  }

  void stop_timer() {
    std::vector<timed> left;
    {
      std::lock_guard lock(timer_mu_);
      timer_stop_ = true;
      left.swap(timers_);
    }
    timer_cv_.notify_all();
    if (timer_thread_.joinable()) timer_thread_.join();
    // Not counted in stats(): a delayed task is counted when it enters the queue.
    for (auto& t : left)
      t.work.fail(std::make_exception_ptr(cancelled("hotpath: pool shut down")));
  }

  // Throws once shutdown began, except for a task of this pool that was queued before: its worker
  // is still running, and runs (or drops) what it queues before it stops. Returns whether the
  // pool is closing, which marks what is submitted now as late.
  bool check_open() const {
    bool closing = closed_.load(std::memory_order_acquire);
    if (HOTPATH_LIKELY(!closing)) return false;
    if (detail::tls_pool == this && !static_cast<const worker*>(detail::tls_worker)->running_late) {
      return true;
    }
    hotpath::detail::throw_error("hotpath::thread_pool '", opts_.name, "': submit after shutdown");
  }

  // Every timing_sample-th post of a thread is timed. A countdown, not a modulo: a division
  // per post costs more than the rest of this function.
  time_point sample_time() {
    if (opts_.timing_sample == 0) return time_point::min();
    thread_local unsigned countdown = 1;
    // The countdown is the thread's, shared by every pool it posts to: one with a shorter period
    // than the pool that left it must not skip its own first sample.
    if (countdown > opts_.timing_sample) countdown = opts_.timing_sample;
    if (--countdown != 0) return time_point::min();
    countdown = opts_.timing_sample;
    return clock_.now();
  }

  // Takes the body itself so the task is built in place in the queued item (one relocation
  // fewer per post than handing over a finished task).
  //
  // Counted in unfinished_ before the pool is checked and before the task is visible: a worker
  // deciding whether to park never misses it, and one deciding whether it may stop (shutdown)
  // either sees it and stays to run or drop it, or stopped before the count, in which case the
  // check that follows the count sees the pool closed and refuses the task. So no task is
  // stranded in a queue after the workers left.
  template <class Work>
  void enqueue(const task_options& opts, Work&& work) {
    unfinished_.fetch_add(1, std::memory_order_seq_cst);
    try {
      bool late = check_open();
      queued item{make_task(std::forward<Work>(work)), opts.deadline, opts.stop, sample_time(),
                  late};
      if (detail::tls_pool == this && opts.priority == priority::normal &&
          opts.deadline == time_point::max() && !opts.stop.stop_possible()) {
        push_local(*static_cast<worker*>(detail::tls_worker), std::move(item));
      } else {
        auto p = static_cast<int>(opts.priority);
        if (p != 1) prio_hint_[p].fetch_add(1, std::memory_order_release);
        try {
          queues_[p].push(std::move(item));
        } catch (...) {
          if (p != 1) prio_hint_[p].fetch_sub(1, std::memory_order_relaxed);
          throw;
        }
      }
    } catch (...) {
      finish(1);  // refused, or the queue could not allocate: nothing was queued
      throw;
    }
    submitted_.inc();
    wake(1);
  }

  // Queues `n` items holding `tasks` tasks in all (a post_bulk run holds several) in one
  // operation, counted and checked as in enqueue().
  void push_normal_bulk(queued* items, std::size_t n, std::size_t tasks) {
    unfinished_.fetch_add(tasks, std::memory_order_seq_cst);
    try {
      if (check_open()) {
        for (std::size_t k = 0; k < n; ++k)
          items[k].late = true;
      }
      queues_[static_cast<int>(priority::normal)].push_bulk(items, n);  // all or nothing
    } catch (...) {
      finish(tasks);
      throw;
    }
    submitted_.inc(tasks);
    wake(static_cast<int>(std::min<std::size_t>(n, workers_.size())));
  }

  template <class Work>
  static detail::task make_task(Work&& w) {
    if constexpr (std::is_same_v<std::remove_cvref_t<Work>, detail::task>) {
      return std::move(w);
    } else {
      return detail::task(std::forward<Work>(w));
    }
  }

  // Wakes a parked worker when no worker is already looking for tasks. A spinning worker, or one
  // woken and not yet looking, will find the task, so a burst of posts costs one futex wake, not
  // one per post. Correctness rests on seq_cst order: the poster increments unfinished_ before it
  // reads spinners_ / wake_pending_; a worker leaves spinning (or clears wake_pending_) before it
  // reads unfinished_, so one of the two always sees the other.
  // sleepers_ is read first: it changes only when a worker parks or wakes, while spinners_
  // changes every time a worker runs dry, so under load the poster's check stays in its cache.
  void wake(int n) noexcept {
    if (sleepers_.load(std::memory_order_seq_cst) == 0) return;
    if (spinners_.load(std::memory_order_seq_cst) != 0) return;
    if (n == 1 && wake_pending_.exchange(true, std::memory_order_seq_cst)) return;
    wake_word_.fetch_add(1, std::memory_order_seq_cst);
    detail::futex_wake(wake_word_, n);
  }
  void wake_all() noexcept {
    wake_word_.fetch_add(1, std::memory_order_seq_cst);
    detail::futex_wake_all(wake_word_);
  }

  void push_local(worker& w, queued&& item) {
    std::lock_guard lock(w.local_mu);
    w.local.push_back(std::move(item));
    w.local_size.store(w.local.size(), std::memory_order_release);
  }

  // High and low queues are usually empty; a count of their tasks spares a poll of each.
  bool try_pop_rare(int p, queued& out) {
    if (prio_hint_[p].load(std::memory_order_acquire) == 0 || !queues_[p].try_pop(out)) {
      return false;
    }
    prio_hint_[p].fetch_sub(1, std::memory_order_relaxed);
    return true;
  }

  bool try_pop(worker& w, queued& out) {
    if (try_pop_rare(0, out)) return true;
    // local_size lets an empty deque be skipped without taking its lock.
    if (w.local_size.load(std::memory_order_acquire) != 0) {
      std::lock_guard lock(w.local_mu);
      if (!w.local.empty()) {
        out = std::move(w.local.back());
        w.local.pop_back();
        w.local_size.store(w.local.size(), std::memory_order_release);
        return true;
      }
    }
    if (take_normal(w, out)) return true;
    for (std::size_t k = 1; k < workers_.size(); ++k) {
      worker& victim = *workers_[(w.index + k) % workers_.size()];
      if (victim.local_size.load(std::memory_order_acquire) == 0) continue;
      std::unique_lock lock(victim.local_mu, std::try_to_lock);
      if (lock.owns_lock() && !victim.local.empty()) {
        out = std::move(victim.local.front());
        victim.local.pop_front();
        victim.local_size.store(victim.local.size(), std::memory_order_release);
        return true;
      }
    }
    return try_pop_rare(2, out);
  }

  // Takes up to take_batch normal tasks in one queue operation: the first is returned, the
  // others go to the worker's deque (where the other workers may steal them), in queue order.
  // A pop from the shared queue touches lines every other worker and the producers write; a pop
  // from the own deque touches only this worker's, so a burst of small tasks costs one shared
  // operation per batch instead of one per task.
  bool take_normal(worker& w, queued& out) {
    queued* got = w.taken;
    std::size_t n = detail::try_pop_bulk_as(queues_[1], got, take_batch, w.normal_consumer);
    if (n == 0) return false;
    out = std::move(got[0]);
    if (n > 1) {
      std::lock_guard lock(w.local_mu);
      // The owner pops the back first: the oldest goes in last.
      for (std::size_t k = n; k-- > 1;)
        w.local.push_back(std::move(got[k]));
      w.local_size.store(w.local.size(), std::memory_order_release);
    }
    return true;
  }

  // Tasks counted in unfinished_, not running and not finished: what is queued, give or take the
  // tasks being handed over right now (never fewer, so a worker does not park while one waits).
  std::int64_t queued_estimate() const noexcept {
    auto n = static_cast<std::int64_t>(unfinished_.load(std::memory_order_seq_cst));
    for (const auto& w : workers_) {
      n -= w->running.load(std::memory_order_relaxed) +
           w->done_pending.load(std::memory_order_relaxed);
    }
    return n;
  }

  bool run_one(worker& w) {
    if (paused_.load(std::memory_order_relaxed)) return false;
    queued item;
    if (!try_pop(w, item)) return false;
    if (HOTPATH_UNLIKELY(paused_.load(std::memory_order_seq_cst))) {
      // pause() came between the check and the pop: keep the task for after resume(), so that
      // no task starts once pause() has returned.
      push_local(w, std::move(item));
      return false;
    }
    // Only this thread writes its running count (nested waits run tasks inside tasks).
    w.running.store(w.running.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
    if (w.spinning) {
      // A searcher found work. Posters skipped waking anyone while it searched, so if more is
      // queued, pass the baton to a parked worker before running this task.
      stop_spinning(w);
      // Nobody parked means nobody to wake; testing that first keeps this worker off
      // unfinished_, the line every post writes.
      if (sleepers_.load(std::memory_order_seq_cst) != 0 && queued_estimate() > 0) wake(1);
    }
    // Nested waits run tasks inside tasks: the flag is the innermost task's.
    bool outer_late = std::exchange(w.running_late, item.late);
    execute(item);
    w.running_late = outer_late;
    w.running.store(w.running.load(std::memory_order_relaxed) - 1, std::memory_order_relaxed);
    // Completions are published in batches: one contended decrement per 32 tasks, or at once
    // when someone waits in wait_idle(), or when this worker runs out of work.
    auto done = w.done_pending.load(std::memory_order_relaxed) + 1;
    w.done_pending.store(done, std::memory_order_relaxed);
    if (done >= 32 || idle_waiters_.load(std::memory_order_relaxed) != 0) {
      flush_done(w);
    }
    return true;
  }

  void execute(queued& item) {
    if (HOTPATH_UNLIKELY(cancelling_.load(std::memory_order_seq_cst))) {
      item.work.fail(std::make_exception_ptr(cancelled("hotpath: pool shut down")));
      cancelled_.inc();
    } else if (item.stop.stop_requested()) {
      item.work.fail(std::make_exception_ptr(cancelled()));
      cancelled_.inc();
    } else if (item.deadline != time_point::max() && clock_.now() >= item.deadline) {
      item.work.fail(std::make_exception_ptr(deadline_exceeded()));
      expired_.inc();
    } else if (item.enqueued != time_point::min()) {
      time_point start = clock_.now();
      queue_wait_.record(item.enqueued < start ? start - item.enqueued
                                               : std::chrono::nanoseconds(0));
      bool ok = item.work.run();
      time_point end = clock_.now();
      run_time_.record(start < end ? end - start : std::chrono::nanoseconds(0));
      count_run(ok);
    } else {
      count_run(item.work.run());
    }
  }

  void count_run(bool ok) {
    completed_.inc();
    if (!ok) failed_.inc();
  }

  void flush_done(worker& w) noexcept {
    auto done = w.done_pending.load(std::memory_order_relaxed);
    if (done == 0) return;
    w.done_pending.store(0, std::memory_order_relaxed);
    finish(static_cast<std::uint64_t>(done));
  }

  void finish(std::uint64_t n) noexcept {
    if (unfinished_.fetch_sub(n, std::memory_order_acq_rel) == n) {
      idle_word_.fetch_add(1, std::memory_order_seq_cst);
      if (idle_waiters_.load(std::memory_order_seq_cst) != 0) detail::futex_wake_all(idle_word_);
    }
  }

  // A worker waiting for its own pool to go idle (or to stop) would wait for itself forever.
  void check_not_worker(const char* what) const {
    if (detail::tls_pool == this) {
      hotpath::detail::throw_error("hotpath::thread_pool '", opts_.name, "': ", what,
                                   " called from one of its own workers would deadlock");
    }
  }

  bool wait_idle_impl(std::chrono::nanoseconds timeout) {
    check_not_worker("wait_idle");
    auto start = std::chrono::steady_clock::now();
    for (;;) {
      std::uint32_t seen = idle_word_.load(std::memory_order_seq_cst);
      idle_waiters_.fetch_add(1, std::memory_order_seq_cst);
      if (unfinished_.load(std::memory_order_seq_cst) == 0) {
        idle_waiters_.fetch_sub(1, std::memory_order_seq_cst);
        return true;
      }
      std::chrono::nanoseconds left = timeout;
      if (timeout.count() >= 0) {
        left = timeout - (std::chrono::steady_clock::now() - start);
        if (left.count() <= 0) {
          idle_waiters_.fetch_sub(1, std::memory_order_seq_cst);
          return false;
        }
      }
      detail::futex_wait(idle_word_, seen, left);
      idle_waiters_.fetch_sub(1, std::memory_order_seq_cst);
    }
  }

  void report_error(std::exception_ptr e) noexcept {
    if (opts_.on_error) {
      try {
        opts_.on_error(e);
      } catch (...) {
      }
      return;
    }
    if (!error_reported_.exchange(true)) {
      try {
        std::rethrow_exception(e);
      } catch (const std::exception& ex) {
        std::fprintf(stderr,
                     "hotpath::thread_pool '%s': a posted task threw: %s (further errors are only "
                     "counted in stats().failed)\n",
                     opts_.name.c_str(), ex.what());
      } catch (...) {
        std::fprintf(stderr,
                     "hotpath::thread_pool '%s': a posted task threw a non-std exception (further "
                     "errors are only counted in stats().failed)\n",
                     opts_.name.c_str());
      }
    }
  }

  // Completes every queued task with hotpath::cancelled.
  void cancel_queued() {
    auto drop = [this](queued& item) {
      item.work.fail(std::make_exception_ptr(cancelled("hotpath: pool shut down")));
      cancelled_.inc();
      finish(1);
    };
    queued item;
    for (auto& q : queues_) {
      while (q.try_pop(item))
        drop(item);
    }
    for (auto& w : workers_) {
      std::lock_guard lock(w->local_mu);
      while (!w->local.empty()) {
        item = std::move(w->local.front());
        w->local.pop_front();
        drop(item);
      }
      w->local_size.store(0, std::memory_order_release);
    }
  }

  void worker_main(worker& w) {
    detail::tls_pool = this;
    detail::tls_worker = &w;
    detail::tls_helper = &w;
    name_thread(w.index);
    if (opts_.on_thread_start) opts_.on_thread_start(w.index);
    unsigned polls = 0;
    for (;;) {
      if (run_one(w)) {
        polls = 0;
        continue;
      }
      flush_done(w);
      if (stopping_.load(std::memory_order_seq_cst) && queued_estimate() <= 0) {
        break;
      }
      if (polls < idle_type::spin_polls + idle_type::yield_polls &&
          !paused_.load(std::memory_order_relaxed)) {
        start_spinning(w);
        // Pause first (lowest latency), then yield if the idle policy asks for it.
        if (polls++ < idle_type::spin_polls) {
          detail::cpu_relax();
        } else {
          std::this_thread::yield();
        }
        continue;
      }
      stop_spinning(w);
      park();
      // Woken to look for work: searching, so posters need not wake anyone else meanwhile.
      start_spinning(w);
      polls = 0;
    }
    stop_spinning(w);
    if (opts_.on_thread_exit) opts_.on_thread_exit(w.index);
    detail::tls_helper = nullptr;
    detail::tls_worker = nullptr;
    detail::tls_pool = nullptr;
  }

  void start_spinning(worker& w) noexcept {
    if (!w.spinning) {
      w.spinning = true;
      spinners_.fetch_add(1, std::memory_order_seq_cst);
    }
  }
  void stop_spinning(worker& w) noexcept {
    if (w.spinning) {
      w.spinning = false;
      spinners_.fetch_sub(1, std::memory_order_seq_cst);
    }
  }

  void park() {
    // A wake that found no worker asleep (they were all busy) must not block the next one, so a
    // worker clears the flag on its way in as well as on its way out.
    wake_pending_.store(false, std::memory_order_seq_cst);
    std::uint32_t seen = wake_word_.load(std::memory_order_seq_cst);
    sleepers_.fetch_add(1, std::memory_order_seq_cst);
    bool work = queued_estimate() > 0 && !paused_.load(std::memory_order_seq_cst);
    if (!work && !stopping_.load(std::memory_order_seq_cst)) detail::futex_wait(wake_word_, seen);
    sleepers_.fetch_sub(1, std::memory_order_seq_cst);
    // Whoever woke us counted on us to look for the task: allow the next wake only now.
    wake_pending_.store(false, std::memory_order_seq_cst);
  }

  void name_thread(unsigned index) {
#if defined(__linux__)
    std::string n = opts_.name + "-" + std::to_string(index);
    if (n.size() > 15) n.resize(15);
    pthread_setname_np(pthread_self(), n.c_str());
#else
    (void)index;
#endif
  }

  thread_pool_options opts_;
  clock_type clock_;
  std::vector<std::unique_ptr<worker>> workers_;
  normal_queue queues_[3];

  alignas(cache_line_size) std::atomic<std::uint64_t> unfinished_{0};
  alignas(cache_line_size) std::atomic<std::uint32_t> sleepers_{0};
  std::atomic<bool> wake_pending_{false};
  std::atomic<std::uint32_t> wake_word_{0};
  alignas(cache_line_size) std::atomic<std::uint32_t> spinners_{0};
  alignas(cache_line_size) std::atomic<std::uint32_t> idle_word_{0};
  std::atomic<std::uint32_t> idle_waiters_{0};
  std::atomic<std::int64_t> prio_hint_[3] = {};
  std::atomic<bool> paused_{false};
  std::atomic<bool> stopping_{false};
  std::atomic<bool> closed_{false};
  std::atomic<bool> cancelling_{false};
  std::atomic<bool> error_reported_{false};

  metrics::counter submitted_;
  metrics::counter completed_;
  metrics::counter failed_;
  metrics::counter cancelled_;
  metrics::counter expired_;
  metrics::histogram queue_wait_;
  metrics::histogram run_time_;

  std::mutex timer_mu_;
  std::condition_variable timer_cv_;
  std::vector<timed> timers_;
  std::uint64_t timer_seq_ = 0;
  bool timer_stop_ = false;
  std::thread timer_thread_;

  std::mutex shutdown_mu_;
  bool joined_ = false;
  metrics::collector_handle metrics_handle_;
};

}  // namespace hotpath::inline HOTPATH_ABI
