#include "hotpath/stream/auto_detect.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "stream_test_util.hpp"

namespace hs = hotpath::stream;
using hotpath_test::compress_with;
using hotpath_test::decode_all;
using hotpath_test::decode_error;

namespace {

TEST(AutoDetect, PicksTheCodecByMagicBytesInAnyBlockSize) {
  hotpath_test::temp_dir dir;
  std::string text = hotpath_test::make_text(500000);
  struct tool {
    const char* cmd;
    hs::detected_format format;
  };
  std::vector<tool> tools{{"gzip", hs::detected_format::gzip_member},
                          {"bzip2", hs::detected_format::bzip2_stream},
                          {"xz", hs::detected_format::xz_stream},
                          {"cat", hs::detected_format::plain_text}};
#if defined(HOTPATH_STREAM_HAS_ZSTD)
  tools.push_back({"zstd -q -c", hs::detected_format::zstd_frame});
  tools.push_back({"pzstd -q -c", hs::detected_format::zstd_frame});  // a skippable frame first
#endif
  for (tool t : tools) {
    std::string raw = compress_with(dir, text, t.cmd);
    EXPECT_EQ(hs::detect_format(raw.substr(0, 10)), t.format) << t.cmd;
    for (std::size_t block : {std::size_t{0}, std::size_t{1}, std::size_t{3}, std::size_t{4096}})
      EXPECT_EQ(decode_all<hs::auto_detect>(raw, block), text) << t.cmd << " " << block;
  }
}

TEST(AutoDetect, ShortAndEmptyInputsArePlain) {
  EXPECT_EQ(decode_all<hs::auto_detect>(""), "");
  EXPECT_EQ(decode_all<hs::auto_detect>("a"), "a");
  EXPECT_EQ(decode_all<hs::auto_detect>("abc\n", 1), "abc\n");
  EXPECT_EQ(decode_all<hs::auto_detect>("BZh9", 1), "BZh9");
}

TEST(AutoDetect, TextThatStartsLikeBzip2IsPlain) {
  std::string text = "BZh9 is how a bzip2 file starts, but this is text\n";
  EXPECT_EQ(hs::detect_format(text), hs::detected_format::plain_text);
  EXPECT_EQ(decode_all<hs::auto_detect>(text, 2), text);
}

TEST(AutoDetect, GzipMagicWithAnotherMethodIsAnErrorNotText) {
  std::string raw = std::string("\x1f\x8b\x07\x00", 4) + "rest of the data";
  auto e = decode_error<hs::auto_detect>(raw);
  EXPECT_EQ(e.layer(), "gzip");
  EXPECT_EQ(e.problem(), "unsupported compression method 7 (only 8, deflate)");
  EXPECT_EQ(e.offset(), 2u);
  e = decode_error<hs::auto_detect>(raw, nullptr, {}, 1);  // offsets survive the probe buffer
  EXPECT_EQ(e.offset(), 2u);
}

TEST(AutoDetect, ZstdMagicGoesToTheZstdCodecNeverToText) {
  auto e = decode_error<hs::auto_detect>(std::string("\x28\xb5\x2f\xfd", 4) + "frame data");
  EXPECT_EQ(e.layer(), "zstd");
#if defined(HOTPATH_STREAM_HAS_ZSTD)
  // 'f' as the frame header descriptor asks for a dictionary, which a stream reader never has.
  EXPECT_EQ(e.problem(), "corrupt frame (libzstd: Dictionary mismatch)");
  EXPECT_EQ(e.offset(), 4u);
#else
  EXPECT_EQ(e.problem(), "zstd input is not supported by this build");
  EXPECT_EQ(e.offset(), 0u);
#endif
}

TEST(AutoDetect, PlainInputFromMemoryIsHandedThroughWithoutACopy) {
  std::string text = hotpath_test::make_text(100000);
  hs::block_reader<hs::memory_source> r(hs::memory_source(text, 1000));
  std::string_view first = r.next();
  EXPECT_EQ(first, text.substr(0, 1000));  // the probe block is copied once
  std::string_view second = r.next();
  EXPECT_EQ(second.data(), text.data() + 1000);  // then the source's bytes themselves
  EXPECT_EQ(r.codec().name(), "plain");
  EXPECT_TRUE(r.codec().passthrough());
}

}  // namespace
