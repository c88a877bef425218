// hotpath's cache hit-ratio tool: replays seeded traces through hotpath's eviction policies and
// through reference LRU, ARC and Belady's OPT, and writes a Markdown table (for RESULTS.md).
//   hit_ratio_cache [--length N] [--out FILE]
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "hotpath/cache.hpp"
#include "traces.hpp"

namespace {

template <class Eviction>
using sim_cache = hotpath::cache<std::uint64_t, char, Eviction, hotpath::locking::none>;

struct target {
  const char* trace;
  const char* text;
};
constexpr target targets[] = {
    {"zipf_0.70", ">= LRU + 8 points"},
    {"zipf_0.90", ">= LRU + 9 points, within 3 of the top-C bound"},
    {"zipf_0.99", ">= LRU + 7 points"},
    {"loop_1.2c", ">= 70%"},
    {"scan_mix", ">= 38%"},
    {"recency", ">= LRU - 2 points"},
    {"phase_shift", ">= 50%"},
};

bool met(const std::string& trace, double w, double lru, double bound) {
  if (trace == "zipf_0.70") return w >= lru + 0.08;
  if (trace == "zipf_0.90") return w >= lru + 0.09 && w >= bound - 0.03;
  if (trace == "zipf_0.99") return w >= lru + 0.07;
  if (trace == "loop_1.2c") return w >= 0.70;
  if (trace == "scan_mix") return w >= 0.38;
  if (trace == "recency") return w >= lru - 0.02;
  return w >= 0.50;
}

}  // namespace

int main(int argc, char** argv) {
  std::size_t length = 5'000'000;
  const char* out_path = nullptr;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (std::strcmp(argv[i], "--length") == 0) length = std::strtoull(argv[i + 1], nullptr, 10);
    if (std::strcmp(argv[i], "--out") == 0) out_path = argv[i + 1];
  }
  std::string md =
      "## cache hit ratios\n\n"
      "`hit_ratio_cache` replays seeded traces (" +
      std::to_string(length) +
      " accesses each, a get and a put on each miss; 1e6 keys, capacity 1% = 10'000 entries) "
      "through hotpath's policies (one shard) and reference LRU, ARC and Belady's OPT. "
      "Percent of accesses that hit; w_tinylfu is hotpath's default.\n\n"
      "| trace | w_tinylfu | slru | lru | ref LRU | ARC | OPT | top-C bound | target | |\n"
      "|---|---|---|---|---|---|---|---|---|---|\n";
  for (auto& tr : hotpath_bench::all_traces(length)) {
    using namespace hotpath::eviction;
    double w = hotpath_bench::hotpath_hit_rate<sim_cache<w_tinylfu>>(tr.keys, tr.capacity);
    double s = hotpath_bench::hotpath_hit_rate<sim_cache<slru>>(tr.keys, tr.capacity);
    double l = hotpath_bench::hotpath_hit_rate<sim_cache<lru>>(tr.keys, tr.capacity);
    double rl = hotpath_bench::lru_hit_rate(tr.keys, tr.capacity);
    double arc = hotpath_bench::arc_hit_rate(tr.keys, tr.capacity);
    double opt = hotpath_bench::opt_hit_rate(tr.keys, tr.capacity);
    const char* text = "";
    for (auto& t : targets)
      if (tr.name == t.trace) text = t.text;
    char row[512];
    char bound[16] = "-";
    if (tr.popularity_bound >= 0)
      std::snprintf(bound, sizeof bound, "%.2f", 100 * tr.popularity_bound);
    std::snprintf(row, sizeof row,
                  "| %s | %.2f | %.2f | %.2f | %.2f | %.2f | %.2f | %s | %s | %s |\n",
                  tr.name.c_str(), 100 * w, 100 * s, 100 * l, 100 * rl, 100 * arc, 100 * opt, bound,
                  text, met(tr.name, w, rl, tr.popularity_bound) ? "met" : "**missed**");
    md += row;
    std::fputs(row, stdout);
    std::fflush(stdout);
  }
  if (out_path != nullptr) {
    std::FILE* f = std::fopen(out_path, "w");
    if (f == nullptr) {
      std::perror(out_path);
      return 1;
    }
    std::fputs(md.c_str(), f);
    std::fclose(f);
  }
  return 0;
}
