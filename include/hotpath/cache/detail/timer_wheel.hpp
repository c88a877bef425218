// hotpath/cache/detail/timer_wheel.hpp: a hierarchical timer wheel over a cache shard's nodes,
// so that expired entries are reclaimed in O(1) amortized each instead of by scanning.
//
// Five levels of 64 buckets; level l's bucket spans 2^(20 + 6l) ns: 1.05 ms, 67 ms, 4.3 s,
// 4.6 min, 4.9 h (the wheel covers 13 days; later times wait at the top and are rescheduled).
// An entry sits at the lowest level whose tick it is less than 64 ticks away from. When time
// enters a tick of level l >= 1, that bucket's entries move down; a level-0 bucket is emptied
// once its whole tick has passed, so an entry is reclaimed at most ~1 ms after it expires.
// (Readers never see an expired entry: the cache checks the time on every read.)
//
// A bucket is a vector of node indices, not a list threaded through the nodes: draining one
// reads the indices in order and can fetch the nodes ahead of use (a linked bucket costs one
// dependent cache miss per entry before any work starts, which dominated reclaiming large
// caches). A node knows its bucket and its slot in it, so taking it off is a swap with the last.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <new>
#include <span>
#include <utility>
#include <vector>

#include "hotpath/cache/detail/node_list.hpp"
#include "hotpath/config.hpp"

namespace hotpath::inline HOTPATH_ABI::detail {

/// What the wheel keeps in a node besides node_links::timer_bucket and timer_slot.
struct timer_links {
  std::int64_t at = 0;  // expiry time, ns on the cache's clock
};

class timer_wheel {
 public:
  static constexpr int levels = 5;
  static constexpr int per_level = 64;
  static constexpr std::uint16_t detached = 0xffff;

  explicit timer_wheel(std::int64_t now = 0) { reset(now); }

  void reset(std::int64_t now) noexcept {
    for (auto& b : buckets_)
      b.clear();
    for (int l = 0; l < levels; ++l)
      done_[l] = (now >> shift(l)) - (l == 0 ? 1 : 0);
    last_tick_ = now >> shift(0);
  }

  /// Files node i (whose timer(i).at is set, and which is off the wheel) relative to `now`.
  /// Throws std::bad_alloc, leaving the node off the wheel, when its bucket cannot grow.
  template <class Nodes>
  void schedule(Nodes& n, std::uint32_t i, std::int64_t now) {
    schedule_at(n, i, prepare(n.timer(i).at, now));
  }

  /// The bucket for a node due at `at`, relative to `now`, with room made in it for one more
  /// node, so that schedule_at() cannot fail: a caller takes this step before it changes
  /// anything. Throws std::bad_alloc.
  std::uint16_t prepare(std::int64_t at, std::int64_t now) {
    std::uint16_t b = bucket_for(at, now);
    std::vector<std::uint32_t>& bucket = buckets_[b];
    if (bucket.size() == bucket.capacity()) bucket.reserve(bucket.empty() ? 4 : 2 * bucket.size());
    return b;
  }

  /// Files node i (timer(i).at set, off the wheel) in bucket b from prepare(), with no other
  /// node filed there since.
  template <class Nodes>
  void schedule_at(Nodes& n, std::uint32_t i, std::uint16_t b) noexcept {
    std::vector<std::uint32_t>& bucket = buckets_[b];
    node_links& l = n.links(i);
    l.timer_slot = static_cast<std::uint32_t>(bucket.size());
    bucket.push_back(i);  // within the capacity prepare() made
    l.timer_bucket = b;
  }

  /// Takes node i off the wheel (a no-op when it is not on it).
  template <class Nodes>
  void unschedule(Nodes& n, std::uint32_t i) noexcept {
    node_links& l = n.links(i);
    if (l.timer_bucket == detached) return;
    std::vector<std::uint32_t>& bucket = buckets_[l.timer_bucket];
    std::uint32_t last = bucket.back();
    bucket[l.timer_slot] = last;
    n.links(last).timer_slot = l.timer_slot;
    bucket.pop_back();
    l.timer_bucket = detached;
  }

  /// Moves the wheel to `now`: files the nodes not yet due lower down, and hands the nodes due
  /// to expire(std::span<const std::uint32_t> due, std::size_t& done), a bucket's worth at a
  /// time, already off the wheel (expire must not take other nodes off it). expire removes them
  /// in order and counts each one removed in `done`. If it throws, or a node cannot be filed
  /// lower down for want of memory, the bucket keeps every node it has not finished with and
  /// the wheel drains it again at the next tick; the exception reaches the caller. Costs a
  /// compare when no 1 ms tick has passed.
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
      for (std::int64_t t = from; t < from + count; ++t) {
        try {
          drain(n, l * per_level + static_cast<int>(t & (per_level - 1)), now, expire);
        } catch (...) {
          done_[l] = t - 1;  // this bucket and the ones after it are drained at the next tick
          throw;
        }
      }
    }
  }

 private:
  static constexpr int shift(int level) noexcept { return 20 + 6 * level; }

  std::uint16_t bucket_for(std::int64_t at, std::int64_t now) const noexcept {
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
    // A tick the wheel has passed (a deadline already due, or `now` behind the wheel because
    // the clock stepped back) goes in the level's next bucket to drain, not in one that comes
    // round again only a whole rotation later (13 days at the top).
    if (tick <= done_[level]) tick = done_[level] + 1;
    return static_cast<std::uint16_t>(level * per_level + static_cast<int>(tick & (per_level - 1)));
  }
  // How far ahead of use a drained node is fetched.
  static constexpr std::size_t ahead = 8;

  template <class Nodes, class Expire>
  void drain(Nodes& n, int b, std::int64_t now, Expire& expire) {
    // The bucket may be refilled while it drains (a far timer waiting at the top), so work on
    // a copy; the storage of drained buckets circulates through spare_. Due nodes are packed
    // to the front of the copy and handed out together.
    spare_.clear();
    spare_.swap(buckets_[static_cast<std::size_t>(b)]);
    std::vector<std::uint32_t>& nodes = spare_;
    const std::size_t count = nodes.size();
    for (std::size_t k = 0; k < count && k < ahead; ++k)
      prefetch(&n.links(nodes[k]));
    std::size_t due = 0, k = 0;
    try {
      for (; k < count; ++k) {
        if (k + ahead < count) prefetch(&n.links(nodes[k + ahead]));
        std::uint32_t i = nodes[k];
        n.links(i).timer_bucket = detached;
        if (n.timer(i).at <= now) {
          nodes[due++] = i;
        } else {
          schedule(n, i, now);
        }
      }
    } catch (...) {
      // Filing a node lower down could not allocate: the due nodes and those not yet handled
      // go back in the bucket, none handed out.
      put_back(n, b, 0, due, k, count);
      throw;
    }
    if (due == 0) return;
    std::size_t done = 0;
    try {
      expire(std::span<const std::uint32_t>(nodes.data(), due), done);
    } catch (...) {
      put_back(n, b, done, due, due, due);  // the due nodes expire did not remove
      throw;
    }
  }

  // Files the nodes [a, a_end) and [c, c_end) of a failed drain's copy back in bucket b, with
  // whatever was filed there since the drain began. It allocates nothing: all of them were in
  // the bucket when the drain took it, so they fit in the copy, which only shrinks.
  template <class Nodes>
  void put_back(Nodes& n, int b, std::size_t a, std::size_t a_end, std::size_t c,
                std::size_t c_end) noexcept {
    std::vector<std::uint32_t>& nodes = spare_;
    std::vector<std::uint32_t>& bucket = buckets_[static_cast<std::size_t>(b)];
    std::size_t size = 0;
    for (std::size_t k = a; k < a_end; ++k)
      nodes[size++] = nodes[k];
    for (std::size_t k = c; k < c_end; ++k)
      nodes[size++] = nodes[k];
    nodes.resize(size + bucket.size());  // no more than it held
    for (std::uint32_t i : bucket)
      nodes[size++] = i;
    for (std::size_t k = 0; k < size; ++k) {
      node_links& l = n.links(nodes[k]);
      l.timer_bucket = static_cast<std::uint16_t>(b);
      l.timer_slot = static_cast<std::uint32_t>(k);
    }
    bucket.swap(nodes);
  }

  std::array<std::vector<std::uint32_t>, levels * per_level> buckets_;
  std::vector<std::uint32_t> spare_;
  std::int64_t done_[levels] = {};
  std::int64_t last_tick_ = 0;
};

}  // namespace hotpath::inline HOTPATH_ABI::detail
