// hotpath/stream/progress.hpp: progress reports of a reader, and a terminal progress bar.
//
// A reader given `on_progress` calls it at most once per `progress_interval` (measured on the
// reader's clock policy) with the raw bytes consumed, the bytes decoded, the input's total size
// when the source knows it, the throughput and the ETA; and once more, with `done` set, at the
// end of the input. `progress_bar` is such a callback that draws one line on stderr, and only
// when stderr is a terminal.
//
//   hotpath::stream::line_reader lines(src, {.input = {.on_progress =
//   hotpath::stream::progress_bar{}}});
#pragma once

#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <functional>
#include <optional>

#include "hotpath/config.hpp"

namespace hotpath::inline HOTPATH_ABI::stream {

/// One progress report.
struct progress_info {
  std::uint64_t consumed = 0;          ///< raw (compressed) bytes read from the source
  std::uint64_t produced = 0;          ///< decoded bytes handed to the record layer
  std::optional<std::uint64_t> total;  ///< raw size of the input, when the source knows it
  double elapsed_seconds = 0;          ///< since the reader was built
  double bytes_per_second = 0;         ///< raw bytes per second so far
  std::optional<double> eta_seconds;   ///< when the total is known and progress was made
  bool done = false;                   ///< the input is over (the last report)

  /// consumed / total in [0, 1], when the total is known.
  [[nodiscard]] std::optional<double> fraction() const noexcept {
    if (!total || *total == 0) return std::nullopt;
    return static_cast<double>(consumed) / static_cast<double>(*total);
  }
};

using progress_callback = std::function<void(const progress_info&)>;

/// Draws `[#####.....]  42.0%  180.3 MB/s  ETA 12s` on stderr, rewriting one line; does nothing
/// when stderr is not a terminal (logs stay clean).
class progress_bar {
 public:
  explicit progress_bar(std::FILE* out = stderr) : out_(out), tty_(::isatty(::fileno(out)) != 0) {}

  void operator()(const progress_info& p) const {
    if (!tty_) return;
    constexpr int width = 30;
    double mbps = p.bytes_per_second / 1e6;
    if (auto f = p.fraction()) {
      int filled = static_cast<int>(*f * width + 0.5);
      if (filled > width) filled = width;
      char bar[width + 1];
      for (int i = 0; i < width; ++i)
        bar[i] = i < filled ? '#' : '.';
      bar[width] = '\0';
      std::fprintf(out_, "\r[%s] %5.1f%%  %7.1f MB/s  ETA %4.0fs ", bar, *f * 100.0, mbps,
                   p.eta_seconds.value_or(0.0));
    } else {
      std::fprintf(out_, "\r%10.1f MB read  %7.1f MB/s ", static_cast<double>(p.consumed) / 1e6,
                   mbps);
    }
    if (p.done) std::fputc('\n', out_);
    std::fflush(out_);
  }

 private:
  std::FILE* out_;
  bool tty_;
};

}  // namespace hotpath::inline HOTPATH_ABI::stream
