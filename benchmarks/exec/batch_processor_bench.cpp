// Batching a sink that costs 1 us per call (a syscall, a network round trip folded into one
// write): hotpath::batch_processor against calling the sink once per item.
#include <benchmark/benchmark.h>

#include <chrono>
#include <cstdint>
#include <vector>

#include "hotpath/exec/batch_processor.hpp"
#include "hotpath/exec/thread_pool.hpp"

namespace {

constexpr std::int64_t items = 200'000;

void spin_for(std::chrono::nanoseconds d) {
  auto end = std::chrono::steady_clock::now() + d;
  while (std::chrono::steady_clock::now() < end) {
  }
}

// The sink: fixed cost per call, plus touching every item.
std::uint64_t sink_call(const std::int64_t* first, std::size_t n) {
  spin_for(std::chrono::microseconds(1));
  std::uint64_t sum = 0;
  for (std::size_t i = 0; i < n; ++i)
    sum += static_cast<std::uint64_t>(first[i]);
  return sum;
}

void batched(benchmark::State& state) {
  hotpath::thread_pool<> pool({.threads = 2});
  std::uint64_t total = 0;
  for (auto _ : state) {
    hotpath::batch_processor<std::int64_t> bp(
        pool,
        [&total](const std::vector<std::int64_t>& b) { total += sink_call(b.data(), b.size()); },
        {.max_items = 1000, .max_in_flight = 1});
    for (std::int64_t i = 0; i < items; ++i)
      bp.add(i);
    bp.close();
  }
  benchmark::DoNotOptimize(total);
  state.SetItemsProcessed(state.iterations() * items);
}

void per_item(benchmark::State& state) {
  std::uint64_t total = 0;
  for (auto _ : state) {
    for (std::int64_t i = 0; i < items; ++i)
      total += sink_call(&i, 1);
  }
  benchmark::DoNotOptimize(total);
  state.SetItemsProcessed(state.iterations() * items);
}

BENCHMARK(batched)->Name("batch_sink_1us/hotpath")->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK(per_item)->Name("batch_sink_1us/per_item")->UseRealTime()->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
