// Histogram records: hotpath's per-thread log-linear histogram against a mutex-guarded vector of
// samples (what a service writes before it sorts for percentiles). The workload also times one
// hotpath counter increment on the same thread count, the yardstick of the "record costs at most
// 3 increments" target.
#include <benchmark/benchmark.h>

#include <cmath>
#include <cstdint>
#include <mutex>
#include <random>
#include <string>
#include <vector>

#include "hotpath/metrics/counter.hpp"
#include "hotpath/metrics/histogram.hpp"

namespace {

// Latency-like values, log-uniform from 100 ns to 100 ms, so records hit many buckets.
const std::vector<std::uint64_t>& samples() {
  static const std::vector<std::uint64_t> v = [] {
    std::mt19937_64 rng(42);
    std::uniform_real_distribution<double> exponent(2.0, 8.0);
    std::vector<std::uint64_t> out(1 << 16);
    for (auto& x : out)
      x = static_cast<std::uint64_t>(std::pow(10.0, exponent(rng)));
    return out;
  }();
  return v;
}
constexpr std::size_t sample_mask = (1 << 16) - 1;

hotpath::metrics::histogram g_hist;
hotpath::metrics::counter g_counter;

struct mutex_vector {
  std::mutex mu;
  std::vector<std::uint64_t> values;
  void record(std::uint64_t v) {
    std::lock_guard lock(mu);
    // Bounded like a real collector that hands off a window of samples for sorting.
    if (values.size() == (1u << 20)) values.clear();
    values.push_back(v);
  }
};
mutex_vector g_vec;

void hotpath_record(benchmark::State& state) {
  const auto& s = samples();
  std::size_t i = static_cast<std::size_t>(state.thread_index()) * 7919;
  for (auto _ : state)
    g_hist.record(s[i++ & sample_mask]);
  state.SetItemsProcessed(state.iterations());
}

void mutex_vector_record(benchmark::State& state) {
  const auto& s = samples();
  std::size_t i = static_cast<std::size_t>(state.thread_index()) * 7919;
  for (auto _ : state)
    g_vec.record(s[i++ & sample_mask]);
  state.SetItemsProcessed(state.iterations());
}

void counter_inc(benchmark::State& state) {
  const auto& s = samples();
  std::size_t i = 0;
  // Reads the same sample stream so the loop overhead matches the record loops.
  for (auto _ : state)
    g_counter.inc(s[i++ & sample_mask] & 1);
  state.SetItemsProcessed(state.iterations());
}

int register_all = [] {
  for (int threads : {1, 2}) {
    std::string workload =
        "histogram_record_" + std::to_string(threads) + (threads == 1 ? "thread" : "threads");
    benchmark::RegisterBenchmark((workload + "/hotpath").c_str(), hotpath_record)
        ->Threads(threads)
        ->UseRealTime();
    benchmark::RegisterBenchmark((workload + "/mutex_vector").c_str(), mutex_vector_record)
        ->Threads(threads)
        ->UseRealTime();
    benchmark::RegisterBenchmark((workload + "/hotpath_counter_inc").c_str(), counter_inc)
        ->Threads(threads)
        ->UseRealTime();
  }
  return 0;
}();

}  // namespace

BENCHMARK_MAIN();
