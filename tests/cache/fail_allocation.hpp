// Allocation failures on demand, for the tests of what the cache does when memory runs out.
#pragma once

namespace hotpath_test {

/// The number of allocations on this thread, counting down, until one throws std::bad_alloc
/// (-1: none fails). Only a binary that includes failing_new.hpp (in one of its files) fails
/// them.
inline thread_local long fail_allocation_in = -1;

}  // namespace hotpath_test
