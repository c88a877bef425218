// hotpath/stream/codec.hpp: what a codec is, the options every codec reads, and `plain`.
//
// A codec turns raw input into decoded bytes, one call at a time, like zlib's `inflate`:
// `decode(in, out, last)` uses a prefix of `in`, writes a prefix of `out`, and reports both;
// `last` says no input follows `in`. Once the input is over and `decode` makes no more progress,
// the reader calls `finish()`, which throws `format_error` when the input stopped inside a
// member, block or trailer. Codecs count the bytes they used, so every error carries its
// compressed offset. A codec that can hand its input through unchanged says so with
// `passthrough()`, and the reader then skips the copy.
//
//   hotpath::stream::block_reader<hotpath::stream::file_source, hotpath::stream::xz> r(...);
#pragma once

#include <algorithm>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <string_view>

#include "hotpath/config.hpp"

namespace hotpath::inline HOTPATH_ABI::stream {

/// What one `decode` call did.
struct decode_step {
  std::size_t in_used = 0;   ///< bytes of `in` consumed
  std::size_t out_made = 0;  ///< bytes written to the front of `out`
};

/// What to do with bytes after the last complete gzip member, bzip2 or xz stream, zstd frame.
enum class trailing_data {
  error,   ///< `format_error` at the first byte that does not start a member (the default)
  ignore,  ///< stop decoding there and ignore the rest, as `gzip -d` does with a warning
};

/// Options every codec is built from; each codec reads the fields that concern it.
struct codec_options {
  trailing_data trailing = trailing_data::error;
  /// xz: decoder threads for multi-block streams (liblzma's threaded decoder); 1 = single.
  unsigned xz_threads = 1;
  /// bzip2: decoder threads; more than 1 decodes blocks in parallel (see bzip2.hpp).
  unsigned bzip2_threads = 1;
  /// xz: memory limit of the decoder in bytes; a stream that needs more is a `format_error`.
  std::uint64_t xz_memlimit = std::uint64_t{1} << 30;
  /// zstd: the largest window a frame may ask for, as a power of two (27: 128 MiB, libzstd's
  /// default limit; `zstd --long=31` output needs 31). A frame over it is a `format_error`.
  unsigned zstd_window_log_max = 27;
};

/// A decoder from raw bytes to decoded bytes; see the header comment.
template <class C>
concept codec = std::constructible_from<C, const codec_options&> &&
    requires(C& c, const C& cc, std::string_view in, std::span<char> out, bool last) {
  { c.decode(in, out, last) } -> std::same_as<decode_step>;
  c.finish();
  { cc.name() } -> std::convertible_to<std::string_view>;
  { cc.passthrough() } -> std::same_as<bool>;
};

/// Input that is not compressed: copied through, or handed through by readers that can.
class plain {
 public:
  explicit plain(const codec_options& = {}) noexcept {}
  decode_step decode(std::string_view in, std::span<char> out, bool /*last*/) noexcept {
    std::size_t n = std::min(in.size(), out.size());
    if (n != 0) std::memcpy(out.data(), in.data(), n);
    return {n, n};
  }
  void finish() noexcept {}
  [[nodiscard]] std::string_view name() const noexcept { return "plain"; }
  [[nodiscard]] bool passthrough() const noexcept { return true; }
};

static_assert(codec<plain>);

}  // namespace hotpath::inline HOTPATH_ABI::stream
