// hotpath/version.hpp: the library version, as macros and as constants.
//
// The major version is also the name of the inline namespace every public name lives in
// (see config.hpp), so two translation units built against headers of different major versions
// fail at link time instead of mixing layouts silently.
#pragma once

#define HOTPATH_VERSION_MAJOR 0
#define HOTPATH_VERSION_MINOR 1
#define HOTPATH_VERSION_PATCH 0

/// One integer that orders releases: major * 10000 + minor * 100 + patch.
#define HOTPATH_VERSION \
  (HOTPATH_VERSION_MAJOR * 10000 + HOTPATH_VERSION_MINOR * 100 + HOTPATH_VERSION_PATCH)
