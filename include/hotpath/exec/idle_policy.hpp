// hotpath/exec/idle_policy.hpp: what a pool worker does when it finds no task.
//
// An idle policy says how many times a worker polls the queues before it parks on a futex:
// `spin_polls` polls with a CPU pause between them, then `yield_polls` polls that call
// sched_yield. Spinning only happens right after a worker ran something, so an idle pool costs
// no CPU.
//
// The default does not yield. In A/B runs in one binary, one producer and two workers on two
// cores (benchmarks/exec, empty_tasks), pools with yield polls (64, or even 2) ran at 3.5-4.2 M
// tasks/s where 64 pause polls alone ran at 7.8-10.9 M; 1024 pause polls fell back to 3.5-8.8 M.
//
//   hotpath::thread_pool<hotpath::idle::park> pool;   // never spin: lowest CPU, slower wake-up
//
// - idle::spin_then_park (default): 64 pause polls (a few microseconds), then park.
// - idle::spin_yield_then_park: 64 pause polls, 64 yield polls, then park.
// - idle::park: park at once.
#pragma once

#include <concepts>

#include "hotpath/config.hpp"

namespace hotpath::inline HOTPATH_ABI {
namespace idle {

/// Spin briefly for the next task, then park.
struct spin_then_park {
  static constexpr unsigned spin_polls = 64;
  static constexpr unsigned yield_polls = 0;
};

/// Spin, then yield the CPU between polls, then park: for pools whose tasks arrive in bursts a
/// little further apart than a spin lasts, on machines with idle cores.
struct spin_yield_then_park {
  static constexpr unsigned spin_polls = 64;
  static constexpr unsigned yield_polls = 64;
};

/// Park as soon as the queues are empty.
struct park {
  static constexpr unsigned spin_polls = 0;
  static constexpr unsigned yield_polls = 0;
};

}  // namespace idle

/// An idle policy: static `spin_polls` and `yield_polls` counts.
template <class P>
concept idle_policy = requires {
  { P::spin_polls } -> std::convertible_to<unsigned>;
  { P::yield_polls } -> std::convertible_to<unsigned>;
};

static_assert(idle_policy<idle::spin_then_park>);
static_assert(idle_policy<idle::spin_yield_then_park>);
static_assert(idle_policy<idle::park>);

}  // namespace hotpath::inline HOTPATH_ABI
