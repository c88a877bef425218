#include "hotpath/cache/memoize.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <cctype>
#include <chrono>
#include <cmath>
#include <cstring>
#include <cwchar>
#include <functional>
#include <limits>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <tuple>
#include <utility>
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

// Text of every character type is copied, and a null pointer stays null.
TEST(Memoize, WideTextIsKeyedByAnOwnedCopyAndNullStaysNull) {
  int calls = 0;
  auto length = hotpath::memoize([&](const wchar_t* s) -> std::size_t {
    ++calls;
    return s == nullptr ? 99 : std::wcslen(s);
  });
  wchar_t buf[8] = L"abc";
  EXPECT_EQ(length(buf), 3u);
  std::wcscpy(buf, L"abcdef");
  EXPECT_EQ(length(buf), 6u);
  EXPECT_EQ(length(static_cast<const wchar_t*>(nullptr)), 99u);
  EXPECT_EQ(length(static_cast<const wchar_t*>(nullptr)), 99u);
  EXPECT_EQ(calls, 3);

  auto narrow = hotpath::memoize([](const char* s) { return s == nullptr; });
  EXPECT_TRUE(narrow(nullptr));
  EXPECT_FALSE(narrow(""));
  EXPECT_EQ(narrow.results().size(), 2u);
}

// Floating-point arguments are keyed by their bits: 0.0 and -0.0 are different keys (1/x tells
// them apart), a NaN is found again, and an int passed for a double is converted first, as a
// direct call would.
TEST(Memoize, FloatingPointArgumentsAreKeyedByTheirBits) {
  int calls = 0;
  auto inverse = hotpath::memoize([&](double x) {
    ++calls;
    return 1.0 / x;
  });
  EXPECT_EQ(inverse(0.0), std::numeric_limits<double>::infinity());
  EXPECT_EQ(inverse(-0.0), -std::numeric_limits<double>::infinity());
  EXPECT_TRUE(std::isnan(inverse(std::nan(""))));
  EXPECT_TRUE(std::isnan(inverse(std::nan(""))));
  EXPECT_EQ(inverse(4), 0.25);
  EXPECT_EQ(inverse(4.0), 0.25);
  EXPECT_EQ(calls, 4);
  EXPECT_EQ(inverse.results().size(), 4u);

  auto half = hotpath::memoize([](float x) { return x / 2; });
  EXPECT_EQ(half(3.0f), 1.5f);
  EXPECT_EQ(half(-0.0f), -0.0f);
  EXPECT_TRUE(std::signbit(half(-0.0f)));
  EXPECT_EQ(half.results().size(), 2u);
}

// A function that takes its argument by rvalue reference gets a copy of the key's, and tuple
// or pair arguments are hashed element by element.
TEST(Memoize, RvalueReferenceAndTupleArgumentsWork) {
  int calls = 0;
  auto consume = hotpath::memoize([&](std::string&& s) {
    ++calls;
    std::string mine = std::move(s);
    return mine.size();
  });
  EXPECT_EQ(consume(std::string("abc")), 3u);
  EXPECT_EQ(consume(std::string("abc")), 3u);  // the key was not consumed
  EXPECT_EQ(calls, 1);

  auto sum = hotpath::memoize([](const std::pair<int, int>& p, std::tuple<int, std::string> t) {
    return p.first + p.second + std::get<0>(t) + static_cast<int>(std::get<1>(t).size());
  });
  EXPECT_EQ(sum(std::pair{1, 2}, std::tuple{3, std::string("xy")}), 8);
  EXPECT_EQ(sum(std::pair{1, 2}, std::tuple{3, std::string("xy")}), 8);
  EXPECT_EQ(sum(std::pair{2, 1}, std::tuple{3, std::string("xy")}), 8);
  EXPECT_EQ(sum.results().stats().hits, 1u);
  EXPECT_EQ(sum.results().size(), 2u);
}

// Tuple and pair elements are kept as plain arguments are (views copied, doubles as bits); a
// result that refers to an argument is copied while the argument lives; key_of() is the key
// results() holds.
TEST(Memoize, TupleElementsAreKeptLikeArgumentsAndKeyOfFindsAResult) {
  int calls = 0;
  auto f = hotpath::memoize([&](std::pair<std::string_view, double> p) {
    ++calls;
    return std::string(p.first) + (std::signbit(p.second) ? "-" : "+");
  });
  std::string text = "ab";
  EXPECT_EQ(f(std::pair<std::string_view, double>(text, 0.0)), "ab+");
  text = "cd";  // the view's buffer changes: a new key
  EXPECT_EQ(f(std::pair<std::string_view, double>(text, 0.0)), "cd+");
  EXPECT_EQ(f(std::pair<std::string_view, double>("ab", -0.0)), "ab-");
  EXPECT_EQ(f(std::pair<std::string_view, double>("ab", 0.0)), "ab+");
  EXPECT_EQ(calls, 3);

  auto larger = hotpath::memoize(
      +[](const double& a, const double& b) -> const double& { return a < b ? b : a; });
  EXPECT_EQ(larger(1.5, 2.5), 2.5);
  EXPECT_EQ(larger(1.5, 2.5), 2.5);
  EXPECT_TRUE(larger.results().contains(larger.key_of(1.5, 2.5)));
  EXPECT_TRUE(larger.results().erase(larger.key_of(1.5, 2.5)));
  EXPECT_EQ(larger.results().size(), 0u);
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
  EXPECT_EQ(calls, 1 + 100 / 18);  // a refresh 9 s (18 steps) after each write
}

// The first caller's run waits until all four callers have missed, so the others are waiting
// on it: exactly one run, and its exception reaches all four.
TEST(Memoize, ConcurrentCallsShareOneRunAndItsException) {
  std::atomic<int> calls{0};
  std::function<std::uint64_t()> misses;
  auto f = hotpath::memoize([&](int) -> int {
    ++calls;
    while (misses() < 4)
      std::this_thread::yield();
    throw std::runtime_error("down");
  });
  misses = [&] { return f.results().stats().misses; };
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
  EXPECT_EQ(calls.load(), 1);
  EXPECT_EQ(f.results().size(), 0u);  // failures are not cached
  EXPECT_EQ(f.results().stats().load_failures, 1u);
}

}  // namespace
