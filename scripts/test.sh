#!/usr/bin/env bash
# Builds hotpath and runs its tests: scripts/test.sh [dev|release|asan|tsan|clang] (default dev).
# Installs missing Debian packages first.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$here/deps.sh"
preset=${1:-dev}
cd "$here/.."
hotpath_deps core test
jobs=${HOTPATH_JOBS:-$(nproc)}
# bench.sh turns tests off in the release tree; turn them back on for whichever preset runs here.
cmake --preset "$preset" -DHOTPATH_BUILD_TESTS=ON
cmake --build --preset "$preset" -j "$jobs"
# TSan needs the address-space layout its shadow memory expects; newer kernels randomise more
# than it knows, so run the sanitized tests without ASLR where setarch can do that.
runner=()
if [ "$preset" = tsan ] && setarch "$(uname -m)" -R true 2> /dev/null; then
  runner=(setarch "$(uname -m)" -R)
fi
"${runner[@]}" ctest --preset "$preset" -j "$jobs"
