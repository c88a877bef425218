// libFuzzer target: the cache's listener model check (tests/cache/cache_model.hpp) on arbitrary
// operation streams. The first byte picks the configuration, and whether operations fail
// allocations and hash calls; every two bytes after it are an operation.
#include <cstdio>
#include <cstdlib>
#include <string>
#include <tuple>
#include <utility>

#include "cache_model.hpp"
#include "failing_new.hpp"  // this binary's allocations fail where the model arms one

namespace {

template <std::size_t... I>
std::string run_picked(std::size_t pick, bool faults, const std::uint8_t* data, std::size_t size,
                       std::index_sequence<I...>) {
  std::string err;
  ((pick == I ? (err = hotpath_test::run_model<I>(data, size, faults), 0) : 0), ...);
  return err;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  constexpr std::size_t configs = std::tuple_size_v<hotpath_test::model_policies::all>;
  const bool faults = (data[0] / configs) % 2 != 0;
  std::string err = run_picked(data[0] % configs, faults, data + 1, size - 1,
                               std::make_index_sequence<configs>());
  if (!err.empty()) {
    std::fprintf(stderr, "cache model, configuration %zu%s: %s\n", data[0] % configs,
                 faults ? " with failures" : "", err.c_str());
    std::abort();
  }
  return 0;
}
