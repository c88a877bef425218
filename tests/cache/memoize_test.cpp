#include "hotpath/cache/memoize.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <cctype>
#include <chrono>
#include <cstring>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "hotpath/core/clock.hpp"

namespace {

using namespace std::chrono_literals;

TEST(Memoize, CallsTheFunctionOncePerArgumentTuple) {
  int calls = 0;
  auto area = hotpath::memoize([&](int w, const std::string& unit) {
    ++calls;
    return std::to_string(w * w) + unit;
  });
  EXPECT_EQ(area(3, "m2"), "9m2");
  EXPECT_EQ(area(3, "m2"), "9m2");
  EXPECT_EQ(area(3, "cm2"), "9cm2");
  EXPECT_EQ(area(4, "m2"), "16m2");
  EXPECT_EQ(calls, 3);
  auto st = area.results().stats();
  EXPECT_EQ(st.hits, 1u);
  EXPECT_EQ(st.misses, 3u);
  EXPECT_EQ(st.loads, 3u);
}

// Text the function only views is keyed by its contents, which the key owns: a buffer reused
// with new text is a new key, the same text at another address is the same key, and a view of a
// temporary string stays valid in the cache after the string is gone.
TEST(Memoize, ViewedTextIsKeyedByAnOwnedCopy) {
  int calls = 0;
  auto length = hotpath::memoize([&](const char* s) {
    ++calls;
    return std::string_view(s).size();
  });
  char buf[8] = "abc";
  EXPECT_EQ(length(buf), 3u);
  std::strcpy(buf, "abcdef");
  EXPECT_EQ(length(buf), 6u);
  std::string same = "abc";
  EXPECT_EQ(length(same.c_str()), 3u);
  EXPECT_EQ(calls, 2);

  int view_calls = 0;
  auto upper = hotpath::memoize([&](std::string_view s) {
    ++view_calls;
    std::string out(s);
    for (auto& ch : out)
      ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
    return out;
  });
  EXPECT_EQ(upper(std::string("temporary text")), "TEMPORARY TEXT");
  std::string again = "temporary text";
  EXPECT_EQ(upper(again), "TEMPORARY TEXT");
  EXPECT_EQ(upper(std::string_view("other")), "OTHER");
  EXPECT_EQ(view_calls, 2);
}

int triple(int x) {
  return 3 * x;
}

TEST(Memoize, WrapsPlainFunctions) {
  auto f = hotpath::memoize(&triple, {.capacity = 4});
  EXPECT_EQ(f(5), 15);
  EXPECT_EQ(f.results().size(), 1u);
}

TEST(Memoize, ExpiresResultsByTtlOnAManualClock) {
  hotpath::manual_clock clk;
  int calls = 0;
  auto f = hotpath::memoize<hotpath::expiry::after_write, hotpath::manual_clock>(
      [&](int x) {
        ++calls;
        return x + calls;
      },
      {.capacity = 10, .ttl = 5s}, clk);
  EXPECT_EQ(f(1), 2);
  clk.advance(4s);
  EXPECT_EQ(f(1), 2);
  clk.advance(1s);
  EXPECT_EQ(f(1), 3);
  EXPECT_EQ(calls, 2);
}

// With the stampede guard a hot key is refreshed before it expires: callers never miss.
TEST(Memoize, TheStampedeGuardKeepsAHotKeyFromMissing) {
  hotpath::manual_clock clk;
  int calls = 0;
  auto f = hotpath::memoize<hotpath::expiry::after_write, hotpath::manual_clock>(
      [&](int) { return ++calls; }, {.capacity = 10, .ttl = 10s, .refresh_ahead = 1s}, clk);
  (void)f(7);
  for (int i = 0; i < 100; ++i) {
    clk.advance(500ms);
    (void)f(7);
  }
  EXPECT_EQ(f.results().stats().misses, 1u);
  EXPECT_EQ(calls, 1 + 100 / 19);  // one refresh every 9.5 s of 500 ms steps
}

TEST(Memoize, ConcurrentCallsShareOneRunAndItsException) {
  std::atomic<int> calls{0};
  auto f = hotpath::memoize([&](int) -> int {
    ++calls;
    throw std::runtime_error("down");
  });
  std::atomic<int> thrown{0};
  std::vector<std::thread> ts;
  for (int t = 0; t < 4; ++t) {
    ts.emplace_back([&] {
      try {
        (void)f(1);
      } catch (const std::runtime_error&) {
        ++thrown;
      }
    });
  }
  for (auto& t : ts)
    t.join();
  EXPECT_EQ(thrown.load(), 4);
  EXPECT_GE(calls.load(), 1);  // failures are not cached: a late caller may run it again
  EXPECT_EQ(f.results().size(), 0u);
  EXPECT_EQ(f.results().stats().load_failures, static_cast<std::uint64_t>(calls.load()));
}

}  // namespace
