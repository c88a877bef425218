// Counter increments: hotpath's per-thread counter against one shared std::atomic, the usual
// hand-written counter. Peers run in this binary so their ratio holds on a noisy machine.
#include <benchmark/benchmark.h>

#include <atomic>
#include <cstdint>

#include "hotpath/metrics/counter.hpp"

namespace {

hotpath::metrics::counter g_counter;
std::atomic<std::uint64_t> g_atomic{0};

void hotpath_inc(benchmark::State& state) {
  for (auto _ : state)
    g_counter.inc();
  state.SetItemsProcessed(state.iterations());
}

void std_atomic_inc(benchmark::State& state) {
  for (auto _ : state)
    g_atomic.fetch_add(1, std::memory_order_relaxed);
  state.SetItemsProcessed(state.iterations());
}

int register_all = [] {
  for (int threads : {1, 2}) {
    std::string workload =
        "counter_inc_" + std::to_string(threads) + (threads == 1 ? "thread" : "threads");
    benchmark::RegisterBenchmark((workload + "/hotpath").c_str(), hotpath_inc)
        ->Threads(threads)
        ->UseRealTime();
    benchmark::RegisterBenchmark((workload + "/std_atomic").c_str(), std_atomic_inc)
        ->Threads(threads)
        ->UseRealTime();
  }
  return 0;
}();

}  // namespace

BENCHMARK_MAIN();
