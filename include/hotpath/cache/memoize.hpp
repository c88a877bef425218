// hotpath/cache/memoize.hpp: a cached callable, keyed on its arguments.
//
//   auto price = hotpath::memoize<hotpath::expiry::after_write>(
//       [](const std::string& sku, int qty) { return quote(sku, qty); },
//       {.capacity = 10'000, .ttl = 30s, .refresh_ahead = 3s});
//   double p = price("A-17", 3);          // runs quote() once per (sku, qty) per 30 s
//
// The callable must have one signature (not a generic lambda); its decayed argument types form
// a std::tuple key, hashed element by element with std::hash.
// - Text the function only views (a pointer to const characters of any character type, a
//   basic_string_view) is kept as a string: the key owns it, so a reused buffer or a temporary
//   string cannot change or free it (a null pointer stays null).
// - float and double arguments are keyed by their bits: -0.0 and 0.0 are different keys (1/x
//   tells them apart), and a NaN argument is found again. long double is keyed by value.
// - Other pointers and views are keyed by address, as the function receives them.
// - Tuple and pair arguments are kept element by element the same way.
// - A parameter taken by rvalue reference gets a copy of the key's argument; one taken by
//   non-const lvalue reference is a compile error (the function could change what the key holds).
// - A function whose result refers into its arguments (a view, a pointer) must not be memoized:
//   the cached result would outlive them.
// results().erase() and the like take key_of(args...), the key the cache holds. The Policies are
// the cache's (eviction, expiry, weigher of results, locking, clock). Concurrent calls with equal
// arguments run the function once (single flight); an exception reaches every caller and is not
// cached. Stampede guard: with an expiry policy, `refresh_ahead` re-runs the function for an
// entry that is about to expire, once, while other callers keep getting the cached result, so a
// hot key never misses at expiry.
#pragma once

#include <bit>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <utility>

#include "hotpath/cache/cache.hpp"
#include "hotpath/config.hpp"

namespace hotpath::inline HOTPATH_ABI {
namespace detail {

template <class T>
struct is_tuple_like : std::false_type {};
template <class... Ts>
struct is_tuple_like<std::tuple<Ts...>> : std::true_type {};
template <class A, class B>
struct is_tuple_like<std::pair<A, B>> : std::true_type {};

/// Hashes a std::tuple (or pair) by combining the hash of each element: std::hash, or this
/// hash again for an element that is itself a tuple or a pair (std::hash has none for them).
struct tuple_hash {
  template <class T>
  std::size_t operator()(const T& t) const {
    static_assert(is_tuple_like<T>::value);
    std::size_t h = 0x9e3779b97f4a7c15ull;
    std::apply([&h](const auto&... e) { ((h = static_cast<std::size_t>(mix64(h ^ of(e)))), ...); },
               t);
    return h;
  }

 private:
  template <class E>
  static std::size_t of(const E& e) {
    if constexpr (is_tuple_like<E>::value) {
      return tuple_hash{}(e);
    } else {
      return std::hash<E>{}(e);
    }
  }
};

template <class C>
inline constexpr bool is_character =
    std::is_same_v<C, char> || std::is_same_v<C, wchar_t> || std::is_same_v<C, char8_t> ||
    std::is_same_v<C, char16_t> || std::is_same_v<C, char32_t>;

/// How an argument of decayed type T is kept in a memoize key (`type`, made by `keep`), and
/// handed back to the function from there (`pass`): as it is, except text the function only
/// views, which the key copies, and floating-point values, which it keeps as bits.
template <class T>
struct key_part {
  using type = T;
  static T keep(T v) { return v; }
  static const T& pass(const T& v) noexcept { return v; }
};
template <class C>
  requires is_character<C>
struct key_part<const C*> {
  using type = std::optional<std::basic_string<C>>;
  static type keep(const C* p) { return p == nullptr ? type() : type(std::in_place, p); }
  static const C* pass(const type& v) noexcept { return v ? v->c_str() : nullptr; }
};
template <class C, class T>
struct key_part<std::basic_string_view<C, T>> {
  using type = std::basic_string<C, T>;
  static type keep(std::basic_string_view<C, T> v) { return type(v); }
  static std::basic_string_view<C, T> pass(const type& v) noexcept { return v; }
};
template <class T>
  requires std::is_same_v<T, float> || std::is_same_v<T, double>
struct key_part<T> {
  using type = std::conditional_t<sizeof(T) == 4, std::uint32_t, std::uint64_t>;
  static type keep(T v) noexcept { return std::bit_cast<type>(v); }
  static T pass(type v) noexcept { return std::bit_cast<T>(v); }
};
// Tuples and pairs: each element kept as it would be on its own (by value, decayed: a
// reference element would leave the key referring to the caller's object).
template <class... Ts>
struct key_part<std::tuple<Ts...>> {
  static_assert((!(std::is_lvalue_reference_v<Ts> &&
                   !std::is_const_v<std::remove_reference_t<Ts>>)&&...),
                "hotpath::memoize: a tuple argument holds a non-const reference, which the "
                "function may modify");
  using type = std::tuple<typename key_part<std::decay_t<Ts>>::type...>;
  static type keep(const std::tuple<Ts...>& t) {
    return std::apply([](const auto&... e) { return type(key_part<std::decay_t<Ts>>::keep(e)...); },
                      t);
  }
  static std::tuple<Ts...> pass(const type& k) {
    return std::apply(
        [](const auto&... e) { return std::tuple<Ts...>(key_part<std::decay_t<Ts>>::pass(e)...); },
        k);
  }
};
template <class A, class B>
struct key_part<std::pair<A, B>> {
  static_assert(!(std::is_lvalue_reference_v<A> && !std::is_const_v<std::remove_reference_t<A>>)&&!(
                    std::is_lvalue_reference_v<B> && !std::is_const_v<std::remove_reference_t<B>>),
                "hotpath::memoize: a pair argument holds a non-const reference, which the function "
                "may modify");
  using type =
      std::pair<typename key_part<std::decay_t<A>>::type, typename key_part<std::decay_t<B>>::type>;
  static type keep(const std::pair<A, B>& p) {
    return type(key_part<std::decay_t<A>>::keep(p.first),
                key_part<std::decay_t<B>>::keep(p.second));
  }
  static std::pair<A, B> pass(const type& k) {
    return std::pair<A, B>(key_part<std::decay_t<A>>::pass(k.first),
                           key_part<std::decay_t<B>>::pass(k.second));
  }
};

template <class F>
struct signature_of : signature_of<decltype(&F::operator())> {};
template <class R, class... A>
struct signature_of<R (*)(A...)> {
  using result = R;
  template <class P>
  static constexpr bool writable_text =
      std::is_pointer_v<P> && !std::is_const_v<std::remove_pointer_t<P>> &&
      is_character<std::remove_pointer_t<P>>;
  static_assert((!writable_text<std::decay_t<A>> && ...),
                "hotpath::memoize: the function may write through a pointer to characters; take "
                "a pointer to const characters");
  static_assert((!(std::is_lvalue_reference_v<A> &&
                   !std::is_const_v<std::remove_reference_t<A>>)&&...),
                "hotpath::memoize: the function takes a non-const reference, which it may modify");
  using key = std::tuple<typename key_part<std::decay_t<A>>::type...>;
  // The key of a call with `args`, each first converted to the parameter's type, as a direct
  // call of the function would.
  template <class... Args>
  static key make_key(Args&&... args) {
    static_assert(sizeof...(Args) == sizeof...(A), "hotpath::memoize: wrong number of arguments");
    return key(key_part<std::decay_t<A>>::keep(std::forward<Args>(args))...);
  }
  // An argument as parameter type P takes it: a parameter taken by rvalue reference gets a copy
  // of the key's element, which it may consume.
  template <class P, class X>
  static decltype(auto) as_param(X&& x) {
    if constexpr (std::is_rvalue_reference_v<P>) {
      return std::decay_t<P>(std::forward<X>(x));
    } else {
      return std::forward<X>(x);
    }
  }
  // Calls f with the key's elements, each as the function takes it, and returns its result by
  // value: a result that refers to an argument (one made for the call, from a key's bits) is
  // copied before that argument is gone.
  template <class Fn>
  static std::decay_t<R> call(Fn& f, const key& k) {
    return [&]<std::size_t... I>(std::index_sequence<I...>)->std::decay_t<R> {
      return f(as_param<A>(key_part<std::decay_t<A>>::pass(std::get<I>(k)))...);
    }
    (std::index_sequence_for<A...>{});
  }
};
template <class R, class... A>
struct signature_of<R(A...)> : signature_of<R (*)(A...)> {};
template <class C, class R, class... A>
struct signature_of<R (C::*)(A...) const> : signature_of<R (*)(A...)> {};
template <class C, class R, class... A>
struct signature_of<R (C::*)(A...)> : signature_of<R (*)(A...)> {};
template <class C, class R, class... A>
struct signature_of<R (C::*)(A...) const noexcept> : signature_of<R (*)(A...)> {};
template <class C, class R, class... A>
struct signature_of<R (C::*)(A...) noexcept> : signature_of<R (*)(A...)> {};
template <class R, class... A>
struct signature_of<R (*)(A...) noexcept> : signature_of<R (*)(A...)> {};

}  // namespace detail

/// A callable that caches F's results by argument tuple; see the header comment.
template <class F, class... Policies>
class memoized {
 public:
  using key_type = typename detail::signature_of<F>::key;
  using result_type = std::decay_t<typename detail::signature_of<F>::result>;
  using cache_type = cache<key_type, result_type, cache_hash<detail::tuple_hash>, Policies...>;

  memoized(F f, typename cache_type::options opts, typename cache_type::clock_type clock = {})
      : f_(std::move(f)), cache_(std::move(opts), std::move(clock)) {}

  /// The key the results() cache holds for a call with `args`: the arguments as the function
  /// takes them, text owned, floating-point values as their bits. Use it for results().erase(),
  /// contains() and the like; a key built by hand may convert differently.
  template <class... A>
  static key_type key_of(A&&... args) {
    return detail::signature_of<F>::make_key(std::forward<A>(args)...);
  }

  template <class... A>
  result_type operator()(A&&... args) {
    key_type key = key_of(std::forward<A>(args)...);
    return cache_.get_or_load(
        key, [this](const key_type& k) { return detail::signature_of<F>::call(f_, k); });
  }

  /// The cache behind the function: the cache of results: stats(), register_metrics(), erase(), ...
  [[nodiscard]] cache_type& results() noexcept { return cache_; }

 private:
  F f_;
  cache_type cache_;
};

/// Wraps `f` in a memoized callable with the given cache policies and options.
template <class... Policies, class F>
auto memoize(F f, typename memoized<F, Policies...>::cache_type::options opts = {},
             typename memoized<F, Policies...>::cache_type::clock_type clock = {}) {
  return memoized<F, Policies...>(std::move(f), std::move(opts), std::move(clock));
}

}  // namespace hotpath::inline HOTPATH_ABI
