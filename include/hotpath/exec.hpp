// hotpath/exec.hpp: the execution module: thread pool, futures, queue and idle policies.
#pragma once

#include "hotpath/exec/batch_processor.hpp"
#include "hotpath/exec/future.hpp"
#include "hotpath/exec/idle_policy.hpp"
#include "hotpath/exec/parallel.hpp"
#include "hotpath/exec/queue_policy.hpp"
#include "hotpath/exec/retry.hpp"
#include "hotpath/exec/thread_pool.hpp"
