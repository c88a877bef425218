// hotpath_stream_tool: the hotpath side of the stream benchmarks that run against command-line
// and Python peers (benchmarks/stream/cli_bench.sh times it with hyperfine), plus the corpus
// generator and the verifier.
//
//   hotpath_stream_tool gen --mb 64 --out DIR        corpus.csv and corpus.jsonl
//   hotpath_stream_tool lines [--zlib] [--mmap] [--xz-threads N] [--bz2-threads N] [--threads N]
//                            FILE
//   hotpath_stream_tool csv FILE                     rows and fields
//   hotpath_stream_tool jsonl [--threads N] FILE     validates every document
//   hotpath_stream_tool verify FILE                  decoded bytes, CRC32 and lines
#include <zlib.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <memory>
#include <string>
#include <string_view>

#include "corpus.hpp"
#include "hotpath/exec/thread_pool.hpp"
#include "hotpath/stream.hpp"

namespace hs = hotpath::stream;

namespace {

struct args {
  std::string cmd, file, out = ".";
  bool zlib = false, mmap = false;
  unsigned xz_threads = 1, bz2_threads = 1, threads = 1;
  std::size_t mb = 64;
  std::size_t buffer_kb = 1024;
  std::size_t decode_kb = 256;
};

[[noreturn]] void usage() {
  std::fprintf(stderr,
               "usage: hotpath_stream_tool gen --mb N --out DIR | lines [--zlib] [--mmap] "
               "[--xz-threads N] [--bz2-threads N] [--threads N] FILE | csv FILE | jsonl "
               "[--threads N] FILE | "
               "verify FILE\n");
  std::exit(2);
}

args parse(int argc, char** argv) {
  if (argc < 2) usage();
  args a;
  a.cmd = argv[1];
  for (int i = 2; i < argc; ++i) {
    std::string_view s = argv[i];
    auto value = [&] {
      if (i + 1 >= argc) usage();
      return std::string(argv[++i]);
    };
    if (s == "--zlib")
      a.zlib = true;
    else if (s == "--mmap")
      a.mmap = true;
    else if (s == "--xz-threads")
      a.xz_threads = static_cast<unsigned>(std::stoul(value()));
    else if (s == "--bz2-threads")
      a.bz2_threads = static_cast<unsigned>(std::stoul(value()));
    else if (s == "--threads")
      a.threads = static_cast<unsigned>(std::stoul(value()));
    else if (s == "--mb")
      a.mb = std::stoul(value());
    else if (s == "--buffer-kb")
      a.buffer_kb = std::stoul(value());
    else if (s == "--decode-kb")
      a.decode_kb = std::stoul(value());
    else if (s == "--out")
      a.out = value();
    else if (!s.starts_with("--"))
      a.file = std::string(s);
    else
      usage();
  }
  return a;
}

hs::input_options input(const args& a) {
  return {.codec = {.xz_threads = a.xz_threads, .bzip2_threads = a.bz2_threads},
          .buffer_bytes = a.decode_kb << 10};
}

int gen(const args& a) {
  hotpath_bench::corpus c;
  std::ofstream csv(a.out + "/corpus.csv", std::ios::binary),
      jsonl(a.out + "/corpus.jsonl", std::ios::binary);
  std::string cbuf, jbuf;
  hotpath_bench::corpus::csv_header(cbuf);
  std::size_t target = a.mb << 20, written = 0;
  while (written < target) {
    cbuf.clear();
    jbuf.clear();
    for (int i = 0; i < 1000; ++i) {
      auto r = c.next();
      hotpath_bench::corpus::csv(r, cbuf);
      hotpath_bench::corpus::json(r, jbuf);
    }
    csv.write(cbuf.data(), static_cast<std::streamsize>(cbuf.size()));
    jsonl.write(jbuf.data(), static_cast<std::streamsize>(jbuf.size()));
    written += cbuf.size();
  }
  return csv && jsonl ? 0 : 1;
}

template <class Source, class Codec>
int count_lines(Source src, const args& a) {
  if (a.threads > 1) {
    hotpath::thread_pool<> pool({.threads = a.threads - 1});
    hs::block_reader<Source, Codec> in(std::move(src), input(a));
    std::atomic<std::uint64_t> bytes{0};
    auto st = hs::parallel_lines(in, pool, [&](std::string_view l) {
      bytes.fetch_add(l.size(), std::memory_order_relaxed);
    });
    std::printf("lines=%llu\n", static_cast<unsigned long long>(st.lines));
    return 0;
  }
  hs::line_reader<Source, Codec> r(std::move(src), {.input = input(a)});
  std::uint64_t n = 0, bytes = 0;
  while (auto l = r.next()) {
    ++n;
    bytes += l->size();
  }
  std::printf("lines=%llu\n", static_cast<unsigned long long>(n));
  return bytes == ~0ull;  // keeps the line lengths live
}

int lines(const args& a) {
  if (a.mmap) return count_lines<hs::mmap_source, hs::auto_detect>(hs::mmap_source(a.file), a);
  if (a.zlib) return count_lines<hs::file_source, hs::gzip_zlib>(hs::file_source(a.file), a);
  return count_lines<hs::file_source, hs::auto_detect>(
      hs::file_source(a.file, {.buffer_bytes = a.buffer_kb << 10}), a);
}

int csv(const args& a) {
  hs::csv_reader<hs::file_source> r(hs::file_source(a.file), {.input = input(a)});
  std::uint64_t fields = 0;
  while (auto row = r.next())
    fields += row->size();
  std::printf("rows=%llu fields=%llu\n", static_cast<unsigned long long>(r.rows()),
              static_cast<unsigned long long>(fields));
  return 0;
}

int jsonl(const args& a) {
  if (a.threads > 1) {
    // Decode on this thread, parse and validate on the pool, one parser per worker.
    hotpath::thread_pool<> pool({.threads = a.threads - 1});
    hs::block_reader<hs::file_source> in(hs::file_source(a.file), input(a));
    std::atomic<std::uint64_t> docs{0}, bad{0};
    hs::for_each_chunk(in, pool, [&](const hs::chunk& c) {
      // Each chunk is whole lines: a jsonl_reader over it validates exactly as the serial
      // reader does (parse_many over the chunk, line by line where that fails). One reader
      // per worker, reset for each chunk, keeps simdjson's buffers; simdjson's own helper
      // thread would only compete with the decoding thread for the cores.
      using reader = hs::jsonl_reader<hs::memory_source, hs::plain>;
      thread_local reader r(hs::memory_source({}),
                            {.bad = hs::bad_lines::skip, .simdjson_thread = false});
      r.reset(hs::memory_source(c.data));
      while (r.next()) {
      }
      docs.fetch_add(r.documents(), std::memory_order_relaxed);
      bad.fetch_add(r.skipped(), std::memory_order_relaxed);
    });
    std::printf("docs=%llu bad=%llu\n", static_cast<unsigned long long>(docs.load()),
                static_cast<unsigned long long>(bad.load()));
    return bad.load() != 0;
  }
  hs::jsonl_reader<hs::file_source> r(hs::file_source(a.file), {.input = input(a)});
  while (r.next()) {
  }
  std::printf("docs=%llu bad=0\n", static_cast<unsigned long long>(r.documents()));
  return 0;
}

int verify(const args& a) {
  hs::block_reader<hs::file_source> in(hs::file_source(a.file), input(a));
  uLong crc = crc32(0, nullptr, 0);
  std::uint64_t bytes = 0, lines = 0;
  for (auto b = in.next(); !b.empty(); b = in.next()) {
    crc = crc32_z(crc, reinterpret_cast<const Bytef*>(b.data()), b.size());
    bytes += b.size();
    for (char ch : b)
      lines += ch == '\n';
  }
  std::printf("bytes=%llu crc32=%08lx lines=%llu\n", static_cast<unsigned long long>(bytes), crc,
              static_cast<unsigned long long>(lines));
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  args a = parse(argc, argv);
  try {
    if (a.cmd == "gen") return gen(a);
    if (a.file.empty()) usage();
    if (a.cmd == "lines") return lines(a);
    if (a.cmd == "csv") return csv(a);
    if (a.cmd == "jsonl") return jsonl(a);
    if (a.cmd == "verify") return verify(a);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "hotpath_stream_tool: %s\n", e.what());
    return 1;
  }
  usage();
}
