// Thread pools side by side: hotpath::thread_pool, Boost.Asio's thread_pool, oneTBB (task_group,
// parallel_for) and std_pool, a mutex + condition variable + deque pool written here as the honest
// floor. Every pool has 2 worker threads; the benchmark thread is the producer (TBB's arena gets
// one extra slot for it, so TBB too runs tasks on 2 threads besides the producer).
#include <benchmark/benchmark.h>
#include <sys/resource.h>
#include <tbb/global_control.h>
#include <tbb/parallel_for.h>
#include <tbb/task_arena.h>
#include <tbb/task_group.h>

#include <algorithm>
#include <atomic>
#include <boost/asio/post.hpp>
#include <boost/asio/thread_pool.hpp>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <future>
#include <mutex>
#include <thread>
#include <vector>

#include "hotpath/exec/parallel.hpp"
#include "hotpath/exec/thread_pool.hpp"

namespace {

constexpr unsigned threads = 2;
constexpr std::int64_t empty_count = 1'000'000;

// The same completion signal for every pool: the last task wakes the producer.
struct countdown {
  std::atomic<std::int64_t> left{0};
  void reset(std::int64_t n) { left.store(n, std::memory_order_relaxed); }
  void arrive() noexcept {
    if (left.fetch_sub(1, std::memory_order_acq_rel) == 1) left.notify_all();
  }
  void wait() {
    for (auto v = left.load(std::memory_order_acquire); v != 0;
         v = left.load(std::memory_order_acquire)) {
      left.wait(v, std::memory_order_acquire);
    }
  }
};

// What users write when they need a pool and no library: the floor any pool must beat.
class std_pool {
 public:
  explicit std_pool(unsigned n) {
    for (unsigned i = 0; i < n; ++i)
      workers_.emplace_back([this] { loop(); });
  }
  ~std_pool() {
    {
      std::lock_guard lock(mu_);
      stop_ = true;
    }
    cv_.notify_all();
    for (auto& t : workers_)
      t.join();
  }
  void post(std::function<void()> f) {
    {
      std::lock_guard lock(mu_);
      q_.push_back(std::move(f));
    }
    cv_.notify_one();
  }
  template <class It>
  void post_bulk(It first, It last) {
    {
      std::lock_guard lock(mu_);
      for (; first != last; ++first)
        q_.emplace_back(*first);
    }
    cv_.notify_all();
  }

 private:
  void loop() {
    for (;;) {
      std::function<void()> f;
      {
        std::unique_lock lock(mu_);
        cv_.wait(lock, [this] { return stop_ || !q_.empty(); });
        if (q_.empty()) return;
        f = std::move(q_.front());
        q_.pop_front();
      }
      f();
    }
  }
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> q_;
  bool stop_ = false;
  std::vector<std::thread> workers_;
};

struct tbb_env {
  tbb::global_control limit{tbb::global_control::max_allowed_parallelism, threads + 1};
  tbb::task_arena arena{static_cast<int>(threads + 1), 1};
};

// ---- empty_tasks: 1e6 posted by one producer, then wait for all ----

// Runs `workload(state, post)` on a fresh pool of one kind; `post` hands the pool a callable.
template <class Workload>
void on_hotpath(benchmark::State& state, Workload workload) {
  hotpath::thread_pool<> pool({.threads = threads});
  workload(state, [&pool](auto f) { pool.post(std::move(f)); });
}
template <class Workload>
void on_asio(benchmark::State& state, Workload workload) {
  boost::asio::thread_pool pool(threads);
  workload(state, [&pool](auto f) { boost::asio::post(pool, std::move(f)); });
  pool.join();
}
template <class Workload>
void on_std_pool(benchmark::State& state, Workload workload) {
  std_pool pool(threads);
  workload(state, [&pool](auto f) { pool.post(std::move(f)); });
}

template <class Post>
void empty_tasks(benchmark::State& state, Post post) {
  countdown done;
  for (auto _ : state) {
    done.reset(empty_count);
    for (std::int64_t i = 0; i < empty_count; ++i)
      post([&done] { done.arrive(); });
    done.wait();
  }
  state.SetItemsProcessed(state.iterations() * empty_count);
}

void empty_tbb(benchmark::State& state) {
  tbb_env env;
  countdown done;
  for (auto _ : state) {
    done.reset(empty_count);
    env.arena.execute([&] {
      tbb::task_group g;
      for (std::int64_t i = 0; i < empty_count; ++i)
        g.run([&done] { done.arrive(); });
      g.wait();
    });
    done.wait();
  }
  state.SetItemsProcessed(state.iterations() * empty_count);
}

// ---- empty_tasks_bulk: the same tasks handed over in bulk where the pool can take them so ----

void bulk_hotpath(benchmark::State& state) {
  hotpath::thread_pool<> pool({.threads = threads});
  countdown done;
  auto task = [&done] { done.arrive(); };
  // post_bulk moves the callables out; these capture one pointer, so the vector stays usable.
  std::vector<decltype(task)> tasks(static_cast<std::size_t>(empty_count), task);
  for (auto _ : state) {
    done.reset(empty_count);
    pool.post_bulk(tasks);
    done.wait();
  }
  state.SetItemsProcessed(state.iterations() * empty_count);
}

void bulk_std_pool(benchmark::State& state) {
  std_pool pool(threads);
  countdown done;
  std::vector<std::function<void()>> tasks(static_cast<std::size_t>(empty_count),
                                           [&done] { done.arrive(); });
  for (auto _ : state) {
    done.reset(empty_count);
    pool.post_bulk(tasks.begin(), tasks.end());
    done.wait();
  }
  state.SetItemsProcessed(state.iterations() * empty_count);
}

// ---- future_tasks: each task returns an int through a future ----

constexpr std::int64_t future_count = 200'000;

void future_hotpath(benchmark::State& state) {
  hotpath::thread_pool<> pool({.threads = threads});
  std::vector<hotpath::future<int>> fs;
  fs.reserve(future_count);
  for (auto _ : state) {
    fs.clear();
    for (std::int64_t i = 0; i < future_count; ++i) {
      fs.push_back(pool.submit([i] { return static_cast<int>(i & 7); }));
    }
    std::int64_t sum = 0;
    for (auto& f : fs)
      sum += f.get();
    benchmark::DoNotOptimize(sum);
  }
  state.SetItemsProcessed(state.iterations() * future_count);
}

template <class Post>
void future_packaged(benchmark::State& state, Post post) {
  std::vector<std::future<int>> fs;
  fs.reserve(future_count);
  for (auto _ : state) {
    fs.clear();
    for (std::int64_t i = 0; i < future_count; ++i) {
      auto task =
          std::make_shared<std::packaged_task<int()>>([i] { return static_cast<int>(i & 7); });
      fs.push_back(task->get_future());
      post([task] { (*task)(); });
    }
    std::int64_t sum = 0;
    for (auto& f : fs)
      sum += f.get();
    benchmark::DoNotOptimize(sum);
  }
  state.SetItemsProcessed(state.iterations() * future_count);
}

// ---- spin tasks: parallel efficiency on CPU-bound tasks of a fixed length ----

void spin_for(std::chrono::nanoseconds d) {
  auto end = std::chrono::steady_clock::now() + d;
  while (std::chrono::steady_clock::now() < end) {
  }
}

template <class Run>
void spin_tasks(benchmark::State& state, Run run) {
  auto len = std::chrono::microseconds(state.range(0));
  // About 200 ms of ideal wall time on 2 threads: long enough that the futex wake-ups at the
  // start and the end (30 us at the median, up to 2 ms, on a small VM) weigh about 1%.
  std::int64_t n = 400'000 / state.range(0);
  countdown done;
  for (auto _ : state) {
    done.reset(n);
    run(n, [&done, len] {
      spin_for(len);
      done.arrive();
    });
    done.wait();
  }
  state.SetItemsProcessed(state.iterations() * n);
  double ideal = static_cast<double>(n * state.range(0)) * 1e-6 / threads;
  state.counters["efficiency"] = benchmark::Counter(ideal * static_cast<double>(state.iterations()),
                                                    benchmark::Counter::kIsRate);
}

template <class Post>
void spin_posted(benchmark::State& state, Post post) {
  spin_tasks(state, [&](std::int64_t n, auto f) {
    for (std::int64_t i = 0; i < n; ++i)
      post(f);
  });
}
void spin_tbb(benchmark::State& state) {
  tbb_env env;
  spin_tasks(state, [&](std::int64_t n, auto f) {
    env.arena.execute([&] {
      tbb::task_group g;
      for (std::int64_t i = 0; i < n; ++i)
        g.run(f);
      g.wait();
    });
  });
}

// ---- submit_latency: one task into an idle pool (workers parked), time until it starts ----

template <class Post>
void latency(benchmark::State& state, Post post) {
  std::vector<double> samples;
  for (auto _ : state) {
    std::this_thread::sleep_for(std::chrono::milliseconds(2));  // let the workers park
    std::atomic<std::int64_t> started{0};
    auto t0 = std::chrono::steady_clock::now();
    post([&started] {
      started.store(std::chrono::steady_clock::now().time_since_epoch().count(),
                    std::memory_order_release);
      started.notify_one();
    });
    started.wait(0, std::memory_order_acquire);
    double ns = static_cast<double>(started.load() - t0.time_since_epoch().count());
    samples.push_back(ns);
    state.SetIterationTime(ns * 1e-9);
  }
  std::sort(samples.begin(), samples.end());
  state.counters["p50_ns"] = samples[samples.size() / 2];
  state.counters["p99_ns"] = samples[samples.size() * 99 / 100];
}

// ---- parallel_for: y = a*x + y ----

template <class For>
void saxpy(benchmark::State& state, For run) {
  auto n = static_cast<std::size_t>(state.range(0));
  std::vector<float> x(n, 1.5f), y(n, 2.0f);
  const float a = 0.5f;
  for (auto _ : state) {
    run(n, [&](std::size_t i) { y[i] = a * x[i] + y[i]; });
    benchmark::ClobberMemory();
  }
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(n));
}

void saxpy_hotpath(benchmark::State& state) {
  hotpath::thread_pool<> pool({.threads = threads});
  saxpy(state, [&](std::size_t n, auto f) {
    hotpath::parallel_for(pool, std::size_t{0}, n, f, {.grain = 16384});
  });
}
void saxpy_tbb(benchmark::State& state) {
  tbb_env env;
  saxpy(state, [&](std::size_t n, auto f) {
    env.arena.execute([&] {
      tbb::parallel_for(tbb::blocked_range<std::size_t>(0, n), [&](const auto& r) {
        for (std::size_t i = r.begin(); i != r.end(); ++i)
          f(i);
      });
    });
  });
}
void saxpy_serial(benchmark::State& state) {
  saxpy(state, [](std::size_t n, auto f) {
    for (std::size_t i = 0; i < n; ++i)
      f(i);
  });
}

// ---- fib30_nested: every call submits its first half and waits for it ----

int fib_hotpath(hotpath::thread_pool<>& pool, int n) {
  if (n < 2) return n;
  auto a = pool.submit([&pool, n] { return fib_hotpath(pool, n - 1); });
  int b = fib_hotpath(pool, n - 2);
  return a.get() + b;
}
int fib_tbb(int n) {
  if (n < 2) return n;
  int a = 0;
  tbb::task_group g;
  g.run([&a, n] { a = fib_tbb(n - 1); });
  int b = fib_tbb(n - 2);
  g.wait();
  return a + b;
}
void fib_hotpath_bench(benchmark::State& state) {
  hotpath::thread_pool<> pool({.threads = threads});
  for (auto _ : state) {
    int r = pool.submit([&pool] { return fib_hotpath(pool, 30); }).get();
    if (r != 832040) state.SkipWithError("wrong fib");
  }
}
void fib_tbb_bench(benchmark::State& state) {
  tbb_env env;
  for (auto _ : state) {
    int r = env.arena.execute([] { return fib_tbb(30); });
    if (r != 832040) state.SkipWithError("wrong fib");
  }
}

// ---- idle_cpu: CPU time the whole process uses in 1 s of idleness after a burst ----

double process_cpu_seconds() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  auto tv = [](timeval t) {
    return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) * 1e-6;
  };
  return tv(ru.ru_utime) + tv(ru.ru_stime);
}

template <class Post>
void idle_cpu(benchmark::State& state, Post post) {
  for (auto _ : state) {
    countdown done;
    done.reset(100'000);
    for (int i = 0; i < 100'000; ++i)
      post([&done] { done.arrive(); });
    done.wait();
    double before = process_cpu_seconds();
    std::this_thread::sleep_for(std::chrono::seconds(1));
    double used = process_cpu_seconds() - before;
    state.SetIterationTime(used);
    state.counters["cpu_ms"] = used * 1e3;
  }
}
// Registers <workload>/hotpath, /asio and /std_pool, each running run(state, post) on its pool.
template <class Run>
std::vector<benchmark::internal::Benchmark*> on_pools(const std::string& workload, Run run) {
  return {
      benchmark::RegisterBenchmark((workload + "/hotpath").c_str(),
                                   [run](benchmark::State& s) { on_hotpath(s, run); }),
      benchmark::RegisterBenchmark((workload + "/asio").c_str(),
                                   [run](benchmark::State& s) { on_asio(s, run); }),
      benchmark::RegisterBenchmark((workload + "/std_pool").c_str(),
                                   [run](benchmark::State& s) { on_std_pool(s, run); }),
  };
}

int register_all = [] {
  auto reg = [](const char* name, auto fn) {
    return benchmark::RegisterBenchmark(name, fn)->UseRealTime()->Unit(benchmark::kMillisecond);
  };
  for (auto* b : on_pools("empty_tasks", [](auto&st, auto post) { empty_tasks(st, post); })) {
    b->UseRealTime()->Unit(benchmark::kMillisecond);
  }
  reg("empty_tasks/tbb", empty_tbb);
  reg("empty_tasks_bulk/hotpath", bulk_hotpath);
  reg("empty_tasks_bulk/asio", [](benchmark::State& s) {
    on_asio(s, [](auto& st, auto post) { empty_tasks(st, post); });  // Asio has no bulk post
  });
  reg("empty_tasks_bulk/std_pool", bulk_std_pool);
  reg("future_tasks/hotpath", future_hotpath);
  reg("future_tasks/asio", [](benchmark::State& s) {
    on_asio(s, [](auto& st, auto post) { future_packaged(st, post); });
  });
  reg("future_tasks/std_pool", [](benchmark::State& s) {
    on_std_pool(s, [](auto& st, auto post) { future_packaged(st, post); });
  });
  for (int us : {10, 100}) {
    std::string w = "spin_" + std::to_string(us) + "us_tasks/";
    reg((w + "hotpath").c_str(), [](benchmark::State& s) {
      on_hotpath(s, [](auto& st, auto post) { spin_posted(st, post); });
    })->Arg(us);
    reg((w + "asio").c_str(), [](benchmark::State& s) {
      on_asio(s, [](auto& st, auto post) { spin_posted(st, post); });
    })->Arg(us);
    reg((w + "tbb").c_str(), spin_tbb)->Arg(us);
  }
  for (auto* b : on_pools("submit_latency", [](auto&st, auto post) { latency(st, post); })) {
    b->UseManualTime()->Unit(benchmark::kMicrosecond)->Iterations(200);
  }
  for (std::int64_t n : {1000, 10'000'000}) {
    std::string w = n == 1000 ? "parallel_for_1e3/" : "parallel_for_1e7/";
    reg((w + "hotpath").c_str(), saxpy_hotpath)->Arg(n)->Unit(benchmark::kMicrosecond);
    reg((w + "tbb").c_str(), saxpy_tbb)->Arg(n)->Unit(benchmark::kMicrosecond);
    reg((w + "serial").c_str(), saxpy_serial)->Arg(n)->Unit(benchmark::kMicrosecond);
  }
  reg("fib30_nested/hotpath", fib_hotpath_bench);
  reg("fib30_nested/tbb", fib_tbb_bench);
  for (auto* b : on_pools("idle_cpu", [](auto&st, auto post) { idle_cpu(st, post); })) {
    b->UseManualTime()->Unit(benchmark::kMillisecond)->Iterations(1);
  }
  return 0;
}();

}  // namespace

BENCHMARK_MAIN();
