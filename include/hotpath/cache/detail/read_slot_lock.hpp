// hotpath/cache/detail/read_slot_lock.hpp: a reader-writer lock whose readers write only a
// cache line of their own.
//
// A cache shard's lock is taken by every get. With a plain spin lock, threads reading the same
// shards pass the lock's cache line (and the shard's read buffer) back and forth on about every
// other operation. Here a reader marks its slot busy (a slot per thread, by a per-thread
// number) and checks that no writer is in; a writer announces itself, then waits until no slot
// is busy. Each slot carries a payload (the cache keeps its per-thread log of hits there) that
// its reader may write while it holds the slot and a writer may use while it holds the lock.
//
//   read_slot_lock<buffer> lock(8);
//   if (auto r = lock.try_lock_shared(detail::thread_slot())) { r.payload().add(...); ... }
//   else { std::lock_guard g(lock); ... }             // a writer was in: the exclusive path
//
// The handshake is Dekker's: the reader's exchange on its busy flag and the writer's exchange on
// the writer flag are each followed by a load of the other side's flag, all sequentially
// consistent, so at least one of the two sees the other. A slot joins the set of used slots
// before its first read, and a writer looks only at those, so the lock costs a one-thread user
// little more than a spin lock. try_lock_shared never waits: with a writer in (or another thread of
// the same slot reading) it fails and the caller takes the exclusive path, so readers cannot
// starve a writer.
#pragma once

#include <algorithm>
#include <atomic>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <new>
#include <vector>

#include "hotpath/cache/detail/spin_mutex.hpp"
#include "hotpath/config.hpp"
#include "hotpath/core/cache_line.hpp"

namespace hotpath::inline HOTPATH_ABI::detail {

// The numbers of live threads: a thread takes the lowest free one and gives it back when it
// exits, so that threads started and stopped over and over (a benchmark's, a pool resized)
// keep small, distinct numbers. Handed out in order of first use, they would grow without end
// and two live threads would share a slot whenever their numbers met modulo the slot count.
class thread_numbers {
 public:
  // 0 if out of memory: the thread then shares slot 0 with others, which is only slower.
  static unsigned take() noexcept {
    thread_numbers& t = instance();
    std::lock_guard lock(t.mu_);
    auto it = std::find(t.taken_.begin(), t.taken_.end(), false);
    auto n = static_cast<std::size_t>(it - t.taken_.begin());
    if (it == t.taken_.end()) {
      try {
        t.taken_.push_back(true);
      } catch (const std::bad_alloc&) {
        return 0;
      }
    } else {
      *it = true;
    }
    return static_cast<unsigned>(n + 1);
  }
  static void give_back(unsigned n) noexcept {
    thread_numbers& t = instance();
    std::lock_guard lock(t.mu_);
    t.taken_[n - 1] = false;
  }

 private:
  static thread_numbers& instance() noexcept {
    // Never destroyed: a thread may exit after static destruction began.
    static thread_numbers* t = new thread_numbers;
    return *t;
  }
  std::mutex mu_;
  std::vector<bool> taken_;
};

/// A small number per live thread (1, 2, 3, ...; the lowest free at its first call, free
/// again once it exits) that picks its reader slot. The number itself is constant-initialized,
/// so reading it costs no TLS initialization check.
inline unsigned thread_slot() noexcept {
  thread_local unsigned mine = 0;
  if (mine == 0) [[unlikely]] {
    struct holder {
      unsigned n = 0;
      ~holder() {
        if (n != 0) thread_numbers::give_back(n);
      }
    };
    thread_local holder h;
    h.n = mine = thread_numbers::take();
  }
  return mine;
}

template <class Payload>
class read_slot_lock {
  struct alignas(cache_line_size) slot {
    std::atomic<bool> busy{false};
    Payload payload{};
  };

 public:
  /// A held reader slot; release it with unlock_shared.
  class reader {
   public:
    reader() = default;
    explicit operator bool() const noexcept { return s_ != nullptr; }
    Payload& payload() const noexcept { return s_->payload; }

   private:
    friend class read_slot_lock;
    explicit reader(slot* s) noexcept : s_(s) {}
    slot* s_ = nullptr;
  };

  /// `slots` is rounded up to a power of two, at most 32.
  explicit read_slot_lock(unsigned slots)
      : mask_(std::bit_ceil(std::clamp(slots, 1u, 32u)) - 1),
        slots_(std::make_unique<slot[]>(static_cast<std::size_t>(mask_) + 1)) {}

  /// Takes slot `index` (modulo the slot count) for reading; empty if a writer holds or wants
  /// the lock, or another thread of the same slot is reading.
  reader try_lock_shared(unsigned index) noexcept {
    index &= mask_;
    std::uint32_t bit = std::uint32_t{1} << index;
    // A slot joins the set a writer waits on before its first read (see lock()). The check is
    // seq_cst too (a plain load on x86): a thread that finds the bit set by another thread of
    // the same slot must see it where the writer's load of the set does, in the single total
    // order, or the writer could skip the slot while this thread reads.
    if ((used_.load(std::memory_order_seq_cst) & bit) == 0)
      used_.fetch_or(bit, std::memory_order_seq_cst);
    slot& s = slots_[index];
    if (s.busy.exchange(true, std::memory_order_seq_cst)) return {};
    if (writer_.load(std::memory_order_seq_cst)) {
      s.busy.store(false, std::memory_order_release);
      return {};
    }
    return reader(&s);
  }
  void unlock_shared(reader r) noexcept { r.s_->busy.store(false, std::memory_order_release); }

  /// try_lock_shared that releases the slot when it goes out of scope, so that an exception
  /// thrown while reading (a key's operator==, a value's copy) cannot leave the slot busy and
  /// every writer waiting on it.
  class scoped_reader {
   public:
    scoped_reader(read_slot_lock& l, unsigned index) noexcept
        : l_(l), r_(l.try_lock_shared(index)) {}
    scoped_reader(const scoped_reader&) = delete;
    scoped_reader& operator=(const scoped_reader&) = delete;
    ~scoped_reader() {
      if (r_) l_.unlock_shared(r_);
    }
    explicit operator bool() const noexcept { return static_cast<bool>(r_); }
    Payload& payload() const noexcept { return r_.payload(); }

   private:
    read_slot_lock& l_;
    reader r_;
  };

  /// Exclusive: waits for the other writer, then for every reader in.
  void lock() noexcept {
    // Exchange first, as spin_mutex::lock does: one transfer of the line, not two.
    for (unsigned spins = 0; writer_.exchange(true, std::memory_order_seq_cst);) {
      while (writer_.load(std::memory_order_relaxed))
        spin_backoff(spins++);
    }
    // Only the slots ever used: a reader's bit is set before its busy flag, so a reader this
    // load misses cannot have read the writer flag before it was set.
    for (std::uint32_t m = used_.load(std::memory_order_seq_cst); m != 0; m &= m - 1) {
      slot& s = slots_[static_cast<std::size_t>(std::countr_zero(m))];
      for (unsigned spins = 0; s.busy.load(std::memory_order_seq_cst); ++spins)
        spin_backoff(spins);
    }
  }
  void unlock() noexcept { writer_.store(false, std::memory_order_release); }

  /// Calls f(payload) for every slot; only while holding the lock exclusively.
  template <class F>
  void for_each_payload(F&& f) {
    for (std::uint32_t m = used_.load(std::memory_order_relaxed); m != 0; m &= m - 1)
      f(slots_[static_cast<std::size_t>(std::countr_zero(m))].payload);
  }

  /// Whether any slot has had a reader; only while holding the lock exclusively.
  [[nodiscard]] bool read_before() const noexcept {
    return used_.load(std::memory_order_relaxed) != 0;
  }

  [[nodiscard]] unsigned slot_count() const noexcept { return mask_ + 1; }

 private:
  std::atomic<bool> writer_{false};
  std::atomic<std::uint32_t> used_{0};  // slots that have had a reader
  unsigned mask_;
  std::unique_ptr<slot[]> slots_;
};

}  // namespace hotpath::inline HOTPATH_ABI::detail
