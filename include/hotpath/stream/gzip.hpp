// hotpath/stream/gzip.hpp: the gzip codec (RFC 1952), multi-member, with checked trailers.
//
// `basic_gzip<Inflater>` parses every member header itself (FEXTRA, FNAME, FCOMMENT and FHCRC,
// whose CRC16 is checked), inflates the deflate data with the inflater policy, and checks each
// member's CRC32 and ISIZE. Members follow one another until the input ends; what follows the
// last member and does not start a new one is trailing data, an error unless
// `codec_options::trailing` says `ignore`. Decoded bytes are delivered as they are inflated, so a
// CRC32 mismatch is found after the member's data went out: that error says `unverified()`.
//
// Inflaters: `isal_inflater` (ISA-L's igzip, about twice zlib's speed; available when hotpath's
// CMake found `libisal`, which defines HOTPATH_STREAM_HAS_ISAL) and `zlib_inflater`. `gzip`
// names the fastest one built in.
//
//   hotpath::stream::line_reader<hotpath::stream::file_source, hotpath::stream::gzip> r(...);
#pragma once

#include <zlib.h>

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <utility>

#include "hotpath/stream/codec.hpp"
#include "hotpath/stream/detail/held_error.hpp"
#include "hotpath/stream/format_error.hpp"

#if defined(HOTPATH_STREAM_HAS_ISAL)
#include <isa-l/igzip_lib.h>
#endif

namespace hotpath::inline HOTPATH_ABI::stream {

/// What one inflater call did; `problem` is set (and nothing else is valid) on corrupt data.
struct inflate_step {
  std::size_t in_used = 0;
  std::size_t out_made = 0;
  bool end = false;               ///< the deflate stream's final block is complete
  const char* problem = nullptr;  ///< set when the data is corrupt
};

/// Inflates raw deflate data with zlib, and keeps the CRC32 of what it produced.
class zlib_inflater {
 public:
  static constexpr std::string_view backend = "zlib";

  zlib_inflater() {
    if (inflateInit2(&z_, -15) != Z_OK) throw std::bad_alloc();
  }
  zlib_inflater(const zlib_inflater&) = delete;
  zlib_inflater& operator=(const zlib_inflater&) = delete;
  ~zlib_inflater() { inflateEnd(&z_); }

  /// Starts a new deflate stream.
  void reset() noexcept {
    inflateReset(&z_);
    crc_ = crc32_z(0, nullptr, 0);
  }
  inflate_step run(const unsigned char* in, std::size_t n, unsigned char* out, std::size_t m) {
    z_.next_in = const_cast<unsigned char*>(in);
    z_.avail_in = clamp(n);
    z_.next_out = out;
    z_.avail_out = clamp(m);
    int rc = inflate(&z_, Z_NO_FLUSH);
    inflate_step s;
    s.in_used = n - z_.avail_in;
    s.out_made = m - z_.avail_out;
    crc_ = crc32_z(crc_, out, s.out_made);
    if (rc == Z_STREAM_END) {
      s.end = true;
    } else if (rc == Z_DATA_ERROR) {
      s.problem = z_.msg != nullptr ? z_.msg : "corrupt deflate data";
    } else if (rc == Z_MEM_ERROR) {
      throw std::bad_alloc();
    }  // Z_OK, or Z_BUF_ERROR when no progress was possible: both are "call again".
    return s;
  }
  [[nodiscard]] std::uint32_t crc() const noexcept { return static_cast<std::uint32_t>(crc_); }
  /// zlib stops exactly at the end of the deflate data: it holds back no input bytes.
  std::size_t take_held(unsigned char*) noexcept { return 0; }

 private:
  static uInt clamp(std::size_t n) noexcept {
    return n > 0x40000000u ? 0x40000000u : static_cast<uInt>(n);
  }
  z_stream z_{};
  uLong crc_ = 0;
};

#if defined(HOTPATH_STREAM_HAS_ISAL)
/// Inflates raw deflate data with ISA-L's igzip, which also computes the CRC32 as it goes.
class isal_inflater {
 public:
  static constexpr std::string_view backend = "isal";

  isal_inflater() { reset(); }
  isal_inflater(const isal_inflater&) = delete;
  isal_inflater& operator=(const isal_inflater&) = delete;

  void reset() noexcept {
    isal_inflate_init(&s_);
    s_.crc_flag = ISAL_GZIP_NO_HDR;  // CRC32 of the output, header and trailer are ours
  }
  inflate_step run(const unsigned char* in, std::size_t n, unsigned char* out, std::size_t m) {
    s_.next_in = const_cast<unsigned char*>(in);
    s_.avail_in = clamp(n);
    s_.next_out = out;
    s_.avail_out = clamp(m);
    int rc = isal_inflate(&s_);
    inflate_step st;
    st.in_used = n - s_.avail_in;
    st.out_made = m - s_.avail_out;
    if (rc < 0) {
      st.problem = rc == ISAL_INVALID_BLOCK      ? "corrupt deflate data (invalid block)"
                   : rc == ISAL_INVALID_SYMBOL   ? "corrupt deflate data (invalid symbol)"
                   : rc == ISAL_INVALID_LOOKBACK ? "corrupt deflate data (distance too far back)"
                                                 : "corrupt deflate data";
      return st;
    }
    st.end = s_.block_state == ISAL_BLOCK_FINISH;
    return st;
  }
  [[nodiscard]] std::uint32_t crc() const noexcept { return s_.crc; }
  /// igzip reads input 64 bits at a time, so when the deflate data ends its bit buffer holds
  /// up to 8 bytes of what follows (the trailer), after the final byte's padding bits. Hands
  /// them back, in input order.
  std::size_t take_held(unsigned char* out) noexcept {
    auto bits = static_cast<unsigned>(s_.read_in_length);
    std::uint64_t v = s_.read_in >> (bits % 8);
    std::size_t n = bits / 8;
    for (std::size_t k = 0; k < n; ++k)
      out[k] = static_cast<unsigned char>(v >> (8 * k));
    s_.read_in = 0;
    s_.read_in_length = 0;
    return n;
  }

 private:
  static std::uint32_t clamp(std::size_t n) noexcept {
    return n > 0x40000000u ? 0x40000000u : static_cast<std::uint32_t>(n);
  }
  inflate_state s_{};
};
#endif

/// An inflater policy: raw deflate in, bytes out, CRC32 of the output kept.
template <class I>
concept inflater = requires(I& i, const I& ci, const unsigned char* in, unsigned char* out,
                            std::size_t n) {
  i.reset();
  { i.run(in, n, out, n) } -> std::same_as<inflate_step>;
  { ci.crc() } -> std::same_as<std::uint32_t>;
  { i.take_held(out) } -> std::same_as<std::size_t>;
};

/// The gzip codec over an inflater; see the header comment.
template <inflater Inflater>
class basic_gzip {
 public:
  explicit basic_gzip(const codec_options& opts = {}) : trailing_(opts.trailing) {}

  decode_step decode(std::string_view in, std::span<char> out, bool /*last*/) {
    return held_.run(
        consumed_,
        [&](std::size_t& i, std::size_t& made) {
          const auto* p = reinterpret_cast<const unsigned char*>(in.data());
          const std::size_t n = in.size();
          undelivered_ = 0;
          while (true) {
            if (state_ == state::body) {
              if (made == out.size()) break;
              inflate_step s =
                  inflater_.run(p + i, n - i, reinterpret_cast<unsigned char*>(out.data()) + made,
                                out.size() - made);
              i += s.in_used;
              made += s.out_made;
              member_bytes_ += s.out_made;
              undelivered_ += s.out_made;
              if (s.problem != nullptr) fail_at(consumed_ + i, s.problem, delivered());
              if (s.end) {
                unsigned char held[8];
                std::size_t h = inflater_.take_held(held);
                state_ = state::trailer;
                trailer_start_ = consumed_ + i - h;
                field_ = 0;
                for (std::size_t k = 0; k < h; ++k)
                  header_byte(held[k], trailer_start_ + k);
                continue;
              }
              if (s.in_used == 0 && s.out_made == 0) break;  // needs more input
              continue;
            }
            if (state_ == state::ignoring) {
              i = n;
              break;
            }
            if (i == n) break;
            header_byte(p[i], consumed_ + i);
            ++i;
          }
        },
        [this] { return state_ != state::body && state_ != state::trailer; });
  }

  /// The input is over: fine between members (after at least one), an error anywhere else.
  void finish() {
    held_.rethrow_if_any();
    switch (state_) {
      case state::ignoring:
        return;
      case state::id1:
        if (members_ > 0) return;
        fail_at(consumed_, "empty input, no gzip member", false);
      case state::id2:
        // One byte that could start a member is not a member yet: trailing data.
        if (members_ > 0) {
          if (trailing_ == trailing_data::ignore) return;
          fail_at(member_start_, "trailing data after the last gzip member", false);
        }
        fail_at(consumed_, "truncated input: it ends inside a member header", false);
      case state::body:
        fail_at(consumed_, "truncated input: it ends inside the deflate data", member_bytes_ > 0);
      case state::trailer:
        fail_at(consumed_, "truncated input: it ends inside the member trailer", member_bytes_ > 0);
      default:
        fail_at(consumed_, "truncated input: it ends inside a member header", false);
    }
  }

  [[nodiscard]] std::string_view name() const noexcept { return "gzip"; }
  [[nodiscard]] bool passthrough() const noexcept { return false; }
  /// Complete members decoded so far.
  [[nodiscard]] std::uint64_t members() const noexcept { return members_; }

 private:
  enum class state : unsigned char {
    id1,
    id2,
    cm,
    flg,
    mtime,
    xfl,
    os,
    xlen,
    extra,
    fname,
    fcomment,
    hcrc,
    body,
    trailer,
    ignoring
  };
  static constexpr unsigned char ftext = 1, fhcrc = 2, fextra = 4, fname = 8, fcomment = 16;

  [[noreturn]] static void fail_at(std::uint64_t offset, std::string problem, bool unverified) {
    detail::throw_format("gzip", std::move(problem), offset, unverified);
  }
  /// Whether bytes of the current member already went to the caller in earlier calls.
  [[nodiscard]] bool delivered() const noexcept { return member_bytes_ > undelivered_; }

  // Headers are a few bytes; byte at a time keeps members split across blocks simple.
  void header_byte(unsigned char b, std::uint64_t at) {
    if (state_ != state::trailer && state_ != state::hcrc) {
      header_crc_ = static_cast<std::uint32_t>(crc32_z(header_crc_, &b, 1));
    }
    switch (state_) {
      case state::id1:
        member_start_ = at;
        if (b != 0x1f) return not_a_member();
        header_crc_ = static_cast<std::uint32_t>(crc32_z(0, &b, 1));
        state_ = state::id2;
        return;
      case state::id2:
        if (b != 0x8b) return not_a_member();
        state_ = state::cm;
        return;
      case state::cm:
        if (b != 8)
          fail_at(at,
                  hotpath::detail::concat("unsupported compression method ", int{b},
                                          " (only 8, deflate)"),
                  false);
        state_ = state::flg;
        return;
      case state::flg:
        if ((b & 0xe0) != 0)
          fail_at(at,
                  hotpath::detail::concat("reserved header flag bits set (flags 0x", hex(b), ")"),
                  false);
        flags_ = b;
        state_ = state::mtime;
        field_ = 0;
        return;
      case state::mtime:
        if (++field_ == 4) state_ = state::xfl;
        return;
      case state::xfl:
        state_ = state::os;
        return;
      case state::os:
        field_ = 0;
        return after_fixed_header();
      case state::xlen:
        xlen_ |= static_cast<std::uint32_t>(b) << (8 * field_);
        if (++field_ == 2) {
          field_ = 0;
          if (xlen_ == 0) return after_extra();
          state_ = state::extra;
        }
        return;
      case state::extra:
        if (++field_ == xlen_) after_extra();
        return;
      case state::fname:
        if (b == 0) after_name();
        return;
      case state::fcomment:
        if (b == 0) after_comment();
        return;
      case state::hcrc:
        stored_hcrc_ |= static_cast<std::uint32_t>(b) << (8 * field_);
        if (++field_ == 2) {
          if (stored_hcrc_ != (header_crc_ & 0xffff))
            fail_at(at - 1,
                    hotpath::detail::concat("header CRC16 mismatch (stored 0x", hex(stored_hcrc_),
                                            ", computed 0x", hex(header_crc_ & 0xffff), ")"),
                    false);
          start_body();
        }
        return;
      case state::trailer:
        trailer_[field_++] = b;
        if (field_ == 8) check_trailer();
        return;
      case state::body:
      case state::ignoring:
        return;
    }
  }

  void not_a_member() {
    if (members_ == 0) fail_at(member_start_, "not gzip data (bad magic bytes)", false);
    if (trailing_ == trailing_data::ignore) {
      state_ = state::ignoring;
      return;
    }
    fail_at(member_start_, "trailing data after the last gzip member", false);
  }
  void after_fixed_header() {
    if (flags_ & fextra) {
      state_ = state::xlen;
      xlen_ = 0;
      return;
    }
    after_extra();
  }
  void after_extra() {
    field_ = 0;
    if (flags_ & fname) {
      state_ = state::fname;
      return;
    }
    after_name();
  }
  void after_name() {
    if (flags_ & fcomment) {
      state_ = state::fcomment;
      return;
    }
    after_comment();
  }
  void after_comment() {
    if (flags_ & fhcrc) {
      state_ = state::hcrc;
      field_ = 0;
      stored_hcrc_ = 0;
      return;
    }
    start_body();
  }
  void start_body() {
    inflater_.reset();
    member_bytes_ = 0;
    undelivered_ = 0;
    state_ = state::body;
  }
  void check_trailer() {
    auto le32 = [&](int k) {
      return static_cast<std::uint32_t>(trailer_[k]) |
             static_cast<std::uint32_t>(trailer_[k + 1]) << 8 |
             static_cast<std::uint32_t>(trailer_[k + 2]) << 16 |
             static_cast<std::uint32_t>(trailer_[k + 3]) << 24;
    };
    std::uint32_t crc = le32(0), isize = le32(4);
    if (crc != inflater_.crc())
      fail_at(trailer_start_,
              hotpath::detail::concat("CRC32 mismatch (stored 0x", hex(crc), ", computed 0x",
                                      hex(inflater_.crc()), ")"),
              delivered());
    if (isize != static_cast<std::uint32_t>(member_bytes_))
      fail_at(trailer_start_ + 4,
              hotpath::detail::concat("ISIZE mismatch (stored ", isize, ", decoded ",
                                      static_cast<std::uint32_t>(member_bytes_), " mod 2^32)"),
              delivered());
    ++members_;
    state_ = state::id1;
  }
  static std::string hex(std::uint32_t v) {
    static constexpr char digits[] = "0123456789abcdef";
    std::string s;
    do {
      s.insert(s.begin(), digits[v & 15]);
      v >>= 4;
    } while (v != 0);
    return s;
  }

  Inflater inflater_;
  trailing_data trailing_;
  state state_ = state::id1;
  unsigned char flags_ = 0;
  std::uint32_t field_ = 0;
  std::uint32_t xlen_ = 0;
  std::uint32_t header_crc_ = 0;
  std::uint32_t stored_hcrc_ = 0;
  unsigned char trailer_[8] = {};
  std::uint64_t member_bytes_ = 0;
  std::uint64_t undelivered_ = 0;
  std::uint64_t member_start_ = 0;
  std::uint64_t trailer_start_ = 0;
  std::uint64_t members_ = 0;
  std::uint64_t consumed_ = 0;
  detail::held_error held_;
};

#if defined(HOTPATH_STREAM_HAS_ISAL)
using default_inflater = isal_inflater;
#else
using default_inflater = zlib_inflater;
#endif

/// gzip with the fastest inflater this build has.
using gzip = basic_gzip<default_inflater>;
/// gzip through zlib alone, whatever else is built in.
using gzip_zlib = basic_gzip<zlib_inflater>;

static_assert(codec<gzip>);

}  // namespace hotpath::inline HOTPATH_ABI::stream
