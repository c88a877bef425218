// hotpath/core/detail/futex.hpp: wait on a 32-bit atomic with an optional timeout, wake waiters.
//
// std::atomic::wait has no timed form, and mixing it with a hand-made timed wait on the same word
// loses wake-ups (libstdc++ skips the wake syscall when it counted no waiters of its own), so
// hotpath's blocking primitives use these two calls only. Linux: the futex syscall. Elsewhere: a
// short-sleep poll, correct but slower.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <thread>

#include "hotpath/config.hpp"

#if defined(__linux__)
#include <linux/futex.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <ctime>
#endif

namespace hotpath::inline HOTPATH_ABI::detail {

/// Blocks while `word == expected`, at most `timeout` (negative: no limit). May return early
/// (spuriously); callers re-check their condition.
inline void futex_wait(const std::atomic<std::uint32_t>& word, std::uint32_t expected,
                       std::chrono::nanoseconds timeout = std::chrono::nanoseconds(-1)) noexcept {
#if defined(__linux__)
  static_assert(sizeof(std::atomic<std::uint32_t>) == sizeof(std::uint32_t));
  timespec ts{};
  timespec* tsp = nullptr;
  if (timeout.count() >= 0) {
    ts.tv_sec = static_cast<time_t>(timeout.count() / 1'000'000'000);
    ts.tv_nsec = static_cast<long>(timeout.count() % 1'000'000'000);
    tsp = &ts;
  }
  syscall(SYS_futex, reinterpret_cast<const std::uint32_t*>(&word), FUTEX_WAIT_PRIVATE, expected,
          tsp, nullptr, 0);
#else
  auto step = std::chrono::microseconds(50);
  if (timeout.count() >= 0 && timeout < step)
    step = std::chrono::duration_cast<decltype(step)>(timeout);
  if (word.load(std::memory_order_acquire) == expected) std::this_thread::sleep_for(step);
#endif
}

/// Wakes up to `count` threads blocked in futex_wait on `word`.
inline void futex_wake(const std::atomic<std::uint32_t>& word, int count) noexcept {
#if defined(__linux__)
  syscall(SYS_futex, reinterpret_cast<const std::uint32_t*>(&word), FUTEX_WAKE_PRIVATE, count,
          nullptr, nullptr, 0);
#else
  (void)word;
  (void)count;
#endif
}

inline void futex_wake_all(const std::atomic<std::uint32_t>& word) noexcept {
  futex_wake(word, 0x7fffffff);
}

/// A CPU hint for spin loops.
inline void cpu_relax() noexcept {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#elif defined(__aarch64__)
  asm volatile("yield");
#endif
}

}  // namespace hotpath::inline HOTPATH_ABI::detail
