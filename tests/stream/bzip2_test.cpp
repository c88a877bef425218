#include "hotpath/stream/bzip2.hpp"

#include <gtest/gtest.h>

#include <string>

#include "stream_test_util.hpp"

namespace hs = hotpath::stream;
using hotpath_test::compress_with;
using hotpath_test::decode_all;
using hotpath_test::decode_error;

namespace {

class Bzip2Test : public ::testing::Test {
 protected:
  hotpath_test::temp_dir dir;
};

TEST_F(Bzip2Test, RoundTripsWhatBzip2WritesInAnyBlockSize) {
  std::string text = hotpath_test::make_text(2 << 20);
  std::string bz = compress_with(dir, text, "bzip2 -9");
  EXPECT_EQ(decode_all<hs::bzip2>(bz), text);
  EXPECT_EQ(decode_all<hs::bzip2>(bz, 1, {.buffer_bytes = 777}), text);
  EXPECT_EQ(decode_all<hs::bzip2>(compress_with(dir, text, "bzip2 -1"), 5000), text);
}

TEST_F(Bzip2Test, DecodesConcatenatedStreamsIncludingEmptyOnes) {
  std::string a = hotpath_test::make_text(300000, 2), b = hotpath_test::make_text(100000, 3);
  std::string empty = compress_with(dir, "", "bzip2");
  std::string raw =
      empty + compress_with(dir, a, "bzip2") + empty + compress_with(dir, b, "bzip2 -1") + empty;
  EXPECT_EQ(decode_all<hs::bzip2>(raw), a + b);
  EXPECT_EQ(decode_all<hs::bzip2>(raw, 3), a + b);
}

TEST_F(Bzip2Test, ManyTinyStreams) {
  std::string raw, want;
  for (int i = 0; i < 40; ++i) {
    std::string piece = "record " + std::to_string(i) + "\n";
    want += piece;
    raw += compress_with(dir, piece, "bzip2");
  }
  EXPECT_EQ(decode_all<hs::bzip2>(raw, 7), want);
}

TEST_F(Bzip2Test, TruncationIsAnErrorAtTheEnd) {
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
    auto e = decode_error<hs::bzip2>(std::string_view(bz).substr(0, c.len), &got);
    EXPECT_EQ(e.problem(), c.problem) << c.len;
    EXPECT_EQ(e.offset(), c.len == 2 ? 0u : c.len);
    EXPECT_EQ(text.substr(0, got.size()), got);
  }
  auto e = decode_error<hs::bzip2>("");
  EXPECT_EQ(e.problem(), "empty input, no bzip2 stream");
}

TEST_F(Bzip2Test, CorruptBlockIsAnErrorAndSaysWhetherDataWentOut) {
  std::string text = hotpath_test::make_text(300000, 6);
  std::string bz = compress_with(dir, text, "bzip2 -9");
  bz[bz.size() / 2] ^= 0x10;
  std::string got;
  auto e = decode_error<hs::bzip2>(bz, &got, {.buffer_bytes = 4096});
  EXPECT_EQ(e.problem(), "corrupt data or block CRC mismatch");
  EXPECT_GT(e.offset(), 4u);
  EXPECT_LE(e.offset(), bz.size());
}

TEST_F(Bzip2Test, TrailingDataIsAnErrorByDefaultAndIgnoredOnRequest) {
  std::string good = compress_with(dir, "hello\n", "bzip2");
  for (std::string tail : {std::string("junk after"), std::string(4, '\0'), std::string("BZ")}) {
    std::string got;
    auto e = decode_error<hs::bzip2>(good + tail, &got);
    EXPECT_EQ(got, "hello\n");
    EXPECT_EQ(e.problem(), "trailing data after the last bzip2 stream");
    EXPECT_EQ(e.offset(), good.size());
    EXPECT_EQ(
        decode_all<hs::bzip2>(good + tail, 0, {.codec = {.trailing = hs::trailing_data::ignore}}),
        "hello\n");
  }
  auto e = decode_error<hs::bzip2>("BZhX not bzip2");
  EXPECT_EQ(e.problem(), "not bzip2 data (bad magic bytes)");
}

TEST_F(Bzip2Test, DecompressionBombStopsAtTheCap) {
  std::string bz = compress_with(dir, std::string(32 << 20, 'a'), "bzip2 -9");
  std::string got;
  auto e = decode_error<hs::bzip2>(bz, &got, {.max_decoded_bytes = 100000});
  EXPECT_EQ(e.problem(), "decoded size exceeds max_decoded_bytes (100000)");
  EXPECT_LE(got.size(), 100000u);
}

}  // namespace
