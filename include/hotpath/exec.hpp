// hotpath/exec.hpp: the execution module: a work-stealing thread pool with light futures,
// priorities, deadlines and cancellation; parallel loops; a batch processor; retries.
//
//   hotpath::thread_pool<> pool;
//   auto f = pool.submit([](int x) { return x * 2; }, 21);                 // f.get() == 42
//   hotpath::parallel_for(pool, 0, n, [&](std::size_t i) { y[i] += a * x[i]; });
//   hotpath::batch_processor<Row> out(pool, write_rows, {.max_items = 500});
//   Row r = hotpath::retry([&] { return fetch(key); }, {.max_attempts = 5});
//
// Each header documents its own contract; this one only includes them.
#pragma once

#include "hotpath/exec/batch_processor.hpp"
#include "hotpath/exec/future.hpp"
#include "hotpath/exec/idle_policy.hpp"
#include "hotpath/exec/parallel.hpp"
#include "hotpath/exec/queue_policy.hpp"
#include "hotpath/exec/retry.hpp"
#include "hotpath/exec/thread_pool.hpp"
