// hotpath/stream/detail/held_error.hpp: a codec error found after the same call made output.
//
// A codec call can decode the end of a good member and then meet trailing garbage or a broken
// next header. Throwing at once would drop that good output; instead the output goes out, the
// error is held, and the codec's next call (or finish()) throws it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <exception>
#include <utility>

#include "hotpath/stream/codec.hpp"
#include "hotpath/stream/format_error.hpp"

namespace hotpath::inline HOTPATH_ABI::stream::detail {

class held_error {
 public:
  void rethrow_if_any() {
    if (e_) std::rethrow_exception(std::exchange(e_, nullptr));
  }

  /// Runs `body(i, made)` (input used, output made). A format_error it throws after making
  /// output, at a boundary between members or streams (`at_boundary()`), is held for the next
  /// call: that output is complete and checked. Inside compressed data the output of the
  /// failing call is suspect and is dropped with the throw. Adds the input used to `consumed`.
  template <class Body, class AtBoundary>
  decode_step run(std::uint64_t& consumed, Body&& body, AtBoundary&& at_boundary) {
    rethrow_if_any();
    std::size_t i = 0, made = 0;
    try {
      body(i, made);
    } catch (const format_error&) {
      if (made == 0 || !at_boundary()) throw;
      e_ = std::current_exception();
    }
    consumed += i;
    return {i, made};
  }

 private:
  std::exception_ptr e_;
};

}  // namespace hotpath::inline HOTPATH_ABI::stream::detail
