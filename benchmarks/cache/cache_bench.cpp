// hotpath's cache beside list_lru, the std::list + std::unordered_map LRU behind a std::mutex
// that users write by hand, and (for two threads) libcuckoo's cuckoohash_map, an unbounded
// concurrent map: an upper bound on what a concurrent lookup can cost. Keys are 64-bit
// integers, values 64-bit integers; key streams are precomputed so that generating them is not
// timed.
#include <benchmark/benchmark.h>
#include <malloc.h>

#include <chrono>
#include <cstdint>
#include <libcuckoo/cuckoohash_map.hh>
#include <list>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <unordered_map>
#include <vector>

#include "hotpath/cache.hpp"
#include "hotpath/core/clock.hpp"
#include "traces.hpp"

namespace {

using key = std::uint64_t;
using value = std::uint64_t;

// What users write by hand: get moves the entry to the front; put evicts from the back.
class list_lru {
 public:
  explicit list_lru(std::size_t capacity) : capacity_(capacity) { map_.reserve(capacity); }
  bool contains(key k) {
    std::lock_guard lock(mu_);
    return map_.contains(k);
  }
  std::optional<value> get(key k) {
    std::lock_guard lock(mu_);
    auto it = map_.find(k);
    if (it == map_.end()) return std::nullopt;
    order_.splice(order_.begin(), order_, it->second);
    return it->second->second;
  }
  void put(key k, value v) {
    std::lock_guard lock(mu_);
    if (auto it = map_.find(k); it != map_.end()) {
      it->second->second = v;
      order_.splice(order_.begin(), order_, it->second);
      return;
    }
    if (map_.size() == capacity_) {
      map_.erase(order_.back().first);
      order_.pop_back();
    }
    order_.emplace_front(k, v);
    map_.emplace(k, order_.begin());
  }

 private:
  std::mutex mu_;
  std::list<std::pair<key, value>> order_;
  std::unordered_map<key, std::list<std::pair<key, value>>::iterator> map_;
  std::size_t capacity_;
};

using default_cache = hotpath::cache<key, value>;
using lru_cache = hotpath::cache<key, value, hotpath::eviction::lru>;
using shared_reads_cache = hotpath::cache<key, value, hotpath::locking::shared_reads>;

// Zipf 0.99 ranks over `n` keys, scattered over the key space.
std::vector<key> zipf_keys(std::uint64_t n, std::size_t count, std::uint64_t seed) {
  hotpath_bench::zipf_sampler z(n, 0.99);
  std::mt19937_64 rng(seed);
  std::vector<key> out(count);
  for (auto& k : out)
    k = hotpath_bench::scatter(z(rng), 9);
  return out;
}

constexpr std::size_t stream = 1 << 20;

// ---- get_hit_zipf_100k: 100k keys, all resident; every get hits ----

// A quarter more capacity than keys: a sharded cache splits its capacity evenly over shards
// while the keys fall on them by hash, so at exactly 100k some shards would overflow and evict.
constexpr std::uint64_t hit_keys = 100'000;
constexpr std::uint64_t hit_capacity = hit_keys + hit_keys / 4;

template <class Cache, class Make>
void get_hit(benchmark::State& state, Make make) {
  auto c = make(hit_capacity);
  for (std::uint64_t r = 0; r < hit_keys; ++r)
    c->put(hotpath_bench::scatter(r, 9), r);
  for (std::uint64_t r = 0; r < hit_keys; ++r) {
    if (!c->contains(hotpath_bench::scatter(r, 9))) {
      state.SkipWithError(
          "get_hit: a key was evicted while filling; the workload needs all resident");
      return;
    }
  }
  auto keys = zipf_keys(hit_keys, stream, 1);
  std::size_t i = 0;
  std::uint64_t sum = 0;
  for (auto _ : state) {
    for (int j = 0; j < 1024; ++j) {
      sum += *c->get(keys[i]);
      i = (i + 1) & (stream - 1);
    }
  }
  benchmark::DoNotOptimize(sum);
  state.SetItemsProcessed(state.iterations() * 1024);
}
template <class Cache>
void get_hit_hotpath(benchmark::State& state) {
  get_hit<Cache>(state, [](std::uint64_t cap) {
    return std::make_unique<Cache>(hotpath::cache_options<key, value>{.capacity = cap});
  });
}
void get_hit_list_lru(benchmark::State& state) {
  get_hit<list_lru>(state, [](std::uint64_t cap) { return std::make_unique<list_lru>(cap); });
}

// ---- mixed_zipf_1m_cap100k: get, and put on a miss ----

template <class Cache>
void mixed(benchmark::State& state, Cache& c) {
  auto keys = zipf_keys(1'000'000, stream, 2);
  std::size_t i = 0;
  std::uint64_t hits = 0;
  for (auto _ : state) {
    for (int j = 0; j < 1024; ++j) {
      key k = keys[i];
      if (c.get(k)) {
        ++hits;
      } else {
        c.put(k, k);
      }
      i = (i + 1) & (stream - 1);
    }
  }
  state.SetItemsProcessed(state.iterations() * 1024);
  state.counters["hit_ratio"] =
      static_cast<double>(hits) / static_cast<double>(state.iterations() * 1024);
}

// ---- read_heavy: 95% get, 5% put; Zipf 0.99 over 1M keys, capacity 100k, warmed first ----

template <class Map>
void warm(Map& c) {
  for (key k : zipf_keys(1'000'000, 1 << 19, 5))
    c.put(k, k);
}

template <class Map>
void read_heavy(benchmark::State& state, Map& c) {
  auto keys = zipf_keys(1'000'000, stream, 3 + static_cast<std::uint64_t>(state.thread_index()));
  std::size_t i = 0;
  std::uint64_t found = 0;
  for (auto _ : state) {
    for (int j = 0; j < 1024; ++j) {
      key k = keys[i];
      if (i % 20 == 0) {
        c.put(k, k);
      } else if (c.get(k)) {
        ++found;
      }
      i = (i + 1) & (stream - 1);
    }
  }
  benchmark::DoNotOptimize(found);
  state.SetItemsProcessed(state.iterations() * 1024);
}

// libcuckoo with the same interface (unbounded: nothing is ever evicted).
struct cuckoo_map {
  libcuckoo::cuckoohash_map<key, value> map;
  std::optional<value> get(key k) {
    value v;
    if (map.find(k, v)) return v;
    return std::nullopt;
  }
  void put(key k, value v) { map.insert_or_assign(k, v); }
};

// The map the threads of one read_heavy_2threads run share, built by the run's Setup before
// its threads start and destroyed by its Teardown after they finish.
template <class Map>
std::unique_ptr<Map>& shared_map() {
  static std::unique_ptr<Map> m;
  return m;
}

template <class Map, class Make>
void register_read_heavy_2threads(const char* name, Make) {
  benchmark::RegisterBenchmark(name, [](benchmark::State& s) { read_heavy(s, *shared_map<Map>()); })
      ->Setup([](const benchmark::State&) {
        shared_map<Map>() = Make{}();
        warm(*shared_map<Map>());
      })
      ->Teardown([](const benchmark::State&) { shared_map<Map>().reset(); })
      ->Threads(2)
      ->UseRealTime();
}

// ---- expire_1m: 1M entries with TTLs ~ exp(mean 1 s) reclaimed by the timer wheel ----

void expire_1m(benchmark::State& state) {
  std::mt19937_64 rng(4);
  std::exponential_distribution<double> ttl_s(1.0);
  std::vector<std::chrono::nanoseconds> ttls(1'000'000);
  for (auto& t : ttls)
    t = std::chrono::nanoseconds(static_cast<std::int64_t>(ttl_s(rng) * 1e9) + 1);
  std::uint64_t expired = 0;
  for (auto _ : state) {
    state.PauseTiming();
    hotpath::manual_clock clk;
    auto c = std::make_unique<
        hotpath::cache<key, value, hotpath::eviction::lru, hotpath::expiry::after_write,
                       hotpath::manual_clock, hotpath::locking::none>>(
        hotpath::cache_options<key, value>{.capacity = 2'000'000, .ttl = std::chrono::hours(1)},
        clk);
    for (std::uint64_t k = 0; k < ttls.size(); ++k)
      c->put(k, k, ttls[k]);
    state.ResumeTiming();
    // Time moves in 10 ms steps for 30 s: every entry expires (p > 1 - 1e-13) and is reclaimed.
    for (int step = 0; step < 3000; ++step) {
      clk.advance(std::chrono::milliseconds(10));
      c->cleanup();
    }
    state.PauseTiming();
    expired += c->stats().expirations;
    c.reset();
    state.ResumeTiming();
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(expired));
  // Seconds per expired entry (the console prints it with an SI prefix: "89n" is 89 ns).
  state.counters["time_per_expired"] = benchmark::Counter(
      static_cast<double>(expired), benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}

// ---- memory_per_entry: heap bytes per entry beyond the 16 of key + value (a counter) ----

template <class Make>
double heap_bytes_per_entry(Make make, std::size_t n) {
  malloc_trim(0);
  // Blocks over the mmap threshold (which glibc moves at run time) are counted in hblkhd only.
  auto in_use = [] {
    struct mallinfo2 m = mallinfo2();
    return m.uordblks + m.hblkhd;
  };
  auto before = in_use();
  auto c = make();
  for (std::uint64_t k = 0; k < n; ++k)
    c->put(k, k);
  auto after = in_use();
  return static_cast<double>(after - before) / static_cast<double>(n);
}

template <class Make>
void memory_per_entry(benchmark::State& state, Make make) {
  double per = 0;
  for (auto _ : state)
    per = heap_bytes_per_entry(make, 1'000'000);
  state.counters["bytes_per_entry"] = per;
  state.counters["overhead_bytes"] = per - 2 * sizeof(std::uint64_t);
}

int register_all = [] {
  using benchmark::RegisterBenchmark;
  RegisterBenchmark("get_hit_zipf_100k/hotpath", get_hit_hotpath<default_cache>);
  RegisterBenchmark("get_hit_zipf_100k/list_lru", get_hit_list_lru);

  RegisterBenchmark("mixed_zipf_1m_cap100k/hotpath", [](benchmark::State& s) {
    default_cache c({.capacity = 100'000});
    mixed(s, c);
  });
  RegisterBenchmark("mixed_zipf_1m_cap100k/list_lru", [](benchmark::State& s) {
    list_lru c(100'000);
    mixed(s, c);
  });

  // The same all-hit workload through hotpath's default policy and its plain LRU.
  RegisterBenchmark("w_tinylfu_cost/hotpath", get_hit_hotpath<default_cache>);
  RegisterBenchmark("w_tinylfu_cost/hotpath_lru", get_hit_hotpath<lru_cache>);

  RegisterBenchmark("read_heavy_1thread/hotpath", [](benchmark::State& s) {
    default_cache c({.capacity = 100'000});
    warm(c);
    read_heavy(s, c);
  })->UseRealTime();
  // libcuckoo's own 1-thread rate: its 2-thread rate over this one is the scaling the machine
  // allows a concurrent map, next to which hotpath's scaling is judged.
  RegisterBenchmark("read_heavy_1thread/cuckoo", [](benchmark::State& s) {
    cuckoo_map c;
    warm(c);
    read_heavy(s, c);
  })->UseRealTime();
  register_read_heavy_2threads<default_cache>("read_heavy_2threads/hotpath", [] {
    return std::make_unique<default_cache>(hotpath::cache_options<key, value>{.capacity = 100'000});
  });
  // Each thread with a cache of its own, so that no line is shared: the scaling this machine
  // allows hotpath's one-thread loop, the ceiling for the shared cache's two-thread ratio.
  RegisterBenchmark("read_heavy_2threads/hotpath_private",
                    [](benchmark::State& s) {
                      default_cache c({.capacity = 100'000});
                      warm(c);
                      read_heavy(s, c);
                    })
      ->Threads(2)
      ->UseRealTime();
  // The same cache with gets under a shared lock (locking::shared_reads).
  RegisterBenchmark("read_heavy_1thread/hotpath_shared_reads", [](benchmark::State& s) {
    shared_reads_cache c({.capacity = 100'000});
    warm(c);
    read_heavy(s, c);
  })->UseRealTime();
  register_read_heavy_2threads<shared_reads_cache>("read_heavy_2threads/hotpath_shared_reads", [] {
    return std::make_unique<shared_reads_cache>(
        hotpath::cache_options<key, value>{.capacity = 100'000});
  });
  register_read_heavy_2threads<list_lru>("read_heavy_2threads/list_lru",
                                         [] { return std::make_unique<list_lru>(100'000); });
  register_read_heavy_2threads<cuckoo_map>("read_heavy_2threads/cuckoo",
                                           [] { return std::make_unique<cuckoo_map>(); });

  RegisterBenchmark("expire_1m/hotpath", expire_1m)->Unit(benchmark::kMillisecond)->Iterations(3);

  RegisterBenchmark("memory_per_entry/hotpath", [](benchmark::State& s) {
    memory_per_entry(s, [] {
      return std::make_unique<default_cache>(
          hotpath::cache_options<key, value>{.capacity = 1'000'000});
    });
  })->Iterations(1);
  RegisterBenchmark("memory_per_entry/hotpath_lru", [](benchmark::State& s) {
    memory_per_entry(s, [] {
      return std::make_unique<lru_cache>(hotpath::cache_options<key, value>{.capacity = 1'000'000});
    });
  })->Iterations(1);
  RegisterBenchmark("memory_per_entry/list_lru", [](benchmark::State& s) {
    memory_per_entry(s, [] { return std::make_unique<list_lru>(1'000'000); });
  })->Iterations(1);
  return 0;
}();

}  // namespace

BENCHMARK_MAIN();
