// hotpath/config.hpp: the versioned inline namespace and the few compiler switches hotpath uses.
//
// Every public name is declared as `namespace hotpath::inline HOTPATH_ABI { ... }`; users spell
// `hotpath::metrics::counter` and never see the inline part, while the linker sees
// `hotpath::v0::metrics::counter`.
#pragma once

#include "hotpath/version.hpp"

// The inline namespace follows the major version: an ABI break bumps both.
#define HOTPATH_ABI v0

#if defined(__GNUC__) || defined(__clang__)
#define HOTPATH_LIKELY(x) __builtin_expect(!!(x), 1)
#define HOTPATH_UNLIKELY(x) __builtin_expect(!!(x), 0)
#define HOTPATH_NOINLINE __attribute__((noinline))
#define HOTPATH_COLD __attribute__((cold, noinline))
#define HOTPATH_ALWAYS_INLINE __attribute__((always_inline)) inline
#else
#define HOTPATH_LIKELY(x) (x)
#define HOTPATH_UNLIKELY(x) (x)
#define HOTPATH_NOINLINE
#define HOTPATH_COLD
#define HOTPATH_ALWAYS_INLINE inline
#endif
