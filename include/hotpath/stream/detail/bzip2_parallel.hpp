// hotpath/stream/detail/bzip2_parallel.hpp: bzip2 decoded on several threads, block by block.
//
// A bzip2 stream is a header ("BZh1".."BZh9"), blocks that each begin with the 48-bit magic
// 0x314159265359 and the block's CRC, and an end marker (0x177245385090 and the stream's CRC),
// all packed bit by bit, so a block starts at any bit. The calling thread finds the magics with
// a table-driven scan (a byte of the magic at each of the 8 bit shifts; 1 byte in 16 is a
// candidate, checked exactly), copies each block to a byte-aligned one-block stream of its own
// (header, the block's bits, an end marker whose CRC is the block's: that is the CRC of a stream
// of one block), and hands it to a worker thread, which decodes it with libbz2; libbz2 checks
// the block's CRC. The caller hands the decoded blocks out in input order and checks each
// stream's CRC against its blocks' CRCs.
//
// The magic can occur inside compressed data by chance (about once in 2^48 bit positions). The
// two halves of a block cut at such a place do not decode; the caller then joins the failed
// block with the next one and decodes the pair itself, until the join decodes or the stream's
// end is reached (then the data is corrupt). Output is only ever a whole block that passed its
// CRC, so a corrupt block yields no output at all, and the error names the block's first byte.
//
// Memory: at most 2 x threads + 2 blocks are in flight (each up to about 1 MiB compressed and
// what it decodes to), plus up to 1 MiB of input read ahead. The workers start with the first
// block and stop in the destructor.
#pragma once

#include <bzlib.h>

#include <algorithm>
#include <array>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <deque>
#include <memory>
#include <mutex>
#include <new>
#include <span>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "hotpath/stream/codec.hpp"
#include "hotpath/stream/detail/held_error.hpp"
#include "hotpath/stream/detail/unit_sequence.hpp"
#include "hotpath/stream/format_error.hpp"

namespace hotpath::inline HOTPATH_ABI::stream::detail {

inline constexpr std::uint64_t bz_block_magic = 0x314159265359ull;
inline constexpr std::uint64_t bz_end_magic = 0x177245385090ull;

/// `n` (<= 48) bits of `p` from bit `bit` on, most significant first (bzip2's bit order).
inline std::uint64_t bz_bits(const unsigned char* p, std::uint64_t bit, unsigned n) noexcept {
  std::size_t first = static_cast<std::size_t>(bit >> 3);
  unsigned skip = static_cast<unsigned>(bit & 7);
  unsigned bytes = (skip + n + 7) / 8;
  std::uint64_t v = 0;
  for (unsigned k = 0; k < bytes; ++k)
    v = v << 8 | p[first + k];
  v >>= bytes * 8 - skip - n;
  return v & ((std::uint64_t{1} << n) - 1);
}

/// Appends bits to a byte vector, most significant first.
class bz_bit_writer {
 public:
  explicit bz_bit_writer(std::vector<unsigned char>& out) : out_(out) {}

  void put(std::uint64_t v, unsigned n) {
    for (unsigned k = n; k-- > 0;) {
      acc_ = static_cast<unsigned>(acc_ << 1 | ((v >> k) & 1));
      if (++fill_ == 8) {
        out_.push_back(static_cast<unsigned char>(acc_));
        acc_ = fill_ = 0;
      }
    }
  }
  /// Appends `count` bits of `src` from bit `begin` on; `src` must hold the byte after them.
  void copy(const unsigned char* src, std::uint64_t begin, std::uint64_t count) {
    if (fill_ == 0) {
      // Byte-aligned output: whole bytes by shifting pairs of input bytes.
      const unsigned char* s = src + (begin >> 3);
      unsigned sh = static_cast<unsigned>(begin & 7);
      auto whole = static_cast<std::size_t>(count >> 3);
      std::size_t at = out_.size();
      out_.resize(at + whole);
      unsigned char* d = out_.data() + at;
      if (sh == 0) {
        std::memcpy(d, s, whole);
      } else {
        for (std::size_t k = 0; k < whole; ++k)
          d[k] = static_cast<unsigned char>(s[k] << sh | s[k + 1] >> (8 - sh));
      }
      begin += std::uint64_t{whole} << 3;
      count -= std::uint64_t{whole} << 3;
    }
    while (count != 0) {
      unsigned n = count < 32 ? static_cast<unsigned>(count) : 32;
      put(bz_bits(src, begin, n), n);
      begin += n;
      count -= n;
    }
  }
  /// Pads the last byte with zero bits.
  void pad() {
    if (fill_ != 0) put(0, 8 - fill_);
  }

 private:
  std::vector<unsigned char>& out_;
  unsigned acc_ = 0;
  unsigned fill_ = 0;
};

/// The parallel engine behind `bzip2` when `codec_options::bzip2_threads` > 1.
class bzip2_parallel {
 public:
  bzip2_parallel(unsigned threads, trailing_data trailing)
      : threads_(threads < 1 ? 1 : threads),
        max_jobs_(2 * static_cast<std::size_t>(threads_) + 2),
        seq_{"bzip2", "stream", trailing} {}
  bzip2_parallel(const bzip2_parallel&) = delete;
  bzip2_parallel& operator=(const bzip2_parallel&) = delete;
  ~bzip2_parallel() {
    {
      std::lock_guard lock(mu_);
      stop_ = true;
      work_.clear();
    }
    work_cv_.notify_all();
    for (auto& t : workers_)
      t.join();
  }

  decode_step decode(std::string_view in, std::span<char> out, bool last) {
    // Errors are found between whole blocks, so output made before one is complete and checked.
    return held_.run(
        consumed_, [&](std::size_t& i, std::size_t& made) { step(in, out, last, i, made); },
        [] { return true; });
  }

  void finish() {
    held_.rethrow_if_any();
    if (!queue_.empty())
      throw_format("bzip2", "input ended before its decoded blocks were read", base_ + buf_.size());
    if (where_ == state::ignoring) return;
    if (where_ == state::between) {
      seq_.finish(consumed_);
      return;
    }
    throw_format("bzip2", "truncated input: it ends inside a stream", consumed_,
                 delivered_in_stream_);
  }

  [[nodiscard]] std::uint64_t streams() const noexcept { return seq_.units; }

  /// Tests only: treat input bit `bit` (counted from the first input byte) as if a block magic
  /// started there, as one occurring by chance inside compressed data would.
  void split_at_for_test(std::uint64_t bit) { fake_splits_.push_back(bit); }

 private:
  enum class state : unsigned char { between, first_block, blocks, ignoring };

  struct job {
    std::vector<unsigned char> in;  // a one-block stream
    std::uint64_t bits = 0;         // the block's bits in `in`, from bit 32 on
    unsigned char level = '9';
    std::uint32_t crc = 0;     // the block's CRC, as stored
    std::uint64_t offset = 0;  // input offset of the block's first byte
    std::vector<char> out;
    std::size_t taken = 0;  // bytes of `out` handed out
    int rc = BZ_OK;         // BZ_STREAM_END once decoded
    bool done = false;
  };
  struct entry {
    std::shared_ptr<job> block;  // null: the end of a stream
    std::uint32_t stream_crc = 0;
    std::uint64_t offset = 0;
  };

  void step(std::string_view in, std::span<char> out, bool last, std::size_t& i,
            std::size_t& made) {
    while (true) {
      bool progress = deliver(out, made);
      if (!out.empty() && made == out.size()) return;
      if (where_ == state::ignoring) i = in.size();
      // Read ahead while there is room, and always when the scanner waits for the end of a
      // block (max_block_bits bounds that).
      if (i < in.size() && (starved_ || buf_.size() - scan_byte() < read_ahead)) {
        std::size_t n = std::min(in.size() - i, read_ahead);
        buf_.insert(buf_.end(), in.data() + i, in.data() + i + n);
        i += n;
        progress = true;
      }
      bool input_over = last && i == in.size();
      if (scan(input_over)) progress = true;
      if (progress) continue;
      if (queue_.empty()) return;
      if (made != 0 && !input_over) return;  // output first: the caller comes back
      if (i == in.size() && !last) return;   // read more input while the workers decode
      // End markers are always delivered, so the head is a block.
      const job& head = *queue_.front().block;
      if (!ready(head)) {
        wait(head);
        continue;
      }
      // A failed head whose next block is not known: with the input over, there is none.
      if (!input_over) return;
      stream_scanned_ = true;
      (void)join_failed();
    }
  }

  // Hands out decoded bytes of whole blocks in order; true if it did anything.
  bool deliver(std::span<char> out, std::size_t& made) {
    bool any = false;
    while (!queue_.empty()) {
      entry& e = queue_.front();
      if (!e.block) {
        if (combined_ != e.stream_crc)
          throw_format("bzip2", "stream CRC mismatch", e.offset, delivered_in_stream_);
        combined_ = 0;
        delivered_in_stream_ = false;
        queue_.pop_front();
        any = true;
        continue;
      }
      if (!ready(*e.block)) return any;
      if (e.block->rc != BZ_STREAM_END && !join_failed()) return any;
      job& j = *queue_.front().block;  // join_failed() may have replaced it
      if (made == out.size()) return any;
      std::size_t n = std::min(out.size() - made, j.out.size() - j.taken);
      std::memcpy(out.data() + made, j.out.data() + j.taken, n);
      j.taken += n;
      made += n;
      if (n != 0) {
        any = true;
        delivered_in_stream_ = true;
      }
      if (j.taken == j.out.size()) {
        combined_ = (combined_ << 1 | combined_ >> 31) ^ j.crc;
        queue_.pop_front();
        any = true;
      }
    }
    return any;
  }

  // The head block failed to decode: joins it with the next block of its stream (a magic found
  // by chance inside the data split them) and decodes the join here. False while the next
  // block is not known yet; throws when there is none.
  bool join_failed() {
    while (true) {
      job& head = *queue_.front().block;
      if (head.rc == BZ_STREAM_END) return true;
      if (head.rc == BZ_MEM_ERROR) throw std::bad_alloc();
      if (queue_.size() < 2) {
        if (stream_scanned_) corrupt(head);
        return false;  // the next block is not scanned yet
      }
      entry& next = queue_[1];
      if (!next.block) corrupt(head);
      wait(*next.block);
      // A block that decodes on its own is real: the head is corrupt, not cut short.
      if (next.block->rc == BZ_STREAM_END) corrupt(head);
      auto joined = std::make_shared<job>();
      joined->level = head.level;
      joined->crc = head.crc;
      joined->offset = head.offset;
      joined->bits = head.bits + next.block->bits;
      header(*joined);
      bz_bit_writer w(joined->in);
      w.copy(head.in.data(), 32, head.bits);
      w.copy(next.block->in.data(), 32, next.block->bits);
      trailer(w, joined->crc);
      run(*joined);
      joined->done = true;
      queue_.erase(queue_.begin() + 1);
      queue_.front().block = std::move(joined);
    }
  }

  [[noreturn]] static void corrupt(const job& j) {
    throw_format("bzip2", "corrupt data or block CRC mismatch", j.offset, false);
  }

  // ---- scanning (calling thread) ----

  // The byte every scanned position precedes: what may be dropped from buf_ lies before it.
  [[nodiscard]] std::size_t scan_byte() const noexcept {
    return where_ == state::between || where_ == state::ignoring
               ? pos_
               : static_cast<std::size_t>(seg_ >> 3);
  }

  // Finds stream headers, block boundaries and stream ends in buf_; true if it moved on.
  bool scan(bool input_over) {
    bool any = false;
    while (true) {
      if (where_ == state::ignoring) {
        buf_.clear();
        pos_ = 0;
        return any;
      }
      if (where_ == state::between) {
        if (pos_ == buf_.size()) {
          starved_ = true;
          break;
        }
        if (!magic_byte(buf_[pos_], base_ + pos_)) {
          // Not a stream: trailing data or an error, which waits until every block before
          // it went out.
          starved_ = false;
          break;
        }
        ++pos_;
        any = true;
        continue;
      }
      if (queue_.size() >= max_jobs_) {
        starved_ = false;
        break;
      }
      starved_ = true;  // until the scan below finds what it looks for
      std::uint64_t have = std::uint64_t{buf_.size()} << 3;
      if (where_ == state::first_block) {
        if (have < seg_ + 48) break;
        std::uint64_t m = bz_bits(buf_.data(), seg_, 48);
        if (m == bz_end_magic) {
          if (!end_of_stream(seg_)) break;
        } else if (m == bz_block_magic) {
          where_ = state::blocks;
          next_ = seg_ + 48;
        } else {
          throw_format("bzip2", "bad block magic", base_ + (seg_ >> 3), false);
        }
        any = true;
        continue;
      }
      // state::blocks: the block from seg_ ends at the next magic.
      std::uint64_t at = 0;
      bool end = false;
      bool found = find_magic(at, end);
      for (std::uint64_t f : fake_splits_) {
        if (f < (base_ << 3)) continue;
        std::uint64_t b = f - (base_ << 3);
        if (b >= next_ && b + 48 <= have && (!found || b < at)) {
          at = b;
          end = false;
          found = true;
        }
      }
      if (!found) {
        if ((have - seg_) > max_block_bits)
          throw_format("bzip2", "no block boundary within 8 MiB: corrupt data", base_ + (seg_ >> 3),
                       false);
        if (input_over) stream_scanned_ = true;
        break;
      }
      if (end && have < at + 80) break;  // the stream's CRC is not here yet
      dispatch(seg_, at);
      any = true;
      if (end) {
        (void)end_of_stream(at);
      } else {
        seg_ = at;
        next_ = at + 48;
      }
    }
    compact();
    return any;
  }

  // The next block or end magic at or after next_; false when buf_ does not show one yet.
  bool find_magic(std::uint64_t& at, bool& end) {
    const unsigned char* p = buf_.data();
    const std::size_t n = buf_.size();
    // A magic starting at bit q has its second byte, fully its own, at byte q / 8 + 1.
    std::size_t k = static_cast<std::size_t>(next_ >> 3) + 1;
    for (; k + 6 <= n; ++k) {
      std::uint16_t c = candidates()[p[k]];
      if (c == 0) continue;
      for (unsigned s = 0; s < 8; ++s) {
        if ((c & (0x101u << s)) == 0) continue;
        std::uint64_t q = (std::uint64_t{k - 1} << 3) + s;
        if (q < next_) continue;
        std::uint64_t m = bz_bits(p, q, 48);
        if (m == bz_block_magic || m == bz_end_magic) {
          at = q;
          end = m == bz_end_magic;
          return true;
        }
      }
    }
    next_ = std::max<std::uint64_t>(next_, std::uint64_t{k > 0 ? k - 1 : 0} << 3);
    return false;
  }

  // Bit s of entry b: the block magic starting at bit shift s has b as its second byte; bit
  // 8 + s: the end magic does.
  static const std::array<std::uint16_t, 256>& candidates() {
    static const std::array<std::uint16_t, 256> t = [] {
      std::array<std::uint16_t, 256> a{};
      for (unsigned s = 0; s < 8; ++s) {
        a[(bz_block_magic >> (32 + s)) & 0xff] |= static_cast<std::uint16_t>(1u << s);
        a[(bz_end_magic >> (32 + s)) & 0xff] |= static_cast<std::uint16_t>(1u << (8 + s));
      }
      return a;
    }();
    return t;
  }

  // The end magic at bit `at`: the stream's CRC follows, then padding to a byte. False when the
  // CRC is not in buf_ yet.
  bool end_of_stream(std::uint64_t at) {
    if ((std::uint64_t{buf_.size()} << 3) < at + 80) return false;
    entry e;
    e.stream_crc = static_cast<std::uint32_t>(bz_bits(buf_.data(), at + 48, 32));
    e.offset = base_ + (at >> 3);
    queue_.push_back(std::move(e));
    pos_ = static_cast<std::size_t>((at + 80 + 7) >> 3);
    where_ = state::between;
    seq_.end_unit();
    stream_scanned_ = false;
    return true;
  }

  // One byte of a stream header; false (the byte not taken) when it cannot be one and blocks
  // before it are still to be handed out.
  bool magic_byte(unsigned char b, std::uint64_t at) {
    static constexpr unsigned char want[3] = {'B', 'Z', 'h'};
    bool ok = seq_.have < 3 ? b == want[seq_.have] : (b >= '1' && b <= '9');
    if (!ok && !queue_.empty()) return false;
    seq_.magic_byte_at(at);
    if (!ok) {
      seq_.not_a_unit();
      where_ = state::ignoring;  // not_a_unit() throws unless the policy ignores the rest
      return true;
    }
    if (++seq_.have < 4) return true;
    level_ = b;
    seq_.begin_unit();
    stream_scanned_ = false;
    where_ = state::first_block;
    seg_ = std::uint64_t{pos_ + 1} << 3;
    return true;
  }

  // Queues the block in bits [from, to) of buf_ for a worker.
  void dispatch(std::uint64_t from, std::uint64_t to) {
    auto j = std::make_shared<job>();
    j->level = level_;
    j->crc = static_cast<std::uint32_t>(bz_bits(buf_.data(), from + 48, 32));
    j->offset = base_ + (from >> 3);
    j->bits = to - from;
    header(*j);
    bz_bit_writer w(j->in);
    w.copy(buf_.data(), from, j->bits);
    trailer(w, j->crc);
    queue_.push_back({j, 0, 0});
    start_workers();
    {
      std::lock_guard lock(mu_);
      work_.push_back(std::move(j));
    }
    work_cv_.notify_one();
  }

  static void header(job& j) {
    j.in.reserve(static_cast<std::size_t>(j.bits / 8) + 16);
    j.in.insert(j.in.end(), {'B', 'Z', 'h', j.level});
  }
  // A one-block stream's CRC is its block's.
  static void trailer(bz_bit_writer& w, std::uint32_t crc) {
    w.put(bz_end_magic, 48);
    w.put(crc, 32);
    w.pad();
  }

  // Drops the bytes before the current block once they are a good part of the buffer.
  void compact() {
    std::size_t drop = scan_byte();
    if (drop < (std::size_t{1} << 20) && drop * 2 < buf_.size()) return;
    if (drop == 0) return;
    buf_.erase(buf_.begin(), buf_.begin() + static_cast<std::ptrdiff_t>(drop));
    base_ += drop;
    if (where_ == state::between || where_ == state::ignoring) {
      pos_ -= drop;
    } else {
      seg_ -= std::uint64_t{drop} << 3;
      next_ -= std::uint64_t{drop} << 3;
    }
  }

  // ---- workers ----

  void start_workers() {
    if (!workers_.empty()) return;
    workers_.reserve(threads_);
    for (unsigned t = 0; t < threads_; ++t)
      workers_.emplace_back([this] { work(); });
  }

  void work() {
    while (true) {
      std::shared_ptr<job> j;
      {
        std::unique_lock lock(mu_);
        work_cv_.wait(lock, [this] { return stop_ || !work_.empty(); });
        if (stop_) return;
        j = std::move(work_.front());
        work_.pop_front();
      }
      run(*j);
      {
        std::lock_guard lock(mu_);
        j->done = true;
      }
      done_cv_.notify_all();
    }
  }

  static void run(job& j) {
    bz_stream z{};
    if (BZ2_bzDecompressInit(&z, 0, 0) != BZ_OK) {
      j.rc = BZ_MEM_ERROR;
      return;
    }
    z.next_in = reinterpret_cast<char*>(j.in.data());
    z.avail_in = static_cast<unsigned>(j.in.size());
    // A block holds up to level x 100 kB before bzip2's run-length step.
    j.out.resize(static_cast<std::size_t>(j.level - '0') * 100'000 + 4096);
    std::size_t made = 0;
    int rc = BZ_OK;
    while (rc == BZ_OK) {
      if (made == j.out.size()) j.out.resize(j.out.size() * 2);
      z.next_out = j.out.data() + made;
      z.avail_out = static_cast<unsigned>(j.out.size() - made);
      rc = BZ2_bzDecompress(&z);
      made = j.out.size() - z.avail_out;
      if (rc == BZ_OK && z.avail_in == 0 && z.avail_out != 0) rc = BZ_UNEXPECTED_EOF;
    }
    BZ2_bzDecompressEnd(&z);
    j.out.resize(made);
    j.rc = rc;
    // Only a failed block is needed again (to be joined with the next one).
    if (rc == BZ_STREAM_END) std::vector<unsigned char>().swap(j.in);
  }

  bool ready(const job& j) {
    std::lock_guard lock(mu_);
    return j.done;
  }
  void wait(const job& j) {
    std::unique_lock lock(mu_);
    done_cv_.wait(lock, [&] { return j.done; });
  }

  static constexpr std::size_t read_ahead = std::size_t{1} << 20;
  static constexpr std::uint64_t max_block_bits = std::uint64_t{8} << 23;  // 8 MiB

  const unsigned threads_;
  const std::size_t max_jobs_;
  unit_sequence seq_;
  held_error held_;
  std::uint64_t consumed_ = 0;

  // Input not yet dropped: buf_[0] is input byte base_.
  std::vector<unsigned char> buf_;
  std::uint64_t base_ = 0;
  state where_ = state::between;
  std::size_t pos_ = 0;     // between streams: the next byte to read
  std::uint64_t seg_ = 0;   // in a stream: bit where the current block (or the first) starts
  std::uint64_t next_ = 0;  // in a stream: first bit where the next magic may start
  unsigned char level_ = '9';
  bool stream_scanned_ = false;  // the input ended without more blocks for the current stream
  bool starved_ = true;          // the scanner stopped at the end of buf_, not at max_jobs_
  std::vector<std::uint64_t> fake_splits_;

  std::deque<entry> queue_;  // blocks and stream ends, in input order
  std::uint32_t combined_ = 0;
  bool delivered_in_stream_ = false;

  std::mutex mu_;
  std::condition_variable work_cv_;
  std::condition_variable done_cv_;
  std::deque<std::shared_ptr<job>> work_;
  bool stop_ = false;
  std::vector<std::thread> workers_;
};

}  // namespace hotpath::inline HOTPATH_ABI::stream::detail
