#include "hotpath/stream/detail/newline_scanner.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <cstdio>
#include <random>
#include <string>
#include <vector>

namespace hd = hotpath::stream::detail;
namespace ni = hotpath::stream::detail::newline_index;

namespace {

std::vector<std::size_t> reference(std::string_view s) {
  std::vector<std::size_t> out;
  for (std::size_t i = 0; i < s.size(); ++i)
    if (s[i] == '\n') out.push_back(i);
  return out;
}

std::vector<std::size_t> scanned(std::string_view s) {
  hd::newline_scanner sc;
  sc.reset(s);
  std::vector<std::size_t> out;
  for (std::size_t at = sc.next(); at != hd::newline_scanner::npos; at = sc.next())
    out.push_back(at);
  EXPECT_EQ(sc.next(), hd::newline_scanner::npos) << "npos must stay npos";
  return out;
}

// Text whose LFs are `density` of the bytes, with bytes on both sides of '\n' in the mix.
std::string random_text(std::size_t n, double density, std::uint32_t seed) {
  std::mt19937 rng(seed);
  std::bernoulli_distribution lf(density);
  std::uniform_int_distribution<int> byte(0, 255);
  std::string s(n, ' ');
  for (char& c : s) {
    c = lf(rng) ? '\n' : static_cast<char>(byte(rng));
    if (c == '\n' && !lf(rng) && density < 1.0) c = '\x0b';  // a near miss
  }
  return s;
}

std::vector<std::size_t> fill_with(ni::fill_fn fill, std::string_view s) {
  std::vector<std::uint16_t> out(s.size() + ni::slack);
  std::size_t n = fill(s.data(), s.size() / 64, out.data());
  return {out.begin(), out.begin() + static_cast<std::ptrdiff_t>(n)};
}

}  // namespace

TEST(NewlineScanner, FindsEveryLfAcrossWindowsForAllDensitiesAndSizes) {
  // Sizes straddle the 64-byte word and the 4 KiB window; densities go from none to every byte
  // (the words with more than four LFs take the slow path of flatten()).
  std::uint32_t seed = 1;
  for (double density : {0.0, 0.001, 0.01, 0.05, 0.2, 0.5, 0.9, 1.0}) {
    for (std::size_t n :
         {0u, 1u, 63u, 64u, 65u, 127u, 4095u, 4096u, 4097u, 8191u, 12345u, 70000u}) {
      std::string s = random_text(n, density, ++seed);
      ASSERT_EQ(scanned(s), reference(s)) << "n=" << n << " density=" << density;
    }
  }
}

TEST(NewlineScanner, ResetStartsOverOnANewBlock) {
  hd::newline_scanner sc;
  sc.reset("a\nb\n");
  EXPECT_EQ(sc.next(), 1u);
  sc.reset("\nxyz\n");
  EXPECT_EQ(sc.next(), 0u);
  EXPECT_EQ(sc.next(), 4u);
  EXPECT_EQ(sc.next(), hd::newline_scanner::npos);
}

TEST(NewlineScanner, EveryFillRoutineAgreesWithTheReference) {
  std::vector<std::pair<const char*, ni::fill_fn>> fills{{"scalar", &ni::fill_scalar}};
#if defined(__SSE2__)
  fills.emplace_back("sse2", &ni::fill_sse2);
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("bmi") &&
      __builtin_cpu_supports("popcnt"))
    fills.emplace_back("avx2", &ni::fill_avx2);
  else
    std::printf("this CPU has no AVX2: fill_avx2 not exercised\n");
#endif
  for (double density : {0.0, 0.02, 0.3, 1.0}) {
    std::string s = random_text(4096, density, 7);
    std::vector<std::size_t> want = reference(s);
    for (auto [name, fill] : fills)
      EXPECT_EQ(fill_with(fill, s), want) << name << " " << density;
  }
}
