#include "hotpath/stream/xz.hpp"

#include <gtest/gtest.h>
#include <zlib.h>

#include <string>

#include "stream_test_util.hpp"

namespace hs = hotpath::stream;
using hotpath_test::compress_with;
using hotpath_test::decode_all;
using hotpath_test::decode_error;

namespace {

class XzTest : public ::testing::Test {
 protected:
  hotpath_test::temp_dir dir;
};

TEST_F(XzTest, RoundTripsSingleBlockInAnyBlockSize) {
  std::string text = hotpath_test::make_text(2 << 20);
  std::string x = compress_with(dir, text, "xz -6 -T1");
  EXPECT_EQ(decode_all<hs::xz>(x), text);
  EXPECT_EQ(decode_all<hs::xz>(x, 1, {.buffer_bytes = 999}), text);
}

// How many blocks xz itself lists in a file (`xz --robot --list`: a "totals" line whose fourth
// field is the block count).
std::size_t xz_blocks(const hotpath_test::temp_dir& dir, std::string_view x) {
  hotpath_test::write_file(dir.file("blocks.xz"), x);
  hotpath_test::sh("xz --robot --list " + dir.file("blocks.xz") + " > " + dir.file("list"));
  std::string list = hotpath_test::read_file(dir.file("list"));
  auto at = list.find("totals\t");
  if (at == std::string::npos) return 0;
  std::size_t field = 0, pos = at;
  while (field < 3 && pos != std::string::npos) {
    pos = list.find('\t', pos + 1);
    ++field;
  }
  return pos == std::string::npos ? 0 : std::stoul(list.substr(pos + 1));
}

TEST_F(XzTest, MultiBlockFilesDecodeWithOneOrSeveralThreads) {
  std::string text = hotpath_test::make_text(6 << 20, 8);
  // xz -6 -T2 as the corpus is made, with blocks small enough that 6 MiB has several.
  std::string x = compress_with(dir, text, "xz -6 -T2 --block-size=1MiB");
  EXPECT_GE(xz_blocks(dir, x), 6u);
  for (unsigned threads : {1u, 2u, 4u}) {
    EXPECT_EQ(decode_all<hs::xz>(x, 0, {.codec = {.xz_threads = threads}}), text) << threads;
    EXPECT_EQ(decode_all<hs::xz>(x, 65536, {.codec = {.xz_threads = threads}}), text) << threads;
  }
}

TEST_F(XzTest, ConcatenatedStreamsWithPaddingAndEmptyStreams) {
  std::string a = hotpath_test::make_text(200000, 2), b = hotpath_test::make_text(50000, 3);
  std::string empty = compress_with(dir, "", "xz");
  std::string raw = empty + compress_with(dir, a, "xz") + std::string(8, '\0') + empty +
                    compress_with(dir, b, "xz -0") + std::string(4, '\0') + empty;
  EXPECT_EQ(decode_all<hs::xz>(raw), a + b);
  EXPECT_EQ(decode_all<hs::xz>(raw, 3), a + b);
  EXPECT_EQ(decode_all<hs::xz>(raw, 0, {.codec = {.xz_threads = 2}}), a + b);
}

TEST_F(XzTest, ManyTinyStreams) {
  std::string one = compress_with(dir, "a line\n", "xz -0");
  std::string raw, want;
  for (int i = 0; i < 2000; ++i) {
    raw += one;
    want += "a line\n";
  }
  EXPECT_EQ(decode_all<hs::xz>(raw), want);
  EXPECT_EQ(decode_all<hs::xz>(raw, 5), want);
  EXPECT_EQ(decode_all<hs::xz>(raw, 0, {.codec = {.xz_threads = 2}}), want);
}

TEST_F(XzTest, PaddingNotAMultipleOfFourAndTrailingGarbageAreErrors) {
  std::string good = compress_with(dir, "text\n", "xz");
  auto e = decode_error<hs::xz>(good + std::string(3, '\0'));
  EXPECT_EQ(e.problem(), "stream padding is not a multiple of four bytes");
  EXPECT_EQ(e.offset(), good.size());
  std::string got;
  e = decode_error<hs::xz>(good + "garbage", &got);
  EXPECT_EQ(got, "text\n");
  EXPECT_EQ(e.problem(), "trailing data after the last xz stream");
  EXPECT_EQ(e.offset(), good.size());
  e = decode_error<hs::xz>(good + std::string(4, '\0') + "garbage");
  EXPECT_EQ(e.offset(), good.size() + 4);
  hs::input_options ignore{.codec = {.trailing = hs::trailing_data::ignore}};
  EXPECT_EQ(decode_all<hs::xz>(good + "garbage", 0, ignore), "text\n");
  EXPECT_EQ(decode_all<hs::xz>(good + std::string(3, '\0'), 0, ignore), "text\n");
}

TEST_F(XzTest, TruncationIsAnErrorAtTheEnd) {
  std::string text = hotpath_test::make_text(300000, 4);
  std::string x = compress_with(dir, text, "xz -6");
  for (std::size_t len : {std::size_t{3}, std::size_t{9}, x.size() / 2, x.size() - 1}) {
    std::string got;
    auto e = decode_error<hs::xz>(std::string_view(x).substr(0, len), &got);
    EXPECT_EQ(e.layer(), "xz");
    EXPECT_NE(e.problem().find("truncated input"), std::string::npos) << len << e.what();
    // Cut inside the 6-byte magic, the error names where the stream header began; once the
    // magic is whole, where the input ended.
    EXPECT_EQ(e.offset(), len < 6 ? 0 : len) << e.what();
    EXPECT_EQ(text.substr(0, got.size()), got);
  }
  auto e = decode_error<hs::xz>("");
  EXPECT_EQ(e.problem(), "empty input, no xz stream");
}

TEST_F(XzTest, CorruptDataIsAnError) {
  std::string text = hotpath_test::make_text(300000, 6);
  std::string x = compress_with(dir, text, "xz -6");
  x[x.size() / 2] ^= 0x10;
  std::string got;
  auto e = decode_error<hs::xz>(x, &got, {.buffer_bytes = 4096});
  EXPECT_EQ(e.problem(), "corrupt data or integrity check mismatch");
  EXPECT_EQ(text.substr(0, got.size()), got);
}

TEST_F(XzTest, UnsupportedCheckAndMemoryLimitAreErrors) {
  std::string x = compress_with(dir, "abc\n", "xz --check=crc32");
  // Stream flags are bytes 6-7 (the check id in the low nibble of byte 7), then their CRC32.
  x[7] = 0x02;  // a reserved check id liblzma cannot verify
  auto c = crc32(0, reinterpret_cast<const Bytef*>(x.data() + 6), 2);
  for (int i = 0; i < 4; ++i)
    x[8 + static_cast<std::size_t>(i)] = static_cast<char>(c >> (8 * i));
  auto e = decode_error<hs::xz>(x);
  EXPECT_EQ(e.problem(), "unsupported integrity check type: data cannot be verified");

  std::string big = compress_with(dir, hotpath_test::make_text(100000), "xz -9");
  e = decode_error<hs::xz>(big, nullptr, {.codec = {.xz_memlimit = 1 << 20}});
  EXPECT_EQ(e.problem(), "the stream needs more memory than xz_memlimit allows");
  e = decode_error<hs::xz>(big, nullptr, {.codec = {.xz_threads = 2, .xz_memlimit = 1 << 20}});
  EXPECT_EQ(e.problem(), "the stream needs more memory than xz_memlimit allows");
}

TEST_F(XzTest, DecompressionBombStopsAtTheCap) {
  std::string x = compress_with(dir, std::string(32 << 20, '\0'), "xz -6");
  std::string got;
  auto e = decode_error<hs::xz>(x, &got, {.max_decoded_bytes = 1 << 20});
  EXPECT_EQ(e.problem(), "decoded size exceeds max_decoded_bytes (1048576)");
  EXPECT_LE(got.size(), std::size_t{1} << 20);
}

}  // namespace
