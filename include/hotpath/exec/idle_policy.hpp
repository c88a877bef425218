// hotpath/exec/idle_policy.hpp: what a pool worker does when it finds no task.
//
// An idle policy says how many polling rounds a worker spins (checking the queues with a CPU
// pause between polls) before it parks on a futex. Spinning only happens right after a worker
// ran something, so an idle pool costs no CPU.
//
//   hotpath::thread_pool<hotpath::idle::park> pool;   // never spin: lowest CPU, slower wake-up
//
// - idle::spin_then_park (default): up to 2000 polls (tens of microseconds), then park.
// - idle::park: park at once.
#pragma once

#include <concepts>

#include "hotpath/config.hpp"

namespace hotpath::inline HOTPATH_ABI {
namespace idle {

/// Spin briefly for the next task, then park.
struct spin_then_park {
  static constexpr unsigned spin_polls = 2000;
};

/// Park as soon as the queues are empty.
struct park {
  static constexpr unsigned spin_polls = 0;
};

}  // namespace idle

/// An idle policy: a static `spin_polls` count.
template <class P>
concept idle_policy = requires {
  { P::spin_polls } -> std::convertible_to<unsigned>;
};

static_assert(idle_policy<idle::spin_then_park>);
static_assert(idle_policy<idle::park>);

}  // namespace hotpath::inline HOTPATH_ABI
