#!/usr/bin/env bash
# Smoke run of one fuzz target: seeds written by the real tools, then 15 seconds of fuzzing.
#   smoke.sh FUZZ_BINARY NAME
set -euo pipefail
bin=$1
name=$2
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
mkdir "$dir/seeds"
text=$'id,name,note\n1,ann,"a ""quoted"" note"\n2,bob,"two\r\nlines"\n3,cy,plain\n'
json=$'{"id":1,"tags":["a","b"]}\n\n{"id":2,"x":{"y":null}}\r\n{"id":3}'
i=0
for payload in "$text" "$json" "line one"$'\n'"line two"; do
  for tool in "cat" "gzip -c" "bzip2 -c" "xz -c" "xz -c --check=none" "zstd -q -c"; do
    i=$((i + 1))
    # The first byte of a fuzz input picks the block size (one byte, 0 to 7).
    { printf "\\x0$((i % 8))"; printf '%s' "$payload" | $tool; } > "$dir/seeds/$i"
  done
done
"$bin" -max_total_time=15 -timeout=10 -rss_limit_mb=1024 -print_final_stats=1 \
  "$dir/seeds" 2>&1 | tail -20
echo "fuzz smoke run of $name passed"
