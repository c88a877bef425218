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
// CMake defines HOTPATH_STREAM_HAS_SIMDJSON when it found it. Not thread-safe; simdjson may
// run stage 1 of the next 1 MiB of a batch on its own helper thread (Debian builds it with
// threads), which the reader joins before it moves on. `options::simdjson_thread = false`
// keeps the reader on the calling thread: what a pool worker wants (`for_each_chunk`), since
// the pool already has the cores busy.
//
//   hotpath::stream::jsonl_reader docs(hotpath::stream::file_source("events.jsonl.gz"));
//   while (auto doc = docs.next()) total += int64_t((*doc)["bytes"]);
#pragma once

#include <simdjson.h>

#include <algorithm>
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

#include "hotpath/stream/block_reader.hpp"
#include "hotpath/stream/detail/newline_scanner.hpp"

namespace hotpath::inline HOTPATH_ABI::stream {

/// What a JSON Lines reader does with a line that is not a valid document.
enum class bad_lines {
  error,  ///< `format_error` with the line number (the default)
  skip,   ///< count it (`skipped()`), tell `on_bad_line`, and go on
};

/// Reads JSON Lines documents; see the header comment.
///
/// How: complete lines are gathered into a batch (about one decoded block) and parsed with
/// simdjson's `parse_many`, which runs its SIMD stage over the whole batch at once: about twice
/// the speed of parsing line by line. Each document must begin on its own line and end before
/// that line does (only whitespace after it); the first document that breaks this, or fails to
/// parse, sends the rest of that batch through the exact line-by-line path, which finds the
/// offending line, so both paths give the same documents and the same errors.
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
    /// Let simdjson run stage 1 of the next 1 MiB of a batch on its own helper thread (when
    /// simdjson was built with threads; the reader joins it before it moves on).
    bool simdjson_thread = true;
  };

  explicit jsonl_reader(Source source, options opts = {}, Clock clock = {})
      : in_(std::move(source), std::move(opts.input), std::move(clock)),
        bad_(opts.bad),
        on_bad_(std::move(opts.on_bad_line)),
        max_line_(opts.max_line_bytes) {
    set_threaded(parser_, opts.simdjson_thread);
  }

  /// The next document's root, or nullopt at the end of the input.
  std::optional<simdjson::dom::element> next() {
    while (true) {
      if (mode_ == mode::batch) {
        if (advance_) {
          advance_ = false;
          ++it_;
        }
        if (it_ != stream_->end()) {
          if (auto doc = batch_doc()) return doc;
          mode_ = mode::by_line;  // fb_pos_ was set where the trouble starts
        } else {
          // What follows the last document: blank lines, or what parse_many left as a
          // truncated document, which the line path reports.
          mode_ = mode::by_line;
        }
      }
      if (mode_ == mode::by_line) {
        if (auto doc = line_doc()) return doc;
        mode_ = mode::need_batch;
      }
      if (!fill_batch()) return std::nullopt;
      start_batch();
    }
  }

  /// Starts over on another input, keeping what the parsers have allocated: a worker that
  /// validates chunk after chunk of a file (`for_each_chunk`) allocates once, not per chunk.
  /// Line numbers and counts start again from zero. Needs a move-assignable codec (`plain`
  /// for decoded chunks, which must not be sniffed for magic bytes).
  void reset(Source source, input_options input = {}, Clock clock = {}) {
    using input_reader = block_reader<Source, Codec, Clock>;
    in_ = input_reader(std::move(source), std::move(input), std::move(clock));
    first_ = true;
    batch_.clear();
    pending_ = {};
    len_ = 0;
    view_ = {};
    batch_first_line_ = 0;
    stream_.reset();
    it_ = {};
    advance_ = false;
    mode_ = mode::need_batch;
    nl_ = 0;
    nl_line_ = 0;
    last_doc_line_ = 0;
    fb_pos_ = 0;
    fb_line_ = 0;
    line_ = 0;
    docs_ = 0;
    skipped_ = 0;
  }

  /// The 1-based line of the document `next()` returned last.
  [[nodiscard]] std::uint64_t line_number() const noexcept { return line_; }
  /// Documents returned so far.
  [[nodiscard]] std::uint64_t documents() const noexcept { return docs_; }
  /// Bad lines skipped so far (`bad_lines::skip`).
  [[nodiscard]] std::uint64_t skipped() const noexcept { return skipped_; }
  /// The decoding layer: offsets, progress, the codec.
  [[nodiscard]] block_reader<Source, Codec, Clock>& input() noexcept { return in_; }

 private:
  enum class mode { need_batch, batch, by_line };

  // simdjson has the switch only when it was built with threads.
  template <class Parser>
  static void set_threaded(Parser& p, bool on) noexcept {
    if constexpr (requires { p.threaded = on; }) p.threaded = on;
  }

  // Gathers whole lines (the last one may lack its newline at the end of the input) into
  // batch_, with simdjson's padding after them; false when no input is left.
  bool fill_batch() {
    constexpr std::size_t target = std::size_t{8} << 20;  // 8 of simdjson's 1 MiB batches
    // Lines of the batch before: the scanner finishes counting them.
    if (len_ != 0) {
      while (nl_ != detail::newline_scanner::npos) {
        nl_ = scan_.next();
        ++nl_line_;
      }
      batch_first_line_ = nl_line_ - 1 + (view_.back() != '\n' ? 1 : 0);
      len_ = 0;
    }
    batch_.clear();
    while (true) {
      if (pending_.empty()) {
        if (in_.done()) break;
        pending_ = in_.next_at_line(batch_first_line_ + 1);
        if (first_) {
          first_ = false;
          if (pending_.starts_with("\xEF\xBB\xBF")) pending_.remove_prefix(3);
        }
        if (pending_.empty()) break;
      }
      // Up to the last line break within the target size, or on to the first one after it.
      std::size_t room = batch_.size() < target ? target - batch_.size() : 0;
      std::string_view head = pending_.substr(0, room);
      std::size_t nl = head.rfind('\n');
      if (nl == std::string_view::npos) {
        const void* p =
            std::memchr(pending_.data() + head.size(), '\n', pending_.size() - head.size());
        if (p != nullptr)
          nl = static_cast<std::size_t>(static_cast<const char*>(p) - pending_.data());
      }
      if (nl == std::string_view::npos) {
        batch_.append(pending_);
        pending_ = {};
        if (batch_.size() > max_line_) too_long();
        continue;
      }
      if (batch_.empty() && nl + 1 + simdjson::SIMDJSON_PADDING <= pending_.size()) {
        // The batch lies in the block, and the block's next bytes are the padding simdjson
        // reads past the end (it never writes there): parse it in place.
        view_ = pending_.substr(0, nl + 1);
        pending_.remove_prefix(nl + 1);
        return true;
      }
      batch_.append(pending_.substr(0, nl + 1));
      pending_.remove_prefix(nl + 1);
      break;
    }
    if (batch_.empty()) return false;
    std::size_t n = batch_.size();
    batch_.reserve(n + simdjson::SIMDJSON_PADDING);  // readable padding for simdjson
    view_ = std::string_view(batch_.data(), n);
    return true;
  }

  void start_batch() {
    len_ = view_.size();
    scan_.reset(view_);
    nl_ = scan_.next();
    nl_line_ = batch_first_line_ + 1;
    last_doc_line_ = 0;
    fb_pos_ = 0;
    fb_line_ = batch_first_line_;
    std::size_t batch_size = std::size_t{1} << 20;
    // The last batch's stream may still run stage 1 ahead on simdjson's thread, which reads
    // the stream object: destroying it joins that thread before a new stream takes its place.
    stream_.reset();
    stream_ = std::make_unique<simdjson::dom::document_stream>();
    if (parser_.parse_many(view_.data(), len_, batch_size).get(*stream_) != simdjson::SUCCESS) {
      mode_ = mode::by_line;
      return;
    }
    it_ = stream_->begin();
    advance_ = false;
    mode_ = mode::batch;
  }

  // The current document of the batch if it is a whole line of its own; otherwise nullopt,
  // with fb_pos_ at the line after the last document returned.
  std::optional<simdjson::dom::element> batch_doc() {
    auto doc = *it_;
    if (doc.error() != simdjson::SUCCESS) return std::nullopt;
    std::size_t start = it_.current_index();
    std::size_t end = start + it_.source().size();
    while (nl_ != detail::newline_scanner::npos && nl_ < start) {
      nl_ = scan_.next();
      ++nl_line_;
    }
    std::size_t line_end = nl_ == detail::newline_scanner::npos ? len_ : nl_;
    if (end > line_end || nl_line_ == last_doc_line_) return std::nullopt;
    for (std::size_t k = end; k < line_end; ++k) {
      char c = view_[k];
      if (c != ' ' && c != '\t' && c != '\r') return std::nullopt;
    }
    last_doc_line_ = nl_line_;
    fb_pos_ = line_end == len_ ? len_ : line_end + 1;
    fb_line_ = nl_line_;
    line_ = nl_line_;
    ++docs_;
    advance_ = true;
    return doc.value_unsafe();
  }

  // Line by line from fb_pos_ to the end of the batch: exact errors and line numbers.
  std::optional<simdjson::dom::element> line_doc() {
    while (fb_pos_ < len_) {
      const char* b = view_.data() + fb_pos_;
      const auto* nl = static_cast<const char*>(std::memchr(b, '\n', len_ - fb_pos_));
      std::size_t n = nl != nullptr ? static_cast<std::size_t>(nl - b) : len_ - fb_pos_;
      fb_pos_ += n + (nl != nullptr ? 1 : 0);
      ++fb_line_;
      std::string_view l(b, n);
      if (!l.empty() && l.back() == '\r') l.remove_suffix(1);
      if (l.find_first_not_of(" \t") == std::string_view::npos) continue;
      if (l.size() + simdjson::SIMDJSON_PADDING > cap_) grow(l.size());
      std::memcpy(buf_.get(), l.data(), l.size());
      auto res = line_parser_.parse(buf_.get(), l.size(), false);
      line_ = fb_line_;
      if (res.error() == simdjson::SUCCESS) {
        ++docs_;
        return res.value_unsafe();
      }
      const char* why = simdjson::error_message(res.error());
      if (bad_ == bad_lines::error)
        throw format_error("jsonl", hotpath::detail::concat("invalid JSON document: ", why),
                           in_.consumed(), fb_line_, false);
      ++skipped_;
      if (on_bad_) on_bad_(fb_line_, why);
    }
    return std::nullopt;
  }

  void grow(std::size_t len) {
    cap_ = std::max(cap_ * 2, len + simdjson::SIMDJSON_PADDING);
    buf_ = std::make_unique_for_overwrite<char[]>(cap_);
    std::memset(buf_.get(), 0, cap_);
  }

  [[noreturn]] HOTPATH_COLD void too_long() const {
    throw format_error("line",
                       hotpath::detail::concat("line longer than max_line_bytes (", max_line_, ")"),
                       in_.consumed(), batch_first_line_ + 1, false);
  }

  block_reader<Source, Codec, Clock> in_;
  bad_lines bad_;
  std::function<void(std::uint64_t, std::string_view)> on_bad_;
  std::size_t max_line_;
  bool first_ = true;
  std::string batch_;
  std::string_view pending_;  // the rest of the decoded block read last
  std::size_t len_ = 0;
  std::string_view view_;               // the batch: batch_, or a stretch of the block
  std::uint64_t batch_first_line_ = 0;  // lines before the batch
  simdjson::dom::parser parser_;
  std::unique_ptr<simdjson::dom::document_stream> stream_;  // one per batch
  simdjson::dom::document_stream::iterator it_;
  bool advance_ = false;
  mode mode_ = mode::need_batch;
  detail::newline_scanner scan_;
  std::size_t nl_ = 0;
  std::uint64_t nl_line_ = 0;
  std::uint64_t last_doc_line_ = 0;
  std::size_t fb_pos_ = 0;
  std::uint64_t fb_line_ = 0;
  simdjson::dom::parser line_parser_;
  std::unique_ptr<char[]> buf_;
  std::size_t cap_ = 0;
  std::uint64_t line_ = 0;
  std::uint64_t docs_ = 0;
  std::uint64_t skipped_ = 0;
};

template <byte_source Source>
jsonl_reader(Source) -> jsonl_reader<Source>;

}  // namespace hotpath::inline HOTPATH_ABI::stream
