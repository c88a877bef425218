// hotpath/exec/parallel.hpp: parallel loops and reductions on a hotpath::thread_pool.
//
//   hotpath::thread_pool<> pool;
//   hotpath::parallel_for(pool, 0, n, [&](std::size_t i) { y[i] = a * x[i] + y[i]; });
//   hotpath::parallel_for_each(pool, rows, [](Row& r) { r.normalize(); });
//   double total = hotpath::parallel_reduce(pool, 0, n, 0.0,
//                                           [&](std::size_t i) { return x[i]; }, std::plus<>{});
//
// The range is cut into chunks of at least `grain` iterations, at most 8 per participant. A call
// runs on at most thread_count() threads, the caller counted: the calling thread works on chunks
// and takes the place of one worker, and thread_count() - 1 workers take the others as they free
// up. (One thread more than the pool has would share a CPU with another participant on a pool
// sized to the machine; on 2 cores that made the memory-bound saxpy benchmark up to 1.7x slower.)
// A range of `grain` iterations or fewer, or a pool of one thread, runs inline on the caller, so
// a short loop never pays for a thread hand-off. The first exception thrown by `fn` is rethrown to
// the caller once every participant stopped; chunks not started by then are skipped.
// parallel_reduce combines chunk results in index order, so an associative `reduce` gives the same
// answer as a serial loop.
//
// Helper tasks that start after the caller ran out of chunks do nothing, and the caller does not
// wait for them: a call whose workers are busy or slow to wake costs about as much as a serial
// loop, not a serial loop plus a wake-up.
//
// Pool: any type with thread_count() and post(f), such as hotpath::thread_pool<>.
//
// Thread safety: may be called from any thread, including a worker of the same pool (it then
// waits only for helpers already running chunks, so nested calls cannot deadlock).
#pragma once

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <iterator>
#include <memory>
#include <mutex>
#include <optional>
#include <ranges>
#include <type_traits>
#include <utility>
#include <vector>

#include "hotpath/config.hpp"
#include "hotpath/core/detail/futex.hpp"

namespace hotpath::inline HOTPATH_ABI {

/// Knobs of the parallel algorithms.
struct parallel_options {
  /// Fewest iterations per chunk; a range this short or shorter runs inline.
  std::size_t grain = 2048;
};

namespace detail {

// Shared by the participants of one parallel call: hands out chunks, keeps the first error.
class chunk_runner {
 public:
  chunk_runner(std::size_t n, std::size_t chunks) : n_(n), chunks_(chunks) {}

  /// Runs chunks until none are left or one failed; body(chunk, begin, end).
  template <class Body>
  void work(Body& body) noexcept {
    for (;;) {
      if (failed_.load(std::memory_order_relaxed)) return;
      std::size_t c = next_.fetch_add(1, std::memory_order_relaxed);
      if (c >= chunks_) return;
      try {
        body(c, begin(c), begin(c + 1));
      } catch (...) {
        std::lock_guard lock(mu_);
        if (!error_) error_ = std::current_exception();
        failed_.store(true, std::memory_order_relaxed);
      }
    }
  }

  void rethrow_if_failed() const {
    if (error_) std::rethrow_exception(error_);
  }

  // Chunk c covers [begin(c), begin(c + 1)): sizes differ by at most one.
  std::size_t begin(std::size_t c) const noexcept {
    return c * (n_ / chunks_) + std::min(c, n_ % chunks_);
  }

 private:
  std::size_t n_;
  std::size_t chunks_;
  std::atomic<std::size_t> next_{0};
  std::atomic<bool> failed_{false};
  std::mutex mu_;
  std::exception_ptr error_;
};

/// Number of chunks for n iterations on `participants` threads.
inline std::size_t chunk_count(std::size_t n, std::size_t grain, std::size_t participants) {
  std::size_t by_grain = n / std::max<std::size_t>(grain, 1);
  return std::clamp<std::size_t>(by_grain, 1, 8 * participants);
}

// Threads that work on one parallel call, the caller included.
template <class Pool>
std::size_t participants(const Pool& pool) {
  return std::max<std::size_t>(pool.thread_count(), 1);
}

// Where the helpers of one call meet the caller. A helper enters before it touches the call's
// state on the caller's stack; the caller closes the gate when no chunk is left and waits only
// for the helpers inside. A helper task that starts later (its worker was busy, or still waking
// up) finds the gate closed and leaves without touching anything but the gate, which it co-owns:
// the caller never waits for a worker's wake-up that would bring no work.
class helper_gate {
 public:
  bool enter() noexcept {
    if ((word_.fetch_add(1, std::memory_order_acq_rel) & closed_bit) == 0) return true;
    leave();
    return false;
  }
  void leave() noexcept {
    std::uint32_t now = word_.fetch_sub(1, std::memory_order_acq_rel) - 1;
    if ((now & count_mask) == 0 && (now & waiter_bit) != 0) futex_wake_all(word_);
  }
  // Closes the gate and returns once every helper that entered has left. Helpers inside are
  // running one last chunk, so the caller spins a little before it blocks.
  void close_and_wait() noexcept {
    std::uint32_t w = word_.fetch_or(closed_bit, std::memory_order_acq_rel) | closed_bit;
    for (int spins = 0; (w & count_mask) != 0 && spins < 4096; ++spins) {
      cpu_relax();
      w = word_.load(std::memory_order_acquire);
    }
    while ((w & count_mask) != 0) {
      if ((w & waiter_bit) == 0 &&
          !word_.compare_exchange_weak(w, w | waiter_bit, std::memory_order_acq_rel)) {
        continue;
      }
      futex_wait(word_, w | waiter_bit);
      w = word_.load(std::memory_order_acquire);
    }
  }

 private:
  static constexpr std::uint32_t closed_bit = 1u << 31;
  static constexpr std::uint32_t waiter_bit = 1u << 30;
  static constexpr std::uint32_t count_mask = waiter_bit - 1;
  std::atomic<std::uint32_t> word_{0};
};

// Runs body over `chunks` chunks of [0, n) on the caller and up to thread_count() - 1 workers.
template <class Pool, class Body>
void run_chunks(Pool& pool, std::size_t n, std::size_t chunks, Body& body) {
  chunk_runner runner(n, chunks);
  std::size_t helpers = std::min<std::size_t>(chunks - 1, participants(pool) - 1);
  auto gate = std::make_shared<helper_gate>();
  try {
    for (std::size_t h = 0; h < helpers; ++h) {
      pool.post([gate, &runner, &body] {
        if (!gate->enter()) return;
        runner.work(body);
        gate->leave();
      });
    }
  } catch (...) {
    // The pool refused (shut down): the caller runs the chunks the helpers would have taken.
  }
  runner.work(body);
  // Helpers inside reference this frame: wait for them, even if a chunk failed.
  gate->close_and_wait();
  runner.rethrow_if_failed();
}

}  // namespace detail

/// Calls fn(i) for every i in [first, last), in parallel on `pool` and the calling thread.
template <class Pool, std::integral I, class Fn>
void parallel_for(Pool& pool, I first, I last, Fn&& fn, parallel_options opts = {}) {
  if (!(first < last)) return;
  auto n = static_cast<std::size_t>(last - first);
  if (n <= opts.grain || detail::participants(pool) == 1) {
    for (I i = first; i < last; ++i)
      fn(i);
    return;
  }
  std::size_t chunks = detail::chunk_count(n, opts.grain, detail::participants(pool));
  auto body = [&](std::size_t, std::size_t b, std::size_t e) {
    for (std::size_t k = b; k < e; ++k)
      fn(static_cast<I>(first + static_cast<I>(k)));
  };
  detail::run_chunks(pool, n, chunks, body);
}

/// Calls fn(element) for every element of a random-access range, in parallel.
template <class Pool, std::ranges::random_access_range R, class Fn>
void parallel_for_each(Pool& pool, R&& range, Fn&& fn, parallel_options opts = {}) {
  auto it = std::ranges::begin(range);
  auto n = static_cast<std::size_t>(std::ranges::distance(range));
  parallel_for(
      pool, std::size_t{0}, n,
      [&](std::size_t i) { fn(it[static_cast<std::ranges::range_difference_t<R>>(i)]); }, opts);
}

/// reduce(... reduce(reduce(init, map(first)), map(first + 1)) ..., map(last - 1)), computed in
/// parallel chunks whose partial results are combined in index order.
template <class Pool, std::integral I, class T, class Map, class Reduce>
T parallel_reduce(Pool& pool, I first, I last, T init, Map&& map, Reduce&& reduce,
                  parallel_options opts = {}) {
  if (!(first < last)) return init;
  auto n = static_cast<std::size_t>(last - first);
  if (n <= opts.grain || detail::participants(pool) == 1) {
    for (I i = first; i < last; ++i)
      init = reduce(std::move(init), map(i));
    return init;
  }
  std::size_t chunks = detail::chunk_count(n, opts.grain, detail::participants(pool));
  std::vector<std::optional<T>> partial(chunks);
  auto body = [&](std::size_t c, std::size_t b, std::size_t e) {
    auto at = [&](std::size_t k) { return static_cast<I>(first + static_cast<I>(k)); };
    T acc = map(at(b));
    for (std::size_t k = b + 1; k < e; ++k)
      acc = reduce(std::move(acc), map(at(k)));
    partial[c].emplace(std::move(acc));
  };
  detail::run_chunks(pool, n, chunks, body);
  for (auto& p : partial)
    init = reduce(std::move(init), std::move(*p));
  return init;
}

}  // namespace hotpath::inline HOTPATH_ABI
