// hotpath/cache/detail/timer_wheel.hpp: a hierarchical timer wheel over a cache shard's nodes,
// so that expired entries are reclaimed in O(1) amortized each instead of by scanning.
//
// Five levels of 64 buckets; level l's bucket spans 2^(20 + 6l) ns: 1.05 ms, 67 ms, 4.3 s,
// 4.6 min, 4.9 h (the wheel covers 13 days; later times wait at the top and are rescheduled).
// An entry sits at the lowest level whose tick it is less than 64 ticks away from. When time
// enters a tick of level l >= 1, that bucket's entries move down; a level-0 bucket is emptied
// once its whole tick has passed, so an entry is reclaimed at most ~1 ms after it expires.
// (Readers never see an expired entry: the cache checks the time on every read.)
#pragma once

#include <array>
#include <cstdint>

#include "hotpath/cache/detail/node_list.hpp"
#include "hotpath/config.hpp"

namespace hotpath::inline HOTPATH_ABI::detail {

/// What the wheel keeps in a node besides node_links::timer_bucket.
struct timer_links {
  std::int64_t at = 0;  // expiry time, ns on the cache's clock
  std::uint32_t prev = nil_node;
  std::uint32_t next = nil_node;
};

class timer_wheel {
 public:
  static constexpr int levels = 5;
  static constexpr int per_level = 64;
  static constexpr std::uint16_t detached = 0xffff;

  explicit timer_wheel(std::int64_t now = 0) { reset(now); }

  void reset(std::int64_t now) noexcept {
    heads_.fill(nil_node);
    for (int l = 0; l < levels; ++l)
      done_[l] = (now >> shift(l)) - (l == 0 ? 1 : 0);
    last_tick_ = now >> shift(0);
  }

  /// Files node i (whose timer(i).at is set) relative to `now`.
  template <class Nodes>
  void schedule(Nodes& n, std::uint32_t i, std::int64_t now) noexcept {
    std::int64_t at = n.timer(i).at;
    int level = levels - 1;
    std::int64_t tick = (now >> shift(level)) + per_level - 1;  // past the wheel: wait at the top
    for (int l = 0; l < levels; ++l) {
      std::int64_t t = at >> shift(l);
      if (t - (now >> shift(l)) < per_level) {
        level = l;
        tick = t;
        break;
      }
    }
    auto b =
        static_cast<std::uint16_t>(level * per_level + static_cast<int>(tick & (per_level - 1)));
    timer_links& tl = n.timer(i);
    tl.prev = nil_node;
    tl.next = heads_[b];
    if (heads_[b] != nil_node) n.timer(heads_[b]).prev = i;
    heads_[b] = i;
    n.links(i).timer_bucket = b;
  }

  /// Takes node i off the wheel (a no-op when it is not on it).
  template <class Nodes>
  void unschedule(Nodes& n, std::uint32_t i) noexcept {
    std::uint16_t b = n.links(i).timer_bucket;
    if (b == detached) return;
    timer_links& tl = n.timer(i);
    if (tl.prev != nil_node) {
      n.timer(tl.prev).next = tl.next;
    } else {
      heads_[b] = tl.next;
    }
    if (tl.next != nil_node) n.timer(tl.next).prev = tl.prev;
    tl.prev = tl.next = nil_node;
    n.links(i).timer_bucket = detached;
  }

  /// Moves the wheel to `now`: calls expire(i) for every node due (already off the wheel when
  /// called) and files the others lower down. Costs a compare when no 1 ms tick has passed.
  template <class Nodes, class Expire>
  void advance(Nodes& n, std::int64_t now, Expire&& expire) {
    if ((now >> shift(0)) == last_tick_) return;
    last_tick_ = now >> shift(0);
    for (int l = levels - 1; l >= 0; --l) {
      std::int64_t target = (now >> shift(l)) - (l == 0 ? 1 : 0);
      std::int64_t from = done_[l] + 1;
      if (target < from) continue;
      done_[l] = target;
      std::int64_t count = target - from + 1 < per_level ? target - from + 1 : per_level;
      for (std::int64_t t = from; t < from + count; ++t)
        drain(n, l * per_level + static_cast<int>(t & (per_level - 1)), now, expire);
    }
  }

 private:
  static constexpr int shift(int level) noexcept { return 20 + 6 * level; }

  template <class Nodes, class Expire>
  void drain(Nodes& n, int b, std::int64_t now, Expire& expire) {
    std::uint32_t i = heads_[static_cast<std::size_t>(b)];
    heads_[static_cast<std::size_t>(b)] = nil_node;
    while (i != nil_node) {
      timer_links& tl = n.timer(i);
      std::uint32_t next = tl.next;
      tl.prev = tl.next = nil_node;
      n.links(i).timer_bucket = detached;
      if (tl.at <= now) {
        expire(i);
      } else {
        schedule(n, i, now);
      }
      i = next;
    }
  }

  std::array<std::uint32_t, levels * per_level> heads_{};
  std::int64_t done_[levels] = {};
  std::int64_t last_tick_ = 0;
};

}  // namespace hotpath::inline HOTPATH_ABI::detail
