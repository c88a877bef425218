// hotpath/stream/source.hpp: what a byte source is, and the in-memory source.
//
// A source hands out the raw (possibly compressed) input in blocks. `next()` returns the next
// block, valid until the following call, and an empty view at the end. `size()` is the total
// when it is known (files, memory; not pipes), for progress and ETA. `consumed()` counts the
// bytes handed out so far. Sources are move-only and single-threaded.
//
//   hotpath::stream::memory_source src(text);
//   for (auto block = src.next(); !block.empty(); block = src.next()) use(block);
#pragma once

#include <algorithm>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

#include "hotpath/config.hpp"

namespace hotpath::inline HOTPATH_ABI::stream {

/// A producer of raw input blocks (see the header comment for the contract).
template <class S>
concept byte_source = std::movable<S> && requires(S& s, const S& cs) {
  { s.next() } -> std::same_as<std::string_view>;
  { cs.size() } -> std::same_as<std::optional<std::uint64_t>>;
  { cs.consumed() } -> std::same_as<std::uint64_t>;
};

/// Serves bytes the caller owns (they must outlive the source), in blocks of `block_bytes`.
class memory_source {
 public:
  explicit memory_source(std::string_view data, std::size_t block_bytes = 0) noexcept
      : data_(data), block_(block_bytes == 0 ? data.size() : block_bytes) {}

  /// The next block of at most `block_bytes`; empty at the end.
  std::string_view next() noexcept {
    std::size_t n = std::min(block_, data_.size() - pos_);
    std::string_view out = data_.substr(pos_, n);
    pos_ += n;
    return out;
  }
  [[nodiscard]] std::optional<std::uint64_t> size() const noexcept { return data_.size(); }
  [[nodiscard]] std::uint64_t consumed() const noexcept { return pos_; }

 private:
  std::string_view data_;
  std::size_t block_;
  std::size_t pos_ = 0;
};

static_assert(byte_source<memory_source>);

}  // namespace hotpath::inline HOTPATH_ABI::stream
