// Pins the hit ratios of hotpath's default eviction policy (w_tinylfu) and of LRU on the seeded
// traces of the hit-ratio tool (benchmarks/cache/hit_ratio.cpp), and checks the targets the
// cache issue sets. The traces and the policies are deterministic, so a change of more than
// 0.3 points is a change of behaviour.
#include <gtest/gtest.h>

#include <map>
#include <string>

#include "hotpath/cache.hpp"
#include "traces.hpp"

namespace {

template <class Eviction>
using sim_cache = hotpath::cache<std::uint64_t, char, Eviction, hotpath::locking::none>;

struct pinned {
  double w_tinylfu;
  double lru;
};

// Percent, from hit_ratio_cache --length 5000000.
const std::map<std::string, pinned> expected = {
    {"zipf_0.70", {21.39, 12.04}},   {"zipf_0.90", {49.19, 39.45}}, {"zipf_0.99", {63.77, 56.59}},
    {"loop_1.2c", {74.16, 0.00}},    {"scan_mix", {39.06, 29.46}},  {"recency", {69.04, 69.98}},
    {"phase_shift", {55.16, 26.27}},
};

TEST(HitRatio, DefaultPolicyMeetsItsTargetsOnTheSeededTraces) {
  for (auto& tr : hotpath_bench::all_traces(5'000'000)) {
    SCOPED_TRACE(tr.name);
    double w = 100 * hotpath_bench::hotpath_hit_rate<sim_cache<hotpath::eviction::w_tinylfu>>(
                         tr.keys, tr.capacity);
    double l = 100 * hotpath_bench::hotpath_hit_rate<sim_cache<hotpath::eviction::lru>>(
                         tr.keys, tr.capacity);
    const pinned& p = expected.at(tr.name);
    EXPECT_NEAR(w, p.w_tinylfu, 0.3);
    EXPECT_NEAR(l, p.lru, 0.3);
    if (tr.name == "zipf_0.70") {
      EXPECT_GE(w, l + 8);
    }
    if (tr.name == "zipf_0.90") {
      EXPECT_GE(w, l + 9);
      EXPECT_GE(w, 100 * tr.popularity_bound - 3);
    }
    if (tr.name == "zipf_0.99") {
      EXPECT_GE(w, l + 7);
    }
    if (tr.name == "loop_1.2c") {
      EXPECT_GE(w, 70);
    }
    if (tr.name == "scan_mix") {
      EXPECT_GE(w, 38);
    }
    if (tr.name == "recency") {
      EXPECT_GE(w, l - 2);
    }
    if (tr.name == "phase_shift") {
      EXPECT_GE(w, 50);
    }
  }
}

// hotpath's lru policy and the reference LRU of the tool agree exactly.
TEST(HitRatio, LruPolicyMatchesTheReferenceLru) {
  auto tr = hotpath_bench::zipf_trace(0.9, 300'000, 42);
  tr.capacity = 2000;
  EXPECT_DOUBLE_EQ(
      hotpath_bench::hotpath_hit_rate<sim_cache<hotpath::eviction::lru>>(tr.keys, tr.capacity),
      hotpath_bench::lru_hit_rate(tr.keys, tr.capacity));
}

// The tool's reference policies, on a trace short enough to follow by hand (capacity 2):
//   LRU: only the second a hits; every later key was evicted two misses before.
//   ARC: a (hit, to T2), then c pushes b from T1 to ghost B1; a hits in T2; b's ghost hit
//        raises p to 1 and evicts a from T2 to B2; c hits in T1; a and b return from B2 as
//        ghost hits, not hits. 3 hits.
//   OPT: c at 3 and 6 is bypassed (a and b are both needed before c's next use); every other
//        reuse hits. 5 hits.
TEST(HitRatio, ReferencePoliciesOnAScriptedTrace) {
  const hotpath_bench::trace t = {1, 1, 2, 3, 1, 2, 3, 1, 2};
  EXPECT_DOUBLE_EQ(hotpath_bench::lru_hit_rate(t, 2), 1.0 / 9);
  EXPECT_DOUBLE_EQ(hotpath_bench::arc_hit_rate(t, 2), 3.0 / 9);
  EXPECT_DOUBLE_EQ(hotpath_bench::opt_hit_rate(t, 2), 5.0 / 9);
}

// OPT is the ceiling the tool's table compares against: no policy beats it on any trace.
TEST(HitRatio, OptIsTheCeilingOnEveryTrace) {
  for (auto& tr : hotpath_bench::all_traces(300'000)) {
    SCOPED_TRACE(tr.name);
    double opt = hotpath_bench::opt_hit_rate(tr.keys, tr.capacity);
    EXPECT_GE(opt, hotpath_bench::lru_hit_rate(tr.keys, tr.capacity));
    EXPECT_GE(opt, hotpath_bench::arc_hit_rate(tr.keys, tr.capacity));
    EXPECT_GE(opt, hotpath_bench::hotpath_hit_rate<sim_cache<hotpath::eviction::w_tinylfu>>(
                       tr.keys, tr.capacity));
    EXPECT_GE(opt, hotpath_bench::hotpath_hit_rate<sim_cache<hotpath::eviction::slru>>(
                       tr.keys, tr.capacity));
  }
}

}  // namespace
