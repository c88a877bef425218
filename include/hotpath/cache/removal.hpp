// hotpath/cache/removal.hpp: why an entry left a cache, as told to a removal listener.
//
//   c({.capacity = 100, .on_removal = [](const K& k, const V& v, hotpath::removal_cause why) {
//     if (why == hotpath::removal_cause::evicted) log_eviction(k);
//   }});
#pragma once

#include <cstdint>
#include <string_view>

#include "hotpath/config.hpp"

namespace hotpath::inline HOTPATH_ABI {

/// Why an entry left a cache.
enum class removal_cause : std::uint8_t {
  explicit_,  ///< erase() or clear()
  replaced,   ///< put() over an existing entry (the listener gets the old value)
  expired,    ///< its TTL passed
  evicted,    ///< the eviction policy chose it (capacity, shrink_to, or too heavy to keep)
};

/// "explicit", "replaced", "expired" or "evicted".
constexpr std::string_view to_string(removal_cause c) noexcept {
  switch (c) {
    case removal_cause::explicit_:
      return "explicit";
    case removal_cause::replaced:
      return "replaced";
    case removal_cause::expired:
      return "expired";
    case removal_cause::evicted:
      return "evicted";
  }
  return "unknown";
}

}  // namespace hotpath::inline HOTPATH_ABI
