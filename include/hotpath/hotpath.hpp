// hotpath/hotpath.hpp: the umbrella header. Includes every module that needs no optional
// dependency; the stream module (compression libraries) is included on its own.
#pragma once

#include "hotpath/cache.hpp"
#include "hotpath/config.hpp"
#include "hotpath/core.hpp"
#include "hotpath/exec.hpp"
#include "hotpath/metrics.hpp"
#include "hotpath/version.hpp"
