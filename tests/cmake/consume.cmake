# Configures, builds and runs the consumer project in one mode; any failing step fails the test.
file(REMOVE_RECURSE "${BINARY}")
set(args -S "${SOURCE}" -B "${BINARY}" -G "${GENERATOR}"
    "-DCMAKE_CXX_COMPILER=${CXX}"
    -DCMAKE_BUILD_TYPE=Release
    "-DHOTPATH_CONSUME_MODE=${MODE}"
    "-DHOTPATH_SOURCE_DIR=${HOTPATH_SOURCE_DIR}"
    -DFETCHCONTENT_FULLY_DISCONNECTED=ON)
if(MODE STREQUAL "find_package")
  # Install this build tree into a private prefix first, as a user's `cmake --install` would.
  file(REMOVE_RECURSE "${PREFIX}")
  execute_process(COMMAND "${CMAKE_COMMAND}" --install "${HOTPATH_BINARY_DIR}" --prefix "${PREFIX}"
                  RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "install into ${PREFIX} failed: ${rc}\n${out}\n${err}")
  endif()
  # Only the private prefix may provide hotpath: the package registry and system paths must not.
  list(APPEND args "-DCMAKE_PREFIX_PATH=${PREFIX}" -DCMAKE_FIND_USE_PACKAGE_REGISTRY=OFF)
endif()

foreach(step IN ITEMS configure build run)
  if(step STREQUAL "configure")
    set(cmd "${CMAKE_COMMAND}" ${args})
  elseif(step STREQUAL "build")
    set(cmd "${CMAKE_COMMAND}" --build "${BINARY}")
  else()
    set(cmd "${BINARY}/consumer")
  endif()
  execute_process(COMMAND ${cmd} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "consumer (${MODE}) failed at ${step}: ${rc}\n${out}\n${err}")
  endif()
endforeach()
if(NOT out MATCHES "hotpath 0\\.1\\.0 metrics ok, zlib [0-9.]+")
  message(FATAL_ERROR "consumer (${MODE}) printed something else:\n${out}")
endif()
message(STATUS "consumer (${MODE}): ${out}")
