// hotpath/stream/parallel.hpp: decoded input cut into line-aligned chunks, processed on a pool.
//
// The calling thread decodes (and decompresses) and cuts the stream into chunks of about
// `chunk_bytes` that end at a line break; the pool's workers run `fn` on the chunks. At most
// `max_in_flight` chunks exist at once (the caller waits for the oldest to finish before reading
// more), so memory is bounded by max_in_flight x chunk_bytes whatever the input's size.
// `for_each_chunk_ordered` hands each chunk's result to `consume` on the calling thread, in input
// order. The first exception (in input order) stops the reading; chunks already running finish,
// and the exception is rethrown to the caller. Decoding errors (`format_error`) reach the caller
// the same way, after the running chunks finished. A line longer than `max_line_bytes` is a
// `format_error`, as with `line_reader`. Call these from outside the pool: the caller blocks
// while it waits for chunks, so from one of the pool's own workers it would hold that worker.
//
//   hotpath::thread_pool<> pool({.threads = 3});
//   hotpath::stream::block_reader<hotpath::stream::file_source> in(
//       hotpath::stream::file_source("logs.gz"));
//   std::atomic<long> errors = 0;
//   hotpath::stream::parallel_lines(in, pool, [&](std::string_view line) {
//     if (line.find("ERROR") != line.npos) errors.fetch_add(1, std::memory_order_relaxed);
//   });
#pragma once

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <exception>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "hotpath/core/error.hpp"
#include "hotpath/stream/detail/newline_scanner.hpp"
#include "hotpath/stream/format_error.hpp"

namespace hotpath::inline HOTPATH_ABI::stream {

/// A run of whole lines (the last chunk may end without a line break).
struct chunk {
  std::string_view data;
  std::uint64_t index = 0;   ///< 0-based, in input order
  std::uint64_t offset = 0;  ///< decoded byte offset of data[0]
};

/// Knobs of the chunked processing.
struct chunk_options {
  /// Bytes per chunk before it is cut at the next line break.
  std::size_t chunk_bytes = std::size_t{4} << 20;
  /// Chunks in memory at once; 0 picks 2 x the pool's threads (at least 2).
  std::size_t max_in_flight = 0;
  std::size_t max_line_bytes = std::size_t{64} << 20;
};

/// What a chunked run processed.
struct chunk_stats {
  std::uint64_t chunks = 0;
  std::uint64_t bytes = 0;
  std::uint64_t lines = 0;  ///< filled by parallel_lines
};

namespace detail {

template <class Pool>
std::size_t default_in_flight(const Pool& pool) {
  if constexpr (requires { pool.thread_count(); }) {
    std::size_t n = 2 * static_cast<std::size_t>(pool.thread_count());
    return n < 2 ? 2 : n;
  } else {
    return 4;
  }
}

// Reads chunks on the calling thread, runs `map` on the pool, and hands results to `consume`
// in order. Slot i % n holds chunk i until its result was consumed.
template <class In, class Pool, class Map, class Consume>
chunk_stats run_chunks(In& in, Pool& pool, Map& map, Consume& consume, chunk_options opts) {
  using result_t = std::invoke_result_t<Map&, const chunk&>;
  using stored_t = std::conditional_t<std::is_void_v<result_t>, bool, result_t>;
  struct slot {
    std::string buf;
    std::optional<stored_t> result;
    std::exception_ptr error;
    bool done = false;
  };
  if (opts.chunk_bytes == 0) throw_error("hotpath::stream for_each_chunk: chunk_bytes is 0");
  const std::size_t n = opts.max_in_flight != 0 ? opts.max_in_flight : default_in_flight(pool);
  std::vector<slot> slots(n);
  std::mutex m;
  std::condition_variable cv;
  std::exception_ptr first_error;
  chunk_stats stats;
  std::uint64_t next_consume = 0;

  // Waits for chunk `next_consume` and consumes it; false once an error is recorded.
  auto consume_one = [&]() -> bool {
    slot& s = slots[next_consume % n];
    std::unique_lock lock(m);
    cv.wait(lock, [&] { return s.done; });
    lock.unlock();
    bool ok = true;
    if (s.error) {
      if (!first_error) first_error = s.error;
      ok = false;
    } else if (!first_error) {
      try {
        if constexpr (std::is_void_v<result_t>)
          consume();
        else
          consume(std::move(*s.result));
      } catch (...) {
        first_error = std::current_exception();
        ok = false;
      }
    }
    s.result.reset();
    s.error = nullptr;
    s.done = false;
    ++next_consume;
    return ok;
  };

  std::string tail;
  std::string_view pending;  // the rest of the block read last
  auto next_block = [&in](std::string_view& b) {
    b = in.next();
    return !b.empty();
  };
  std::uint64_t index = 0, offset = 0;
  bool eof = false;
  try {
    while (!eof && !first_error) {
      if (index >= n && !consume_one()) break;
      slot& s = slots[index % n];
      s.buf.clear();
      s.buf.swap(tail);  // the partial line of the last chunk starts this one
      while (s.buf.size() < opts.chunk_bytes) {
        if (pending.empty() && !next_block(pending)) {
          eof = true;
          break;
        }
        std::size_t take = std::min(pending.size(), opts.chunk_bytes - s.buf.size());
        s.buf.append(pending.substr(0, take));
        pending.remove_prefix(take);
      }
      if (!eof) {
        std::size_t nl = s.buf.rfind('\n');
        if (nl == std::string::npos) {
          // A line longer than the chunk: read on to its end.
          while (true) {
            if (s.buf.size() > opts.max_line_bytes)
              throw format_error(
                  "line", concat("line longer than max_line_bytes (", opts.max_line_bytes, ")"),
                  in.consumed(), format_error::no_line, false);
            if (pending.empty() && !next_block(pending)) {
              eof = true;
              break;
            }
            const auto* p =
                static_cast<const char*>(std::memchr(pending.data(), '\n', pending.size()));
            std::size_t take =
                p != nullptr ? static_cast<std::size_t>(p - pending.data()) + 1 : pending.size();
            s.buf.append(pending.substr(0, take));
            pending.remove_prefix(take);
            if (p != nullptr) break;
          }
        } else if (nl + 1 < s.buf.size()) {
          tail.assign(s.buf, nl + 1);
          s.buf.resize(nl + 1);
        }
      }
      if (s.buf.empty()) break;
      chunk c{s.buf, index, offset};
      offset += s.buf.size();
      stats.bytes += s.buf.size();
      ++stats.chunks;
      ++index;
      pool.post([&, c, sp = &s] {
        try {
          if constexpr (std::is_void_v<result_t>) {
            map(c);
            sp->result.emplace(true);
          } else {
            sp->result.emplace(map(c));
          }
        } catch (...) {
          sp->error = std::current_exception();
        }
        // Notified under the lock: once the caller sees `done` it may return and destroy
        // `cv`, which must not happen while this thread is still inside notify_all.
        std::lock_guard lock(m);
        sp->done = true;
        cv.notify_all();
      });
    }
  } catch (...) {
    if (!first_error) first_error = std::current_exception();
  }
  // Every posted chunk finishes before the slots, the lambdas and `map` go out of scope.
  while (next_consume < index)
    (void)consume_one();
  if (first_error) std::rethrow_exception(first_error);
  return stats;
}

}  // namespace detail

/// Runs `fn(const chunk&)` on `pool` for every line-aligned chunk of `in` (a `block_reader`).
template <class In, class Pool, class Fn>
chunk_stats for_each_chunk(In& in, Pool& pool, Fn&& fn, chunk_options opts = {}) {
  auto consume = [] {};
  auto map = [&fn](const chunk& c) { fn(c); };
  return detail::run_chunks(in, pool, map, consume, opts);
}

/// Runs `map(const chunk&) -> R` on `pool` and `consume(R&&)` on the caller, in input order.
template <class In, class Pool, class Map, class Consume>
chunk_stats for_each_chunk_ordered(In& in, Pool& pool, Map&& map, Consume&& consume,
                                   chunk_options opts = {}) {
  return detail::run_chunks(in, pool, map, consume, opts);
}

/// Runs `fn(std::string_view line)` on `pool` for every line of `in` (LF or CRLF, as
/// `line_reader` splits them), from several threads at once: `fn` must be thread-safe.
template <class In, class Pool, class Fn>
chunk_stats parallel_lines(In& in, Pool& pool, Fn&& fn, chunk_options opts = {}) {
  std::atomic<std::uint64_t> lines{0};
  auto map = [&](const chunk& c) {
    std::string_view d = c.data;
    detail::newline_scanner scan;
    scan.reset(d);
    std::uint64_t k = 0;
    std::size_t pos = 0;
    for (std::size_t nl = scan.next(); nl != detail::newline_scanner::npos; nl = scan.next()) {
      std::size_t len = nl - pos;
      if (len != 0 && d[nl - 1] == '\r') --len;
      fn(d.substr(pos, len));
      ++k;
      pos = nl + 1;
    }
    if (pos < d.size()) {  // the input's last line, without a line break
      fn(d.substr(pos));
      ++k;
    }
    lines.fetch_add(k, std::memory_order_relaxed);
  };
  auto consume = [] {};
  chunk_stats s = detail::run_chunks(in, pool, map, consume, opts);
  s.lines = lines.load(std::memory_order_relaxed);
  return s;
}

}  // namespace hotpath::inline HOTPATH_ABI::stream
