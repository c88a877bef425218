// hotpath/cache/detail/node_list.hpp: intrusive doubly linked lists threaded through a cache
// shard's nodes by 32-bit index, and a count-min sketch of key frequencies.
//
// Indices instead of pointers halve the links (a node may move when the node vector grows) and
// keep a node's bookkeeping in 16 bytes.
#pragma once

#include <algorithm>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <new>

#include "hotpath/config.hpp"

namespace hotpath::inline HOTPATH_ABI::detail {

inline constexpr std::uint32_t nil_node = 0xffffffffu;

/// What eviction policies keep in every node: list links and which of their lists holds it.
struct node_links {
  std::uint32_t prev = nil_node;
  std::uint32_t next = nil_node;
  std::uint32_t timer_slot = 0;         // the node's place in its timer_bucket
  std::uint8_t queue = 0;               // 0: the node is free; policies number their lists from 1
  std::uint8_t referenced = 0;          // hit since the policy last placed it (second chance)
  std::uint16_t timer_bucket = 0xffff;  // the expiry wheel's bucket holding the node, if any
};
static_assert(sizeof(node_links) == 16, "node_links: a node's bookkeeping stays in 16 bytes");

/// Hints the CPU to bring `p`'s cache line in, to be read (prefetch) or written
/// (prefetch_for_write).
inline void prefetch(const void* p) noexcept {
#if defined(__GNUC__)
  __builtin_prefetch(p, 0, 3);
#else
  (void)p;
#endif
}
inline void prefetch_for_write(const void* p) noexcept {
#if defined(__GNUC__)
  __builtin_prefetch(p, 1, 3);
#else
  (void)p;
#endif
}

/// Spreads the bits of a user hash (std::hash of an integer is the identity) over 64 bits.
constexpr std::uint64_t mix64(std::uint64_t x) noexcept {
  x ^= x >> 33;
  x *= 0xff51afd7ed558ccdull;
  x ^= x >> 33;
  x *= 0xc4ceb9fe1a85ec53ull;
  x ^= x >> 33;
  return x;
}

/// A list of nodes in access order: front() is the least recent, the back the most recent.
/// Keeps the count and total weight of its nodes.
class node_list {
 public:
  template <class Nodes>
  void push_back(Nodes& n, std::uint32_t i, std::uint8_t queue, std::uint64_t weight) noexcept {
    node_links& l = n.links(i);
    l.prev = tail_;
    l.next = nil_node;
    l.queue = queue;
    if (tail_ != nil_node) {
      n.links(tail_).next = i;
    } else {
      head_ = i;
    }
    tail_ = i;
    ++count_;
    weight_ += weight;
  }

  template <class Nodes>
  void unlink(Nodes& n, std::uint32_t i, std::uint64_t weight) noexcept {
    node_links& l = n.links(i);
    if (l.prev != nil_node) {
      n.links(l.prev).next = l.next;
    } else {
      head_ = l.next;
    }
    if (l.next != nil_node) {
      n.links(l.next).prev = l.prev;
    } else {
      tail_ = l.prev;
    }
    l.prev = l.next = nil_node;
    --count_;
    weight_ -= weight;
  }

  template <class Nodes>
  void move_to_back(Nodes& n, std::uint32_t i) noexcept {
    if (tail_ == i) return;
    std::uint8_t q = n.links(i).queue;
    std::uint64_t w = n.weight(i);
    unlink(n, i, w);
    push_back(n, i, q, w);
  }

  /// Moves node i from this list to the back of `to`, as a member of `queue`.
  template <class Nodes>
  void move_to(Nodes& n, std::uint32_t i, node_list& to, std::uint8_t queue) noexcept {
    std::uint64_t w = n.weight(i);
    unlink(n, i, w);
    to.push_back(n, i, queue, w);
  }

  void reweigh(std::uint64_t old_weight, std::uint64_t new_weight) noexcept {
    weight_ = weight_ - old_weight + new_weight;
  }

  [[nodiscard]] std::uint32_t front() const noexcept { return head_; }
  [[nodiscard]] std::uint32_t back() const noexcept { return tail_; }
  [[nodiscard]] bool empty() const noexcept { return head_ == nil_node; }
  [[nodiscard]] std::uint64_t weight() const noexcept { return weight_; }
  [[nodiscard]] std::uint32_t size() const noexcept { return count_; }

 private:
  std::uint32_t head_ = nil_node;
  std::uint32_t tail_ = nil_node;
  std::uint32_t count_ = 0;
  std::uint64_t weight_ = 0;
};

/// Approximate access counts of keys, 4 bits each, halved every `sample` increments so that old
/// popularity fades (the "reset" of TinyLFU). Four counters per key, all in one 64-byte block
/// (eight words) chosen by the key's hash: counter i is a nibble of word 2i or 2i + 1 of the
/// block. A key's estimate is the smallest of its four.
///
/// The sketch is touched on every hit, so a key costs one cache line and no rehash (its hash
/// comes mixed from the cache): four independent rows cost four lines and four rehashes, and
/// only about 0.3 points of hit ratio either way on the seeded traces of the hit-ratio tool.
class frequency_sketch {
 public:
  explicit frequency_sketch(std::uint64_t capacity = 0) { resize(capacity); }

  /// Sizes the sketch for `capacity` keys, with every count zero.
  void resize(std::uint64_t capacity) {
    replace_table(capacity, false);
    additions_ = 0;
  }

  /// Makes room for `capacity` keys, keeping every key's estimate: the low bits of a key's hash
  /// pick its block and the high bits its counters, so each block is copied to every block of
  /// the larger table whose index has the same low bits.
  void grow(std::uint64_t capacity) {
    if (words_for(capacity) > words_) replace_table(capacity, true);
  }

  /// Counts one more access to the key with mixed hash `h`.
  void increment(std::uint64_t h) noexcept {
    auto* block = reinterpret_cast<unsigned char*>(block_of(h));
    const std::uint64_t r = spread(h);
    bool added = false;
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC unroll 4
#endif
    for (unsigned i = 0; i < 4; ++i) {
      spot s = place(r, i);
      std::uint32_t w;
      std::memcpy(&w, block + s.byte, sizeof w);
      if (((w >> s.shift) & 0xf) < 15) {
        w += std::uint32_t{1} << s.shift;
        std::memcpy(block + s.byte, &w, sizeof w);
        added = true;
      }
    }
    if (added && ++additions_ >= sample_) halve();
  }

  /// Starts fetching the cache line that increment(h) and frequency(h) will touch.
  void prefetch(std::uint64_t h) const noexcept {
#if defined(__GNUC__)
    __builtin_prefetch(block_of(h), 1, 3);
#else
    (void)h;
#endif
  }

  /// The estimated access count (0..15) of the key with mixed hash `h`.
  [[nodiscard]] unsigned frequency(std::uint64_t h) const noexcept {
    const auto* block = reinterpret_cast<const unsigned char*>(block_of(h));
    const std::uint64_t r = spread(h);
    unsigned f = 15;
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC unroll 4
#endif
    for (unsigned i = 0; i < 4; ++i) {
      spot s = place(r, i);
      std::uint32_t w;
      std::memcpy(&w, block + s.byte, sizeof w);
      f = std::min(f, (w >> s.shift) & 0xf);
    }
    return f;
  }

 private:
  // A counter's 32-bit word, as a byte offset in the block, and its shift in that word.
  struct spot {
    unsigned byte;
    unsigned shift;
  };
  struct aligned_delete {
    void operator()(std::uint64_t* p) const noexcept {
      ::operator delete[](p, std::align_val_t{64});
    }
  };

  // The low bits of h pick the block (the cache's shards use the high ones); the high half,
  // multiplied by a golden-ratio constant, gives five bits per counter.
  [[nodiscard]] std::uint64_t* block_of(std::uint64_t h) const noexcept {
    return table_.get() + (static_cast<std::size_t>(h & block_mask_) << 3);
  }
  [[nodiscard]] static std::uint64_t spread(std::uint64_t h) noexcept {
    return (h >> 32) * 0x9e3779b97f4a7c15ull;
  }
  // Counter i is nibble q of the block's 16-byte lane i, q being bits 59-5i to 63-5i of r: bits
  // 4q to 4q + 3 of the lane, read as one of its four 32-bit words (little-endian: the same bits
  // as nibble q % 16 of 64-bit word 2i + q / 16). A 32-bit shift needs no mask of its count and
  // the word needs no separate half select: an estimate compiles to 52 instructions against 59
  // with 64-bit words (GCC 12, -O3).
  [[nodiscard]] static spot place(std::uint64_t r, unsigned i) noexcept {
    auto bit = static_cast<unsigned>(r >> (57 - 5 * i)) & 124;  // 4q
    return {16 * i + ((bit >> 5) << 2), bit & 31};
  }
  static std::uint64_t words_for(std::uint64_t capacity) noexcept {
    return std::bit_ceil(std::max<std::uint64_t>(capacity, 8));
  }
  // A table for `capacity` keys, zeroed or (keep) made of copies of the current one's blocks.
  void replace_table(std::uint64_t capacity, bool keep) {
    std::uint64_t words = words_for(capacity);
    // Blocks must not straddle cache lines.
    auto bytes = static_cast<std::size_t>(words) * sizeof(std::uint64_t);
    std::unique_ptr<std::uint64_t[], aligned_delete> t(
        static_cast<std::uint64_t*>(::operator new[](bytes, std::align_val_t{64})));
    for (std::size_t w = 0; w < words; ++w)
      t[w] = keep ? table_[w & (words_ - 1)] : 0;
    table_ = std::move(t);
    words_ = words;
    block_mask_ = words / 8 - 1;
    sample_ = 10 * std::max<std::uint64_t>(capacity, 8);
  }
  void halve() noexcept {
    for (std::size_t i = 0; i < words_; ++i)
      table_[i] = (table_[i] >> 1) & 0x7777777777777777ull;
    additions_ /= 2;
  }

  std::unique_ptr<std::uint64_t[], aligned_delete> table_;
  std::uint64_t block_mask_ = 0;
  std::uint64_t additions_ = 0;
  std::uint64_t sample_ = 0;
  std::size_t words_ = 0;
};

}  // namespace hotpath::inline HOTPATH_ABI::detail
