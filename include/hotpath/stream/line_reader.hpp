// hotpath/stream/line_reader.hpp: lines of a (possibly compressed) input, in bounded memory.
//
// `next()` returns the next line without its terminator (LF, or CRLF: a CR is dropped only
// right before an LF), as a view valid until the following call; lines are views into the
// decoded block unless they span blocks, when they are assembled in a buffer of the reader. A
// final line without a newline is returned; an input ending in a newline has no empty last line.
// NUL bytes are data. A line longer than `max_line_bytes` is a `format_error` naming its line
// number; so is any codec error, which also carries the compressed offset. Single-threaded.
//
//   hotpath::stream::line_reader lines(hotpath::stream::mmap_source("app.log"));
//   for (std::string_view line : lines) count += line.starts_with("ERROR");
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <iterator>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "hotpath/stream/block_reader.hpp"
#include "hotpath/stream/detail/newline_scanner.hpp"

namespace hotpath::inline HOTPATH_ABI::stream {

/// Reads lines; see the header comment.
template <byte_source Source, codec Codec = auto_detect,
          hotpath::clock Clock = std::chrono::steady_clock>
class line_reader {
 public:
  struct options {
    input_options input{};
    /// A longer line (counted without its LF; a CR before it counts) is a `format_error`; it
    /// guards memory against input without newlines.
    std::size_t max_line_bytes = std::size_t{64} << 20;
  };

  explicit line_reader(Source source, options opts = {}, Clock clock = {})
      : in_(std::move(source), std::move(opts.input), std::move(clock)),
        max_line_(opts.max_line_bytes) {}

  /// The next line, or nullopt at the end of the input.
  std::optional<std::string_view> next() {
    // The common case, a whole line inside the current block, stays small enough to inline.
    if (HOTPATH_LIKELY(pos_ < block_.size())) {
      std::size_t at = scan_.next();
      if (HOTPATH_LIKELY(at != detail::newline_scanner::npos)) {
        const char* b = block_.data() + pos_;
        std::size_t len = at - pos_;
        pos_ = at + 1;
        ++line_;
        if (HOTPATH_UNLIKELY(len > max_line_)) too_long(len, line_);
        if (len != 0 && b[len - 1] == '\r') --len;
        return std::string_view(b, len);
      }
      return spanning_line();
    }
    return next_block_line();
  }

  /// The 1-based number of the line `next()` returned last (0 before the first).
  [[nodiscard]] std::uint64_t line_number() const noexcept { return line_; }
  /// The decoding layer: offsets, progress, the codec.
  [[nodiscard]] block_reader<Source, Codec, Clock>& input() noexcept { return in_; }

  class iterator {
   public:
    using iterator_category = std::input_iterator_tag;
    using value_type = std::string_view;
    using difference_type = std::ptrdiff_t;

    iterator() = default;
    explicit iterator(line_reader* r) : r_(r) { ++*this; }
    std::string_view operator*() const noexcept { return cur_; }
    iterator& operator++() {
      if (auto l = r_->next()) {
        cur_ = *l;
      } else {
        r_ = nullptr;
      }
      return *this;
    }
    void operator++(int) { ++*this; }
    friend bool operator==(const iterator& it, std::default_sentinel_t) noexcept {
      return it.r_ == nullptr;
    }

   private:
    line_reader* r_ = nullptr;
    std::string_view cur_;
  };
  /// Single pass: iterating again continues where the last loop stopped.
  iterator begin() { return iterator(this); }
  std::default_sentinel_t end() const noexcept { return {}; }

 private:
  // The rest of the block holds no LF: the line continues in the next blocks.
  HOTPATH_NOINLINE std::optional<std::string_view> spanning_line() {
    carry_.clear();
    std::size_t n = block_.size() - pos_;
    if (n > max_line_) too_long(n, line_ + 1);
    carry_.append(block_.data() + pos_, n);
    pos_ = block_.size();
    while (fetch()) {
      std::size_t at = scan_.next();
      if (at != detail::newline_scanner::npos) {
        pos_ = at + 1;
        ++line_;
        if (carry_.size() + at > max_line_) too_long(carry_.size() + at, line_);
        carry_.append(block_.data(), at);
        if (!carry_.empty() && carry_.back() == '\r') carry_.pop_back();
        return std::string_view(carry_);
      }
      if (carry_.size() + block_.size() > max_line_)
        too_long(carry_.size() + block_.size(), line_ + 1);
      carry_.append(block_);
      pos_ = block_.size();
    }
    ++line_;  // a final line without a newline
    return std::string_view(carry_);
  }

  // The current block is used up: the next line starts in a later one.
  HOTPATH_NOINLINE std::optional<std::string_view> next_block_line() {
    while (fetch()) {
      std::size_t at = scan_.next();
      if (at != detail::newline_scanner::npos) {
        pos_ = at + 1;
        ++line_;
        std::size_t len = at;
        if (len > max_line_) too_long(len, line_);
        if (len != 0 && block_[len - 1] == '\r') --len;
        return std::string_view(block_.data(), len);
      }
      return spanning_line();  // fetch() hands out only non-empty blocks
    }
    return std::nullopt;
  }

  bool fetch() {
    if (in_.done()) return false;
    block_ = in_.next_at_line(line_ + 1);
    pos_ = 0;
    scan_.reset(block_);
    return !block_.empty();
  }

  [[noreturn]] HOTPATH_COLD void too_long(std::size_t len, std::uint64_t line) const {
    throw format_error("line",
                       hotpath::detail::concat("line longer than max_line_bytes (", max_line_,
                                               "; at least ", len, " bytes)"),
                       in_.consumed(), line, false);
  }

  block_reader<Source, Codec, Clock> in_;
  std::size_t max_line_;
  std::string_view block_;
  std::size_t pos_ = 0;
  detail::newline_scanner scan_;
  std::string carry_;
  std::uint64_t line_ = 0;
};

template <byte_source Source>
line_reader(Source) -> line_reader<Source>;

}  // namespace hotpath::inline HOTPATH_ABI::stream
