# Finds moodycamel::ConcurrentQueue, which ships no CMake config in Debian.
#
# Accepts the three layouts hotpath's detail/concurrentqueue.hpp probes: Debian's
# <concurrentqueue/concurrentqueue.h>, upstream's installed <concurrentqueue/moodycamel/...>, and
# a source checkout with concurrentqueue.h at its root (point ConcurrentQueue_ROOT at it).
#
# Defines ConcurrentQueue_FOUND, ConcurrentQueue_INCLUDE_DIR and the imported target
# ConcurrentQueue::ConcurrentQueue.
find_path(ConcurrentQueue_INCLUDE_DIR
  NAMES concurrentqueue/moodycamel/concurrentqueue.h
        concurrentqueue/concurrentqueue.h
        concurrentqueue.h
  DOC "Directory that holds moodycamel's concurrentqueue headers")
mark_as_advanced(ConcurrentQueue_INCLUDE_DIR)

include(FindPackageHandleStandardArgs)
find_package_handle_standard_args(ConcurrentQueue REQUIRED_VARS ConcurrentQueue_INCLUDE_DIR)

if(ConcurrentQueue_FOUND AND NOT TARGET ConcurrentQueue::ConcurrentQueue)
  add_library(ConcurrentQueue::ConcurrentQueue INTERFACE IMPORTED)
  set_target_properties(ConcurrentQueue::ConcurrentQueue PROPERTIES
    INTERFACE_INCLUDE_DIRECTORIES "${ConcurrentQueue_INCLUDE_DIR}")
endif()
