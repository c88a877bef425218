// Seeded access traces for hotpath's cache hit-ratio tool and its pinned ctest, and reference
// policies to compare with: LRU, ARC and Belady's OPT (the ceiling). Written for hotpath's
// benchmarks; nothing is downloaded.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <list>
#include <random>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

namespace hotpath_bench {

using trace = std::vector<std::uint64_t>;

inline std::uint64_t scatter(std::uint64_t x, std::uint64_t salt) {
  x += salt * 0x9e3779b97f4a7c15ull;
  x ^= x >> 31;
  x *= 0xbf58476d1ce4e5b9ull;
  x ^= x >> 29;
  return x;
}

/// Ranks 0..n-1 drawn with P(rank) proportional to 1 / (rank + 1)^s.
class zipf_sampler {
 public:
  zipf_sampler(std::uint64_t n, double s) : cdf_(n) {
    double sum = 0;
    for (std::uint64_t k = 0; k < n; ++k)
      cdf_[k] = sum += 1.0 / std::pow(static_cast<double>(k + 1), s);
    for (auto& c : cdf_)
      c /= sum;
  }
  template <class Rng>
  std::uint64_t operator()(Rng& rng) const {
    double u = std::uniform_real_distribution<double>(0, 1)(rng);
    return static_cast<std::uint64_t>(std::lower_bound(cdf_.begin(), cdf_.end(), u) - cdf_.begin());
  }
  /// The probability mass of the `c` most popular ranks: the hit rate of a cache that always
  /// holds exactly them.
  [[nodiscard]] double top_mass(std::uint64_t c) const {
    return c == 0 ? 0 : cdf_[std::min<std::uint64_t>(c, cdf_.size()) - 1];
  }

 private:
  std::vector<double> cdf_;
};

struct trace_spec {
  std::string name;
  trace keys;
  std::uint64_t capacity;
  double popularity_bound = -1;  // top-C mass for Zipf traces, else -1
};

constexpr std::uint64_t key_space = 1'000'000;
constexpr std::uint64_t default_capacity = key_space / 100;

inline trace_spec zipf_trace(double s, std::size_t length, std::uint64_t seed) {
  zipf_sampler z(key_space, s);
  std::mt19937_64 rng(seed);
  trace t(length);
  for (auto& k : t)
    k = scatter(z(rng), 1);
  char name[32];
  std::snprintf(name, sizeof name, "zipf_%.2f", s);
  return {name, std::move(t), default_capacity, z.top_mass(default_capacity)};
}

/// A cyclic scan over 1.2x the capacity: LRU misses every access.
inline trace_spec loop_trace(std::size_t length) {
  std::uint64_t span = default_capacity * 12 / 10;
  trace t(length);
  for (std::size_t i = 0; i < length; ++i)
    t[i] = scatter(i % span, 2);
  return {"loop_1.2c", std::move(t), default_capacity};
}

/// Zipf 0.9 traffic with 20% of the accesses in scans of one-off keys (1000 at a time).
inline trace_spec scan_mix_trace(std::size_t length, std::uint64_t seed) {
  zipf_sampler z(key_space, 0.9);
  std::mt19937_64 rng(seed);
  trace t;
  t.reserve(length);
  std::uint64_t fresh = 0;
  while (t.size() < length) {
    for (int i = 0; i < 4000 && t.size() < length; ++i)
      t.push_back(scatter(z(rng), 3));
    for (int i = 0; i < 1000 && t.size() < length; ++i)
      t.push_back(scatter(fresh++, 4));
  }
  return {"scan_mix", std::move(t), default_capacity};
}

/// 30% new keys; otherwise a key seen a geometric number of accesses back (mean 1000).
inline trace_spec recency_trace(std::size_t length, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::geometric_distribution<std::size_t> back(1.0 / 1000);
  trace t;
  t.reserve(length);
  std::uint64_t fresh = 0;
  while (t.size() < length) {
    std::size_t b = back(rng);
    if (std::uniform_real_distribution<double>(0, 1)(rng) < 0.3 || b >= t.size()) {
      t.push_back(scatter(fresh++, 5));
    } else {
      t.push_back(t[t.size() - 1 - b]);
    }
  }
  return {"recency", std::move(t), default_capacity};
}

/// Zipf 0.9 over one key set, then a loop over 1.2x the capacity, then Zipf over another set.
inline trace_spec phase_trace(std::size_t length, std::uint64_t seed) {
  zipf_sampler z(key_space, 0.9);
  std::mt19937_64 rng(seed);
  std::uint64_t span = default_capacity * 12 / 10;
  trace t(length);
  std::size_t third = length / 3;
  for (std::size_t i = 0; i < length; ++i) {
    if (i < third) {
      t[i] = scatter(z(rng), 6);
    } else if (i < 2 * third) {
      t[i] = scatter(i % span, 7);
    } else {
      t[i] = scatter(z(rng), 8);
    }
  }
  return {"phase_shift", std::move(t), default_capacity};
}

// ---- reference policies: hits over a trace (get, and put on a miss) ----

inline double lru_hit_rate(const trace& t, std::uint64_t capacity) {
  std::list<std::uint64_t> order;
  std::unordered_map<std::uint64_t, std::list<std::uint64_t>::iterator> where;
  std::size_t hits = 0;
  for (auto k : t) {
    if (auto it = where.find(k); it != where.end()) {
      ++hits;
      order.splice(order.end(), order, it->second);
      continue;
    }
    if (where.size() == capacity) {
      where.erase(order.front());
      order.pop_front();
    }
    where[k] = order.insert(order.end(), k);
  }
  return static_cast<double>(hits) / static_cast<double>(t.size());
}

/// Adaptive Replacement Cache (Megiddo and Modha): recency list T1 and frequency list T2 with
/// ghost lists B1, B2 steering the target size p of T1.
inline double arc_hit_rate(const trace& t, std::uint64_t capacity) {
  using list = std::list<std::uint64_t>;
  enum where_t { t1, t2, b1, b2 };
  struct place {
    where_t in;
    list::iterator it;
  };
  list l[4];
  std::unordered_map<std::uint64_t, place> map;
  double p = 0;
  const double c = static_cast<double>(capacity);
  std::size_t hits = 0;
  auto move_to = [&](std::uint64_t k, place& pl, where_t to) {
    l[pl.in].erase(pl.it);
    pl.in = to;
    pl.it = l[to].insert(l[to].end(), k);
  };
  auto replace = [&](bool in_b2) {
    bool from_t1 = !l[t1].empty() && (static_cast<double>(l[t1].size()) > p ||
                                      (in_b2 && static_cast<double>(l[t1].size()) == p));
    where_t src = from_t1 ? t1 : t2;
    where_t ghost = from_t1 ? b1 : b2;
    if (l[src].empty()) return;
    std::uint64_t victim = l[src].front();
    move_to(victim, map[victim], ghost);
  };
  for (auto k : t) {
    auto it = map.find(k);
    if (it != map.end() && (it->second.in == t1 || it->second.in == t2)) {
      ++hits;
      move_to(k, it->second, t2);
      continue;
    }
    if (it != map.end() && it->second.in == b1) {
      p = std::min(c, p + std::max(1.0, static_cast<double>(l[b2].size()) /
                                            static_cast<double>(l[b1].size())));
      replace(false);
      move_to(k, it->second, t2);
      continue;
    }
    if (it != map.end() && it->second.in == b2) {
      p = std::max(0.0, p - std::max(1.0, static_cast<double>(l[b1].size()) /
                                              static_cast<double>(l[b2].size())));
      replace(true);
      move_to(k, it->second, t2);
      continue;
    }
    std::size_t l1 = l[t1].size() + l[b1].size();
    std::size_t total = l1 + l[t2].size() + l[b2].size();
    if (l1 == capacity) {
      if (l[t1].size() < capacity) {
        map.erase(l[b1].front());
        l[b1].pop_front();
        replace(false);
      } else {
        map.erase(l[t1].front());
        l[t1].pop_front();
      }
    } else if (total >= capacity) {
      if (total == 2 * capacity) {
        map.erase(l[b2].front());
        l[b2].pop_front();
      }
      replace(false);
    }
    map[k] = {t1, l[t1].insert(l[t1].end(), k)};
  }
  return static_cast<double>(hits) / static_cast<double>(t.size());
}

/// Belady's OPT: on a miss with a full cache, evict the key used furthest in the future.
inline double opt_hit_rate(const trace& t, std::uint64_t capacity) {
  constexpr std::size_t never = ~std::size_t{0};
  std::vector<std::size_t> next(t.size());
  std::unordered_map<std::uint64_t, std::size_t> seen;
  for (std::size_t i = t.size(); i-- > 0;) {
    auto it = seen.find(t[i]);
    next[i] = it == seen.end() ? never : it->second;
    seen[t[i]] = i;
  }
  std::set<std::pair<std::size_t, std::uint64_t>> by_next;  // (next use, key)
  std::unordered_map<std::uint64_t, std::size_t> resident;  // key -> its next use
  std::size_t hits = 0;
  for (std::size_t i = 0; i < t.size(); ++i) {
    std::uint64_t k = t[i];
    if (auto it = resident.find(k); it != resident.end()) {
      ++hits;
      by_next.erase({it->second, k});
      it->second = next[i];
      by_next.insert({next[i], k});
      continue;
    }
    if (next[i] == never) continue;  // never used again: OPT does not keep it
    if (resident.size() == capacity) {
      auto last = std::prev(by_next.end());
      if (last->first < next[i]) continue;  // everything resident is needed sooner
      resident.erase(last->second);
      by_next.erase(last);
    }
    resident[k] = next[i];
    by_next.insert({next[i], k});
  }
  return static_cast<double>(hits) / static_cast<double>(t.size());
}

/// hotpath's cache (one shard, no lock: the policy alone) over a trace.
template <class Cache>
double hotpath_hit_rate(const trace& t, std::uint64_t capacity) {
  Cache c({.capacity = capacity});
  std::size_t hits = 0;
  for (auto k : t) {
    if (c.get(k)) {
      ++hits;
    } else {
      c.put(k, 0);
    }
  }
  return static_cast<double>(hits) / static_cast<double>(t.size());
}

/// The traces of the hit-ratio table, at `length` accesses each.
inline std::vector<trace_spec> all_traces(std::size_t length) {
  std::vector<trace_spec> out;
  out.push_back(zipf_trace(0.7, length, 101));
  out.push_back(zipf_trace(0.9, length, 102));
  out.push_back(zipf_trace(0.99, length, 103));
  out.push_back(loop_trace(length));
  out.push_back(scan_mix_trace(length, 104));
  out.push_back(recency_trace(length, 105));
  out.push_back(phase_trace(length, 106));
  return out;
}

}  // namespace hotpath_bench
