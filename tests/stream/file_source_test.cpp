#include "hotpath/stream/file_source.hpp"

#include <gtest/gtest.h>

#include <string>

#include "stream_test_util.hpp"

namespace hs = hotpath::stream;

namespace {

TEST(FileSource, ReadsTheWholeFileInBlocksOfTheBufferSize) {
  hotpath_test::temp_dir dir;
  std::string text = hotpath_test::make_text(300000);
  hotpath_test::write_file(dir.file("f"), text);
  hs::file_source src(dir.file("f"), {.buffer_bytes = 100000});
  EXPECT_EQ(src.size(), text.size());
  std::string got;
  std::size_t blocks = 0;
  for (auto b = src.next(); !b.empty(); b = src.next()) {
    got.append(b);
    ++blocks;
  }
  EXPECT_EQ(got, text);
  EXPECT_EQ(blocks, (text.size() + 99999) / 100000);
  EXPECT_EQ(src.consumed(), text.size());
}

TEST(FileSource, AnEmptyFileHasNoBlocks) {
  hotpath_test::temp_dir dir;
  hotpath_test::write_file(dir.file("empty"), "");
  hs::file_source src(dir.file("empty"));
  EXPECT_EQ(src.size(), 0u);
  EXPECT_TRUE(src.next().empty());
  EXPECT_TRUE(src.next().empty());  // and stays at the end
  EXPECT_EQ(src.consumed(), 0u);
}

TEST(FileSource, AMissingFileNamesThePath) {
  try {
    hs::file_source src("/nonexistent/hotpath-test-file");
    ADD_FAILURE();
  } catch (const std::system_error& e) {
    EXPECT_NE(std::string(e.what()).find("/nonexistent/hotpath-test-file"), std::string::npos);
    EXPECT_EQ(e.code().value(), ENOENT);
  }
}

}  // namespace
