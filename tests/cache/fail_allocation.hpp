// Allocation failures on demand, for the tests of what the cache does when memory runs out.
#pragma once

namespace hotpath_test {

/// The number of allocations on this thread, counting down, until one throws std::bad_alloc
/// (-1: none fails). Only a binary that includes failing_new.hpp (in one of its files) fails
/// them.
inline thread_local long fail_allocation_in = -1;

/// Allocations made on this thread less those freed on it (counted in a binary that includes
/// failing_new.hpp).
inline thread_local long live_allocations = 0;

}  // namespace hotpath_test
