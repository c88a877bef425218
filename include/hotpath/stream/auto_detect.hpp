// hotpath/stream/auto_detect.hpp: picks the codec from the input's first bytes, never its name.
//
// Magic bytes: gzip `1f 8b`, bzip2 `BZh1`..`BZh9` followed by a block or end-of-stream magic,
// xz `fd 37 7a 58 5a 00`; anything else is plain, including empty input. Text that merely starts
// with "BZh" is plain (the 48-bit block magic must follow). `1f 8b` is always taken as gzip, so
// such input with a method other than deflate is a `format_error`, not passed through: binary
// data is not silently handed out as text. zstd (`28 b5 2f fd`, or a skippable frame
// `5? 2a 4d 18` as `pzstd` writes first) is decoded when the build has the optional zstd codec
// (HOTPATH_STREAM_HAS_ZSTD) and is a `format_error` otherwise. Detection needs the first 10 bytes
// (fewer only when the input is shorter), buffering them if the first blocks are smaller.
//
//   hotpath::stream::line_reader lines(hotpath::stream::file_source(path));  // auto_detect
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstring>
#include <span>
#include <string_view>
#include <type_traits>
#include <variant>

#include "hotpath/stream/bzip2.hpp"
#include "hotpath/stream/codec.hpp"
#include "hotpath/stream/format_error.hpp"
#include "hotpath/stream/gzip.hpp"
#include "hotpath/stream/xz.hpp"
#if defined(HOTPATH_STREAM_HAS_ZSTD)
#include "hotpath/stream/zstd.hpp"
#endif

namespace hotpath::inline HOTPATH_ABI::stream {

/// Which codec a prefix of the input calls for.
enum class detected_format { plain_text, gzip_member, bzip2_stream, xz_stream, zstd_frame };

/// Classifies the first bytes of an input (10 are enough; fewer when the input is shorter).
[[nodiscard]] inline detected_format detect_format(std::string_view head) noexcept {
  auto at = [&](std::size_t i) { return static_cast<unsigned char>(head[i]); };
  auto starts = [&](std::string_view m) { return head.substr(0, m.size()) == m; };
  if (head.size() >= 2 && at(0) == 0x1f && at(1) == 0x8b) return detected_format::gzip_member;
  if (starts(std::string_view("\xfd"
                              "7zXZ\0",
                              6)))
    return detected_format::xz_stream;
  if (starts("\x28\xb5\x2f\xfd") ||
      (head.size() >= 4 && (at(0) & 0xf0) == 0x50 && head.substr(1, 3) == "\x2a\x4d\x18"))
    return detected_format::zstd_frame;
  if (head.size() >= 10 && starts("BZh") && at(3) >= '1' && at(3) <= '9') {
    std::string_view m = head.substr(4, 6);
    if (m == "\x31\x41\x59\x26\x53\x59" || m == "\x17\x72\x45\x38\x50\x90")
      return detected_format::bzip2_stream;
  }
  return detected_format::plain_text;
}

/// A codec that becomes gzip, bzip2, xz, zstd (when built with it) or plain after looking at
/// the input; see above.
class auto_detect {
 public:
  static constexpr std::size_t probe_bytes = 10;

  explicit auto_detect(const codec_options& opts = {}) : opts_(opts) {}

  decode_step decode(std::string_view in, std::span<char> out, bool last) {
    std::size_t used = 0;
    if (std::holds_alternative<std::monostate>(inner_)) {
      if (pre_n_ == 0 && (in.size() >= probe_bytes || last)) {
        choose(in);
      } else {
        used = std::min(probe_bytes - pre_n_, in.size());
        std::memcpy(pre_ + pre_n_, in.data(), used);
        pre_n_ += used;
        if (pre_n_ < probe_bytes && !(last && used == in.size())) return {used, 0};
        choose({pre_, pre_n_});
      }
    }
    std::size_t made = 0;
    if (pre_pos_ < pre_n_) {
      decode_step s =
          inner_decode({pre_ + pre_pos_, pre_n_ - pre_pos_}, out, last && used == in.size());
      pre_pos_ += s.in_used;
      made = s.out_made;
      if (pre_pos_ < pre_n_) return {used, made};
    }
    decode_step s = inner_decode(in.substr(used), out.subspan(made), last);
    return {used + s.in_used, made + s.out_made};
  }

  void finish() {
    std::visit(
        [](auto& c) {
          if constexpr (!std::is_same_v<std::decay_t<decltype(c)>, std::monostate>) c.finish();
        },
        inner_);
  }

  [[nodiscard]] std::string_view name() const noexcept {
    return std::visit(
        [](const auto& c) -> std::string_view {
          if constexpr (std::is_same_v<std::decay_t<decltype(c)>, std::monostate>)
            return "auto_detect";
          else
            return c.name();
        },
        inner_);
  }
  /// Plain input, once the probed prefix has been handed out, needs no copy.
  [[nodiscard]] bool passthrough() const noexcept {
    return std::holds_alternative<plain>(inner_) && pre_pos_ == pre_n_;
  }
  /// What was detected; `plain` until the first bytes have been seen.
  [[nodiscard]] detected_format format() const noexcept { return format_; }

 private:
  void choose(std::string_view head) {
    format_ = detect_format(head);
    switch (format_) {
      case detected_format::gzip_member:
        inner_.emplace<gzip>(opts_);
        break;
      case detected_format::bzip2_stream:
        inner_.emplace<bzip2>(opts_);
        break;
      case detected_format::xz_stream:
        inner_.emplace<xz>(opts_);
        break;
      case detected_format::zstd_frame:
#if defined(HOTPATH_STREAM_HAS_ZSTD)
        inner_.emplace<zstd>(opts_);
        break;
#else
        detail::throw_format("zstd", "zstd input is not supported by this build", 0);
#endif
      case detected_format::plain_text:
        inner_.emplace<plain>(opts_);
        break;
    }
  }
  decode_step inner_decode(std::string_view in, std::span<char> out, bool last) {
    return std::visit(
        [&](auto& c) -> decode_step {
          if constexpr (std::is_same_v<std::decay_t<decltype(c)>, std::monostate>)
            return {};
          else
            return c.decode(in, out, last);
        },
        inner_);
  }

  codec_options opts_;
#if defined(HOTPATH_STREAM_HAS_ZSTD)
  std::variant<std::monostate, plain, gzip, bzip2, xz, zstd> inner_;
#else
  std::variant<std::monostate, plain, gzip, bzip2, xz> inner_;
#endif
  detected_format format_ = detected_format::plain_text;
  char pre_[probe_bytes] = {};
  std::size_t pre_n_ = 0;
  std::size_t pre_pos_ = 0;
};

static_assert(codec<auto_detect>);

}  // namespace hotpath::inline HOTPATH_ABI::stream
