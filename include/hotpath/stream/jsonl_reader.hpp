// hotpath/stream/jsonl_reader.hpp: JSON Lines documents of a (possibly compressed) input.
//
// One JSON document per line, parsed and fully validated (structure and UTF-8) by simdjson's DOM
// parser; `next()` returns the document's root element, valid until the following call. Lines
// end at LF or CRLF (as `line_reader` splits them); blank lines (only spaces and tabs) are
// skipped, and so is a UTF-8 byte order mark at the start. A line that is not one valid JSON
// document (a truncated last record, invalid UTF-8, two documents on one line, text between
// documents) is, by `bad_lines` policy, a `format_error` naming the line, raised only after
// every good line before it was returned (`error`, the default), or counted and skipped
// (`skip`, with an optional callback). Needs simdjson (Debian `libsimdjson-dev`); hotpath's
// CMake defines HOTPATH_STREAM_HAS_SIMDJSON when it found it. Single-threaded.
//
//   hotpath::stream::jsonl_reader docs(hotpath::stream::file_source("events.jsonl.gz"));
//   while (auto doc = docs.next()) total += int64_t((*doc)["bytes"]);
#pragma once

#include <simdjson.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "hotpath/stream/line_reader.hpp"

namespace hotpath::inline HOTPATH_ABI::stream {

/// What a JSON Lines reader does with a line that is not a valid document.
enum class bad_lines {
  error,  ///< `format_error` with the line number (the default)
  skip,   ///< count it (`skipped()`), tell `on_bad_line`, and go on
};

/// Reads JSON Lines documents; see the header comment.
template <byte_source Source, codec Codec = auto_detect,
          hotpath::clock Clock = std::chrono::steady_clock>
class jsonl_reader {
 public:
  struct options {
    input_options input{};
    bad_lines bad = bad_lines::error;
    /// Called for each skipped line with its number and simdjson's reason (`skip` only).
    std::function<void(std::uint64_t line, std::string_view reason)> on_bad_line{};
    std::size_t max_line_bytes = std::size_t{64} << 20;
  };

  explicit jsonl_reader(Source source, options opts = {}, Clock clock = {})
      : lines_(std::move(source),
               {.input = std::move(opts.input), .max_line_bytes = opts.max_line_bytes},
               std::move(clock)),
        bad_(opts.bad),
        on_bad_(std::move(opts.on_bad_line)) {}

  /// The next document's root, or nullopt at the end of the input.
  std::optional<simdjson::dom::element> next() {
    while (auto line = lines_.next()) {
      std::string_view l = *line;
      if (lines_.line_number() == 1 && l.starts_with("\xEF\xBB\xBF")) l.remove_prefix(3);
      if (l.find_first_not_of(" \t") == std::string_view::npos) continue;
      // simdjson reads up to SIMDJSON_PADDING bytes past the end: parse from a padded copy.
      if (l.size() + simdjson::SIMDJSON_PADDING > cap_) grow(l.size());
      std::memcpy(buf_.get(), l.data(), l.size());
      auto res = parser_.parse(buf_.get(), l.size(), false);
      if (res.error() == simdjson::SUCCESS) {
        ++docs_;
        return res.value_unsafe();
      }
      const char* why = simdjson::error_message(res.error());
      if (bad_ == bad_lines::error)
        throw format_error("jsonl", hotpath::detail::concat("invalid JSON document: ", why),
                           lines_.input().consumed(), lines_.line_number(), false);
      ++skipped_;
      if (on_bad_) on_bad_(lines_.line_number(), why);
    }
    return std::nullopt;
  }

  /// The 1-based line of the document `next()` returned last.
  [[nodiscard]] std::uint64_t line_number() const noexcept { return lines_.line_number(); }
  /// Documents returned so far.
  [[nodiscard]] std::uint64_t documents() const noexcept { return docs_; }
  /// Bad lines skipped so far (`bad_lines::skip`).
  [[nodiscard]] std::uint64_t skipped() const noexcept { return skipped_; }
  /// The decoding layer: offsets, progress, the codec.
  [[nodiscard]] block_reader<Source, Codec, Clock>& input() noexcept { return lines_.input(); }

 private:
  void grow(std::size_t len) {
    cap_ = std::max(cap_ * 2, len + simdjson::SIMDJSON_PADDING);
    buf_ = std::make_unique_for_overwrite<char[]>(cap_);
    std::memset(buf_.get(), 0, cap_);
  }

  line_reader<Source, Codec, Clock> lines_;
  bad_lines bad_;
  std::function<void(std::uint64_t, std::string_view)> on_bad_;
  simdjson::dom::parser parser_;
  std::unique_ptr<char[]> buf_;
  std::size_t cap_ = 0;
  std::uint64_t docs_ = 0;
  std::uint64_t skipped_ = 0;
};

template <byte_source Source>
jsonl_reader(Source) -> jsonl_reader<Source>;

}  // namespace hotpath::inline HOTPATH_ABI::stream
