// Shared by the stream fuzz targets: the input is fed in blocks whose size the first byte
// picks, through a reader with caps that keep a decompression bomb or a huge line cheap. A
// format_error is an expected outcome; any other exception, a crash or a sanitizer report is a
// finding.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "hotpath/stream/block_reader.hpp"

namespace hotpath_fuzz {

struct input {
  std::string_view data;
  std::size_t block;
};

inline input split(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return {{}, 0};
  static constexpr std::size_t blocks[] = {0, 1, 2, 3, 7, 64, 4096, 65536};
  std::size_t block = blocks[data[0] % 8];
  return {{reinterpret_cast<const char*>(data) + 1, size - 1}, block};
}

inline hotpath::stream::input_options caps() {
  return {.codec = {.xz_memlimit = std::uint64_t{64} << 20},
          .buffer_bytes = 4096,
          .max_decoded_bytes = std::uint64_t{16} << 20};
}

template <class Codec>
void decode(const std::uint8_t* data, std::size_t size) {
  input in = split(data, size);
  hotpath::stream::block_reader<hotpath::stream::memory_source, Codec> r(
      hotpath::stream::memory_source(in.data, in.block), caps());
  try {
    for (auto b = r.next(); !b.empty(); b = r.next()) {
    }
  } catch (const hotpath::stream::format_error&) {
  }
}

}  // namespace hotpath_fuzz
