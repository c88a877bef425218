#include "hotpath/stream/mmap_source.hpp"

#include <gtest/gtest.h>

#include <string>

#include "stream_test_util.hpp"

namespace hs = hotpath::stream;

namespace {

TEST(MmapSource, ServesTheFileInPageAlignedBlocksWithoutCopying) {
  hotpath_test::temp_dir dir;
  std::string text = hotpath_test::make_text(1 << 20);
  hotpath_test::write_file(dir.file("f"), text);
  hs::mmap_source src(dir.file("f"), {.block_bytes = 100000});  // rounded up to pages
  EXPECT_EQ(src.size(), text.size());
  std::string got;
  std::string_view prev;
  for (auto b = src.next(); !b.empty(); b = src.next()) {
    if (!prev.empty()) {
      EXPECT_EQ(prev.data() + prev.size(), b.data()) << "one mapping, consecutive blocks";
      EXPECT_EQ(prev.size() % 4096, 0u);
      EXPECT_EQ(prev, text.substr(got.size() - prev.size(), prev.size()))
          << "the previous block stays valid until the next call";
    }
    got.append(b);
    prev = b;
  }
  EXPECT_EQ(got, text);
}

TEST(MmapSource, AnEmptyFileHasNoBlocks) {
  hotpath_test::temp_dir dir;
  hotpath_test::write_file(dir.file("empty"), "");
  hs::mmap_source src(dir.file("empty"));
  EXPECT_EQ(src.size(), 0u);
  EXPECT_EQ(src.next(), "");
}

TEST(MmapSource, MovesOwnershipOfTheMapping) {
  hotpath_test::temp_dir dir;
  hotpath_test::write_file(dir.file("f"), "abc");
  hs::mmap_source a(dir.file("f"));
  hs::mmap_source b(std::move(a));
  EXPECT_EQ(b.next(), "abc");
  EXPECT_THROW(hs::mmap_source(dir.file("missing")), std::system_error);
}

}  // namespace
