// examples/exec_word_count.cpp: counts words of a generated text on a hotpath::thread_pool
// (parallel_for counts each 1 MiB block, parallel_reduce merges the blocks' counts), then writes
// the counts through a batch_processor in batches of 500 lines.
//
//   exec_word_count [--mb 64] [--threads N] [--out counts.tsv] [--check 1]
//
// Prints the throughput, the ten most frequent words and the pool's statistics. With --check 1
// it also counts serially and exits 1 unless both counts and the written lines agree.
#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <random>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "hotpath/exec.hpp"

namespace {

using counts = std::unordered_map<std::string_view, std::uint64_t>;

// A text of `bytes` bytes whose words follow a Zipf-like law over a 50 000-word vocabulary.
std::string generate_text(std::size_t bytes) {
  std::vector<std::string> vocab;
  for (int i = 0; i < 50'000; ++i) {
    // Appended rather than "w" + to_string(i): g++ 12 -O3 warns falsely on that (-Wrestrict).
    std::string word = "w";
    word += std::to_string(i);
    vocab.push_back(std::move(word));
  }
  std::vector<double> weights(vocab.size());
  for (std::size_t i = 0; i < weights.size(); ++i)
    weights[i] = 1.0 / static_cast<double>(i + 1);
  std::discrete_distribution<std::size_t> pick(weights.begin(), weights.end());
  std::mt19937_64 rng(2026);
  std::string text;
  text.reserve(bytes + 16);
  int on_line = 0;
  while (text.size() < bytes) {
    text += vocab[pick(rng)];
    text += ++on_line % 12 == 0 ? '\n' : ' ';
  }
  return text;
}

// Words of text[begin, end), where the range is moved forward to whitespace boundaries.
counts count_words(std::string_view text, std::size_t begin, std::size_t end) {
  auto is_space = [](char c) { return c == ' ' || c == '\n'; };
  while (begin > 0 && begin < text.size() && !is_space(text[begin - 1]))
    ++begin;
  while (end < text.size() && !is_space(text[end - 1]))
    ++end;
  counts c;
  std::size_t i = begin;
  while (i < end) {
    while (i < end && is_space(text[i]))
      ++i;
    std::size_t start = i;
    while (i < text.size() && !is_space(text[i]))
      ++i;
    if (i > start && start < end) ++c[text.substr(start, i - start)];
  }
  return c;
}

}  // namespace

int main(int argc, char** argv) try {
  std::size_t mb = 64;
  unsigned threads = 0;
  std::string out_path;
  bool check = false;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string_view a = argv[i];
    if (a == "--mb") {
      mb = std::stoul(argv[i + 1]);
    } else if (a == "--threads") {
      threads = static_cast<unsigned>(std::stoul(argv[i + 1]));
    } else if (a == "--out") {
      out_path = argv[i + 1];
    } else if (a == "--check") {
      check = std::string_view(argv[i + 1]) == "1";
    } else {
      std::cerr << "usage: exec_word_count [--mb N] [--threads N] [--out FILE] [--check 1]\n";
      return 2;
    }
  }

  std::cout << "generating " << mb << " MiB of text...\n";
  const std::string text = generate_text(mb << 20);
  hotpath::thread_pool<> pool({.threads = threads, .name = "wordcount"});

  auto t0 = std::chrono::steady_clock::now();
  constexpr std::size_t block = 1 << 20;  // words are counted per 1 MiB block, merged in order
  std::size_t blocks = (text.size() + block - 1) / block;
  std::vector<counts> per_block(blocks);
  hotpath::parallel_for(pool, std::size_t{0}, blocks,
                        [&](std::size_t b) {
                          per_block[b] =
                              count_words(text, b * block, std::min(text.size(), (b + 1) * block));
                        },
                        {.grain = 1});
  counts total = hotpath::parallel_reduce(
      pool, std::size_t{0}, blocks, counts{},
      [&](std::size_t b) { return std::move(per_block[b]); },
      [](counts a, const counts& b) {
        if (a.size() < b.size()) {
          counts big = b;
          for (const auto& [w, n] : a)
            big[w] += n;
          return big;
        }
        for (const auto& [w, n] : b)
          a[w] += n;
        return a;
      },
      {.grain = 1});
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();

  std::uint64_t words = 0;
  for (const auto& [w, n] : total)
    words += n;
  std::printf("counted %llu words (%zu distinct) in %.3f s: %.1f MiB/s on %u threads\n",
              static_cast<unsigned long long>(words), total.size(), seconds,
              static_cast<double>(text.size()) / (1 << 20) / seconds, pool.thread_count());

  // Results go out in batches, as a service would write rows to a database or a socket.
  std::ofstream file;
  if (!out_path.empty()) file.open(out_path);
  std::uint64_t lines_written = 0;
  {
    hotpath::batch_processor<std::string> writer(pool,
                                                 [&](const std::vector<std::string>& rows) {
                                                   for (const auto& r : rows) {
                                                     if (file.is_open()) file << r;
                                                   }
                                                   lines_written += rows.size();
                                                 },
                                                 {.max_items = 500});
    for (const auto& [w, n] : total) {
      std::string row(w);
      row += '\t';
      row += std::to_string(n);
      row += '\n';
      writer.add(std::move(row));
    }
    writer.close();
    auto bs = writer.stats();
    std::printf("wrote %llu lines in %llu batches (mean %.1f lines per batch)\n",
                static_cast<unsigned long long>(lines_written),
                static_cast<unsigned long long>(bs.batches), bs.mean_batch_size());
  }

  std::vector<std::pair<std::string_view, std::uint64_t>> top(total.begin(), total.end());
  auto shown = std::min<std::ptrdiff_t>(10, static_cast<std::ptrdiff_t>(top.size()));
  std::partial_sort(top.begin(), top.begin() + shown, top.end(),
                    [](const auto& a, const auto& b) { return a.second > b.second; });
  std::printf("top words:");
  for (std::size_t i = 0; i < static_cast<std::size_t>(shown); ++i) {
    std::printf(" %.*s=%llu", static_cast<int>(top[i].first.size()), top[i].first.data(),
                static_cast<unsigned long long>(top[i].second));
  }
  pool.wait_idle();
  auto s = pool.stats();
  std::printf(
      "\npool: %u threads, %llu tasks submitted, %llu completed, %llu failed, "
      "p99 run time %.3f ms\n",
      s.threads, static_cast<unsigned long long>(s.submitted),
      static_cast<unsigned long long>(s.completed), static_cast<unsigned long long>(s.failed),
      static_cast<double>(s.run_time_ns.quantile(0.99)) / 1e6);
  if (check) {
    bool same = count_words(text, 0, text.size()) == total && lines_written == total.size();
    std::printf("check against a serial count: %s\n", same ? "equal" : "DIFFERENT");
    return same ? 0 : 1;
  }
  return 0;
} catch (const std::exception& e) {
  std::cerr << "exec_word_count: " << e.what() << "\n";
  return 1;
}
