// hotpath/stream/zstd.hpp: the zstd codec, concatenated and skippable frames, through libzstd.
//
// An optional part of hotpath::stream: CMake enables it when it finds libzstd (Debian:
// libzstd-dev; option HOTPATH_WITH_ZSTD) and then defines HOTPATH_STREAM_HAS_ZSTD, which also
// teaches `auto_detect` the zstd magic. Frames follow one another until the input ends (what
// `cat a.zst b.zst`, `zstd -T0` and `pzstd` write); skippable frames are skipped. Bytes after
// the last frame that do not start a new one are trailing data, an error unless
// `codec_options::trailing` says `ignore`. A frame's optional content checksum (the `zstd` tool
// writes one) is checked at the end of the frame, after its data went out (`unverified()`). A
// frame whose window is larger than 2^`zstd_window_log_max` bytes is refused, which bounds the
// decoder's memory.
//
//   hotpath::stream::line_reader<hotpath::stream::file_source, hotpath::stream::zstd> r(...);
#pragma once

#include <zstd.h>
#include <zstd_errors.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <new>
#include <span>
#include <string>
#include <string_view>

#include "hotpath/stream/codec.hpp"
#include "hotpath/stream/detail/held_error.hpp"
#include "hotpath/stream/detail/unit_sequence.hpp"
#include "hotpath/stream/format_error.hpp"

namespace hotpath::inline HOTPATH_ABI::stream {

/// The zstd codec; see the header comment.
class zstd {
 public:
  explicit zstd(const codec_options& opts = {})
      : seq_{"zstd", "frame", opts.trailing}, window_log_max_(opts.zstd_window_log_max) {}

  decode_step decode(std::string_view in, std::span<char> out, bool /*last*/) {
    return held_.run(
        consumed_,
        [&](std::size_t& i, std::size_t& made) {
          std::size_t made_in_frame = 0;  // this call's output of the current frame
          while (true) {
            if (seq_.where == seq_state::ignoring) {
              i = in.size();
              break;
            }
            if (seq_.where == seq_state::between) {
              if (i == in.size()) break;
              if (magic_byte(static_cast<unsigned char>(in[i]), consumed_ + i)) {
                made_in_frame = 0;
                start_frame(out.subspan(made));
              }
              ++i;
              continue;
            }
            if (made == out.size()) break;
            ZSTD_inBuffer src{in.data() + i, in.size() - i, 0};
            ZSTD_outBuffer dst{out.data() + made, out.size() - made, 0};
            std::size_t rc = ZSTD_decompressStream(dctx_.get(), &dst, &src);
            if (ZSTD_isError(rc)) fail(rc, consumed_ + i + src.pos, seq_.bytes > made_in_frame);
            i += src.pos;
            made += dst.pos;
            made_in_frame += dst.pos;
            seq_.bytes += dst.pos;
            if (rc == 0) {  // the frame is complete, checked and flushed
              seq_.end_unit();
              continue;
            }
            if (src.pos == 0 && dst.pos == 0) break;
          }
        },
        [this] { return seq_.where == seq_state::between; });
  }

  void finish() {
    held_.rethrow_if_any();
    seq_.finish(consumed_);
  }

  [[nodiscard]] std::string_view name() const noexcept { return "zstd"; }
  [[nodiscard]] bool passthrough() const noexcept { return false; }
  /// Complete frames decoded so far, skippable ones included.
  [[nodiscard]] std::uint64_t frames() const noexcept { return seq_.units; }

 private:
  using seq_state = detail::unit_sequence::state;
  struct dctx_free {
    void operator()(ZSTD_DCtx* d) const noexcept { ZSTD_freeDCtx(d); }
  };

  // A frame starts with 28 b5 2f fd; a skippable frame with 5? 2a 4d 18 (little-endian magics).
  // True when `b` completes a magic.
  bool magic_byte(unsigned char b, std::uint64_t at) {
    seq_.magic_byte_at(at);
    bool ok;
    if (seq_.have == 0) {
      ok = b == 0x28 || (b & 0xf0) == 0x50;
    } else {
      static constexpr unsigned char frame[4] = {0x28, 0xb5, 0x2f, 0xfd};
      static constexpr unsigned char skippable[4] = {0x50, 0x2a, 0x4d, 0x18};
      ok = b == (magic_[0] == 0x28 ? frame : skippable)[seq_.have];
    }
    if (!ok) {
      seq_.not_a_unit();
      return false;
    }
    magic_[seq_.have++] = b;
    return seq_.have == 4;
  }

  // Gives libzstd the magic bytes it would have read itself.
  void start_frame(std::span<char> out) {
    if (!dctx_) {
      dctx_.reset(ZSTD_createDCtx());
      if (!dctx_) throw std::bad_alloc();
      std::size_t rc = ZSTD_DCtx_setParameter(dctx_.get(), ZSTD_d_windowLogMax,
                                              static_cast<int>(window_log_max_));
      if (ZSTD_isError(rc))
        hotpath::detail::throw_error("hotpath::stream zstd: zstd_window_log_max ", window_log_max_,
                                     " is out of range");
    }
    (void)ZSTD_DCtx_reset(dctx_.get(), ZSTD_reset_session_only);
    seq_.begin_unit();
    ZSTD_inBuffer src{magic_, 4, 0};
    ZSTD_outBuffer dst{out.data(), 0, 0};  // four header bytes make no output
    std::size_t rc = ZSTD_decompressStream(dctx_.get(), &dst, &src);
    if (ZSTD_isError(rc)) fail(rc, seq_.start, false);
  }

  [[noreturn]] static void fail(std::size_t rc, std::uint64_t at, bool unverified) {
    switch (ZSTD_getErrorCode(rc)) {
      case ZSTD_error_memory_allocation:
        throw std::bad_alloc();
      case ZSTD_error_checksum_wrong:
        detail::throw_format("zstd", "frame checksum mismatch", at, unverified);
      case ZSTD_error_frameParameter_windowTooLarge:
        detail::throw_format("zstd", "the frame's window is larger than zstd_window_log_max allows",
                             at, unverified);
      default:
        detail::throw_format(
            "zstd", hotpath::detail::concat("corrupt frame (libzstd: ", ZSTD_getErrorName(rc), ")"),
            at, unverified);
    }
  }

  std::unique_ptr<ZSTD_DCtx, dctx_free> dctx_;
  detail::unit_sequence seq_;
  unsigned window_log_max_;
  unsigned char magic_[4] = {};
  std::uint64_t consumed_ = 0;
  detail::held_error held_;
};

static_assert(codec<zstd>);

}  // namespace hotpath::inline HOTPATH_ABI::stream
