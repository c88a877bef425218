// hotpath/core/detail/concurrentqueue.hpp: the one place that includes moodycamel's queue.
//
// The header lives at different paths depending on how it was installed: Debian's
// libconcurrentqueue-dev puts it under <concurrentqueue/...>, upstream's CMake install under
// <concurrentqueue/moodycamel/...>, and a source checkout on the include path at the root.
#pragma once

#if __has_include(<concurrentqueue/moodycamel/concurrentqueue.h>)
#include <concurrentqueue/moodycamel/concurrentqueue.h>
#elif __has_include(<concurrentqueue/concurrentqueue.h>)
#include <concurrentqueue/concurrentqueue.h>
#elif __has_include(<concurrentqueue.h>)
#include <concurrentqueue.h>
#else
#error "hotpath needs moodycamel::ConcurrentQueue (Debian: apt-get install libconcurrentqueue-dev)"
#endif
