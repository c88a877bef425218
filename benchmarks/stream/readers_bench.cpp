// In-process stream benchmarks: readers over data already in memory, peers in the same binary.
//   jsonl_memory      hotpath jsonl_reader vs simdjson's parse_many (every document built)
//   csv_memory        hotpath csv_reader (bytes/s; Python peers run in cli_bench.sh)
//   lines_memory      hotpath line_reader vs a memchr loop written by hand
//   gzip_inflate      hotpath gzip (ISA-L, zlib) vs zlib's inflate in gzip mode, as users call it
#include <benchmark/benchmark.h>
#include <zlib.h>

#include <cstring>
#include <string>

#include "corpus.hpp"
#include "hotpath/stream.hpp"

namespace hs = hotpath::stream;

namespace {

constexpr std::size_t corpus_bytes = std::size_t{32} << 20;

struct data {
  std::string csv, jsonl, gz;
  data() {
    hotpath_bench::corpus c;
    hotpath_bench::corpus::csv_header(csv);
    while (csv.size() < corpus_bytes) {
      auto r = c.next();
      hotpath_bench::corpus::csv(r, csv);
      hotpath_bench::corpus::json(r, jsonl);
    }
    z_stream z{};
    deflateInit2(&z, 6, Z_DEFLATED, 31, 8, Z_DEFAULT_STRATEGY);
    gz.resize(deflateBound(&z, csv.size()));
    z.next_in = reinterpret_cast<Bytef*>(csv.data());
    z.avail_in = static_cast<uInt>(csv.size());
    z.next_out = reinterpret_cast<Bytef*>(gz.data());
    z.avail_out = static_cast<uInt>(gz.size());
    deflate(&z, Z_FINISH);
    gz.resize(z.total_out);
    deflateEnd(&z);
  }
};

void set_bytes(benchmark::State& state, std::size_t per_iteration) {
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(per_iteration));
}

const data& corpus() {
  static const data d;
  return d;
}

void jsonl_validate_hotpath(benchmark::State& state) {
  const std::string& in = corpus().jsonl;
  for (auto _ : state) {
    hs::jsonl_reader<hs::memory_source, hs::plain> r{hs::memory_source(in)};
    while (r.next()) {
    }
    benchmark::DoNotOptimize(r.documents());
  }
  set_bytes(state, in.size());
}
BENCHMARK(jsonl_validate_hotpath)->Name("jsonl_memory/hotpath")->Unit(benchmark::kMillisecond);

void jsonl_validate_simdjson(benchmark::State& state) {
  simdjson::padded_string in(corpus().jsonl);
  simdjson::dom::parser parser;
  for (auto _ : state) {
    simdjson::dom::document_stream docs;
    if (parser.parse_many(in).get(docs)) state.SkipWithError("parse_many");
    std::size_t n = 0;
    for (auto doc : docs) {
      if (doc.error()) state.SkipWithError("bad doc");
      ++n;
    }
    benchmark::DoNotOptimize(n);
  }
  set_bytes(state, in.size());
}
BENCHMARK(jsonl_validate_simdjson)
    ->Name("jsonl_memory/simdjson_parse_many")
    ->Unit(benchmark::kMillisecond);

void csv_parse_hotpath(benchmark::State& state) {
  const std::string& in = corpus().csv;
  for (auto _ : state) {
    hs::csv_reader<hs::memory_source, hs::plain> r{hs::memory_source(in, 1 << 20)};
    std::size_t fields = 0;
    while (auto row = r.next())
      fields += row->size();
    benchmark::DoNotOptimize(fields);
  }
  set_bytes(state, in.size());
}
BENCHMARK(csv_parse_hotpath)->Name("csv_memory/hotpath")->Unit(benchmark::kMillisecond);

void lines_memory_hotpath(benchmark::State& state) {
  const std::string& in = corpus().csv;
  for (auto _ : state) {
    hs::line_reader<hs::memory_source, hs::plain> r{hs::memory_source(in, 1 << 20)};
    std::size_t n = 0;
    while (auto l = r.next())
      n += l->size();
    benchmark::DoNotOptimize(n);
  }
  set_bytes(state, in.size());
}
BENCHMARK(lines_memory_hotpath)->Name("lines_memory/hotpath")->Unit(benchmark::kMillisecond);

void lines_memory_memchr(benchmark::State& state) {
  const std::string& in = corpus().csv;
  for (auto _ : state) {
    std::size_t n = 0;
    const char* p = in.data();
    const char* end = p + in.size();
    while (p < end) {
      const auto* nl =
          static_cast<const char*>(std::memchr(p, '\n', static_cast<std::size_t>(end - p)));
      const char* e = nl != nullptr ? nl : end;
      n += static_cast<std::size_t>(e - p);
      p = e + 1;
    }
    benchmark::DoNotOptimize(n);
  }
  set_bytes(state, in.size());
}
BENCHMARK(lines_memory_memchr)->Name("lines_memory/memchr_loop")->Unit(benchmark::kMillisecond);

template <class Codec>
void gzip_inflate(benchmark::State& state) {
  const std::string& in = corpus().gz;
  for (auto _ : state) {
    hs::block_reader<hs::memory_source, Codec> r{hs::memory_source(in)};
    std::size_t n = 0;
    for (auto b = r.next(); !b.empty(); b = r.next())
      n += b.size();
    if (n != corpus().csv.size()) state.SkipWithError("size");
  }
  set_bytes(state, corpus().csv.size());
}
BENCHMARK(gzip_inflate<hs::gzip>)->Name("gzip_inflate/hotpath")->Unit(benchmark::kMillisecond);
BENCHMARK(gzip_inflate<hs::gzip_zlib>)
    ->Name("gzip_inflate/hotpath_zlib")
    ->Unit(benchmark::kMillisecond);

void gzip_inflate_zlib(benchmark::State& state) {
  const std::string& in = corpus().gz;
  std::string out(256 << 10, '\0');
  for (auto _ : state) {
    z_stream z{};
    inflateInit2(&z, 15 + 16);
    z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
    z.avail_in = static_cast<uInt>(in.size());
    std::size_t n = 0;
    int rc = Z_OK;
    while (rc == Z_OK) {
      z.next_out = reinterpret_cast<Bytef*>(out.data());
      z.avail_out = static_cast<uInt>(out.size());
      rc = inflate(&z, Z_NO_FLUSH);
      n += out.size() - z.avail_out;
    }
    inflateEnd(&z);
    if (rc != Z_STREAM_END || n != corpus().csv.size()) state.SkipWithError("zlib");
  }
  set_bytes(state, corpus().csv.size());
}
BENCHMARK(gzip_inflate_zlib)->Name("gzip_inflate/zlib")->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
