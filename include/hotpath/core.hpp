// hotpath/core.hpp: the shared vocabulary (errors, clocks, cache-line size).
#pragma once

#include "hotpath/core/cache_line.hpp"
#include "hotpath/core/clock.hpp"
#include "hotpath/core/error.hpp"
#include "hotpath/core/weigher.hpp"
