#include "hotpath/stream/gzip.hpp"

#include <gtest/gtest.h>
#include <zlib.h>

#include <cstdint>
#include <string>

#include "stream_test_util.hpp"

namespace hs = hotpath::stream;
using hotpath_test::compress_with;
using hotpath_test::decode_all;
using hotpath_test::decode_error;

namespace {

/// Raw deflate of `data` by zlib, for members built by hand.
std::string raw_deflate(std::string_view data) {
  z_stream z{};
  EXPECT_EQ(deflateInit2(&z, 6, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY), Z_OK);
  std::string out(deflateBound(&z, data.size()) + 16, '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  z.avail_in = static_cast<uInt>(data.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  EXPECT_EQ(deflate(&z, Z_FINISH), Z_STREAM_END);
  out.resize(z.total_out);
  deflateEnd(&z);
  return out;
}

void put_le32(std::string& s, std::uint32_t v) {
  for (int i = 0; i < 4; ++i)
    s.push_back(static_cast<char>(v >> (8 * i)));
}

struct member_spec {
  std::string extra{}, name{}, comment{};
  bool hcrc = false;
};

/// One gzip member with the optional header fields of `spec`.
std::string member(std::string_view data, const member_spec& spec = {}) {
  std::string h = {'\x1f', '\x8b', '\x08', '\0', '\0', '\0', '\0', '\0', '\0', '\x03'};
  unsigned char flg = 0;
  if (!spec.extra.empty()) {
    flg |= 4;
    h.push_back(static_cast<char>(spec.extra.size() & 0xff));
    h.push_back(static_cast<char>(spec.extra.size() >> 8));
    h += spec.extra;
  }
  if (!spec.name.empty()) {
    flg |= 8;
    h += spec.name;
    h.push_back('\0');
  }
  if (!spec.comment.empty()) {
    flg |= 16;
    h += spec.comment;
    h.push_back('\0');
  }
  if (spec.hcrc) flg |= 2;
  h[3] = static_cast<char>(flg);
  if (spec.hcrc) {
    auto c = crc32(0, reinterpret_cast<const Bytef*>(h.data()), static_cast<uInt>(h.size()));
    h.push_back(static_cast<char>(c & 0xff));
    h.push_back(static_cast<char>((c >> 8) & 0xff));
  }
  h += raw_deflate(data);
  put_le32(h, static_cast<std::uint32_t>(crc32(0, reinterpret_cast<const Bytef*>(data.data()),
                                               static_cast<uInt>(data.size()))));
  put_le32(h, static_cast<std::uint32_t>(data.size()));
  return h;
}

template <class Codec>
class GzipTest : public ::testing::Test {};

#if defined(HOTPATH_STREAM_HAS_ISAL)
using gzip_codecs = ::testing::Types<hs::gzip_zlib, hs::basic_gzip<hs::isal_inflater>>;
#else
using gzip_codecs = ::testing::Types<hs::gzip_zlib>;
#endif
TYPED_TEST_SUITE(GzipTest, gzip_codecs);

TYPED_TEST(GzipTest, RoundTripsWhatGzipWritesInAnyBlockSize) {
  hotpath_test::temp_dir dir;
  std::string text = hotpath_test::make_text(3 << 20);
  std::string gz = compress_with(dir, text, "gzip -6");
  EXPECT_EQ(decode_all<TypeParam>(gz), text);
  EXPECT_EQ(decode_all<TypeParam>(gz, 1), text);
  EXPECT_EQ(decode_all<TypeParam>(gz, 4093, {.buffer_bytes = 1000}), text);
}

TYPED_TEST(GzipTest, RoundTripsLevelsOneAndNineAndAStoredMember) {
  hotpath_test::temp_dir dir;
  std::string text = hotpath_test::make_text(1 << 20, 7);
  EXPECT_EQ(decode_all<TypeParam>(compress_with(dir, text, "gzip -1")), text);
  EXPECT_EQ(decode_all<TypeParam>(compress_with(dir, text, "gzip -9")), text);
  // Random bytes do not compress: deflate stores them in stored blocks.
  std::string noise;
  std::uint32_t x = 12345;
  for (int i = 0; i < 200000; ++i) {
    x = x * 1664525u + 1013904223u;
    noise.push_back(static_cast<char>(x >> 24));
  }
  EXPECT_EQ(decode_all<TypeParam>(compress_with(dir, noise, "gzip -6"), 333), noise);
}

TYPED_TEST(GzipTest, DecodesMembersConcatenatedBySplitAndCat) {
  hotpath_test::temp_dir dir;
  std::string text = hotpath_test::make_text(2 << 20, 3);
  hotpath_test::write_file(dir.file("all"), text);
  hotpath_test::sh("cd '" + dir.file("") +
                   "' && split -b 300000 all part_ && gzip -6 part_* && cat part_*.gz > multi.gz");
  std::string multi = hotpath_test::read_file(dir.file("multi.gz"));
  EXPECT_EQ(decode_all<TypeParam>(multi), text);
  EXPECT_EQ(decode_all<TypeParam>(multi, 4096), text);
}

TYPED_TEST(GzipTest, ZeroLengthMembersAtStartMiddleAndEndDecodeToNothing) {
  std::string empty = member("");
  std::string raw = empty + member("abc\n") + empty + empty + member("def\n") + empty;
  EXPECT_EQ(decode_all<TypeParam>(raw), "abc\ndef\n");
  EXPECT_EQ(decode_all<TypeParam>(raw, 1), "abc\ndef\n");
  EXPECT_EQ(decode_all<TypeParam>(empty), "");
}

TYPED_TEST(GzipTest, ManyTinyMembers) {
  std::string raw, want;
  for (int i = 0; i < 3000; ++i) {
    std::string piece = std::to_string(i) + (i % 3 == 0 ? "\n" : "");
    want += piece;
    raw += member(piece);
  }
  EXPECT_EQ(decode_all<TypeParam>(raw), want);
  EXPECT_EQ(decode_all<TypeParam>(raw, 5), want);
}

TYPED_TEST(GzipTest, ReadsExtraNameCommentAndCheckedHeaderCrc) {
  member_spec spec{.extra = std::string("AB\x02\0xy", 6),
                   .name = "data.txt",
                   .comment = "made by hand",
                   .hcrc = true};
  std::string raw = member("payload\n", spec) + member("second\n", {.name = "b"});
  EXPECT_EQ(decode_all<TypeParam>(raw), "payload\nsecond\n");
  EXPECT_EQ(decode_all<TypeParam>(raw, 1), "payload\nsecond\n");
}

TYPED_TEST(GzipTest, BadHeaderCrcIsAnErrorAtTheCrcField) {
  std::string raw = member("x", {.name = "n", .hcrc = true});
  raw[12] ^= 0x40;  // the CRC16 field right after "n\0" (offset 10 + 2)
  auto e = decode_error<TypeParam>(raw);
  EXPECT_EQ(e.layer(), "gzip");
  EXPECT_NE(e.problem().find("header CRC16 mismatch"), std::string::npos) << e.what();
  EXPECT_EQ(e.offset(), 12u);
}

TYPED_TEST(GzipTest, EmptyInputIsAnError) {
  auto e = decode_error<TypeParam>("");
  EXPECT_EQ(e.problem(), "empty input, no gzip member");
  EXPECT_EQ(e.offset(), 0u);
}

TYPED_TEST(GzipTest, TruncationInHeaderBodyAndTrailerIsReportedAtTheEnd) {
  hotpath_test::temp_dir dir;
  std::string text = hotpath_test::make_text(200000, 5);
  std::string gz = compress_with(dir, text, "gzip -6");
  struct cut {
    std::size_t len;
    const char* problem;
  };
  for (cut c : {cut{5, "truncated input: it ends inside a member header"},
                cut{gz.size() / 2, "truncated input: it ends inside the deflate data"},
                cut{gz.size() - 1, "truncated input: it ends inside the member trailer"}}) {
    for (std::size_t block : {std::size_t{0}, std::size_t{1000}}) {
      std::string got;
      auto e = decode_error<TypeParam>(std::string_view(gz).substr(0, c.len), &got, {}, block);
      EXPECT_EQ(e.problem(), c.problem) << c.len;
      EXPECT_EQ(e.offset(), c.len);
      EXPECT_EQ(text.substr(0, got.size()), got) << "what came out is a prefix of the data";
    }
  }
}

TYPED_TEST(GzipTest, BadCrc32AndBadIsizeNameTheTrailerAndSayUnverified) {
  std::string text = hotpath_test::make_text(100000, 9);
  std::string good = member(text);
  std::size_t trailer = good.size() - 8;
  std::string bad_crc = good;
  bad_crc[trailer] ^= 1;
  std::string got;
  auto e = decode_error<TypeParam>(bad_crc, &got, {.buffer_bytes = 4096});
  EXPECT_NE(e.problem().find("CRC32 mismatch"), std::string::npos) << e.what();
  EXPECT_EQ(e.offset(), trailer);
  EXPECT_TRUE(e.unverified());
  EXPECT_GT(got.size(), 0u);
  EXPECT_EQ(text.substr(0, got.size()), got);

  std::string bad_size = good;
  bad_size[trailer + 4] ^= 1;
  e = decode_error<TypeParam>(bad_size);
  EXPECT_NE(e.problem().find("ISIZE mismatch"), std::string::npos) << e.what();
  EXPECT_EQ(e.offset(), trailer + 4);
}

TYPED_TEST(GzipTest, TrailingGarbageIsAnErrorByDefaultAndIgnoredOnRequest) {
  std::string good = member("line\n");
  for (std::string tail : {std::string("garbage"), std::string(8, '\0'), std::string("\x1f")}) {
    std::string got;
    auto e = decode_error<TypeParam>(good + tail, &got);
    EXPECT_EQ(got, "line\n") << "the good member comes out before the error";
    EXPECT_EQ(e.problem(), "trailing data after the last gzip member") << e.what();
    EXPECT_EQ(e.offset(), good.size());
    EXPECT_EQ(
        decode_all<TypeParam>(good + tail, 0, {.codec = {.trailing = hs::trailing_data::ignore}}),
        "line\n");
  }
}

TYPED_TEST(GzipTest, AGoodMemberBeforeABrokenOneIsDeliveredWholeInAnyBlockSize) {
  std::string text = hotpath_test::make_text(50000, 12);
  std::string bad = member("second");
  bad[2] = 9;  // the second member's method
  for (std::size_t block : {std::size_t{0}, std::size_t{1}, std::size_t{4096}}) {
    std::string got;
    auto e = decode_error<TypeParam>(member(text) + bad, &got, {}, block);
    EXPECT_EQ(got, text) << block;
    EXPECT_EQ(e.problem(), "unsupported compression method 9 (only 8, deflate)");
  }
}

TYPED_TEST(GzipTest, WrongMethodAndReservedFlagsAreErrors) {
  std::string raw = member("x");
  raw[2] = 7;
  auto e = decode_error<TypeParam>(raw);
  EXPECT_EQ(e.problem(), "unsupported compression method 7 (only 8, deflate)");
  EXPECT_EQ(e.offset(), 2u);
  raw = member("x");
  raw[3] = static_cast<char>(0x20);
  e = decode_error<TypeParam>(raw);
  EXPECT_NE(e.problem().find("reserved header flag bits"), std::string::npos);
  EXPECT_EQ(e.offset(), 3u);
  e = decode_error<TypeParam>("plain text, not gzip");
  EXPECT_EQ(e.problem(), "not gzip data (bad magic bytes)");
}

TYPED_TEST(GzipTest, CorruptDeflateDataIsAnErrorAndOnlyGoodBytesCameOut) {
  std::string text = hotpath_test::make_text(400000, 11);
  std::string raw = member(text);
  for (std::size_t i = raw.size() / 2; i < raw.size() / 2 + 64; ++i)
    raw[i] = static_cast<char>(0xff);
  std::string got;
  auto e = decode_error<TypeParam>(raw, &got, {.buffer_bytes = 4096});
  EXPECT_EQ(e.layer(), "gzip");
  EXPECT_GT(e.offset(), 10u);
  EXPECT_LE(e.offset(), raw.size());
}

TYPED_TEST(GzipTest, DecompressionBombStopsAtTheCap) {
  std::string zeros(64 << 20, '\0');
  std::string raw = member(zeros);
  ASSERT_LT(raw.size(), 100000u);
  std::string got;
  auto e = decode_error<TypeParam>(raw, &got, {.max_decoded_bytes = 1 << 20});
  EXPECT_EQ(e.problem(), "decoded size exceeds max_decoded_bytes (1048576)");
  EXPECT_LE(got.size(), std::size_t{1} << 20);
  EXPECT_EQ(decode_all<TypeParam>(raw, 0, {.max_decoded_bytes = 64 << 20}).size(), zeros.size());
}

TEST(Gzip, DefaultInflaterIsTheFastestBuiltIn) {
#if defined(HOTPATH_STREAM_HAS_ISAL)
  EXPECT_TRUE((std::is_same_v<hs::default_inflater, hs::isal_inflater>));
#else
  EXPECT_TRUE((std::is_same_v<hs::default_inflater, hs::zlib_inflater>));
#endif
}

}  // namespace
