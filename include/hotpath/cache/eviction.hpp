// hotpath/cache/eviction.hpp: which entry a full cache gives up.
//
//   hotpath::cache<K, V, hotpath::eviction::lru> c({.capacity = 10'000});
//
// - eviction::w_tinylfu (the default): a small LRU window in front of a main region of
//   probation and protected segments; an entry leaving the window enters the main region only
//   if a frequency sketch says it is more popular than the main region's victim. The window's
//   share adapts by hill climbing on the hit rate (from 1% of the capacity up to 80%), so
//   recency-heavy traffic gets a large window and frequency-heavy traffic a small one. Scan- and
//   loop-resistant. The protected segment is a clock: a hit marks an entry instead of moving
//   it, and the sketch counts a protected entry's hits once per round of the clock (see
//   w_tinylfu::state::hit_in_place).
// - eviction::slru: probation (20%) and protected (80%) LRU segments; a hit in probation
//   promotes. Scan-resistant, no frequency sketch.
// - eviction::lru: least recently used.
//
// A policy is a type with a member template `state<Nodes>` (see the eviction_policy concept);
// the cache keeps one state per shard and calls it under the shard's lock. Nodes gives access
// to each entry's detail::node_links, weight and mixed key hash by index. Hits reach on_access
// in batches (the cache replays them before any other event, so the order is kept); a state
// may offer `prefetch(hash)` to have what on_access will touch fetched for a whole batch,
// `prefetch_eviction(nodes)` to have what its next eviction reads fetched as an insert starts, and
// `hit_in_place` to handle a hit at once (see hit_deferral).
#pragma once

#include <algorithm>
#include <cmath>
#include <concepts>
#include <cstdint>
#include <new>
#include <type_traits>

#include "hotpath/cache/detail/node_list.hpp"
#include "hotpath/config.hpp"

namespace hotpath::inline HOTPATH_ABI {
namespace detail {

// Removes node i through an eviction's remove callback, handing it i's hash (Nodes::hash) when
// it takes one, so that a cache need not hash i's key again to find it in its index.
template <class Remove>
void remove_hashed(Remove& remove, std::uint32_t i, std::uint64_t hash) {
  if constexpr (std::is_invocable_v<Remove&, std::uint32_t, std::uint64_t>) {
    remove(i, hash);
  } else {
    remove(i);
  }
}

}  // namespace detail
namespace eviction {

/// The protected segment's share of a main region of weight `main`: 80%, but always leaving
/// probation room for one unit. With no probation, a region of 4 or less would keep its
/// protected entries forever and evict every newcomer at once.
constexpr std::uint64_t protected_share(std::uint64_t main) noexcept {
  return main <= 1 ? 0 : std::min(main - main / 5, main - 1);
}

/// What a policy's optional `hit_deferral hit_in_place(Nodes&, i)` leaves of a hit for the
/// cache to replay later: everything (on_access(n, i, h)), only the key's hash
/// (on_access_in_place(n, h)), or only the hit itself, which the cache counts and reports in a
/// sum (on_plain_hits(n, count)). The cache calls it at the hit, under the shard's exclusive
/// lock, while the entry's node is in cache; a replay later has to fetch it again.
enum class hit_deferral : std::uint8_t { node, hash, nothing };

/// Least recently used.
struct lru {
  template <class Nodes>
  class state {
   public:
    explicit state(std::uint64_t) {}
    void set_capacity(std::uint64_t) noexcept {}
    void on_insert(Nodes& n, std::uint32_t i, std::uint64_t) {
      list_.push_back(n, i, 1, n.weight(i));
    }
    void on_access(Nodes& n, std::uint32_t i, std::uint64_t) { list_.move_to_back(n, i); }
    void on_miss(std::uint64_t) noexcept {}
    void on_remove(Nodes& n, std::uint32_t i) { list_.unlink(n, i, n.weight(i)); }
    void on_reweigh(Nodes&, std::uint32_t, std::uint64_t old_w, std::uint64_t new_w) {
      list_.reweigh(old_w, new_w);
    }
    /// Calls remove(i) for victims until the weight fits `limit`; remove() calls on_remove.
    template <class Remove>
    void evict(Nodes&, std::uint64_t limit, Remove&& remove) {
      while (list_.weight() > limit && !list_.empty())
        remove(list_.front());
    }
    [[nodiscard]] std::uint64_t weight() const noexcept { return list_.weight(); }

   private:
    detail::node_list list_;
  };
};

/// Segmented LRU: probation and protected segments; a second hit protects an entry.
struct slru {
  template <class Nodes>
  class state {
   public:
    explicit state(std::uint64_t capacity) { set_capacity(capacity); }
    void set_capacity(std::uint64_t c) noexcept { protected_max_ = protected_share(c); }
    void on_insert(Nodes& n, std::uint32_t i, std::uint64_t) {
      probation_.push_back(n, i, probation_q, n.weight(i));
    }
    void on_access(Nodes& n, std::uint32_t i, std::uint64_t) {
      if (n.links(i).queue == protected_q) {
        protected_.move_to_back(n, i);
        return;
      }
      probation_.move_to(n, i, protected_, protected_q);
      while (protected_.weight() > protected_max_ && protected_.front() != i)
        protected_.move_to(n, protected_.front(), probation_, probation_q);
    }
    void on_miss(std::uint64_t) noexcept {}
    void on_remove(Nodes& n, std::uint32_t i) { list_of(n, i).unlink(n, i, n.weight(i)); }
    void on_reweigh(Nodes& n, std::uint32_t i, std::uint64_t old_w, std::uint64_t new_w) {
      list_of(n, i).reweigh(old_w, new_w);
    }
    template <class Remove>
    void evict(Nodes&, std::uint64_t limit, Remove&& remove) {
      while (weight() > limit) {
        if (!probation_.empty()) {
          remove(probation_.front());
        } else if (!protected_.empty()) {
          remove(protected_.front());
        } else {
          break;
        }
      }
    }
    [[nodiscard]] std::uint64_t weight() const noexcept {
      return probation_.weight() + protected_.weight();
    }

   private:
    static constexpr std::uint8_t probation_q = 1;
    static constexpr std::uint8_t protected_q = 2;
    detail::node_list& list_of(Nodes& n, std::uint32_t i) noexcept {
      return n.links(i).queue == protected_q ? protected_ : probation_;
    }
    detail::node_list probation_;
    detail::node_list protected_;
    std::uint64_t protected_max_ = 0;
  };
};

/// Window TinyLFU with an adaptive window (hill climbing on the sampled hit rate).
struct w_tinylfu {
  template <class Nodes>
  class state {
   public:
    /// The sketch and the hill climber's sample are sized for the capacity's entries, up to
    /// 2^16 up front; beyond, they double as the entries arrive (an unbounded capacity must not
    /// allocate its sketch at construction).
    explicit state(std::uint64_t capacity)
        : state(capacity, std::min<std::uint64_t>(capacity, std::uint64_t{1} << 16)) {}
    /// For a capacity in units of weight (bytes, say), which says little about the number of
    /// entries: the sketch and the sample start sized for `entries` entries and double whenever
    /// the entries outgrow them. Sized by the capacity, a 64 MiB cache of byte weights would
    /// hold a sketch of 512 MiB and climb once per 640M requests.
    state(std::uint64_t capacity, std::uint64_t entries)
        : entries_(std::max<std::uint64_t>(entries, 1)) {
      set_capacity(capacity);
    }

    void set_capacity(std::uint64_t c) {
      capacity_ = c;
      entries_ = std::min(entries_, std::max<std::uint64_t>(c, 1));
      sample_size_ = 10 * std::max<std::uint64_t>(entries_, 8);
      window_max_ = std::max<std::uint64_t>(1, c / 100);
      if (window_max_ > c) window_max_ = c;
      protected_max_ = protected_share(c - window_max_);
      // The first steps shrink the window (a no-op at its 1% floor): the window grows only once
      // shrinking it has cost hits, so frequency-skewed traffic never pays for exploring.
      step_ = -step_fraction * static_cast<double>(c);
      sketch_.resize(entries_);
      hits_ = misses_ = 0;
      last_hit_rate_ = 0;
    }

    void on_insert(Nodes& n, std::uint32_t i, std::uint64_t h) {
      if (entries_ < capacity_ && entry_count() >= entries_) [[unlikely]]
        grow_sketch();
      sketch_.increment(h);
      window_.push_back(n, i, window_q, n.weight(i));
    }

    HOTPATH_ALWAYS_INLINE void on_access(Nodes& n, std::uint32_t i, std::uint64_t h) {
      switch (n.links(i).queue) {
        case window_q:
          window_.move_to_back(n, i);
          break;
        case protected_q:
          if (hit_in_place(n, i) == hit_deferral::nothing) {
            on_plain_hits(n, 1);
            return;
          }
          break;
        default:
          promote(n, i);
      }
      on_access_in_place(n, h);
    }

    /// A hit on a protected entry is handled here at once: its first hit since the clock last
    /// passed it marks it and leaves the key's hash for the sketch (hit_deferral::hash); later
    /// ones, until the clock passes again, only count as hits (nothing): a hot entry, hit
    /// over and over, costs neither a replay nor a sketch update each time. Counting a
    /// protected key once per round still ranks it above any key that was not hit in that
    /// round; on the hit-ratio tool's seeded traces the hit ratio moved by -0.03 to +0.81
    /// points against counting every hit. Window and probation hits move the entry, so they
    /// are replayed in full.
    hit_deferral hit_in_place(Nodes& n, std::uint32_t i) noexcept {
      if (n.links(i).queue != protected_q) return hit_deferral::node;
      if (plain_hit(n, i)) return hit_deferral::nothing;
      n.links(i).referenced = 1;
      return hit_deferral::hash;
    }

    /// Optional hook for readers under a shared lock, which may not write the policy's state:
    /// whether a hit on i would change nothing but the hit count (a marked protected entry),
    /// so that the reader only counts it and later reports the count to on_plain_hits.
    [[nodiscard]] bool plain_hit(Nodes& n, std::uint32_t i) const noexcept {
      const detail::node_links& l = n.links(i);
      return l.queue == protected_q && l.referenced != 0;
    }
    void on_plain_hits(Nodes& n, std::uint64_t count) {
      hits_ += count;
      if (hits_ + misses_ >= sample_size_) climb(n);
    }

    /// The rest of a hit that hit_in_place handled: the key's frequency and the hit count.
    HOTPATH_ALWAYS_INLINE void on_access_in_place(Nodes& n, std::uint64_t h) {
      sketch_.increment(h);
      on_plain_hits(n, 1);
    }

    void on_miss(std::uint64_t) noexcept { ++misses_; }
    /// Optional hook: misses only counted (the hash is not needed), reported in a sum.
    void on_plain_misses(std::uint64_t count) noexcept { misses_ += count; }

    /// Optional hook: the cache calls it as an insert starts, so that the nodes of the
    /// eviction's duel (the window's oldest, the candidate, and probation's oldest, the
    /// victim) are on their way while the table insert runs. mixed_zipf: +2.5 to 3.8%.
    void prefetch_eviction(Nodes& n) const noexcept {
      if (window_.front() != detail::nil_node)
        detail::prefetch_for_write(&n.links(window_.front()));
      if (probation_.front() != detail::nil_node)
        detail::prefetch_for_write(&n.links(probation_.front()));
    }

    /// Optional hook: the cache calls it for every hit of a batch before it replays them
    /// (on_access), so that the sketch lines of the whole batch are fetched at once.
    void prefetch(std::uint64_t h) const noexcept { sketch_.prefetch(h); }

    void on_remove(Nodes& n, std::uint32_t i) { list_of(n, i).unlink(n, i, n.weight(i)); }

    void on_reweigh(Nodes& n, std::uint32_t i, std::uint64_t old_w, std::uint64_t new_w) {
      list_of(n, i).reweigh(old_w, new_w);
    }

    // Entries beyond the window's share move to probation as candidates; each candidate then
    // duels probation's least recent entry (the victim): the more frequent stays.
    template <class Remove>
    void evict(Nodes& n, std::uint64_t limit, Remove&& remove) {
      std::uint32_t candidate = detail::nil_node;
      while (window_.weight() > window_max_ && !window_.empty()) {
        std::uint32_t c = window_.front();
        window_.move_to(n, c, probation_, probation_q);
        if (candidate == detail::nil_node) candidate = c;
      }
      while (weight() > limit) {
        std::uint32_t victim = probation_.front();
        if (victim == detail::nil_node) {
          victim = !protected_.empty() ? protected_.front() : window_.front();
          if (victim == detail::nil_node) return;
          remove(victim);
          continue;
        }
        if (candidate == detail::nil_node || candidate == victim) {
          if (candidate == victim) candidate = n.links(candidate).next;
          remove(victim);
          continue;
        }
        std::uint32_t next = n.links(candidate).next;
        std::uint64_t candidate_hash = n.hash(candidate);
        std::uint64_t victim_hash = n.hash(victim);
        if (admit(candidate_hash, victim_hash)) {
          detail::remove_hashed(remove, victim, victim_hash);
        } else {
          detail::remove_hashed(remove, candidate, candidate_hash);
          candidate = next;
        }
      }
    }

    [[nodiscard]] std::uint64_t weight() const noexcept {
      return window_.weight() + probation_.weight() + protected_.weight();
    }
    /// The window's current maximum weight (adapts by hill climbing).
    [[nodiscard]] std::uint64_t window_max() const noexcept { return window_max_; }
    /// The sketch's estimate (0-15) of how often the key with mixed hash `h` was seen: for
    /// inspection and tests.
    [[nodiscard]] unsigned frequency(std::uint64_t h) const noexcept {
      return sketch_.frequency(h);
    }
    /// The number of entries the frequency sketch is sized for.
    [[nodiscard]] std::uint64_t sketch_entries() const noexcept { return entries_; }

   private:
    // Doubles what the sketch is sized for, keeping every estimate. Without the memory for it
    // the smaller sketch stays: the insert must not fail halfway for it.
    void grow_sketch() noexcept {
      std::uint64_t more = std::min(capacity_, 2 * entries_);
      try {
        sketch_.grow(more);
      } catch (const std::bad_alloc&) {
        return;
      }
      entries_ = more;
      sample_size_ = 10 * entries_;
    }
    [[nodiscard]] std::uint64_t entry_count() const noexcept {
      return std::uint64_t{window_.size()} + probation_.size() + protected_.size();
    }

    static constexpr std::uint8_t window_q = 1;
    static constexpr std::uint8_t probation_q = 2;
    static constexpr std::uint8_t protected_q = 3;
    // Hill climbing: a step is 6.25% of the capacity; it restarts at full size when the hit
    // rate moves by 5 points or more, and otherwise decays by 2% per sample.
    static constexpr double step_fraction = 0.0625;
    static constexpr double restart_threshold = 0.05;
    static constexpr double decay = 0.98;

    detail::node_list& list_of(Nodes& n, std::uint32_t i) noexcept {
      switch (n.links(i).queue) {
        case window_q:
          return window_;
        case protected_q:
          return protected_;
        default:
          return probation_;
      }
    }

    // A candidate more frequent than the victim gets in. A warm candidate no more frequent is
    // still let in once in 128 duels, so an attacker cannot pin a victim by inflating its
    // count with colliding keys.
    bool admit(std::uint64_t candidate_hash, std::uint64_t victim_hash) noexcept {
      unsigned c = sketch_.frequency(candidate_hash);
      unsigned v = sketch_.frequency(victim_hash);
      if (c > v) return true;
      if (c <= 5) return false;
      seed_ = detail::mix64(seed_ + 0x9e3779b97f4a7c15ull);
      return (seed_ & 127) == 0;
    }

    void promote(Nodes& n, std::uint32_t i) {
      n.links(i).referenced = 0;
      probation_.move_to(n, i, protected_, protected_q);
      demote_protected(n);
    }

    // Protected is a clock: the front entry, if hit since it was placed, goes round once more
    // (mark cleared, to the back) instead of down to probation. Each round clears a mark that a
    // hit set, so the loop ends.
    // The hand walks a linked list of nodes that are rarely in cache (2.5 steps a promotion on
    // mixed_zipf, a third of the hit replays' time): each step fetches the next node while it
    // moves this one, and the walk's end fetches where the next walk starts. mixed_zipf: +5% in
    // 8 alternating rounds, +7% in a driver's 10 (9 faster); the end's prefetch alone, +2%.
    void demote_protected(Nodes& n) {
      while (protected_.weight() > protected_max_ && !protected_.empty()) {
        std::uint32_t f = protected_.front();
        detail::node_links& l = n.links(f);
        if (l.next != detail::nil_node) detail::prefetch_for_write(&n.links(l.next));
        if (l.referenced != 0) {
          l.referenced = 0;
          if (protected_.size() > 1) {
            protected_.move_to_back(n, f);
            continue;
          }
        }
        protected_.move_to(n, f, probation_, probation_q);
      }
      if (!protected_.empty()) detail::prefetch_for_write(&n.links(protected_.front()));
    }

    void climb(Nodes& n) {
      double requests = static_cast<double>(hits_ + misses_);
      double rate = static_cast<double>(hits_) / requests;
      double change = rate - last_hit_rate_;
      double amount = change >= 0 ? step_ : -step_;
      step_ = std::abs(change) >= restart_threshold
                  ? step_fraction * static_cast<double>(capacity_) * (amount >= 0 ? 1 : -1)
                  : decay * amount;
      last_hit_rate_ = rate;
      hits_ = misses_ = 0;
      auto quota = static_cast<std::uint64_t>(std::llround(std::abs(amount)));
      if (quota == 0) return;
      if (amount > 0) {
        grow_window(n, quota);
      } else {
        shrink_window(n, quota);
      }
    }

    // Moves weight from the main region to the window: the protected share shrinks, and the
    // least recent main entries become the most recent window entries.
    void grow_window(Nodes& n, std::uint64_t quota) {
      std::uint64_t limit = capacity_ - (capacity_ / 5 + (capacity_ % 5 != 0));  // <= 80%
      if (window_max_ >= limit) return;
      quota = std::min(quota, limit - window_max_);
      window_max_ += quota;
      protected_max_ = protected_max_ > quota ? protected_max_ - quota : 0;
      demote_protected(n);
      while (window_.weight() < window_max_ && !probation_.empty()) {
        std::uint32_t i = probation_.front();
        if (window_.weight() + n.weight(i) > window_max_) break;
        probation_.move_to(n, i, window_, window_q);
      }
    }

    void shrink_window(Nodes& n, std::uint64_t quota) {
      std::uint64_t floor = std::max<std::uint64_t>(1, capacity_ / 100);
      if (window_max_ <= floor) return;
      quota = std::min(quota, window_max_ - floor);
      window_max_ -= quota;
      protected_max_ += quota;
      while (window_.weight() > window_max_ && !window_.empty())
        window_.move_to(n, window_.front(), probation_, probation_q);
    }

    // What every hit touches comes first, in two cache lines: the sketch and the sample
    // counts, then the main region's lists.
    detail::frequency_sketch sketch_;
    std::uint64_t hits_ = 0;
    std::uint64_t misses_ = 0;
    std::uint64_t sample_size_ = 0;  // hits and misses between two climbing steps
    detail::node_list protected_;
    detail::node_list probation_;
    std::uint64_t protected_max_ = 0;
    detail::node_list window_;
    std::uint64_t window_max_ = 0;
    std::uint64_t capacity_ = 0;
    double last_hit_rate_ = 0;
    double step_ = 0;
    std::uint64_t seed_ = 0x2545f4914f6cdd1dull;
    std::uint64_t entries_ = 0;  // what the sketch and the climber's sample are sized for
  };
};

}  // namespace eviction

namespace detail {

// The narrowest Nodes an eviction policy may rely on, to check policies against.
struct nodes_archetype {
  node_links& links(std::uint32_t);
  std::uint64_t weight(std::uint32_t) const;
  std::uint64_t hash(std::uint32_t) const;
};
struct remove_archetype {
  void operator()(std::uint32_t) const;
};

}  // namespace detail

/// An eviction policy: `P::state<Nodes>` built from a capacity, told of inserts, hits, misses,
/// removals and weight changes, and asked to evict down to a limit.
template <class P>
concept eviction_policy = requires {
  typename P::template state<detail::nodes_archetype>;
}
&&std::constructible_from<
    typename P::template state<detail::nodes_archetype>,
    std::uint64_t>&& requires(typename P::template state<detail::nodes_archetype>& s,
                              detail::nodes_archetype& n, std::uint32_t i, std::uint64_t v,
                              detail::remove_archetype remove) {
  s.set_capacity(v);
  s.on_insert(n, i, v);
  s.on_access(n, i, v);
  s.on_miss(v);
  s.on_remove(n, i);
  s.on_reweigh(n, i, v, v);
  s.evict(n, v, remove);
  { s.weight() } -> std::convertible_to<std::uint64_t>;
};

static_assert(eviction_policy<eviction::lru>);
static_assert(eviction_policy<eviction::slru>);
static_assert(eviction_policy<eviction::w_tinylfu>);

}  // namespace hotpath::inline HOTPATH_ABI
