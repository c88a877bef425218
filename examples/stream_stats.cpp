// stream_stats: reads a file (plain, .gz, .bz2, .xz or .zst, whatever its name says) or stdin, and
// prints how many lines (or CSV rows, or JSON Lines documents) it holds, how many bytes it
// decoded, and how fast. A progress bar is drawn on stderr when stderr is a terminal.
//
//   stream_stats access.log.gz
//   zcat big.csv.gz | stream_stats --csv -
//   stream_stats --jsonl --xz-threads 2 events.jsonl.xz
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <string>
#include <string_view>

#include "hotpath/stream.hpp"

namespace hs = hotpath::stream;

namespace {

struct counts {
  std::uint64_t records = 0;
  std::uint64_t raw = 0;
  std::uint64_t decoded = 0;
  std::string_view codec;
};

template <class Source>
counts run(Source src, std::string_view mode, const hs::input_options& in) {
  counts c;
  if (mode == "csv") {
    hs::csv_reader<Source> r(std::move(src), {.input = in, .ragged = hs::ragged_rows::allow});
    while (r.next())
      ++c.records;
    c.raw = r.input().consumed();
    c.decoded = r.input().produced();
    c.codec = r.input().codec().name();
#if defined(HOTPATH_STREAM_HAS_SIMDJSON)
  } else if (mode == "jsonl") {
    hs::jsonl_reader<Source> r(std::move(src), {.input = in});
    while (r.next())
      ++c.records;
    c.raw = r.input().consumed();
    c.decoded = r.input().produced();
    c.codec = r.input().codec().name();
#endif
  } else {
    hs::line_reader<Source> r(std::move(src), {.input = in});
    while (r.next())
      ++c.records;
    c.raw = r.input().consumed();
    c.decoded = r.input().produced();
    c.codec = r.input().codec().name();
  }
  return c;
}

int usage() {
  std::fprintf(stderr,
               "usage: stream_stats [--csv | --jsonl] [--xz-threads N] [--no-progress] FILE|-\n");
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  std::string_view mode = "lines";
  std::string path;
  hs::input_options in;
  bool progress = true;
  for (int i = 1; i < argc; ++i) {
    std::string_view a = argv[i];
    if (a == "--csv") {
      mode = "csv";
    } else if (a == "--jsonl") {
      mode = "jsonl";
    } else if (a == "--no-progress") {
      progress = false;
    } else if (a == "--xz-threads" && i + 1 < argc) {
      in.codec.xz_threads = static_cast<unsigned>(std::stoul(argv[++i]));
    } else if (path.empty() && (a == "-" || !a.starts_with("--"))) {
      path = std::string(a);
    } else {
      return usage();
    }
  }
  if (path.empty()) return usage();
  if (progress) in.on_progress = hs::progress_bar{};

  const char* what = mode == "csv" ? "rows" : mode == "jsonl" ? "documents" : "lines";
  auto t0 = std::chrono::steady_clock::now();
  try {
    counts c = path == "-" ? run(hs::fd_source(STDIN_FILENO), mode, in)
                           : run(hs::file_source(path), mode, in);
    double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    std::printf("%s: %s, %llu %s, %llu bytes read, %llu bytes decoded\n", path.c_str(),
                std::string(c.codec).c_str(), static_cast<unsigned long long>(c.records), what,
                static_cast<unsigned long long>(c.raw), static_cast<unsigned long long>(c.decoded));
    std::printf("%.3f s, %.1f MB/s decoded, %.0f %s/s\n", s,
                s > 0 ? static_cast<double>(c.decoded) / 1e6 / s : 0.0,
                s > 0 ? static_cast<double>(c.records) / s : 0.0, what);
  } catch (const hs::format_error& e) {
    std::fprintf(stderr, "stream_stats: %s\n", e.what());
    return 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "stream_stats: %s\n", e.what());
    return 1;
  }
  return 0;
}
