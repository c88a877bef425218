// hotpath/stream/fd_source.hpp: reads a file descriptor (a pipe, stdin, a socket, a file).
//
// Works on descriptors that cannot seek. Reads fill a buffer of `buffer_bytes`; from a pipe a
// block is handed out once a quarter of the buffer is there or the writer closes, so blocks stay
// large without waiting for a full buffer. `size()` is known only for regular files. The source
// closes the descriptor only when it was given ownership.
//
//   hotpath::stream::fd_source in(STDIN_FILENO);
#pragma once

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>

#include "hotpath/core/error.hpp"
#include "hotpath/stream/detail/aligned_buffer.hpp"
#include "hotpath/stream/source.hpp"

namespace hotpath::inline HOTPATH_ABI::stream {

/// A source over a file descriptor; see the header comment.
class fd_source {
 public:
  struct options {
    std::size_t buffer_bytes = std::size_t{1} << 20;  ///< bytes per read block
    bool owns_fd = false;                             ///< close the descriptor when done
  };

  explicit fd_source(int fd) : fd_source(fd, options{}) {}
  fd_source(int fd, options opts, std::string name = "fd")
      : fd_(fd), owns_(opts.owns_fd), name_(std::move(name)) {
    if (fd < 0) hotpath::detail::throw_error("hotpath::stream fd_source: invalid descriptor ", fd);
    if (opts.buffer_bytes == 0)
      hotpath::detail::throw_error("hotpath::stream fd_source: buffer_bytes is 0");
    cap_ = opts.buffer_bytes;
    buf_ = detail::make_aligned_buffer(cap_);
    struct stat st {};
    if (::fstat(fd_, &st) == 0 && S_ISREG(st.st_mode)) {
      off_t here = ::lseek(fd_, 0, SEEK_CUR);
      size_ = static_cast<std::uint64_t>(st.st_size - (here > 0 ? here : 0));
      // The kernel doubles its readahead for sequential files; dropping the cache is the
      // caller's business, so only the access pattern is declared.
      (void)::posix_fadvise(fd_, 0, 0, POSIX_FADV_SEQUENTIAL);
    }
  }

  fd_source(fd_source&& o) noexcept
      : fd_(std::exchange(o.fd_, -1)),
        owns_(std::exchange(o.owns_, false)),
        name_(std::move(o.name_)),
        buf_(std::move(o.buf_)),
        cap_(o.cap_),
        size_(o.size_),
        consumed_(o.consumed_) {}
  fd_source& operator=(fd_source&& o) noexcept {
    if (this != &o) {
      close();
      fd_ = std::exchange(o.fd_, -1);
      owns_ = std::exchange(o.owns_, false);
      name_ = std::move(o.name_);
      buf_ = std::move(o.buf_);
      cap_ = o.cap_;
      size_ = o.size_;
      consumed_ = o.consumed_;
    }
    return *this;
  }
  ~fd_source() { close(); }

  /// Reads until the buffer is full or the input ends; empty at the end. Throws
  /// `std::system_error` on a read error.
  std::string_view next() {
    std::size_t got = 0;
    while (got < cap_) {
      ssize_t n = ::read(fd_, buf_.get() + got, cap_ - got);
      if (n > 0) {
        got += static_cast<std::size_t>(n);
        // A regular file's short read is its end. A pipe hands out at most its buffer (64 KiB)
        // per read, so keep reading until a quarter of the block is there.
        if (size_ || got >= cap_ / 4) break;
        continue;
      }
      if (n == 0) break;
      if (errno == EINTR) continue;
      throw std::system_error(errno, std::generic_category(),
                              "hotpath::stream: read from " + name_);
    }
    consumed_ += got;
    return {buf_.get(), got};
  }
  [[nodiscard]] std::optional<std::uint64_t> size() const noexcept { return size_; }
  [[nodiscard]] std::uint64_t consumed() const noexcept { return consumed_; }

 private:
  void close() noexcept {
    if (owns_ && fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

  int fd_;
  bool owns_;
  std::string name_;
  detail::aligned_buffer buf_;
  std::size_t cap_ = 0;
  std::optional<std::uint64_t> size_;
  std::uint64_t consumed_ = 0;
};

static_assert(byte_source<fd_source>);

}  // namespace hotpath::inline HOTPATH_ABI::stream
