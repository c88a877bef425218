// Helpers of the stream tests: generated text, files compressed by the real command-line
// tools, and decoding a whole input through a reader.
#pragma once

#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <random>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>

#include "hotpath/stream/block_reader.hpp"
#include "hotpath/stream/source.hpp"

namespace hotpath_test {

/// Log-like lines with varied lengths, from a fixed seed.
inline std::string make_text(std::size_t approx_bytes, std::uint32_t seed = 1) {
  static constexpr const char* words[] = {
      "GET",   "POST",    "/api/v1/items", "200", "404",  "user",    "latency_ms", "ok",
      "error", "timeout", "cache",         "hit", "miss", "payload", "id=42",      "trace"};
  std::mt19937 rng(seed);
  std::string out;
  out.reserve(approx_bytes + 256);
  std::uint64_t n = 0;
  while (out.size() < approx_bytes) {
    out += std::to_string(n++);
    int k = static_cast<int>(rng() % 12) + 1;
    for (int i = 0; i < k; ++i) {
      out += ' ';
      out += words[rng() % std::size(words)];
    }
    out += '\n';
  }
  return out;
}

/// A directory removed with the fixture.
class temp_dir {
 public:
  temp_dir() {
    std::string tmpl = ::testing::TempDir() + "hotpath_stream_XXXXXX";
    if (::mkdtemp(tmpl.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    path_ = tmpl;
  }
  ~temp_dir() { (void)std::system(("rm -rf '" + path_ + "'").c_str()); }
  temp_dir(const temp_dir&) = delete;
  temp_dir& operator=(const temp_dir&) = delete;
  [[nodiscard]] std::string file(std::string_view name) const {
    return path_ + "/" + std::string(name);
  }

 private:
  std::string path_;
};

inline void write_file(const std::string& path, std::string_view data) {
  std::ofstream f(path, std::ios::binary);
  f.write(data.data(), static_cast<std::streamsize>(data.size()));
  if (!f) throw std::runtime_error("cannot write " + path);
}

inline std::string read_file(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>()};
}

/// Runs a shell command; throws when it fails (the tools are part of the test setup).
inline void sh(const std::string& cmd) {
  int rc = std::system(cmd.c_str());
  if (rc != 0) throw std::runtime_error("command failed (" + std::to_string(rc) + "): " + cmd);
}

/// `data` compressed by a command line that reads stdin and writes stdout (e.g. "gzip -6").
inline std::string compress_with(const temp_dir& dir, std::string_view data,
                                 const std::string& tool) {
  std::string in = dir.file("cli_in"), out = dir.file("cli_out");
  write_file(in, data);
  sh(tool + " < '" + in + "' > '" + out + "'");
  return read_file(out);
}

/// Everything a reader decodes from `raw`, fed in blocks of `block` bytes.
template <class Codec>
std::string decode_all(std::string_view raw, std::size_t block = 0,
                       hotpath::stream::input_options opts = {}) {
  hotpath::stream::block_reader<hotpath::stream::memory_source, Codec> r(
      hotpath::stream::memory_source(raw, block), std::move(opts));
  std::string out;
  for (auto b = r.next(); !b.empty(); b = r.next())
    out.append(b);
  return out;
}

}  // namespace hotpath_test

namespace hotpath_test {

/// Decodes `raw` and expects a format_error; returns it (and what was decoded before it).
template <class Codec>
hotpath::stream::format_error decode_error(std::string_view raw, std::string* decoded = nullptr,
                                           hotpath::stream::input_options opts = {},
                                           std::size_t block = 0) {
  hotpath::stream::block_reader<hotpath::stream::memory_source, Codec> r(
      hotpath::stream::memory_source(raw, block), std::move(opts));
  std::string out;
  try {
    for (auto b = r.next(); !b.empty(); b = r.next())
      out.append(b);
  } catch (const hotpath::stream::format_error& e) {
    if (decoded != nullptr) *decoded = out;
    return e;
  }
  ADD_FAILURE() << "no format_error; decoded " << out.size() << " bytes";
  return hotpath::stream::format_error("none", "no error", 0);
}

}  // namespace hotpath_test
