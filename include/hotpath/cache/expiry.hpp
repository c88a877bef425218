// hotpath/cache/expiry.hpp: when a cache entry stops being valid.
//
//   hotpath::cache<K, V, hotpath::expiry::after_write> c({.capacity = 1000, .ttl = 30s});
//   c.put(k, v);                 // expires 30 s after this write
//   c.put(k, v, 5s);             // this entry only: 5 s
//
// - expiry::none (default): entries leave only by eviction, erase or replacement.
// - expiry::after_write: `options.ttl` after the last write; put(k, v, ttl) sets one entry's TTL.
// - expiry::after_access: `options.ttl` after the last read or write.
// - expiry::per_entry<F>: F(key, value) returns each entry's TTL when it is written (Caffeine's
//   "expire after create/update").
//
// A read never returns an expired entry. Expired entries are also reclaimed without being read:
// each cache shard keeps a timer wheel (detail/timer_wheel.hpp) that every operation on the shard
// advances, and cleanup() advances all shards; the removal listener hears removal_cause::expired.
#pragma once

#include <chrono>
#include <concepts>
#include <type_traits>

#include "hotpath/config.hpp"

namespace hotpath::inline HOTPATH_ABI {
namespace expiry {

/// Entries never expire.
struct none {
  static constexpr bool expires = false;
  static constexpr bool on_access = false;
};

/// Entries expire `options.ttl` (or the TTL given to put) after their last write.
struct after_write {
  static constexpr bool expires = true;
  static constexpr bool on_access = false;
};

/// Entries expire `options.ttl` after their last read or write.
struct after_access {
  static constexpr bool expires = true;
  static constexpr bool on_access = true;
};

/// Each entry's TTL comes from F(key, value) when it is written; F returns a
/// std::chrono::duration. F must be default-constructible (a captureless lambda type is).
template <class F>
struct per_entry {
  static constexpr bool expires = true;
  static constexpr bool on_access = false;
  [[no_unique_address]] F ttl_of{};
};

}  // namespace expiry

/// An expiry policy: static `expires` and `on_access` flags.
template <class P>
concept expiry_policy = std::default_initializable<P> && requires {
  { P::expires } -> std::convertible_to<bool>;
  { P::on_access } -> std::convertible_to<bool>;
};

static_assert(expiry_policy<expiry::none>);
static_assert(expiry_policy<expiry::after_write>);
static_assert(expiry_policy<expiry::after_access>);

}  // namespace hotpath::inline HOTPATH_ABI
