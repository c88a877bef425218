// hotpath/core/weigher.hpp: how much an item counts against a byte (or weight) budget.
//
// A weigher is a callable `std::size_t(const T&)`. Batch processors flush on `max_bytes` by it;
// caches bound their total weight by it.
//
//   hotpath::batch_processor<std::string, hotpath::weigh_by_size> p(pool, sink, {.max_bytes = 1 <<
//   20});
#pragma once

#include <concepts>
#include <cstddef>
#include <iterator>

#include "hotpath/config.hpp"

namespace hotpath::inline HOTPATH_ABI {

/// Every item weighs 1.
struct weigh_unit {
  template <class T>
  constexpr std::size_t operator()(const T&) const noexcept {
    return 1;
  }
};

/// An item weighs std::size(item): bytes of a string, elements of a vector.
struct weigh_by_size {
  template <class T>
  constexpr std::size_t operator()(const T& v) const noexcept(noexcept(std::size(v))) {
    return static_cast<std::size_t>(std::size(v));
  }
};

/// W weighs items of type T.
template <class W, class T>
concept weigher = std::default_initializable<W> && requires(const W& w, const T& item) {
  { w(item) } -> std::convertible_to<std::size_t>;
};

}  // namespace hotpath::inline HOTPATH_ABI
