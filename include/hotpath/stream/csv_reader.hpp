// hotpath/stream/csv_reader.hpp: RFC 4180 CSV records of a (possibly compressed) input.
//
// `next()` returns the next row as a `csv_row` of field views, valid until the following call.
// Quoted fields may hold the delimiter, `""` (an escaped quote) and line breaks (LF or CRLF,
// kept as they are). Rows end at LF or CRLF; a final row without a line break is a row. Blank
// lines are skipped. With `header`, the first row names the columns (`column("name")`,
// `row["name"]`) and is not returned. Policies for what RFC 4180 leaves open:
//   - a quote inside an unquoted field (`a,b"c,d`) is data, as in Python's csv module;
//   - anything but a delimiter or a line break after a closing quote (`"ab"c`) is an error;
//   - a row whose field count differs from the first row's is an error by default
//     (`ragged_rows::error`), or returned as it is (`ragged_rows::allow`); never dropped;
//   - a quote still open at the end of the input is an error naming the line where the field
//     began; a UTF-8 byte order mark at the start is skipped (when the first decoded block
//     holds it whole, which only a source of 1- or 2-byte blocks would prevent).
// Errors are `format_error`s with the layer "csv", the line and the input offset.
// Fields are views into the decoded block when they can be (no copy); a row that spans blocks
// is assembled in a buffer of the reader, and fields with `""` are unescaped into another.
// Single-threaded.
//
//   hotpath::stream::csv_reader rows(hotpath::stream::file_source("events.csv.gz"));
//   auto user = rows.column("user").value();
//   while (auto row = rows.next()) count[std::string((*row)[user])]++;
#pragma once

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "hotpath/stream/block_reader.hpp"

namespace hotpath::inline HOTPATH_ABI::stream {

/// What a CSV reader does with a row whose field count differs from the first row's.
enum class ragged_rows {
  error,  ///< `format_error` with the row's line (the default)
  allow,  ///< return the row with the fields it has
};

/// One CSV row: field views valid until the reader's next call.
class csv_row {
 public:
  csv_row(std::span<const std::string_view> fields, std::uint64_t line,
          const std::vector<std::string>* header) noexcept
      : fields_(fields), line_(line), header_(header) {}

  [[nodiscard]] std::size_t size() const noexcept { return fields_.size(); }
  [[nodiscard]] std::string_view operator[](std::size_t i) const noexcept { return fields_[i]; }
  /// The field of the header column `name`; throws `hotpath::error` for an unknown column.
  [[nodiscard]] std::string_view operator[](std::string_view name) const {
    if (header_ != nullptr) {
      for (std::size_t i = 0; i < header_->size(); ++i) {
        if ((*header_)[i] == name) {
          if (i < fields_.size()) return fields_[i];
          break;
        }
      }
    }
    hotpath::detail::throw_error("hotpath::stream csv_row: no column '", name, "' in row at line ",
                                 line_);
  }
  /// The 1-based line where the row begins.
  [[nodiscard]] std::uint64_t line() const noexcept { return line_; }
  [[nodiscard]] auto begin() const noexcept { return fields_.begin(); }
  [[nodiscard]] auto end() const noexcept { return fields_.end(); }
  [[nodiscard]] std::span<const std::string_view> fields() const noexcept { return fields_; }

 private:
  std::span<const std::string_view> fields_;
  std::uint64_t line_;
  const std::vector<std::string>* header_;
};

/// Reads CSV rows; see the header comment.
template <byte_source Source, codec Codec = auto_detect,
          hotpath::clock Clock = std::chrono::steady_clock>
class csv_reader {
 public:
  struct options {
    input_options input{};
    char delimiter = ',';
    char quote = '"';
    /// The first row names the columns and is not returned as a row.
    bool header = true;
    ragged_rows ragged = ragged_rows::error;
    /// A longer row is a `format_error` (guards memory against a quote that never closes).
    std::size_t max_record_bytes = std::size_t{64} << 20;
  };

  explicit csv_reader(Source source, options opts = {}, Clock clock = {})
      : in_(std::move(source), std::move(opts.input), std::move(clock)),
        delim_(opts.delimiter),
        quote_(opts.quote),
        ragged_(opts.ragged),
        max_record_(opts.max_record_bytes) {
    if (delim_ == quote_ || delim_ == '\n' || delim_ == '\r' || quote_ == '\n' || quote_ == '\r')
      hotpath::detail::throw_error(
          "hotpath::stream csv_reader: delimiter and quote must differ and not "
          "be line breaks");
    special_[static_cast<unsigned char>(delim_)] = true;
    special_['\n'] = true;
    if (opts.header) read_header();
  }

  /// The next row, or nullopt at the end of the input.
  std::optional<csv_row> next() {
    while (true) {
      status s = parse_row();
      if (s == status::end) return std::nullopt;
      if (s == status::blank) continue;
      finish_row();
      ++rows_;
      return csv_row(views_, row_line_, header_.empty() ? nullptr : &header_);
    }
  }

  /// Column names from the header row (empty without a header).
  [[nodiscard]] const std::vector<std::string>& header() const noexcept { return header_; }
  /// The index of the header column `name`.
  [[nodiscard]] std::optional<std::size_t> column(std::string_view name) const noexcept {
    for (std::size_t i = 0; i < header_.size(); ++i)
      if (header_[i] == name) return i;
    return std::nullopt;
  }
  /// Rows returned so far (the header not counted).
  [[nodiscard]] std::uint64_t rows() const noexcept { return rows_; }
  /// The decoding layer: offsets, progress, the codec.
  [[nodiscard]] block_reader<Source, Codec, Clock>& input() noexcept { return in_; }

 private:
  enum class status { row, blank, end };
  struct field_ref {
    std::size_t begin, end;
    bool unescape;
  };

  void read_header() {
    status s;
    do
      s = parse_row();
    while (s == status::blank);
    if (s == status::end) return;
    finish_row();
    header_.assign(views_.begin(), views_.end());
  }

  // Parses one row into fields_, fetching input as needed. Offsets are into w_; every refill
  // shifts them down by the returned delta.
  status parse_row() {
    fields_.clear();
    row_start_ = pos_;
    row_line_ = line_ + 1;
    std::size_t i = pos_;
    while (true) {
      // At the start of a field.
      if (i == w_.size()) {
        std::size_t d = 0;
        bool more = refill(d);
        i -= d;
        if (!more) {
          if (fields_.empty()) return status::end;
          fields_.push_back({i, i, false});  // "a," at the end: a last, empty field
          pos_ = i;
          return status::row;
        }
        continue;
      }
      if (w_[i] == quote_) {
        std::uint64_t field_line = line_ + 1;
        std::size_t j = i + 1;
        bool esc = false;
        while (true) {
          const char* base = w_.data();
          const auto* q = static_cast<const char*>(std::memchr(base + j, quote_, w_.size() - j));
          std::size_t stop = q != nullptr ? static_cast<std::size_t>(q - base) : w_.size();
          count_lines(j, stop);
          j = stop;
          if (q == nullptr || j + 1 == w_.size()) {
            // Out of input inside the field, or on a quote whose meaning the next byte tells.
            std::size_t d = 0;
            bool more = refill(d);
            i -= d;
            j -= d;
            if (!more) {
              if (q == nullptr) unterminated(field_line);
              break;  // a closing quote at the very end of the input
            }
            continue;
          }
          if (w_[j + 1] == quote_) {
            esc = true;
            j += 2;
            continue;
          }
          break;  // the closing quote
        }
        fields_.push_back({i + 1, j, esc});
        i = j + 1;
        // After a closing quote: a delimiter, a line break or the end.
        if (i == w_.size()) {
          std::size_t d = 0;
          bool more = refill(d);
          i -= d;
          if (!more) {
            pos_ = i;
            return status::row;
          }
        }
        char c = w_[i];
        if (c == delim_) {
          ++i;
          continue;
        }
        if (c == '\n') {
          ++line_;
          pos_ = i + 1;
          return status::row;
        }
        if (c == '\r') {
          if (i + 1 == w_.size()) {
            std::size_t d = 0;
            bool more = refill(d);
            i -= d;
            if (!more) {  // CR as the input's last byte ends the row
              pos_ = i + 1;
              return status::row;
            }
          }
          if (w_[i + 1] == '\n') {
            ++line_;
            pos_ = i + 2;
            return status::row;
          }
        }
        bad_after_quote();
      }
      // An unquoted field: up to a delimiter or LF.
      std::size_t j = i;
      while (true) {
        const char* p = w_.data();
        const std::size_t n = w_.size();
        while (j < n && !special_[static_cast<unsigned char>(p[j])])
          ++j;
        if (j < n) break;
        std::size_t d = 0;
        bool more = refill(d);
        i -= d;
        j -= d;
        if (!more) {
          // The last row has no line break.
          if (fields_.empty() && j == i) return status::end;
          fields_.push_back({i, j, false});
          pos_ = j;
          return status::row;
        }
      }
      if (w_[j] == delim_) {
        fields_.push_back({i, j, false});
        i = j + 1;
        continue;
      }
      // LF ends the row; a CR right before it belongs to the line break.
      std::size_t end = j;
      if (end > i && w_[end - 1] == '\r') --end;
      ++line_;
      pos_ = j + 1;
      if (fields_.empty() && end == i) return status::blank;
      fields_.push_back({i, end, false});
      return status::row;
    }
  }

  // Makes more input follow the row being parsed; false at the end of the input. The row's
  // bytes move to the front of carry_ first, since the next block may reuse the memory under
  // them; offsets into w_ shift down by `delta`.
  bool refill(std::size_t& delta) {
    delta = row_start_;
    bool partial = row_start_ < w_.size();
    if (partial) {
      if (in_carry_) {
        carry_.erase(0, row_start_);
      } else {
        carry_.assign(w_.substr(row_start_));
        in_carry_ = true;
      }
      if (carry_.size() > max_record_) too_long();
      w_ = carry_;
    } else {
      w_ = {};
      in_carry_ = false;
    }
    for (auto& f : fields_) {
      f.begin -= delta;
      f.end -= delta;
    }
    pos_ -= delta;  // pos_ is where the row began, row_start_: now 0
    row_start_ = 0;
    if (in_.done()) return false;
    std::string_view b;
    do {
      b = in_.next_at_line(line_ + 1);
      if (first_block_) {
        first_block_ = false;
        if (b.starts_with("\xEF\xBB\xBF")) b.remove_prefix(3);
      }
    } while (b.empty() && !in_.done());
    if (b.empty()) return false;
    if (partial) {
      carry_.append(b);
      w_ = carry_;
    } else {
      w_ = b;
    }
    return true;
  }

  void count_lines(std::size_t from, std::size_t to) noexcept {
    const char* p = w_.data();
    for (std::size_t k = from; k < to; ++k)
      line_ += p[k] == '\n';
  }

  // Turns fields_ into views_ (unescaping `""` into scratch_) and applies the ragged policy.
  void finish_row() {
    std::size_t need = 0;
    for (const auto& f : fields_)
      if (f.unescape) need += f.end - f.begin;
    scratch_.clear();
    scratch_.reserve(need);  // views into scratch_ must not move
    views_.clear();
    for (const auto& f : fields_) {
      std::string_view raw = w_.substr(f.begin, f.end - f.begin);
      if (!f.unescape) {
        views_.push_back(raw);
        continue;
      }
      std::size_t at = scratch_.size();
      for (std::size_t k = 0; k < raw.size(); ++k) {
        scratch_.push_back(raw[k]);
        if (raw[k] == quote_) ++k;  // the second quote of a pair
      }
      views_.emplace_back(scratch_.data() + at, scratch_.size() - at);
    }
    if (expected_ == 0) {
      expected_ = views_.size();
    } else if (views_.size() != expected_ && ragged_ == ragged_rows::error) {
      throw format_error(
          "csv",
          hotpath::detail::concat("row has ", views_.size(), " fields, expected ", expected_),
          in_.consumed(), row_line_, false);
    }
  }

  [[noreturn]] HOTPATH_COLD void unterminated(std::uint64_t field_line) const {
    throw format_error(
        "csv",
        hotpath::detail::concat("unterminated quoted field (opened on line ", field_line, ")"),
        in_.consumed(), field_line, false);
  }
  [[noreturn]] HOTPATH_COLD void bad_after_quote() const {
    throw format_error("csv", "unexpected character after a closing quote", in_.consumed(),
                       line_ + 1, false);
  }
  [[noreturn]] HOTPATH_COLD void too_long() const {
    throw format_error(
        "csv", hotpath::detail::concat("row longer than max_record_bytes (", max_record_, ")"),
        in_.consumed(), row_line_, false);
  }

  block_reader<Source, Codec, Clock> in_;
  char delim_;
  char quote_;
  ragged_rows ragged_;
  std::size_t max_record_;
  std::array<bool, 256> special_{};
  std::string_view w_;
  std::size_t pos_ = 0;
  std::size_t row_start_ = 0;
  bool in_carry_ = false;
  bool first_block_ = true;
  std::string carry_;
  std::string scratch_;
  std::vector<field_ref> fields_;
  std::vector<std::string_view> views_;
  std::vector<std::string> header_;
  std::size_t expected_ = 0;
  std::uint64_t line_ = 0;
  std::uint64_t row_line_ = 0;
  std::uint64_t rows_ = 0;
};

template <byte_source Source>
csv_reader(Source) -> csv_reader<Source>;

}  // namespace hotpath::inline HOTPATH_ABI::stream
