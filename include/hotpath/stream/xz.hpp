// hotpath/stream/xz.hpp: the xz codec, concatenated streams with padding, through liblzma.
//
// Each stream is decoded by liblzma, multi-threaded when `codec_options::xz_threads` > 1 (the
// threaded decoder of liblzma 5.4 runs the blocks of a multi-block file, e.g. one written by
// `xz -T2`, in parallel; a single-block file decodes on one thread either way). Between streams
// hotpath checks the stream padding itself (null bytes, a multiple of four); anything else after
// the last stream is trailing data, an error unless `codec_options::trailing` says `ignore`.
// A stream whose integrity check liblzma cannot verify, or that needs more memory than
// `xz_memlimit`, is a `format_error`. Checks are per block, after its data went out
// (`unverified()`).
//
//   hotpath::stream::line_reader<hotpath::stream::file_source, hotpath::stream::xz> r(
//       hotpath::stream::file_source("big.xz"), {.codec = {.xz_threads = 2}});
#pragma once

#include <lzma.h>

#include <cstddef>
#include <cstdint>
#include <new>
#include <span>
#include <string>
#include <string_view>

#include "hotpath/stream/codec.hpp"
#include "hotpath/stream/detail/held_error.hpp"
#include "hotpath/stream/detail/unit_sequence.hpp"
#include "hotpath/stream/format_error.hpp"

namespace hotpath::inline HOTPATH_ABI::stream {

/// The xz codec; see the header comment.
class xz {
 public:
  explicit xz(const codec_options& opts = {})
      : seq_{"xz", "stream", opts.trailing},
        threads_(opts.xz_threads),
        memlimit_(opts.xz_memlimit) {
    if (threads_ == 0) threads_ = 1;
  }
  xz(const xz&) = delete;
  xz& operator=(const xz&) = delete;
  ~xz() { end(); }

  decode_step decode(std::string_view in, std::span<char> out, bool last) {
    return held_.run(
        consumed_,
        [&](std::size_t& i, std::size_t& made) {
          while (true) {
            if (seq_.where == seq_state::ignoring) {
              i = in.size();
              break;
            }
            if (seq_.where == seq_state::between) {
              if (i == in.size()) break;
              between_byte(static_cast<unsigned char>(in[i]), consumed_ + i);
              ++i;
              continue;
            }
            if (made == out.size()) break;
            // liblzma reports two calls in a row without progress as an error, so it is called
            // without input only to flush output it still holds, or to finish.
            if (i == in.size() && !last && !out_was_full_) break;
            z_.next_in = reinterpret_cast<const std::uint8_t*>(in.data() + i);
            z_.avail_in = in.size() - i;
            z_.next_out = reinterpret_cast<std::uint8_t*>(out.data() + made);
            z_.avail_out = out.size() - made;
            lzma_ret rc = lzma_code(&z_, last ? LZMA_FINISH : LZMA_RUN);
            std::size_t used = in.size() - i - z_.avail_in;
            std::size_t produced = out.size() - made - z_.avail_out;
            i += used;
            made += produced;
            seq_.bytes += produced;
            out_was_full_ = z_.avail_out == 0;
            if (rc == LZMA_STREAM_END) {
              end();
              seq_.end_unit();
              zeros_ = 0;
              continue;
            }
            if (rc == LZMA_BUF_ERROR && last) break;  // truncated: finish() reports it
            if (rc != LZMA_OK) fail_code(rc, consumed_ + i, seq_.bytes > produced);
            if (used == 0 && produced == 0) break;
          }
        },
        [this] { return seq_.where == seq_state::between; });
  }

  void finish() {
    held_.rethrow_if_any();
    if (seq_.where == seq_state::between && seq_.have == 0 && seq_.units > 0 && zeros_ % 4 != 0 &&
        seq_.trailing == trailing_data::error)
      detail::throw_format("xz", "stream padding is not a multiple of four bytes", pad_start_);
    seq_.finish(consumed_);
  }

  [[nodiscard]] std::string_view name() const noexcept { return "xz"; }
  [[nodiscard]] bool passthrough() const noexcept { return false; }
  /// Complete streams decoded so far.
  [[nodiscard]] std::uint64_t streams() const noexcept { return seq_.units; }

 private:
  using seq_state = detail::unit_sequence::state;
  static constexpr unsigned char magic[6] = {0xfd, '7', 'z', 'X', 'Z', 0x00};

  void between_byte(unsigned char b, std::uint64_t at) {
    if (seq_.have == 0 && b == 0 && seq_.units > 0) {
      if (zeros_ == 0) pad_start_ = at;
      ++zeros_;
      return;
    }
    seq_.magic_byte_at(at);
    if (seq_.have == 0 && zeros_ % 4 != 0) {
      if (seq_.trailing == trailing_data::ignore) {
        seq_.where = seq_state::ignoring;
        return;
      }
      detail::throw_format("xz", "stream padding is not a multiple of four bytes", pad_start_);
    }
    if (b != magic[seq_.have]) {
      seq_.not_a_unit();
      return;
    }
    if (++seq_.have < sizeof magic) return;
    start_stream(at);
  }

  void start_stream(std::uint64_t at) {
    z_ = LZMA_STREAM_INIT;
    constexpr std::uint32_t flags = LZMA_TELL_UNSUPPORTED_CHECK;
    lzma_ret rc;
    if (threads_ > 1) {
      lzma_mt mt{};
      mt.flags = flags;
      mt.threads = threads_;
      mt.memlimit_threading = memlimit_;
      mt.memlimit_stop = memlimit_;
      rc = lzma_stream_decoder_mt(&z_, &mt);
    } else {
      rc = lzma_stream_decoder(&z_, memlimit_, flags);
    }
    if (rc == LZMA_MEM_ERROR) throw std::bad_alloc();
    if (rc != LZMA_OK) fail_code(rc, at, false);
    live_ = true;
    seq_.begin_unit();
    // Hand liblzma the magic bytes it expects to read itself.
    z_.next_in = magic;
    z_.avail_in = sizeof magic;
    std::uint8_t sink[1];
    z_.next_out = sink;
    z_.avail_out = 0;
    rc = lzma_code(&z_, LZMA_RUN);
    if (rc != LZMA_OK || z_.avail_in != 0) fail_code(rc, at, false);
  }

  [[noreturn]] static void fail_code(lzma_ret rc, std::uint64_t at, bool unverified) {
    switch (rc) {
      case LZMA_MEM_ERROR:
        throw std::bad_alloc();
      case LZMA_MEMLIMIT_ERROR:
        detail::throw_format("xz", "the stream needs more memory than xz_memlimit allows", at);
      case LZMA_FORMAT_ERROR:
        detail::throw_format("xz", "not xz data (bad stream header)", at);
      case LZMA_OPTIONS_ERROR:
        detail::throw_format("xz", "unsupported options or filter in the stream", at);
      case LZMA_UNSUPPORTED_CHECK:
        detail::throw_format("xz", "unsupported integrity check type: data cannot be verified", at);
      case LZMA_DATA_ERROR:
        detail::throw_format("xz", "corrupt data or integrity check mismatch", at, unverified);
      case LZMA_BUF_ERROR:
        detail::throw_format("xz", "truncated input", at, unverified);
      default:
        detail::throw_format("xz", hotpath::detail::concat("liblzma error ", static_cast<int>(rc)),
                             at, unverified);
    }
  }
  void end() noexcept {
    if (live_) lzma_end(&z_);
    live_ = false;
  }

  lzma_stream z_ = LZMA_STREAM_INIT;
  bool live_ = false;
  bool out_was_full_ = false;
  detail::unit_sequence seq_;
  unsigned threads_;
  std::uint64_t memlimit_;
  std::uint64_t zeros_ = 0;
  std::uint64_t pad_start_ = 0;
  std::uint64_t consumed_ = 0;
  detail::held_error held_;
};

static_assert(codec<xz>);

}  // namespace hotpath::inline HOTPATH_ABI::stream
