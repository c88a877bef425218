// hotpath/stream/file_source.hpp: reads a file by path with large `read()` calls.
//
// Opens the file, declares sequential access (`posix_fadvise`) and reads it in blocks of
// `buffer_bytes` (1 MiB by default). `size()` is the file's size. Use `mmap_source` to avoid the
// copy for plain text, and this one for compressed input or files that may shrink while read.
//
//   hotpath::stream::line_reader lines(hotpath::stream::file_source("logs.gz"));
#pragma once

#include <fcntl.h>

#include <cerrno>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>

#include "hotpath/stream/fd_source.hpp"

namespace hotpath::inline HOTPATH_ABI::stream {

/// A source that opens and reads a file; see the header comment.
class file_source {
 public:
  struct options {
    std::size_t buffer_bytes = std::size_t{1} << 20;  ///< bytes per read block
  };

  explicit file_source(const std::string& path) : file_source(path, options{}) {}
  file_source(const std::string& path, options opts)
      : fd_(open_or_throw(path), {.buffer_bytes = opts.buffer_bytes, .owns_fd = true}, path) {}

  std::string_view next() { return fd_.next(); }
  [[nodiscard]] std::optional<std::uint64_t> size() const noexcept { return fd_.size(); }
  [[nodiscard]] std::uint64_t consumed() const noexcept { return fd_.consumed(); }

 private:
  static int open_or_throw(const std::string& path) {
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0)
      throw std::system_error(errno, std::generic_category(), "hotpath::stream: open " + path);
    return fd;
  }

  fd_source fd_;
};

static_assert(byte_source<file_source>);

}  // namespace hotpath::inline HOTPATH_ABI::stream
