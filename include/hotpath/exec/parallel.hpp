// hotpath/exec/parallel.hpp: parallel loops and reductions on a hotpath::thread_pool.
//
//   hotpath::thread_pool<> pool;
//   hotpath::parallel_for(pool, 0, n, [&](std::size_t i) { y[i] = a * x[i] + y[i]; });
//   hotpath::parallel_for_each(pool, rows, [](Row& r) { r.normalize(); });
//   double total = hotpath::parallel_reduce(pool, 0, n, 0.0,
//                                           [&](std::size_t i) { return x[i]; }, std::plus<>{});
//
// The range is cut into chunks of at least `grain` iterations, at most 8 per participant; the
// calling thread works on chunks too, and the pool's workers take the others as they free up. A
// range of `grain` iterations or fewer runs inline on the caller, so a short loop never pays for
// a thread hand-off. The first exception thrown by `fn` is rethrown to the caller once every
// participant stopped; chunks not started by then are skipped. parallel_reduce combines chunk
// results in index order, so an associative `reduce` gives the same answer as a serial loop.
//
// Thread safety: may be called from any thread, including a worker of the same pool (the caller
// then helps run queued tasks while it waits).
#pragma once

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <exception>
#include <iterator>
#include <mutex>
#include <optional>
#include <ranges>
#include <type_traits>
#include <utility>
#include <vector>

#include "hotpath/config.hpp"
#include "hotpath/exec/future.hpp"

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

// Runs body over `chunks` chunks of [0, n) on the caller and up to thread_count() pool workers.
template <class Pool, class Body>
void run_chunks(Pool& pool, std::size_t n, std::size_t chunks, Body& body) {
  chunk_runner runner(n, chunks);
  std::size_t helpers = std::min<std::size_t>(chunks - 1, pool.thread_count());
  std::vector<future<void>> joins;
  joins.reserve(helpers);
  try {
    for (std::size_t h = 0; h < helpers; ++h) {
      joins.push_back(pool.submit([&runner, &body] { runner.work(body); }));
    }
  } catch (...) {
    // The pool refused (shut down): the caller runs the chunks the helpers would have taken.
  }
  runner.work(body);
  // The helpers reference this frame: wait for every one, even if a chunk failed.
  for (auto& j : joins)
    j.wait();
  runner.rethrow_if_failed();
}

}  // namespace detail

/// Calls fn(i) for every i in [first, last), in parallel on `pool` and the calling thread.
template <class Pool, std::integral I, class Fn>
void parallel_for(Pool& pool, I first, I last, Fn&& fn, parallel_options opts = {}) {
  if (!(first < last)) return;
  auto n = static_cast<std::size_t>(last - first);
  if (n <= opts.grain || pool.thread_count() == 0) {
    for (I i = first; i < last; ++i)
      fn(i);
    return;
  }
  std::size_t chunks = detail::chunk_count(n, opts.grain, pool.thread_count() + 1);
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
  if (n <= opts.grain || pool.thread_count() == 0) {
    for (I i = first; i < last; ++i)
      init = reduce(std::move(init), map(i));
    return init;
  }
  std::size_t chunks = detail::chunk_count(n, opts.grain, pool.thread_count() + 1);
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
