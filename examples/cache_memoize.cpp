// Memoizes a slow lookup with a TTL and shows what the cache buys: latency and hit rate of a
// Zipf-like stream of requests before (every call runs the function) and after (memoized),
// then the cache's Prometheus metrics.
//   cache_memoize [--requests N] [--delay-us D]
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "hotpath/cache.hpp"
#include "hotpath/metrics/registry.hpp"

namespace {

using namespace std::chrono_literals;

// Stands in for a database or service call.
std::string slow_lookup(int id, std::chrono::microseconds delay) {
  std::this_thread::sleep_for(delay);
  return "user-" + std::to_string(id);
}

// Request ids with a few hot ones, as in real traffic.
std::vector<int> request_ids(int n) {
  std::mt19937 rng(1);
  std::uniform_real_distribution<double> u(0.0, 1.0);
  std::vector<int> ids(static_cast<std::size_t>(n));
  for (auto& id : ids)
    // 1/u, capped below INT_MAX: u can be 0 or tiny, and casting what does not fit is UB.
    id = static_cast<int>(std::min(std::pow(u(rng), -1.0), 1e9)) % 5000;
  return ids;
}

template <class F>
double run_us_per_call(const std::vector<int>& ids, F&& call) {
  auto t0 = std::chrono::steady_clock::now();
  std::size_t bytes = 0;
  for (int id : ids)
    bytes += call(id).size();
  auto us = std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - t0);
  if (bytes == 0) std::puts("(no results)");
  return us.count() / static_cast<double>(ids.size());
}

}  // namespace

int main(int argc, char** argv) {
  int requests = 20'000;
  long delay_us = 50;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (std::strcmp(argv[i], "--requests") == 0) requests = std::atoi(argv[i + 1]);
    if (std::strcmp(argv[i], "--delay-us") == 0) delay_us = std::atol(argv[i + 1]);
  }
  auto delay = std::chrono::microseconds(delay_us);
  auto ids = request_ids(requests);

  double direct = run_us_per_call(ids, [&](int id) { return slow_lookup(id, delay); });
  std::printf("direct:   %8.2f us per call\n", direct);

  hotpath::metrics::registry reg;  // declared first: it must outlive what registers with it
  auto cached = hotpath::memoize<hotpath::expiry::after_write>(
      [delay](int id) { return slow_lookup(id, delay); },
      {.capacity = 1000, .ttl = 60s, .refresh_ahead = 5s});
  double memo = run_us_per_call(ids, [&](int id) { return cached(id); });
  auto st = cached.results().stats();
  std::printf("memoized: %8.2f us per call, hit rate %.1f%%, %llu loads, %llu evictions\n", memo,
              100 * st.hit_rate(), static_cast<unsigned long long>(st.loads),
              static_cast<unsigned long long>(st.evictions));
  std::printf("speed-up: %.1fx\n\n", direct / memo);

  cached.results().register_metrics(reg, "user_lookup_cache");
  std::fputs(reg.render_prometheus().c_str(), stdout);
  return st.hits + st.misses == static_cast<std::uint64_t>(requests) ? 0 : 1;
}
