// hotpath/cache/detail/node_index.hpp: a cache shard's hash index from keys to node indices.
//
// An open-addressing table of 32-bit node indices in groups of one cache line each: 12 tag
// bytes (a byte of the key's hash; 0 marks a free slot), a byte of overflow bits, 3 spare bytes,
// then the group's 12 node indices. A lookup compares the tags of a group at once (SSE2), and a
// slot's tag and node index share that group's line: a probe reads one line, where a table
// keeping tags and elements in two arrays (boost::unordered_flat_set) reads two.
//
// The index stores no keys and computes no hashes: callers pass a key's hash (already mixed:
// the high bits pick the home group, the low byte is the tag) and a predicate that tells whether
// a node index is the one sought. To grow, it asks a function for the hash of each node it
// holds.
//
//   node_index ix;
//   ix.prepare_insert([&](std::uint32_t i) { return hash_of(nodes[i].key()); });  // may throw
//   auto p = ix.insert(h, i);
//   auto q = ix.find(h, [&](std::uint32_t j) { return nodes[j].key() == k; });
//   if (q != node_index::npos) ix.erase(q);
//
// A key's home group is its hash's high bits scaled to the group count, which need not be a
// power of two; a full group sends inserts on to the next one (and sets the overflow bit the
// hash picks there, so that lookups know to go on too). 12 slots to a group at most 60% used
// rarely overflow: probing groups in order stays short.
//
// Insert does not check for duplicates; the caller looks the key up first. Erasing leaves the
// overflow bits set that inserts past a group left, so misses would probe further over time;
// an erase from a group with overflow bits lowers the load allowed before the next rebuild, as
// boost's open-addressing tables do, and prepare_insert rebuilds the table (at the same size
// when the entries still fit) once it is reached.
#pragma once

#include <algorithm>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <new>
#include <utility>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "hotpath/config.hpp"

namespace hotpath::inline HOTPATH_ABI::detail {

class node_index {
 public:
  static constexpr unsigned group_slots = 12;
  /// A slot's place (its node index's address), valid until the next prepare_insert.
  using position = std::uint32_t*;
  static constexpr position npos = nullptr;

  node_index() noexcept = default;
  node_index(node_index&& o) noexcept { swap(o); }
  node_index& operator=(node_index&& o) noexcept {
    node_index(std::move(o)).swap(*this);
    return *this;
  }
  node_index(const node_index&) = delete;
  node_index& operator=(const node_index&) = delete;

  [[nodiscard]] std::size_t size() const noexcept { return size_; }
  /// Slots in all; the index keeps at most 60% of them used.
  [[nodiscard]] std::size_t slot_count() const noexcept {
    return owned_ == nullptr ? 0 : count_ * group_slots;
  }

  /// The most entries the owner expects to keep: growth stops at the size they need rather
  /// than doubling past it (the index grows on if more come). 0: no bound.
  void expect(std::size_t n) noexcept { expected_ = n; }

  /// The position of the node index for which eq(index) holds among those stored with hash h,
  /// or npos.
  template <class Eq>
  HOTPATH_ALWAYS_INLINE position find(std::uint64_t h, Eq&& eq) const {
    // The home group apart from the rest: most lookups end there, and the overflow bit they
    // never test is not computed for them (5 instructions, and a register, a lookup).
    const std::uint8_t t = tag_of(h);
    std::size_t g = home(h, count_);
    group& gr = groups_[g];
    for (unsigned m = match(gr, t); m != 0; m &= m - 1) {
      unsigned s = static_cast<unsigned>(std::countr_zero(m));
      if (eq(gr.slots[s])) return &gr.slots[s];
    }
    const std::uint8_t over = overflow_bit(h);
    if ((gr.tags[overflow_byte] & over) == 0) return npos;
    for (std::size_t step = 1; step != count_; ++step) {
      g = g + 1 == count_ ? 0 : g + 1;
      group& next = groups_[g];
      for (unsigned m = match(next, t); m != 0; m &= m - 1) {
        unsigned s = static_cast<unsigned>(std::countr_zero(m));
        if (eq(next.slots[s])) return &next.slots[s];
      }
      if ((next.tags[overflow_byte] & over) == 0) break;
    }
    return npos;
  }

  /// The node index at `p` (a position find or insert returned).
  [[nodiscard]] static std::uint32_t at(position p) noexcept { return *p; }

  /// Makes room for one more insert: rebuilds the table, larger if need be, when it is at its
  /// load limit. hash_of(node index) gives each stored node's hash. If an allocation or
  /// hash_of throws, the index is unchanged.
  template <class HashOf>
  void prepare_insert(HashOf&& hash_of) {
    if (size_ < max_load_) return;
    // The same size if the entries still fit (a rebuild that clears overflow bits), else twice
    // the size, short of the expected entries' need.
    std::size_t now = owned_ == nullptr ? 0 : count_;
    std::size_t need = groups_for(size_ + 1);
    std::size_t bound = groups_for(expected_) >= need ? groups_for(expected_) : 2 * now;
    rebuild(need <= now ? now : std::max(need, std::min(2 * now, bound)), hash_of);
  }

  /// Stores node index i with hash h; needs a prepare_insert first. Cannot throw.
  position insert(std::uint64_t h, std::uint32_t i) noexcept {
    position p = place(groups_, count_, h, i);
    ++size_;
    return p;
  }

  /// Frees the slot at `p`.
  void erase(position p) noexcept {
    group& gr = group_of(p);
    gr.tags[p - gr.slots] = 0;
    --size_;
    if (gr.tags[overflow_byte] != 0) --max_load_;
  }

  /// The position of node index i, by a scan of every slot (for a node whose hash cannot be
  /// computed), or npos.
  [[nodiscard]] position scan_for(std::uint32_t i) const noexcept {
    if (owned_ == nullptr) return npos;
    for (std::size_t g = 0; g < count_; ++g) {
      for (unsigned s = 0; s < group_slots; ++s) {
        if (groups_[g].tags[s] != 0 && groups_[g].slots[s] == i) return &groups_[g].slots[s];
      }
    }
    return npos;
  }

  void swap(node_index& o) noexcept {
    std::swap(owned_, o.owned_);
    std::swap(groups_, o.groups_);
    std::swap(count_, o.count_);
    std::swap(expected_, o.expected_);
    std::swap(size_, o.size_);
    std::swap(max_load_, o.max_load_);
  }

 private:
  static constexpr unsigned overflow_byte = group_slots;

  struct alignas(64) group {
    std::uint8_t tags[16];  // 12 tags, the overflow bits, 3 bytes never set
    std::uint32_t slots[group_slots];
  };
  static_assert(sizeof(group) == 64, "node_index: a group is one cache line");

  // A group every lookup of an empty index reads: no tag set, no overflow bit.
  static const group* empty_group() noexcept {
    alignas(64) static const group g{};
    return &g;
  }

  // 60% of the slots: at that load a group rarely fills, so inserts rarely set overflow bits
  // and lookups rarely probe a second group.
  static constexpr std::size_t limit_for(std::size_t groups) noexcept {
    return groups * group_slots * 3 / 5;
  }
  // The fewest groups whose limit_for is at least n.
  static constexpr std::size_t groups_for(std::size_t n) noexcept {
    return (n * 5 + group_slots * 3 - 1) / (group_slots * 3);
  }
  // The group holding the slot at p: groups are aligned to their size.
  static group& group_of(position p) noexcept {
    auto a = reinterpret_cast<std::uintptr_t>(p) & ~std::uintptr_t{sizeof(group) - 1};
    return *std::launder(reinterpret_cast<group*>(a));
  }
  static constexpr std::uint8_t tag_of(std::uint64_t h) noexcept {
    auto t = static_cast<std::uint8_t>(h);
    return static_cast<std::uint8_t>(t + (t == 0));
  }
  static constexpr std::uint8_t overflow_bit(std::uint64_t h) noexcept {
    return static_cast<std::uint8_t>(1u << ((h >> 8) & 7));
  }
  // The hash's high 32 bits scaled to [0, groups): any group count, not only powers of two
  // (with those, 1953 entries a shard took 512 groups where 272 hold them at 60%).
  static std::size_t home(std::uint64_t h, std::size_t groups) noexcept {
    return static_cast<std::size_t>(((h >> 32) * groups) >> 32);
  }

  // Bit s set for each of the 12 tag slots equal to t.
  static unsigned match(const group& gr, std::uint8_t t) noexcept {
#if defined(__SSE2__)
    __m128i tags = _mm_load_si128(reinterpret_cast<const __m128i*>(gr.tags));
    // The byte in all 16 lanes by a multiply and one shuffle (_mm_set1_epi8 takes three).
    __m128i want = _mm_shuffle_epi32(_mm_cvtsi32_si128(static_cast<int>(t * 0x01010101u)), 0);
    __m128i hit = _mm_cmpeq_epi8(tags, want);
    return static_cast<unsigned>(_mm_movemask_epi8(hit)) & ((1u << group_slots) - 1);
#else
    unsigned m = 0;
    for (unsigned s = 0; s < group_slots; ++s)
      m |= static_cast<unsigned>(gr.tags[s] == t) << s;
    return m;
#endif
  }

  static position place(group* gs, std::size_t groups, std::uint64_t h, std::uint32_t i) noexcept {
    std::size_t g = home(h, groups);
    for (;;) {
      group& gr = gs[g];
      unsigned free = match(gr, 0);
      if (free != 0) {
        unsigned s = static_cast<unsigned>(std::countr_zero(free));
        gr.tags[s] = tag_of(h);
        gr.slots[s] = i;
        return &gr.slots[s];
      }
      gr.tags[overflow_byte] |= overflow_bit(h);
      g = g + 1 == groups ? 0 : g + 1;
    }
  }

  template <class HashOf>
  void rebuild(std::size_t groups, HashOf& hash_of) {
    std::unique_ptr<group[]> fresh(new group[groups]());
    if (owned_ != nullptr) {
      for (std::size_t g = 0; g < count_; ++g) {
        for (unsigned s = 0; s < group_slots; ++s) {
          if (groups_[g].tags[s] != 0) {
            std::uint32_t i = groups_[g].slots[s];
            place(fresh.get(), groups, static_cast<std::uint64_t>(hash_of(i)), i);
          }
        }
      }
    }
    owned_ = std::move(fresh);
    groups_ = owned_.get();
    count_ = groups;
    max_load_ = limit_for(groups);
  }

  std::unique_ptr<group[]> owned_;
  // owned_, or while there is none empty_group(), so that find needs no test for it (nothing
  // is ever written there: the first insert's prepare_insert allocates).
  group* groups_ = const_cast<group*>(empty_group());
  std::size_t count_ = 1;  // groups
  std::size_t expected_ = 0;
  std::size_t size_ = 0;
  std::size_t max_load_ = 0;
};

}  // namespace hotpath::inline HOTPATH_ABI::detail
