// hotpath/exec/idle_policy.hpp: what a pool worker does when it finds no task.
//
// An idle policy says how many times a worker polls the queues before it parks on a futex:
// `spin_polls` polls with a CPU pause between them, then `yield_polls` polls that yield the CPU
// (so on a machine with more runnable threads than cores the producer gets to run). Spinning only
// happens right after a worker ran something, so an idle pool costs no CPU.
//
//   hotpath::thread_pool<hotpath::idle::park> pool;   // never spin: lowest CPU, slower wake-up
//
// - idle::spin_then_park (default): 64 pause polls and 64 yield polls (tens of microseconds).
// - idle::park: park at once.
#pragma once

#include <concepts>

#include "hotpath/config.hpp"

namespace hotpath::inline HOTPATH_ABI {
namespace idle {

/// Spin briefly for the next task, then park.
struct spin_then_park {
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
static_assert(idle_policy<idle::park>);

}  // namespace hotpath::inline HOTPATH_ABI
