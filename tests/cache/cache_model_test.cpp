// Seeded runs of the listener model check (cache_model.hpp) on every configuration it lists.
#include "cache_model.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <random>
#include <tuple>
#include <utility>
#include <vector>

namespace {

template <std::size_t I>
void run_seeds() {
  for (std::uint64_t seed = 1; seed <= 30; ++seed) {
    std::mt19937_64 rng(seed);
    std::vector<std::uint8_t> ops(4000);
    for (auto& b : ops)
      b = static_cast<std::uint8_t>(rng());
    ASSERT_EQ(hotpath_test::run_model<I>(ops.data(), ops.size()), "")
        << "configuration " << I << ", seed " << seed;
  }
}

template <std::size_t... I>
void run_all(std::index_sequence<I...>) {
  (run_seeds<I>(), ...);
}

}  // namespace

// Every removal the listener hears is of an entry the cache held, for a cause the operation
// allows; the cache holds exactly the rest; stats count every lookup, load and removal.
TEST(CacheModel, TheListenersAccountMatchesTheCacheOnEveryConfiguration) {
  run_all(std::make_index_sequence<std::tuple_size_v<hotpath_test::model_policies::all>>());
}
