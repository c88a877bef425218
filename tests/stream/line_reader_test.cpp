#include "hotpath/stream/line_reader.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "hotpath/stream/file_source.hpp"
#include "hotpath/stream/mmap_source.hpp"
#include "stream_test_util.hpp"

namespace hs = hotpath::stream;

namespace {

std::vector<std::string> lines_of(std::string_view raw, std::size_t block = 0,
                                  std::size_t buffer = 256 << 10) {
  hs::line_reader<hs::memory_source> r(hs::memory_source(raw, block),
                                       {.input = {.buffer_bytes = buffer}});
  std::vector<std::string> out;
  for (std::string_view l : r)
    out.emplace_back(l);
  return out;
}

using lines = std::vector<std::string>;

TEST(LineReader, SplitsOnLfAndCrlfAndKeepsAFinalLineWithoutNewline) {
  EXPECT_EQ(lines_of("a\nb\r\nc"), (lines{"a", "b", "c"}));
  EXPECT_EQ(lines_of("a\nb\n"), (lines{"a", "b"}));
  EXPECT_EQ(lines_of("\n\n"), (lines{"", ""}));
  EXPECT_EQ(lines_of(""), lines{});
  EXPECT_EQ(lines_of("lone\rcr\n"), (lines{"lone\rcr"}));
  EXPECT_EQ(lines_of("final cr stays\r"), (lines{"final cr stays\r"}));
}

TEST(LineReader, LinesSpanningBlocksAndCrLfSplitAcrossBlocks) {
  std::string text = "first line\r\nsecond\r\n\r\nthird line is longer\r\nend";
  lines want{"first line", "second", "", "third line is longer", "end"};
  for (std::size_t block = 1; block <= text.size(); ++block) {
    EXPECT_EQ(lines_of(text, block), want) << block;
  }
  // CR is the last byte of one block and LF the first of the next.
  EXPECT_EQ(lines_of("ab\r\ncd\r\n", 3), (lines{"ab", "cd"}));
}

TEST(LineReader, NulBytesAreData) {
  std::string text("a\0b\n\0\n", 6);
  EXPECT_EQ(lines_of(text), (lines{std::string("a\0b", 3), std::string("\0", 1)}));
}

TEST(LineReader, ALineOverTheLimitIsAnErrorWithItsLineNumber) {
  std::string text = "ok\nshort\n" + std::string(100, 'x') + "\nafter\n";
  for (std::size_t block : {std::size_t{0}, std::size_t{7}}) {
    hs::line_reader<hs::memory_source> r(hs::memory_source(text, block), {.max_line_bytes = 50});
    EXPECT_EQ(r.next(), "ok");
    EXPECT_EQ(r.next(), "short");
    try {
      (void)r.next();
      ADD_FAILURE() << "no error";
    } catch (const hs::format_error& e) {
      EXPECT_EQ(e.layer(), "line");
      EXPECT_EQ(e.line(), 3u);
      EXPECT_NE(e.problem().find("max_line_bytes (50"), std::string::npos) << e.what();
    }
  }
  hs::line_reader<hs::memory_source> exact(hs::memory_source("12345\n"), {.max_line_bytes = 5});
  EXPECT_EQ(exact.next(), "12345");
}

TEST(LineReader, CountsLinesAndNumbersThem) {
  std::string text = hotpath_test::make_text(1 << 20);
  hs::line_reader<hs::memory_source> r(hs::memory_source(text, 10000));
  std::uint64_t n = 0;
  std::size_t bytes = 0;
  while (auto l = r.next()) {
    ++n;
    bytes += l->size() + 1;
    ASSERT_EQ(r.line_number(), n);
  }
  EXPECT_EQ(bytes, text.size());
  EXPECT_EQ(n, static_cast<std::uint64_t>(std::count(text.begin(), text.end(), '\n')));
}

TEST(LineReader, ALineSpanningGzipMembersAndBlocks) {
  hotpath_test::temp_dir dir;
  std::string a = "one\ntwo is split", b = " across members\nthree\n";
  std::string raw =
      hotpath_test::compress_with(dir, a, "gzip") + hotpath_test::compress_with(dir, b, "gzip");
  EXPECT_EQ(lines_of(raw, 5, 4), (lines{"one", "two is split across members", "three"}));
}

// A CRLF split across two gzip members (the CR ends one, the LF starts the next) is one line
// break, whatever the block size.
TEST(LineReader, ACrLfSplitAcrossGzipMembersIsOneLineBreak) {
  hotpath_test::temp_dir dir;
  std::string raw = hotpath_test::compress_with(dir, "one\r\ntwo\r", "gzip") +
                    hotpath_test::compress_with(dir, "\nthree\r\n", "gzip");
  for (std::size_t block : {std::size_t{0}, std::size_t{1}, std::size_t{7}})
    EXPECT_EQ(lines_of(raw, block, 4), (lines{"one", "two", "three"})) << block;
}

// A 0-byte file is empty input, not an error, through any source; a 0-byte .gz is an error.
TEST(LineReader, AnEmptyFileHasNoLinesThroughEverySource) {
  hotpath_test::temp_dir dir;
  hotpath_test::write_file(dir.file("empty"), "");
  hs::line_reader<hs::file_source> by_read(hs::file_source(dir.file("empty")));
  EXPECT_FALSE(by_read.next());
  EXPECT_EQ(by_read.line_number(), 0u);
  hs::line_reader<hs::mmap_source> by_map(hs::mmap_source(dir.file("empty")));
  EXPECT_FALSE(by_map.next());
  hs::line_reader<hs::memory_source, hs::gzip> gz{hs::memory_source(std::string_view())};
  try {
    (void)gz.next();
    ADD_FAILURE() << "an empty gzip input read as no lines";
  } catch (const hs::format_error& e) {
    EXPECT_EQ(e.layer(), "gzip");
    EXPECT_EQ(e.offset(), 0u);
  }
}

TEST(LineReader, CodecErrorsCarryTheLineNumberAndTheGoodLinesComeFirst) {
  hotpath_test::temp_dir dir;
  std::string text = hotpath_test::make_text(300000);
  std::string gz = hotpath_test::compress_with(dir, text, "gzip");
  gz.resize(gz.size() - 3);  // one byte short of ... well, inside the trailer
  hs::line_reader<hs::memory_source> r(hs::memory_source(gz, 4096),
                                       {.input = {.buffer_bytes = 8192}});
  std::string got;
  try {
    while (auto l = r.next()) {
      got.append(*l);
      got.push_back('\n');
    }
    ADD_FAILURE() << "no error";
  } catch (const hs::format_error& e) {
    EXPECT_EQ(e.layer(), "gzip");
    EXPECT_EQ(e.line(), r.line_number() + 1);
    EXPECT_EQ(e.offset(), gz.size());
  }
  EXPECT_EQ(text.substr(0, got.size()), got);
  EXPECT_GT(got.size(), 200000u);
}

TEST(LineReader, ReadsFilesThroughEverySource) {
  hotpath_test::temp_dir dir;
  std::string text = hotpath_test::make_text(3 << 20);
  hotpath_test::write_file(dir.file("plain.txt"), text);
  hotpath_test::sh("gzip -k '" + dir.file("plain.txt") + "'");
  auto count = [](auto& reader) {
    std::uint64_t n = 0, bytes = 0;
    for (std::string_view l : reader) {
      ++n;
      bytes += l.size() + 1;
    }
    return std::pair{n, bytes};
  };
  auto want = std::pair{static_cast<std::uint64_t>(std::count(text.begin(), text.end(), '\n')),
                        static_cast<std::uint64_t>(text.size())};
  hs::line_reader mm(hs::mmap_source(dir.file("plain.txt"), {.block_bytes = 1 << 16}));
  EXPECT_EQ(count(mm), want);
  hs::line_reader rd(hs::file_source(dir.file("plain.txt.gz"), {.buffer_bytes = 5000}));
  EXPECT_EQ(count(rd), want);
  hs::line_reader mgz(hs::mmap_source(dir.file("plain.txt.gz")));
  EXPECT_EQ(count(mgz), want);
}

}  // namespace
