// Key types for the cache tests that make a cache's own lookups fail on demand.
#pragma once

#include <cstddef>
#include <stdexcept>

namespace hotpath_test {

/// A key whose comparison throws once armed.
struct touchy_key {
  int id;
  static inline bool armed = false;
  friend bool operator==(const touchy_key& a, const touchy_key& b) {
    if (armed) throw std::runtime_error("compare failed");
    return a.id == b.id;
  }
};

/// Hashes every touchy_key alike, so that a lookup compares keys.
struct same_hash {
  std::size_t operator()(const touchy_key&) const noexcept { return 7; }
};

}  // namespace hotpath_test
