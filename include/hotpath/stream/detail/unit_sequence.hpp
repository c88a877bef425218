// hotpath/stream/detail/unit_sequence.hpp: bookkeeping of codecs whose input is a sequence of
// self-delimiting units (bzip2 and xz streams, zstd frames), each opened by magic bytes.
//
// The codecs differ in how they decode a unit; they agree on what the input around the units
// may be: the first unit must be there, bytes after the last one that do not start another are
// trailing data (an error, or ignored by policy), and input that stops inside a unit or its magic
// is truncated. This keeps those rules, and their messages, in one place.
#pragma once

#include <cstdint>

#include "hotpath/core/error.hpp"
#include "hotpath/stream/codec.hpp"
#include "hotpath/stream/format_error.hpp"

namespace hotpath::inline HOTPATH_ABI::stream::detail {

struct unit_sequence {
  enum class state : unsigned char { between, body, ignoring };

  const char* codec;  // "bzip2"
  const char* unit;   // "stream"
  trailing_data trailing;
  state where = state::between;
  unsigned have = 0;        // magic bytes of the next unit seen so far
  std::uint64_t start = 0;  // input offset of the current unit's first byte
  std::uint64_t bytes = 0;  // bytes decoded from the current unit
  std::uint64_t units = 0;  // complete units so far

  /// Before each magic byte, at input offset `at`.
  void magic_byte_at(std::uint64_t at) noexcept {
    if (have == 0) start = at;
  }
  /// The magic bytes seen do not open a unit: not this format at all, or trailing data.
  void not_a_unit() {
    if (units == 0)
      throw_format(codec, hotpath::detail::concat("not ", codec, " data (bad magic bytes)"), start);
    trailing_data_at(start);
  }
  /// Bytes at `at` after the last unit: an error, or the rest of the input is ignored.
  void trailing_data_at(std::uint64_t at) {
    if (units > 0 && trailing == trailing_data::ignore) {
      where = state::ignoring;
      return;
    }
    throw_format(codec, hotpath::detail::concat("trailing data after the last ", codec, " ", unit),
                 at);
  }
  void begin_unit() noexcept {
    where = state::body;
    bytes = 0;
  }
  void end_unit() noexcept {
    ++units;
    where = state::between;
    have = 0;
  }

  /// The input is over (`consumed` bytes of it): throws unless it ended between units.
  void finish(std::uint64_t consumed) {
    if (where == state::ignoring) return;
    if (where == state::between && have == 0) {
      if (units > 0) return;
      throw_format(codec, hotpath::detail::concat("empty input, no ", codec, " ", unit), consumed);
    }
    if (where == state::between) {
      if (units > 0) trailing_data_at(start);
      if (where == state::ignoring) return;
      throw_format(codec,
                   hotpath::detail::concat("truncated input: it ends inside the ", unit, " header"),
                   start);
    }
    throw_format(codec, hotpath::detail::concat("truncated input: it ends inside a ", unit),
                 consumed, bytes > 0);
  }
};

}  // namespace hotpath::inline HOTPATH_ABI::stream::detail
