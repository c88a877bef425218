#!/usr/bin/env bash
# Builds hotpath's benchmarks in Release, runs every one (peers in the same binary), and writes
# benchmarks/results/*.json, RESULTS.md and one PNG chart per module.
#   scripts/bench.sh                      all benchmarks, 5 repetitions, medians reported
#   BENCH_REPETITIONS=3 BENCH_FILTER=counter scripts/bench.sh
# Installs missing Debian packages first.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$here/deps.sh"
cd "$here/.."
hotpath_deps core bench
jobs=${HOTPATH_JOBS:-$(nproc)}
# Tests stay out of this build: their tools (GoogleTest, promtool, curl) are scripts/test.sh's to
# install, and a machine that only benchmarks should not need them.
cmake --preset release -DHOTPATH_BUILD_TESTS=OFF
cmake --build --preset release -j "$jobs"

results=benchmarks/results
mkdir -p "$results"
reps=${BENCH_REPETITIONS:-5}
filter=${BENCH_FILTER:-}
ran=0
for bin in build/release/bench/bench_*; do
  [ -x "$bin" ] || continue
  name=$(basename "$bin")
  [ -n "$filter" ] && [[ "$name" != *"$filter"* ]] && continue
  echo "== $name"
  # Repetitions in random interleaved order: a shared machine's speed can drift by 2x over minutes,
  # and run back to back the peer's repetitions and hotpath's would fall in different phases.
  "$bin" --benchmark_repetitions="$reps" --benchmark_enable_random_interleaving=true \
    --benchmark_report_aggregates_only=true \
    --benchmark_out="$results/$name.json" --benchmark_out_format=json
  ran=$((ran + 1))
done
if [ -z "$filter" ] || [[ "hit_ratio_cache" == *"$filter"* ]]; then
  echo "== hit_ratio_cache"
  build/release/bench/hit_ratio_cache --out "$results/cache_hit_ratio_section.md"
  ran=$((ran + 1))
fi
# The stream module against the command-line tools and Python (hyperfine; a generated corpus of
# STREAM_BENCH_MIB MiB, 256 by default, cached in build/stream-corpus-*).
if [ -z "$filter" ] || [[ "bench_stream_cli" == *"$filter"* ]]; then
  echo "== bench_stream_cli"
  benchmarks/stream/cli_bench.sh build/release/bench/hotpath_stream_tool \
    "$results/bench_stream_cli.json" "${STREAM_BENCH_MIB:-256}"
  ran=$((ran + 1))
fi
[ "$ran" -gt 0 ] || { echo "no benchmark binary matched" >&2; exit 1; }

python3 "$here/bench_report.py" "$results" --compiler "hotpath built Release with $(c++ --version | head -1)"
echo "report: $results/RESULTS.md"
