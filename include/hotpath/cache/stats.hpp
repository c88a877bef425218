// hotpath/cache/stats.hpp: a snapshot of a cache's counters, shared by hotpath's caches.
//
//   auto s = c.stats();
//   std::printf("hit rate %.1f%%, %llu evictions\n", 100 * s.hit_rate(), s.evictions);
#pragma once

#include <cstdint>

#include "hotpath/config.hpp"
#include "hotpath/metrics/histogram.hpp"

namespace hotpath::inline HOTPATH_ABI {

/// Counters since the cache was built. A lookup is a hit or a miss; get_or_load's misses that
/// ran the loader are loads (or load failures); a miss that waited for another caller's load
/// counts as a miss only.
struct cache_stats {
  std::uint64_t hits = 0;
  std::uint64_t misses = 0;
  std::uint64_t loads = 0;
  std::uint64_t load_failures = 0;
  std::uint64_t evictions = 0;          ///< entries the eviction policy removed
  std::uint64_t evicted_weight = 0;     ///< their total weight
  std::uint64_t expirations = 0;        ///< entries removed because their TTL passed
  std::uint64_t size = 0;               ///< entries now (expired ones not yet reclaimed included)
  std::uint64_t weight = 0;             ///< their total weight
  std::uint64_t capacity = 0;           ///< the maximum total weight
  metrics::histogram_snapshot load_ns;  ///< loader run times, successful or not

  /// hits / (hits + misses); 0 before the first lookup.
  [[nodiscard]] double hit_rate() const noexcept {
    auto n = hits + misses;
    return n == 0 ? 0.0 : static_cast<double>(hits) / static_cast<double>(n);
  }
};

}  // namespace hotpath::inline HOTPATH_ABI
