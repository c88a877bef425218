// hotpath/stream/mmap_source.hpp: maps a file and serves it without copying.
//
// The whole file is mapped read-only and handed out in blocks of `block_bytes` (8 MiB), with
// sequential read-ahead declared. Blocks older than the current one are released from the
// process (`MADV_DONTNEED`; the kernel keeps them in its page cache), so resident memory stays
// about two blocks however large the file. Plain text read this way is never copied.
//
//   hotpath::stream::line_reader lines(hotpath::stream::mmap_source("big.log"));
#pragma once

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>

#include "hotpath/core/error.hpp"
#include "hotpath/stream/source.hpp"

namespace hotpath::inline HOTPATH_ABI::stream {

/// A source over a read-only mapping of a file; see the header comment.
class mmap_source {
 public:
  struct options {
    std::size_t block_bytes = std::size_t{8} << 20;  ///< bytes per block handed out
    bool release_consumed = true;                    ///< drop old blocks from resident memory
  };

  explicit mmap_source(const std::string& path) : mmap_source(path, options{}) {}
  mmap_source(const std::string& path, options opts) : opts_(opts) {
    static const std::size_t page = static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
    if (opts_.block_bytes == 0)
      hotpath::detail::throw_error("hotpath::stream mmap_source: block_bytes is 0");
    opts_.block_bytes = (opts_.block_bytes + page - 1) / page * page;
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0)
      throw std::system_error(errno, std::generic_category(), "hotpath::stream: open " + path);
    struct stat st {};
    if (::fstat(fd, &st) != 0) {
      int e = errno;
      ::close(fd);
      throw std::system_error(e, std::generic_category(), "hotpath::stream: stat " + path);
    }
    size_ = static_cast<std::size_t>(st.st_size);
    if (size_ > 0) {
      void* p = ::mmap(nullptr, size_, PROT_READ, MAP_PRIVATE, fd, 0);
      if (p == MAP_FAILED) {
        int e = errno;
        ::close(fd);
        throw std::system_error(e, std::generic_category(), "hotpath::stream: mmap " + path);
      }
      data_ = static_cast<const char*>(p);
      (void)::madvise(p, size_, MADV_SEQUENTIAL);
    }
    ::close(fd);  // the mapping keeps the file
  }

  mmap_source(mmap_source&& o) noexcept
      : opts_(o.opts_),
        data_(std::exchange(o.data_, nullptr)),
        size_(std::exchange(o.size_, 0)),
        pos_(std::exchange(o.pos_, 0)),
        released_(std::exchange(o.released_, 0)) {}
  mmap_source& operator=(mmap_source&& o) noexcept {
    if (this != &o) {
      unmap();
      opts_ = o.opts_;
      data_ = std::exchange(o.data_, nullptr);
      size_ = std::exchange(o.size_, 0);
      pos_ = std::exchange(o.pos_, 0);
      released_ = std::exchange(o.released_, 0);
    }
    return *this;
  }
  ~mmap_source() { unmap(); }

  /// The next block; the previous one stays valid until this call, older ones are released.
  std::string_view next() noexcept {
    if (opts_.release_consumed && pos_ >= 2 * opts_.block_bytes) {
      // Everything before the block handed out last is done with.
      std::size_t upto = pos_ - opts_.block_bytes;
      upto -= upto % opts_.block_bytes;
      if (upto > released_) {
        (void)::madvise(const_cast<char*>(data_) + released_, upto - released_, MADV_DONTNEED);
        released_ = upto;
      }
    }
    std::size_t n = std::min(opts_.block_bytes, size_ - pos_);
    std::string_view out(data_ + pos_, n);
    pos_ += n;
    return out;
  }
  [[nodiscard]] std::optional<std::uint64_t> size() const noexcept { return size_; }
  [[nodiscard]] std::uint64_t consumed() const noexcept { return pos_; }

 private:
  void unmap() noexcept {
    if (data_ != nullptr) ::munmap(const_cast<char*>(data_), size_);
    data_ = nullptr;
  }

  options opts_;
  const char* data_ = nullptr;
  std::size_t size_ = 0;
  std::size_t pos_ = 0;
  std::size_t released_ = 0;
};

static_assert(byte_source<mmap_source>);

}  // namespace hotpath::inline HOTPATH_ABI::stream
