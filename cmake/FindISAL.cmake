# Finds Intel's ISA-L (Debian: libisal-dev), whose igzip inflate is hotpath's fast gzip path.
# ISA-L ships a pkg-config file but no CMake config.
#
# Defines ISAL_FOUND, ISAL_INCLUDE_DIR, ISAL_LIBRARY and the imported target ISAL::ISAL.
find_path(ISAL_INCLUDE_DIR NAMES isa-l/igzip_lib.h DOC "Directory that holds <isa-l/igzip_lib.h>")
find_library(ISAL_LIBRARY NAMES isal DOC "ISA-L library")
mark_as_advanced(ISAL_INCLUDE_DIR ISAL_LIBRARY)

include(FindPackageHandleStandardArgs)
find_package_handle_standard_args(ISAL REQUIRED_VARS ISAL_LIBRARY ISAL_INCLUDE_DIR)

if(ISAL_FOUND AND NOT TARGET ISAL::ISAL)
  add_library(ISAL::ISAL UNKNOWN IMPORTED)
  set_target_properties(ISAL::ISAL PROPERTIES
    IMPORTED_LOCATION "${ISAL_LIBRARY}"
    INTERFACE_INCLUDE_DIRECTORIES "${ISAL_INCLUDE_DIR}")
endif()
