// hotpath/stream/block_reader.hpp: a source and a codec joined: decoded bytes, block by block.
//
// `next()` returns the next block of decoded bytes, valid until the following call, and an
// empty view at the end of the input. Plain input from a zero-copy source (mmap, memory) is
// handed through without a copy. The reader enforces `max_decoded_bytes` (the guard against
// decompression bombs), reports progress, and turns the end of the input into the codec's
// `finish()`, so a truncated file is a `format_error`, never a silent short read. Record readers
// (`line_reader`, `csv_reader`, `jsonl_reader`) are built on it. Single-threaded.
//
//   hotpath::stream::block_reader<hotpath::stream::file_source> in(
//       hotpath::stream::file_source("dump.xz"), {.codec = {.xz_threads = 2}});
//   for (auto b = in.next(); !b.empty(); b = in.next()) digest.update(b);
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <memory>
#include <optional>
#include <span>
#include <string_view>
#include <utility>

#include "hotpath/core/clock.hpp"
#include "hotpath/core/error.hpp"
#include "hotpath/stream/auto_detect.hpp"
#include "hotpath/stream/codec.hpp"
#include "hotpath/stream/detail/aligned_buffer.hpp"
#include "hotpath/stream/format_error.hpp"
#include "hotpath/stream/progress.hpp"
#include "hotpath/stream/source.hpp"

namespace hotpath::inline HOTPATH_ABI::stream {

/// Options of the decoding layer, shared by every reader.
struct input_options {
  codec_options codec{};
  /// Size of the decoded blocks (and of the decode buffer) in bytes.
  std::size_t buffer_bytes = std::size_t{256} << 10;
  /// Decompression-bomb guard: more decoded bytes than this is a `format_error`; 0 = no cap.
  std::uint64_t max_decoded_bytes = 0;
  /// Progress reports; see progress.hpp.
  progress_callback on_progress{};
  std::chrono::nanoseconds progress_interval = std::chrono::milliseconds(200);
};

/// Decoded blocks from a source through a codec; see the header comment.
template <byte_source Source, codec Codec = auto_detect,
          hotpath::clock Clock = std::chrono::steady_clock>
class block_reader {
 public:
  using source_type = Source;
  using codec_type = Codec;

  explicit block_reader(Source source, input_options opts = {}, Clock clock = {})
      : source_(std::move(source)),
        codec_(opts.codec),
        opts_(std::move(opts)),
        clock_(std::move(clock)),
        start_(clock_.now()),
        last_report_(start_) {
    if (opts_.buffer_bytes == 0)
      hotpath::detail::throw_error("hotpath::stream block_reader: buffer_bytes is 0");
    buf_ = detail::make_aligned_buffer(opts_.buffer_bytes);
  }

  /// The next decoded block; empty once the input is over (and checked complete).
  std::string_view next() {
    if (held_) std::rethrow_exception(std::exchange(held_, nullptr));
    while (true) {
      if (in_.empty() && !eof_) {
        in_ = source_.next();
        if (in_.empty()) eof_ = true;
      }
      if (!in_.empty() && codec_.passthrough()) {
        std::string_view b = std::exchange(in_, std::string_view{});
        return deliver(b);
      }
      decode_step s = codec_.decode(in_, {buf_.get(), opts_.buffer_bytes}, eof_);
      in_.remove_prefix(s.in_used);
      if (s.out_made != 0) {
        // Fill the block from the input at hand (a member or stream boundary stops a codec
        // early), but do not wait for more input: a pipe's reader gets what is decodable.
        // An error met while filling waits for the next call: the good bytes go out first.
        std::size_t made = s.out_made;
        try {
          while (made < opts_.buffer_bytes && !in_.empty()) {
            s = codec_.decode(in_, {buf_.get() + made, opts_.buffer_bytes - made}, eof_);
            in_.remove_prefix(s.in_used);
            made += s.out_made;
            if (s.in_used == 0 && s.out_made == 0) break;
          }
        } catch (const format_error&) {
          held_ = std::current_exception();
        }
        return deliver({buf_.get(), made});
      }
      if (s.in_used == 0 && eof_) {
        if (!finished_) {
          codec_.finish();
          finished_ = true;
          report(true);
        }
        return {};
      }
    }
  }

  /// `next()` for a record layer: a codec error that knows no line gets `line`, the line being
  /// read when it struck.
  std::string_view next_at_line(std::uint64_t line) {
    try {
      return next();
    } catch (const format_error& e) {
      if (e.line() != format_error::no_line) throw;
      throw e.with_line(line);
    }
  }

  /// Raw bytes the codec has used so far (the compressed offset of the decoded bytes).
  [[nodiscard]] std::uint64_t consumed() const noexcept { return source_.consumed() - in_.size(); }
  /// Decoded bytes handed out so far.
  [[nodiscard]] std::uint64_t produced() const noexcept { return produced_; }
  /// The raw input's size, when the source knows it.
  [[nodiscard]] std::optional<std::uint64_t> total() const noexcept { return source_.size(); }
  /// True once `next()` has returned the final empty block.
  [[nodiscard]] bool done() const noexcept { return finished_; }
  [[nodiscard]] Codec& codec() noexcept { return codec_; }
  [[nodiscard]] const Codec& codec() const noexcept { return codec_; }
  [[nodiscard]] Source& source() noexcept { return source_; }

 private:
  std::string_view deliver(std::string_view b) {
    produced_ += b.size();
    if (opts_.max_decoded_bytes != 0 && produced_ > opts_.max_decoded_bytes)
      detail::throw_format(codec_.name(),
                           hotpath::detail::concat("decoded size exceeds max_decoded_bytes (",
                                                   opts_.max_decoded_bytes, ")"),
                           consumed());
    if (opts_.on_progress) report(false);
    return b;
  }

  void report(bool done) {
    if (!opts_.on_progress) return;
    auto now = clock_.now();
    if (!done && now - last_report_ < opts_.progress_interval) return;
    last_report_ = now;
    progress_info p;
    p.consumed = consumed();
    p.produced = produced_;
    p.total = source_.size();
    p.elapsed_seconds = std::chrono::duration<double>(now - start_).count();
    if (p.elapsed_seconds > 0)
      p.bytes_per_second = static_cast<double>(p.consumed) / p.elapsed_seconds;
    if (p.total && p.bytes_per_second > 0 && *p.total >= p.consumed)
      p.eta_seconds = static_cast<double>(*p.total - p.consumed) / p.bytes_per_second;
    p.done = done;
    opts_.on_progress(p);
  }

  Source source_;
  Codec codec_;
  input_options opts_;
  Clock clock_;
  typename Clock::time_point start_;
  typename Clock::time_point last_report_;
  detail::aligned_buffer buf_;
  std::string_view in_;
  bool eof_ = false;
  bool finished_ = false;
  std::exception_ptr held_;  // a decoding error found after good bytes of the same block
  std::uint64_t produced_ = 0;
};

}  // namespace hotpath::inline HOTPATH_ABI::stream
