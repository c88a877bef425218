#include "hotpath/stream/fd_source.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <string>
#include <thread>

#include "stream_test_util.hpp"

namespace hs = hotpath::stream;

namespace {

TEST(FdSource, ReadsAPipeToTheEndWithoutKnowingItsSize) {
  int p[2];
  ASSERT_EQ(::pipe(p), 0);
  std::string text = hotpath_test::make_text(1 << 20);
  std::thread writer([&] {
    std::size_t off = 0;
    while (off < text.size()) {
      ssize_t n = ::write(p[1], text.data() + off, std::min<std::size_t>(7000, text.size() - off));
      ASSERT_GT(n, 0);
      off += static_cast<std::size_t>(n);
    }
    ::close(p[1]);
  });
  hs::fd_source src(p[0], {.buffer_bytes = 1 << 18, .owns_fd = true});
  EXPECT_FALSE(src.size().has_value());
  std::string got;
  for (auto b = src.next(); !b.empty(); b = src.next()) {
    EXPECT_LE(b.size(), std::size_t{1} << 18);
    got.append(b);
  }
  writer.join();
  EXPECT_EQ(got, text);
  EXPECT_EQ(src.consumed(), text.size());
}

TEST(FdSource, KnowsTheSizeOfARegularFileFromWhereItStands) {
  hotpath_test::temp_dir dir;
  hotpath_test::write_file(dir.file("f"), "header\nbody\n");
  int fd = ::open(dir.file("f").c_str(), O_RDONLY);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(::lseek(fd, 7, SEEK_SET), 7);
  hs::fd_source src(fd);
  EXPECT_EQ(src.size(), 5u);
  EXPECT_EQ(src.next(), "body\n");
  EXPECT_EQ(src.next(), "");
  ::close(fd);  // not owned
}

TEST(FdSource, AnEmptyFileOrAClosedPipeHasNoBlocks) {
  hotpath_test::temp_dir dir;
  hotpath_test::write_file(dir.file("empty"), "");
  hs::fd_source file(::open(dir.file("empty").c_str(), O_RDONLY), {.owns_fd = true});
  EXPECT_EQ(file.size(), 0u);
  EXPECT_TRUE(file.next().empty());
  int p[2];
  ASSERT_EQ(::pipe(p), 0);
  ::close(p[1]);
  hs::fd_source pipe(p[0], {.owns_fd = true});
  EXPECT_FALSE(pipe.size().has_value());
  EXPECT_TRUE(pipe.next().empty());
  EXPECT_EQ(pipe.consumed(), 0u);
}

TEST(FdSource, RejectsABadDescriptorAndReportsReadErrors) {
  EXPECT_THROW(hs::fd_source(-1), hotpath::error);
  int p[2];
  ASSERT_EQ(::pipe(p), 0);
  hs::fd_source src(p[1]);  // the write end cannot be read
  EXPECT_THROW((void)src.next(), std::system_error);
  ::close(p[0]);
  ::close(p[1]);
}

}  // namespace
