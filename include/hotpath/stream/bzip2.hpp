// hotpath/stream/bzip2.hpp: the bzip2 codec, concatenated streams, through libbz2.
//
// Streams follow one another until the input ends (what `cat a.bz2 b.bz2` and `pbzip2` make).
// Bytes after the last stream that do not start a new one ("BZh1".."BZh9") are trailing data,
// an error unless `codec_options::trailing` says `ignore`. libbz2 checks each block's CRC as the
// block is emitted, so a CRC error comes after some of that block's data went out (`unverified()`).
//
// With `codec_options::bzip2_threads` > 1 the blocks of a stream are decoded on that many threads
// of the codec (detail/bzip2_parallel.hpp), lbzip2's way: any bzip2 file, not only one written
// in parallel. Output then comes a whole checked block at a time: a corrupt block delivers
// nothing, and its error names the block's first byte.
//
//   hotpath::stream::line_reader<hotpath::stream::file_source, hotpath::stream::bzip2> r(...);
//   hotpath::stream::block_reader<hotpath::stream::file_source> in(
//       hotpath::stream::file_source("big.bz2"), {.codec = {.bzip2_threads = 4}});
#pragma once

#include <bzlib.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <new>
#include <span>
#include <string>
#include <string_view>

#include "hotpath/stream/codec.hpp"
#include "hotpath/stream/detail/bzip2_parallel.hpp"
#include "hotpath/stream/detail/held_error.hpp"
#include "hotpath/stream/detail/unit_sequence.hpp"
#include "hotpath/stream/format_error.hpp"

namespace hotpath::inline HOTPATH_ABI::stream {

/// The bzip2 codec; see the header comment.
class bzip2 {
 public:
  explicit bzip2(const codec_options& opts = {}) : seq_{"bzip2", "stream", opts.trailing} {
    if (opts.bzip2_threads > 1)
      par_ = std::make_unique<detail::bzip2_parallel>(opts.bzip2_threads, opts.trailing);
  }
  bzip2(const bzip2&) = delete;
  bzip2& operator=(const bzip2&) = delete;
  ~bzip2() { end(); }

  decode_step decode(std::string_view in, std::span<char> out, bool last) {
    if (par_) return par_->decode(in, out, last);
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
              magic_byte(static_cast<unsigned char>(in[i]), consumed_ + i);
              ++i;
              continue;
            }
            // state::body
            if (made == out.size()) break;
            bz_.next_in = const_cast<char*>(in.data() + i);
            bz_.avail_in = clamp(in.size() - i);
            bz_.next_out = out.data() + made;
            bz_.avail_out = clamp(out.size() - made);
            int rc = BZ2_bzDecompress(&bz_);
            std::size_t used = in.size() - i - bz_.avail_in;
            std::size_t produced = out.size() - made - bz_.avail_out;
            i += used;
            made += produced;
            seq_.bytes += produced;
            if (rc == BZ_STREAM_END) {
              end();
              seq_.end_unit();
              continue;
            }
            if (rc != BZ_OK) fail_code(rc, consumed_ + i, seq_.bytes > produced);
            if (used == 0 && produced == 0) break;
          }
        },
        [this] { return seq_.where == seq_state::between; });
  }

  void finish() {
    if (par_) return par_->finish();
    held_.rethrow_if_any();
    seq_.finish(consumed_);
  }

  [[nodiscard]] std::string_view name() const noexcept { return "bzip2"; }
  [[nodiscard]] bool passthrough() const noexcept { return false; }
  /// Complete streams decoded so far.
  [[nodiscard]] std::uint64_t streams() const noexcept {
    return par_ ? par_->streams() : seq_.units;
  }
  /// The parallel decoder, when bzip2_threads > 1 (tests reach its test hooks through it).
  [[nodiscard]] detail::bzip2_parallel* parallel() noexcept { return par_.get(); }

 private:
  using seq_state = detail::unit_sequence::state;

  void magic_byte(unsigned char b, std::uint64_t at) {
    seq_.magic_byte_at(at);
    static constexpr unsigned char want[3] = {'B', 'Z', 'h'};
    bool ok = seq_.have < 3 ? b == want[seq_.have] : (b >= '1' && b <= '9');
    if (!ok) {
      seq_.not_a_unit();
      return;
    }
    magic_[seq_.have++] = static_cast<char>(b);
    if (seq_.have < 4) return;
    // A new stream: give libbz2 the header bytes it would have read itself.
    bz_ = {};
    if (BZ2_bzDecompressInit(&bz_, 0, 0) != BZ_OK) throw std::bad_alloc();
    live_ = true;
    seq_.begin_unit();
    bz_.next_in = magic_;
    bz_.avail_in = 4;
    char sink[1];
    bz_.next_out = sink;
    bz_.avail_out = 0;
    int rc = BZ2_bzDecompress(&bz_);
    if (rc != BZ_OK) fail_code(rc, at, false);
  }

  [[noreturn]] static void fail_code(int rc, std::uint64_t at, bool unverified) {
    switch (rc) {
      case BZ_DATA_ERROR:
        detail::throw_format("bzip2", "corrupt data or block CRC mismatch", at, unverified);
      case BZ_DATA_ERROR_MAGIC:
        detail::throw_format("bzip2", "bad stream magic", at, unverified);
      case BZ_MEM_ERROR:
        throw std::bad_alloc();
      default:
        detail::throw_format("bzip2", hotpath::detail::concat("libbz2 error ", rc), at, unverified);
    }
  }
  static unsigned clamp(std::size_t n) noexcept {
    return n > 0x40000000u ? 0x40000000u : static_cast<unsigned>(n);
  }
  void end() noexcept {
    if (live_) BZ2_bzDecompressEnd(&bz_);
    live_ = false;
  }

  bz_stream bz_{};
  bool live_ = false;
  detail::unit_sequence seq_;
  char magic_[4] = {};
  std::uint64_t consumed_ = 0;
  detail::held_error held_;
  std::unique_ptr<detail::bzip2_parallel> par_;
};

static_assert(codec<bzip2>);

}  // namespace hotpath::inline HOTPATH_ABI::stream
