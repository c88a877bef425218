#include "hotpath/stream/bzip2.hpp"

#include <gtest/gtest.h>

#include <string>

#include "stream_test_util.hpp"

namespace hs = hotpath::stream;
using hotpath_test::compress_with;
using hotpath_test::decode_all;
using hotpath_test::decode_error;

namespace {

// Every behaviour holds for the serial decoder (1 thread) and the parallel one.
class Bzip2Test : public ::testing::TestWithParam<unsigned> {
 protected:
  hotpath_test::temp_dir dir;
  hs::input_options opts(hs::input_options o = {}) const {
    o.codec.bzip2_threads = GetParam();
    return o;
  }
  bool parallel() const { return GetParam() > 1; }
};

TEST_P(Bzip2Test, RoundTripsWhatBzip2WritesInAnyBlockSize) {
  std::string text = hotpath_test::make_text(2 << 20);
  std::string bz = compress_with(dir, text, "bzip2 -9");
  EXPECT_EQ(decode_all<hs::bzip2>(bz, 0, opts()), text);
  EXPECT_EQ(decode_all<hs::bzip2>(bz, 1, opts({.buffer_bytes = 777})), text);
  // -1: blocks of 100 kB, so about 20 of them.
  EXPECT_EQ(decode_all<hs::bzip2>(compress_with(dir, text, "bzip2 -1"), 5000, opts()), text);
}

TEST_P(Bzip2Test, DecodesConcatenatedStreamsIncludingEmptyOnes) {
  std::string a = hotpath_test::make_text(300000, 2), b = hotpath_test::make_text(100000, 3);
  std::string empty = compress_with(dir, "", "bzip2");
  std::string raw =
      empty + compress_with(dir, a, "bzip2") + empty + compress_with(dir, b, "bzip2 -1") + empty;
  EXPECT_EQ(decode_all<hs::bzip2>(raw, 0, opts()), a + b);
  EXPECT_EQ(decode_all<hs::bzip2>(raw, 3, opts()), a + b);
}

TEST_P(Bzip2Test, ManyTinyStreams) {
  std::string raw, want;
  for (int i = 0; i < 40; ++i) {
    std::string piece = "record " + std::to_string(i) + "\n";
    want += piece;
    raw += compress_with(dir, piece, "bzip2");
  }
  EXPECT_EQ(decode_all<hs::bzip2>(raw, 7, opts()), want);
}

TEST_P(Bzip2Test, TruncationIsAnErrorAtTheEnd) {
  std::string text = hotpath_test::make_text(400000, 4);
  std::string bz = compress_with(dir, text, "bzip2 -9");
  struct cut {
    std::size_t len;
    const char* problem;
  };
  for (cut c : {cut{2, "truncated input: it ends inside the stream header"},
                cut{7, "truncated input: it ends inside a stream"},
                cut{bz.size() / 2, "truncated input: it ends inside a stream"},
                cut{bz.size() - 1, "truncated input: it ends inside a stream"}}) {
    std::string got;
    auto e = decode_error<hs::bzip2>(std::string_view(bz).substr(0, c.len), &got, opts());
    EXPECT_EQ(e.problem(), c.problem) << c.len;
    EXPECT_EQ(e.offset(), c.len == 2 ? 0u : c.len);
    EXPECT_EQ(text.substr(0, got.size()), got);
  }
  auto e = decode_error<hs::bzip2>("", nullptr, opts());
  EXPECT_EQ(e.problem(), "empty input, no bzip2 stream");
}

TEST_P(Bzip2Test, CorruptBlockIsAnErrorAndSaysWhetherDataWentOut) {
  std::string text = hotpath_test::make_text(300000, 6);
  std::string bz = compress_with(dir, text, "bzip2 -9");
  bz[bz.size() / 2] ^= 0x10;
  std::string got;
  auto e = decode_error<hs::bzip2>(bz, &got, opts({.buffer_bytes = 4096}));
  EXPECT_EQ(e.problem(), "corrupt data or block CRC mismatch");
  // Past the 4-byte stream header; the parallel decoder names the bad block's first byte.
  EXPECT_GE(e.offset(), 4u);
  EXPECT_LE(e.offset(), bz.size());
  bool prefix = text.compare(0, got.size(), got) == 0;
  if (parallel()) {
    // Only whole checked blocks go out: nothing of the bad one.
    EXPECT_TRUE(prefix);
    EXPECT_FALSE(e.unverified());
  } else {
    // libbz2 hands out a block before its CRC is checked: what went out may be wrong, and
    // the error says so.
    EXPECT_TRUE(prefix || e.unverified());
  }
}

TEST_P(Bzip2Test, ABadStreamCrcIsAnError) {
  std::string text = hotpath_test::make_text(250000, 8);
  std::string bz = compress_with(dir, text, "bzip2 -1");
  bz[bz.size() - 2] ^= 0x01;  // inside the stream's CRC, which ends 0-7 bits before the end
  std::string got;
  auto e = decode_error<hs::bzip2>(bz, &got, opts());
  if (parallel()) {
    // Every block passed its own CRC and went out; the stream's CRC over them did not match.
    EXPECT_EQ(e.problem(), "stream CRC mismatch");
    EXPECT_EQ(got, text);
    EXPECT_TRUE(e.unverified());
    EXPECT_GE(e.offset(), bz.size() - 11);
  } else {
    EXPECT_EQ(e.problem(), "corrupt data or block CRC mismatch");
    EXPECT_TRUE(text.compare(0, got.size(), got) == 0);
  }
}

TEST_P(Bzip2Test, TrailingDataIsAnErrorByDefaultAndIgnoredOnRequest) {
  std::string good = compress_with(dir, "hello\n", "bzip2");
  for (std::string tail : {std::string("junk after"), std::string(4, '\0'), std::string("BZ")}) {
    std::string got;
    auto e = decode_error<hs::bzip2>(good + tail, &got, opts());
    EXPECT_EQ(got, "hello\n");
    EXPECT_EQ(e.problem(), "trailing data after the last bzip2 stream");
    EXPECT_EQ(e.offset(), good.size());
    auto ignore = opts();
    ignore.codec.trailing = hs::trailing_data::ignore;
    EXPECT_EQ(decode_all<hs::bzip2>(good + tail, 0, ignore), "hello\n");
  }
  auto e = decode_error<hs::bzip2>("BZhX not bzip2", nullptr, opts());
  EXPECT_EQ(e.problem(), "not bzip2 data (bad magic bytes)");
}

TEST_P(Bzip2Test, DecompressionBombStopsAtTheCap) {
  std::string bz = compress_with(dir, std::string(32 << 20, 'a'), "bzip2 -9");
  std::string got;
  auto e = decode_error<hs::bzip2>(bz, &got, opts({.max_decoded_bytes = 100000}));
  EXPECT_EQ(e.problem(), "decoded size exceeds max_decoded_bytes (100000)");
  EXPECT_LE(got.size(), 100000u);
}

INSTANTIATE_TEST_SUITE_P(Threads, Bzip2Test, ::testing::Values(1u, 2u, 4u),
                         [](const ::testing::TestParamInfo<unsigned>& p) {
                           return p.param == 1 ? std::string("Serial")
                                               : "Parallel" + std::to_string(p.param);
                         });

// The block magic occurs inside compressed data by chance about once in 2^48 bits. Such a
// false boundary is forced here: both halves fail, and the decoder joins them again.
TEST(Bzip2Parallel, AMagicInsideABlockSplitsNothing) {
  hotpath_test::temp_dir dir;
  std::string text = hotpath_test::make_text(1 << 20, 9);
  std::string bz = compress_with(dir, text, "bzip2 -1");
  for (std::size_t block : {std::size_t{0}, std::size_t{4096}}) {
    hs::block_reader<hs::memory_source, hs::bzip2> r(hs::memory_source(bz, block),
                                                     {.codec = {.bzip2_threads = 2}});
    // Two splits in the first block (which starts at bit 32) and one in a later one.
    r.codec().parallel()->split_at_for_test(32 + 48 + 32 + 1001);
    r.codec().parallel()->split_at_for_test(32 + 48 + 32 + 9999);
    r.codec().parallel()->split_at_for_test(std::uint64_t{bz.size() / 2} * 8 + 5);
    std::string out;
    for (auto b = r.next(); !b.empty(); b = r.next())
      out.append(b);
    EXPECT_EQ(out, text) << block;
  }
}

}  // namespace
