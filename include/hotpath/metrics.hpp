// hotpath/metrics.hpp: the metrics module: counters, gauges, histograms, timers, the registry
// and the Prometheus exposition.
#pragma once

#include "hotpath/metrics/counter.hpp"
#include "hotpath/metrics/exposition.hpp"
#include "hotpath/metrics/gauge.hpp"
#include "hotpath/metrics/histogram.hpp"
#include "hotpath/metrics/registry.hpp"
#include "hotpath/metrics/scoped_timer.hpp"
