#include "hotpath/stream/zstd.hpp"

#include <gtest/gtest.h>

#include <string>

#include "hotpath/core/error.hpp"
#include "stream_test_util.hpp"

namespace hs = hotpath::stream;
using hotpath_test::compress_with;
using hotpath_test::decode_all;
using hotpath_test::decode_error;

namespace {

class ZstdTest : public ::testing::Test {
 protected:
  hotpath_test::temp_dir dir;
};

// A skippable frame as the format defines it: magic 0x184D2A5?, a 32-bit size, that many bytes.
std::string skippable(unsigned char nibble, std::string_view payload) {
  std::string f = {static_cast<char>(0x50 | nibble), '\x2a', '\x4d', '\x18'};
  for (int i = 0; i < 4; ++i)
    f += static_cast<char>((payload.size() >> (8 * i)) & 0xff);
  return f.append(payload);
}

TEST_F(ZstdTest, RoundTripsWhatZstdWritesInAnyBlockSize) {
  std::string text = hotpath_test::make_text(2 << 20);
  std::string z = compress_with(dir, text, "zstd -q -c -3");
  EXPECT_EQ(decode_all<hs::zstd>(z), text);
  EXPECT_EQ(decode_all<hs::zstd>(z, 1, {.buffer_bytes = 777}), text);
  EXPECT_EQ(decode_all<hs::zstd>(compress_with(dir, text, "zstd -q -c -19 --no-check"), 5000),
            text);
}

TEST_F(ZstdTest, DecodesConcatenatedSkippableAndEmptyFrames) {
  std::string a = hotpath_test::make_text(300000, 2), b = hotpath_test::make_text(100000, 3);
  std::string empty = compress_with(dir, "", "zstd -q -c");
  std::string raw = empty + compress_with(dir, a, "zstd -q -c") + skippable(0, "meta") + empty +
                    compress_with(dir, b, "zstd -q -c -1") + skippable(0xf, "") + empty;
  EXPECT_EQ(decode_all<hs::zstd>(raw), a + b);
  EXPECT_EQ(decode_all<hs::zstd>(raw, 3), a + b);
  // pzstd starts every frame with a skippable frame that holds its size.
  std::string p = compress_with(dir, a + b, "pzstd -q -p 2 -c");
  EXPECT_EQ(static_cast<unsigned char>(p[0]), 0x50u);
  EXPECT_EQ(decode_all<hs::zstd>(p, 4096), a + b);
}

TEST_F(ZstdTest, ManyTinyFrames) {
  std::string raw, want;
  for (int i = 0; i < 40; ++i) {
    std::string piece = "record " + std::to_string(i) + "\n";
    want += piece;
    raw += compress_with(dir, piece, "zstd -q -c");
  }
  EXPECT_EQ(decode_all<hs::zstd>(raw, 7), want);
}

TEST_F(ZstdTest, TruncationIsAnErrorAtTheEnd) {
  std::string text = hotpath_test::make_text(400000, 4);
  std::string z = compress_with(dir, text, "zstd -q -c");
  struct cut {
    std::size_t len;
    const char* problem;
  };
  for (cut c : {cut{2, "truncated input: it ends inside the frame header"},
                cut{7, "truncated input: it ends inside a frame"},
                cut{z.size() / 2, "truncated input: it ends inside a frame"},
                cut{z.size() - 1, "truncated input: it ends inside a frame"}}) {
    std::string got;
    auto e =
        decode_error<hs::zstd>(std::string_view(z).substr(0, c.len), &got, {.buffer_bytes = 4096});
    EXPECT_EQ(e.problem(), c.problem) << c.len;
    EXPECT_EQ(e.offset(), c.len == 2 ? 0u : c.len);
    EXPECT_EQ(e.unverified(), c.len > z.size() / 4) << c.len;
    EXPECT_EQ(text.substr(0, got.size()), got);
  }
  auto e = decode_error<hs::zstd>("");
  EXPECT_EQ(e.problem(), "empty input, no zstd frame");
}

TEST_F(ZstdTest, ChecksumMismatchComesAfterTheFramesDataWentOut) {
  std::string text = hotpath_test::make_text(300000, 6);
  std::string z = compress_with(dir, text, "zstd -q -c");
  z.back() ^= 0x01;  // the last byte of the XXH64 content checksum
  std::string got;
  auto e = decode_error<hs::zstd>(z, &got, {.buffer_bytes = 4096});
  EXPECT_EQ(e.layer(), "zstd");
  EXPECT_EQ(e.problem(), "frame checksum mismatch");
  EXPECT_EQ(e.offset(), z.size() - 4);  // where the checksum starts
  EXPECT_TRUE(e.unverified());
  EXPECT_EQ(text.substr(0, got.size()), got);
  EXPECT_GT(got.size(), 0u);
}

TEST_F(ZstdTest, CorruptDataIsAnErrorInsideTheFrame) {
  std::string text = hotpath_test::make_text(300000, 7);
  std::string z = compress_with(dir, text, "zstd -q -c");
  for (std::size_t at : {std::size_t{4}, z.size() / 2}) {
    std::string bad = z;
    bad[at] = static_cast<char>(bad[at] ^ 0x5a);
    auto e = decode_error<hs::zstd>(bad, nullptr, {.buffer_bytes = 4096});
    EXPECT_EQ(e.layer(), "zstd") << at;
    EXPECT_TRUE(e.problem().starts_with("corrupt frame (libzstd: ") ||
                e.problem() == "frame checksum mismatch")
        << e.problem();
    EXPECT_GE(e.offset(), at);
    EXPECT_LE(e.offset(), z.size());
  }
}

TEST_F(ZstdTest, TrailingDataIsAnErrorByDefaultAndIgnoredOnRequest) {
  std::string good = compress_with(dir, "hello\n", "zstd -q -c");
  for (std::string tail : {std::string("junk after"), std::string(4, '\0'),
                           std::string("\x28\xb5", 2), std::string("\x5a\x2a\x4c", 3)}) {
    std::string got;
    auto e = decode_error<hs::zstd>(good + tail, &got);
    EXPECT_EQ(got, "hello\n");
    EXPECT_EQ(e.problem(), "trailing data after the last zstd frame");
    EXPECT_EQ(e.offset(), good.size());
    EXPECT_EQ(
        decode_all<hs::zstd>(good + tail, 0, {.codec = {.trailing = hs::trailing_data::ignore}}),
        "hello\n");
  }
  auto e = decode_error<hs::zstd>("(not zstd");
  EXPECT_EQ(e.problem(), "not zstd data (bad magic bytes)");
  EXPECT_EQ(e.offset(), 0u);
}

TEST_F(ZstdTest, WindowOverTheLimitIsAnError) {
  std::string z = compress_with(dir, hotpath_test::make_text(1 << 20, 8), "zstd -q -c -19");
  auto e = decode_error<hs::zstd>(z, nullptr, {.codec = {.zstd_window_log_max = 10}});
  EXPECT_EQ(e.problem(), "the frame's window is larger than zstd_window_log_max allows");
  EXPECT_EQ(e.offset(), 4u);  // found in the frame header, right after the magic
  EXPECT_THROW(decode_all<hs::zstd>(z, 0, {.codec = {.zstd_window_log_max = 3}}), hotpath::error);
}

TEST_F(ZstdTest, DecompressionBombStopsAtTheCap) {
  std::string z = compress_with(dir, std::string(32 << 20, 'a'), "zstd -q -c -19");
  std::string got;
  auto e = decode_error<hs::zstd>(z, &got, {.max_decoded_bytes = 100000});
  EXPECT_EQ(e.problem(), "decoded size exceeds max_decoded_bytes (100000)");
  EXPECT_LE(got.size(), 100000u);
}

}  // namespace
