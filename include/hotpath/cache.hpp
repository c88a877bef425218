// hotpath/cache.hpp: the cache module (in-memory caches and memoization).
#pragma once

#include "hotpath/cache/cache.hpp"
#include "hotpath/cache/eviction.hpp"
#include "hotpath/cache/expiry.hpp"
#include "hotpath/cache/locking.hpp"
#include "hotpath/cache/memoize.hpp"
#include "hotpath/cache/removal.hpp"
#include "hotpath/cache/stats.hpp"
