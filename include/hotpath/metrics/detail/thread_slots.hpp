// hotpath/metrics/detail/thread_slots.hpp: per-thread storage behind counters and histograms.
//
// Every thread that records a metric owns an arena: a directory of 4 KiB pages of 64-bit slots.
// A metric owns a range of slot numbers, the same in every arena. Recording is a relaxed load and
// store into the calling thread's own slot (no read-modify-write, no shared cache line); reading
// sums the slot over all arenas. A thread's arena goes back to a free list when the thread exits
// and is handed, with its values, to the next new thread, so totals stay exact and the number of
// arenas is the peak number of threads that recorded at once.
//
// Memory: a page is allocated in an arena when its thread first writes a slot in it, so a thread
// pays only for the pages of the metrics it touches. The page directory is calloc'd and so costs
// address space, not resident memory, until used.
#pragma once

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <cstdlib>
#include <iterator>
#include <map>
#include <mutex>
#include <new>

#include "hotpath/config.hpp"
#include "hotpath/core/error.hpp"

namespace hotpath::inline HOTPATH_ABI::metrics::detail {

inline constexpr std::size_t page_bits = 9;  // 512 slots of 8 bytes: one 4 KiB page
inline constexpr std::size_t page_slots = std::size_t{1} << page_bits;
inline constexpr std::size_t page_mask = page_slots - 1;
inline constexpr std::size_t max_pages = std::size_t{1} << 14;
/// 8M slots per process: about 3000 histograms or 8M counters.
inline constexpr std::size_t max_slots = page_slots * max_pages;

struct arena {
  // Plain pointers created by calloc and accessed through atomic_ref: the owner thread publishes
  // a page with a release store, readers pick it up with an acquire load.
  std::uint64_t** pages = nullptr;
  arena* next_all = nullptr;
  arena* next_free = nullptr;

  std::uint64_t* page(std::size_t index, std::memory_order order) const noexcept {
    return std::atomic_ref<std::uint64_t*>(pages[index]).load(order);
  }
};

/// The process-wide set of arenas and the allocator of slot ranges.
class slot_space {
 public:
  /// Reserves `n` consecutive slots, zero in every arena. Throws hotpath::error when exhausted.
  std::size_t allocate(std::size_t n) {
    std::lock_guard lock(mu_);
    for (auto it = free_.begin(); it != free_.end(); ++it) {
      if (it->second < n) continue;
      std::size_t base = it->first;
      std::size_t rest = it->second - n;
      free_.erase(it);
      if (rest != 0) free_.emplace(base + n, rest);
      return base;
    }
    if (max_slots - next_ < n) {
      hotpath::detail::throw_error("hotpath::metrics: out of metric slots (", max_slots,
                                   " in use); asked for ", n, " more");
    }
    std::size_t base = next_;
    next_ += n;
    return base;
  }

  /// Returns a range: zeroes it in every arena so the next owner starts from zero.
  void release(std::size_t base, std::size_t n) noexcept {
    std::lock_guard lock(mu_);
    for (arena* a = all_; a != nullptr; a = a->next_all) {
      for_each_page_span(*a, base, n, [](std::uint64_t* p, std::size_t count) {
        if (p == nullptr) return;
        for (std::size_t i = 0; i < count; ++i) {
          std::atomic_ref<std::uint64_t>(p[i]).store(0, std::memory_order_relaxed);
        }
      });
    }
    auto [it, inserted] = free_.emplace(base, n);
    (void)inserted;
    // Coalesce with the neighbours so a later large range (a histogram) can reuse the space.
    if (auto next = std::next(it); next != free_.end() && it->first + it->second == next->first) {
      it->second += next->second;
      free_.erase(next);
    }
    if (it != free_.begin()) {
      auto prev = std::prev(it);
      if (prev->first + prev->second == it->first) {
        prev->second += it->second;
        free_.erase(it);
      }
    }
  }

  /// Adds slots [base, base+n) over all arenas into `out[0..n)`.
  void sum(std::size_t base, std::size_t n, std::uint64_t* out) const {
    std::lock_guard lock(mu_);
    for (arena* a = all_; a != nullptr; a = a->next_all) {
      std::size_t offset = 0;
      for_each_page_span(*a, base, n, [&](std::uint64_t* p, std::size_t count) {
        for (std::size_t i = 0; p != nullptr && i < count; ++i) {
          out[offset + i] += std::atomic_ref<std::uint64_t>(p[i]).load(std::memory_order_relaxed);
        }
        offset += count;
      });
    }
  }

  /// One slot's total over all arenas.
  std::uint64_t sum_one(std::size_t slot) const {
    std::uint64_t total = 0;
    sum(slot, 1, &total);
    return total;
  }

  arena* acquire_arena() {
    std::lock_guard lock(mu_);
    if (free_arenas_ != nullptr) {
      arena* a = free_arenas_;
      free_arenas_ = a->next_free;
      a->next_free = nullptr;
      return a;
    }
    auto* a = new arena;
    a->pages = static_cast<std::uint64_t**>(std::calloc(max_pages, sizeof(std::uint64_t*)));
    if (a->pages == nullptr) {
      delete a;
      throw std::bad_alloc();
    }
    a->next_all = all_;
    all_ = a;
    return a;
  }

  void release_arena(arena* a) noexcept {
    std::lock_guard lock(mu_);
    a->next_free = free_arenas_;
    free_arenas_ = a;
  }

  /// Number of arenas ever created: the peak number of recording threads.
  std::size_t arena_count() const {
    std::lock_guard lock(mu_);
    std::size_t n = 0;
    for (arena* a = all_; a != nullptr; a = a->next_all)
      ++n;
    return n;
  }

 private:
  // Calls fn(page_or_null, count) for each page piece of [base, base+n), in order; a page the
  // arena never allocated is passed as nullptr and reads as zeros.
  template <class Fn>
  static void for_each_page_span(const arena& a, std::size_t base, std::size_t n, Fn&& fn) {
    std::size_t slot = base;
    std::size_t end = base + n;
    while (slot < end) {
      std::size_t in_page = slot & page_mask;
      std::size_t count = std::min(page_slots - in_page, end - slot);
      std::uint64_t* p = a.page(slot >> page_bits, std::memory_order_acquire);
      fn(p == nullptr ? nullptr : p + in_page, count);
      slot += count;
    }
  }

  mutable std::mutex mu_;
  arena* all_ = nullptr;
  arena* free_arenas_ = nullptr;
  std::map<std::size_t, std::size_t> free_;  // base -> length of returned ranges
  std::size_t next_ = 0;
};

/// The one slot space of the process. Never destroyed: threads may record during static
/// destruction, and the arenas stay reachable for leak checkers.
inline slot_space& slots() {
  static slot_space* space = new slot_space;
  return *space;
}

constinit inline thread_local arena* tls_arena = nullptr;
constinit inline thread_local bool tls_arena_returned = false;

struct arena_return {
  ~arena_return() {
    if (tls_arena != nullptr) slots().release_arena(tls_arena);
    tls_arena = nullptr;
    tls_arena_returned = true;
  }
};

HOTPATH_NOINLINE inline arena* bind_arena() {
  arena* a = slots().acquire_arena();
  tls_arena = a;
  // A thread that records from a thread_local destructor after its arena went back gets a fresh
  // one that is never returned: its counts stay correct, only the arena is not reused.
  if (!tls_arena_returned) {
    static thread_local arena_return on_exit;
    (void)on_exit;
  }
  return a;
}

HOTPATH_NOINLINE inline std::uint64_t* bind_page(arena* a, std::size_t index) {
  auto* p = static_cast<std::uint64_t*>(std::calloc(page_slots, sizeof(std::uint64_t)));
  if (p == nullptr) throw std::bad_alloc();
  std::atomic_ref<std::uint64_t*>(a->pages[index]).store(p, std::memory_order_release);
  return p;
}

/// The calling thread's arena, bound on first use.
inline arena* local_arena() {
  arena* a = tls_arena;
  if (HOTPATH_UNLIKELY(a == nullptr)) a = bind_arena();
  return a;
}

/// `slot` in arena `a`, which must be the calling thread's.
inline std::uint64_t* arena_slot(arena* a, std::size_t slot) {
  std::size_t index = slot >> page_bits;
  // Only this thread stores into its directory, so a relaxed load sees its own stores.
  std::uint64_t* p = a->page(index, std::memory_order_relaxed);
  if (HOTPATH_UNLIKELY(p == nullptr)) p = bind_page(a, index);
  return p + (slot & page_mask);
}

/// The calling thread's own copy of `slot`.
inline std::uint64_t* local_slot(std::size_t slot) {
  return arena_slot(local_arena(), slot);
}

/// Adds `n` to the calling thread's copy of a slot: a plain load and store, since no other thread
/// writes it (release() zeroes only ranges nobody records into any more).
inline void local_add(std::uint64_t* cell, std::uint64_t n) noexcept {
  std::atomic_ref<std::uint64_t> r(*cell);
  r.store(r.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
}

}  // namespace hotpath::inline HOTPATH_ABI::metrics::detail
