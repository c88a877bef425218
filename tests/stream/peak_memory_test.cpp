// Peak memory of the stream readers does not grow with the input: each reader runs in a child
// process over an input of 512 MiB (decoded), and the child's peak RSS must stay within
// 64 MiB (+ threads x chunk size for the parallel reader). Left out of sanitizer builds, whose
// shadow memory is part of RSS.
#include <gtest/gtest.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zlib.h>

#include <atomic>
#include <cstdio>
#include <functional>
#include <string>

#include "hotpath/exec/thread_pool.hpp"
#include "hotpath/stream/file_source.hpp"
#include "hotpath/stream/line_reader.hpp"
#include "hotpath/stream/mmap_source.hpp"
#include "hotpath/stream/parallel.hpp"
#include "stream_test_util.hpp"

namespace hs = hotpath::stream;

namespace {

constexpr std::uint64_t decoded_bytes = std::uint64_t{512} << 20;
constexpr long mib = 1024;  // ru_maxrss is in KiB

// A 16 KiB stretch of lines, repeated: deflate compresses it about 100:1, so a 512 MiB input
// costs a few MiB of disk.
std::string pattern() {
  std::string p;
  for (int i = 0; p.size() < (16 << 10); ++i)
    p += "2026-11-23T15:00:00Z INFO request " + std::to_string(i) + " served in 12 ms\n";
  p.resize(p.rfind('\n') + 1);
  return p;
}

std::uint64_t lines_in_input() {
  std::string p = pattern();
  std::uint64_t per = static_cast<std::uint64_t>(std::count(p.begin(), p.end(), '\n'));
  return decoded_bytes / p.size() * per;
}

void write_gzip(const std::string& path) {
  std::string p = pattern();
  gzFile f = gzopen(path.c_str(), "wb1");
  ASSERT_NE(f, nullptr);
  for (std::uint64_t n = 0; n + p.size() <= decoded_bytes; n += p.size())
    ASSERT_EQ(gzwrite(f, p.data(), static_cast<unsigned>(p.size())), static_cast<int>(p.size()));
  gzclose(f);
}

void write_plain(const std::string& path) {
  std::string p = pattern(), block;
  while (block.size() < (4 << 20))
    block += p;
  std::FILE* f = std::fopen(path.c_str(), "wb");
  ASSERT_NE(f, nullptr);
  std::uint64_t n = 0;
  for (; n + block.size() <= decoded_bytes; n += block.size())
    ASSERT_EQ(std::fwrite(block.data(), 1, block.size(), f), block.size());
  for (; n + p.size() <= decoded_bytes; n += p.size())
    std::fwrite(p.data(), 1, p.size(), f);
  std::fclose(f);
}

/// Runs `fn` in a child process; returns its peak RSS in KiB, or -1 when it failed. The child
/// exits 0 only when `fn` returned true.
long peak_rss_kib(const std::function<bool()>& fn) {
  std::fflush(nullptr);
  pid_t pid = ::fork();
  if (pid == 0) {
    bool ok = false;
    try {
      ok = fn();
    } catch (...) {
    }
    ::_exit(ok ? 0 : 1);
  }
  int status = 0;
  struct rusage ru {};
  if (pid < 0 || ::wait4(pid, &status, 0, &ru) != pid) return -1;
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) return -1;
  return ru.ru_maxrss;
}

class PeakMemory : public ::testing::Test {
 protected:
  hotpath_test::temp_dir dir;
};

TEST_F(PeakMemory, LineReaderOverHalfAGigabyteOfGzipStaysUnder64MiB) {
  write_gzip(dir.file("big.gz"));
  const std::uint64_t want = lines_in_input();
  long kib = peak_rss_kib([&] {
    hs::line_reader r(hs::file_source(dir.file("big.gz")));
    std::uint64_t n = 0;
    while (r.next())
      ++n;
    return n == want && r.input().produced() == decoded_bytes / pattern().size() * pattern().size();
  });
  ASSERT_GT(kib, 0) << "the child failed or counted wrong";
  std::printf("peak RSS of the child: %ld KiB\n", kib);
  EXPECT_LE(kib, 64 * mib);
}

TEST_F(PeakMemory, ParallelLinesStayUnder64MiBPlusThreadsTimesChunk) {
  write_gzip(dir.file("big.gz"));
  const std::uint64_t want = lines_in_input();
  constexpr unsigned threads = 2;
  constexpr std::size_t chunk = std::size_t{4} << 20;
  long kib = peak_rss_kib([&] {
    hotpath::thread_pool<> pool({.threads = threads});
    hs::block_reader<hs::file_source> in(hs::file_source(dir.file("big.gz")));
    std::atomic<std::uint64_t> n{0};
    auto st = hs::parallel_lines(
        in, pool, [&](std::string_view) { n.fetch_add(1, std::memory_order_relaxed); },
        {.chunk_bytes = chunk});
    return n.load() == want && st.lines == want;
  });
  ASSERT_GT(kib, 0) << "the child failed or counted wrong";
  std::printf("peak RSS of the child: %ld KiB\n", kib);
  EXPECT_LE(kib, 64 * mib + static_cast<long>(threads * (chunk >> 10)));
}

TEST_F(PeakMemory, MmapLineReaderReleasesWhatItReadAndStaysUnder64MiB) {
  write_plain(dir.file("big.txt"));
  const std::uint64_t want = lines_in_input();
  long kib = peak_rss_kib([&] {
    hs::line_reader r(hs::mmap_source(dir.file("big.txt")));
    std::uint64_t n = 0;
    while (r.next())
      ++n;
    return n == want;
  });
  ASSERT_GT(kib, 0) << "the child failed or counted wrong";
  std::printf("peak RSS of the child: %ld KiB\n", kib);
  EXPECT_LE(kib, 64 * mib);
}

}  // namespace
