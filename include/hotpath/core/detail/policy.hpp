// hotpath/core/detail/policy.hpp: picks policies out of a class template's parameter pack, in any
// order, by the concept each kind of policy models.
#pragma once

#include <type_traits>

#include "hotpath/config.hpp"
#include "hotpath/core/clock.hpp"

namespace hotpath::inline HOTPATH_ABI::detail {

/// The first P in Ps with Trait<P>::value, or Default.
template <template <class> class Trait, class Default, class... Ps>
struct select_policy {
  using type = Default;
};
template <template <class> class Trait, class Default, class P, class... Ps>
struct select_policy<Trait, Default, P, Ps...>
    : std::conditional_t<Trait<P>::value, std::type_identity<P>,
                         select_policy<Trait, Default, Ps...>> {};

template <template <class> class Trait, class Default, class... Ps>
using select_policy_t = typename select_policy<Trait, Default, Ps...>::type;

/// Clocks are a policy kind of several components (thread_pool, batch_processor, caches).
template <class P>
struct is_clock_policy : std::bool_constant<hotpath::clock<P>> {};

/// How many of Ps satisfy Trait (a component rejects two policies of one kind).
template <template <class> class Trait, class... Ps>
inline constexpr int count_policies = (0 + ... + (Trait<Ps>::value ? 1 : 0));

}  // namespace hotpath::inline HOTPATH_ABI::detail
