// Seeded runs of the listener model check (cache_model.hpp) on every configuration it lists.
#include "cache_model.hpp"
#include "failing_new.hpp"  // this binary's allocations fail where the model arms one

#include <gtest/gtest.h>

#include <cstdint>
#include <cstdio>
#include <random>
#include <tuple>
#include <utility>
#include <vector>

namespace {

template <std::size_t I>
void run_seeds(std::uint64_t first, std::uint64_t last, bool faults, std::uint64_t* faulted) {
  for (std::uint64_t seed = first; seed <= last; ++seed) {
    std::mt19937_64 rng(seed);
    std::vector<std::uint8_t> ops(4000);
    for (auto& b : ops)
      b = static_cast<std::uint8_t>(rng());
    ASSERT_EQ(hotpath_test::run_model<I>(ops.data(), ops.size(), faults, faulted), "")
        << "configuration " << I << ", seed " << seed;
  }
}

template <std::size_t... I>
void run_all(std::index_sequence<I...>, std::uint64_t first, std::uint64_t last,
             bool faults = false, std::uint64_t* faulted = nullptr) {
  (run_seeds<I>(first, last, faults, faulted), ...);
}

constexpr std::size_t configurations = std::tuple_size_v<hotpath_test::model_policies::all>;

}  // namespace

// Every removal the listener hears is of an entry the cache held, for a cause the operation
// allows; the cache holds exactly the rest; stats count every lookup, load and removal.
TEST(CacheModel, TheListenersAccountMatchesTheCacheOnEveryConfiguration) {
  run_all(std::make_index_sequence<configurations>(), 1, 30);
}

// Other seeded streams, where a quarter of the operations fail one of their first four
// allocations and, on the configurations with countdown_hash, another quarter one of their first
// four hash calls: a call that fails stores nothing, and the account still matches.
TEST(CacheModel, AFailedAllocationOrHashLeavesTheAccountWhole) {
  std::uint64_t faulted = 0;
  run_all(std::make_index_sequence<configurations>(), 101, 112, true, &faulted);
  std::printf("%llu calls failed (an allocation or a hash call)\n",
              static_cast<unsigned long long>(faulted));
  EXPECT_GT(faulted, 1000u);  // the check reached the failure paths
}
