// hotpath/stream/format_error.hpp: the exception every stream reader throws for bad data.
//
// A `format_error` names the layer that found the problem (`gzip`, `bzip2`, `xz`, `csv`, ...),
// says what is wrong, and where: the compressed byte offset for codecs, plus the line number for
// record readers. `unverified()` is true when records decoded from data whose checksum had not
// been checked yet were already handed to the caller (gzip checks its CRC32 at the end of each
// member; bzip2 and xz check per block): the caller may need to roll those back.
//
//   try { for (auto line : reader) use(line); }
//   catch (const hotpath::stream::format_error& e) { log(e.what(), e.offset(), e.line()); }
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "hotpath/core/error.hpp"

namespace hotpath::inline HOTPATH_ABI::stream {

/// Corrupt, truncated or over-limit input, with the codec, the problem and the position.
class format_error : public hotpath::error {
 public:
  static constexpr std::uint64_t no_line = 0;

  format_error(std::string_view layer, std::string_view problem, std::uint64_t offset,
               std::uint64_t line = no_line, bool unverified = false)
      : hotpath::error(describe(layer, problem, offset, line, unverified)),
        layer_(layer),
        problem_(problem),
        offset_(offset),
        line_(line),
        unverified_(unverified) {}

  /// Which layer found it: "gzip", "bzip2", "xz", "zstd", "plain", "line", "csv", "jsonl".
  [[nodiscard]] const std::string& layer() const noexcept { return layer_; }
  /// The problem alone, without the position.
  [[nodiscard]] const std::string& problem() const noexcept { return problem_; }
  /// Byte offset in the compressed (raw) input where the problem was found.
  [[nodiscard]] std::uint64_t offset() const noexcept { return offset_; }
  /// 1-based line number at the record layer; 0 (`no_line`) when not known.
  [[nodiscard]] std::uint64_t line() const noexcept { return line_; }
  /// True when data from a not-yet-verified block or member was already delivered.
  [[nodiscard]] bool unverified() const noexcept { return unverified_; }

  /// The same error seen from a record layer, which knows the line.
  [[nodiscard]] format_error with_line(std::uint64_t line) const {
    return format_error(layer_, problem_, offset_, line, unverified_);
  }

 private:
  static std::string describe(std::string_view layer, std::string_view problem,
                              std::uint64_t offset, std::uint64_t line, bool unverified) {
    std::string msg = hotpath::detail::concat("hotpath::stream ", layer, ": ", problem,
                                              " at input byte offset ", offset);
    if (line != no_line) msg += hotpath::detail::concat(", line ", line);
    if (unverified) msg += " (records decoded from this unverified block were already delivered)";
    return msg;
  }

  std::string layer_;
  std::string problem_;
  std::uint64_t offset_;
  std::uint64_t line_;
  bool unverified_;
};

namespace detail {
using hotpath::detail::concat;
using hotpath::detail::throw_error;

[[noreturn]] HOTPATH_COLD inline void throw_format(std::string_view layer, std::string problem,
                                                   std::uint64_t offset, bool unverified = false) {
  throw format_error(layer, problem, offset, format_error::no_line, unverified);
}
}  // namespace detail

}  // namespace hotpath::inline HOTPATH_ABI::stream
