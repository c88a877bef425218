#!/usr/bin/env bash
# Times hotpath's stream readers against the command-line tools and Python on a generated
# corpus, with hyperfine, and writes the medians as Google-Benchmark-shaped JSON
# (<workload>/<implementation>), so bench_report.py pairs them like the in-process benchmarks.
#   benchmarks/stream/cli_bench.sh TOOL OUT_JSON [MIB]
# TOOL is build/release/bench/hotpath_stream_tool. The corpus (MIB of CSV, 256 by default, and
# the same records as JSON Lines) is generated once per size and compressed by the real tools
# into build/stream-corpus-MIB. Before timing, every compressed file is decoded by hotpath and by
# its own tool and the two must agree (bytes, CRC32, lines), and every workload's count printed by
# hotpath must equal its peers'. STREAM_BENCH_RUNS sets hyperfine's runs (5).
set -euo pipefail
tool=$(realpath "$1")
out=$(realpath -m "$2")
mib=${3:-256}
runs=${STREAM_BENCH_RUNS:-5}
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# Debian's Python, where python3-pandas lives (a python3 earlier on PATH may lack it).
py=${STREAM_BENCH_PYTHON:-/usr/bin/python3}
peers="$py $here/peers.py"
dir=$(realpath -m "${STREAM_CORPUS_DIR:-build/stream-corpus-$mib}")
mkdir -p "$dir"
cd "$dir"

step() { echo "-- $*" >&2; }
make_file() {  # make_file NAME COMMAND...: runs COMMAND > NAME unless NAME exists
  local name=$1
  shift
  [ -s "$name" ] && return 0
  step "making $name"
  "$@" > "$name.tmp" && mv "$name.tmp" "$name"
}
[ -s corpus.csv ] && [ -s corpus.jsonl ] || { step "generating $mib MiB corpus"; "$tool" gen --mb "$mib" --out .; }
make_file corpus.csv.gz gzip -6 -c corpus.csv
make_file corpus.jsonl.gz gzip -6 -c corpus.jsonl
make_file corpus.csv.bz2 bzip2 -9 -c corpus.csv
make_file corpus.csv.xz xz -6 -T1 -c corpus.csv
make_file corpus.t2.csv.xz xz -6 -T2 -c corpus.csv
make_file corpus.csv.zst zstd -3 -q -c corpus.csv
if [ ! -s corpus.multi.csv.gz ]; then
  step "making corpus.multi.csv.gz (split + gzip + cat)"
  rm -rf parts && mkdir parts
  split -b 8M corpus.csv parts/p_
  gzip -6 parts/p_*
  cat parts/p_*.gz > corpus.multi.csv.gz.tmp && mv corpus.multi.csv.gz.tmp corpus.multi.csv.gz
  rm -rf parts
fi

# A file that was just written sits in the page cache in the small folios the writer left; one
# read from disk comes in by readahead in large (up to 2 MiB) folios, which a mapping takes in a
# few hundred page faults instead of thousands. On the 2-vCPU VM behind RESULTS.md, `lines --mmap`
# over the freshly generated 256 MiB CSV took 34 ms (wc -l 25 ms), and 15 ms (wc -l 19 ms) once
# it was dropped and read back; `lines` through read() took 31 and 22 ms. A user's input is
# usually read from disk, so the corpus is dropped from the cache here and the checks below read
# it back in as a user's first pass would.
$peers evict corpus.csv corpus.jsonl ./*.gz ./*.bz2 ./*.xz ./*.zst

# Every compressed file decodes to the same bytes through hotpath as through its own tool.
verify() {  # verify FILE DECODER...
  local file=$1
  shift
  local ours theirs
  ours=$("$tool" verify "$file")
  theirs=$("$@" < "$file" | $peers crc)
  if [ "$ours" != "$theirs" ]; then
    echo "cli_bench: $file: hotpath decoded '$ours', $1 decoded '$theirs'" >&2
    exit 1
  fi
  step "verified $file: $ours"
}
verify corpus.csv.gz gzip -dc
verify corpus.multi.csv.gz gzip -dc
verify corpus.jsonl.gz gzip -dc
verify corpus.csv.bz2 bzip2 -dc
verify corpus.csv.xz xz -dc
verify corpus.t2.csv.xz xz -dc
verify corpus.csv.zst zstd -dc
verify corpus.csv cat

# same_count "hotpath cmd" "peer cmd": both print the same number (of lines, rows or documents).
same_count() {
  local a b
  a=$(bash -c "$1" | grep -o '[0-9]\+' | head -1)
  b=$(bash -c "$2" | grep -o '[0-9]\+' | head -1)
  if [ "$a" != "$b" ]; then
    echo "cli_bench: '$1' counted $a, '$2' counted $b" >&2
    exit 1
  fi
}

results=()
bench() {  # bench WORKLOAD impl "cmd" impl "cmd" ...
  local workload=$1
  shift
  local args=() json="$dir/hf_$workload.json"
  while [ $# -gt 0 ]; do
    args+=(-n "$workload/$1" "$2")
    shift 2
  done
  step "timing $workload"
  hyperfine --style basic --warmup 1 --runs "$runs" --export-json "$json" "${args[@]}" >&2
  results+=("$json")
}

T=$tool
same_count "$T lines corpus.csv.gz" "gzip -dc corpus.csv.gz | wc -l"
same_count "$T lines --zlib corpus.csv.gz" "$peers gzip_lines corpus.csv.gz"
same_count "$T lines corpus.multi.csv.gz" "gzip -dc corpus.multi.csv.gz | wc -l"
same_count "$T lines --xz-threads 2 corpus.t2.csv.xz" "xz -dc corpus.t2.csv.xz | wc -l"
same_count "$T lines corpus.csv.bz2" "bzip2 -dc corpus.csv.bz2 | wc -l"
same_count "$T lines --bz2-threads 2 corpus.csv.bz2" "bzip2 -dc corpus.csv.bz2 | wc -l"
same_count "$T lines corpus.csv.zst" "zstd -dc corpus.csv.zst | wc -l"
same_count "$T lines --mmap corpus.csv" "$peers lines corpus.csv"
same_count "$T lines corpus.csv" "wc -l < corpus.csv"
same_count "$T lines --threads 2 corpus.csv.gz" "wc -l < corpus.csv"
same_count "$T csv corpus.csv" "$peers csv corpus.csv"
same_count "$T csv corpus.csv" "$peers pandas corpus.csv"
same_count "$T jsonl corpus.jsonl" "$peers json corpus.jsonl"
same_count "$T jsonl --threads 2 corpus.jsonl.gz" "$peers json corpus.jsonl"
step "every count agrees"

bench gz_lines hotpath "$T lines corpus.csv.gz" gzip "gzip -dc corpus.csv.gz | wc -l" \
  igzip "igzip -dc corpus.csv.gz > /dev/null" python "$peers gzip_lines corpus.csv.gz"
bench gz_lines_zlib_only hotpath "$T lines --zlib corpus.csv.gz" \
  gzip "gzip -dc corpus.csv.gz | wc -l"
bench gz_multi_member_lines hotpath "$T lines corpus.multi.csv.gz" \
  gzip "gzip -dc corpus.multi.csv.gz | wc -l"
bench xz_multiblock_2threads hotpath "$T lines --xz-threads 2 corpus.t2.csv.xz" \
  xz_T1 "xz -dc -T1 corpus.t2.csv.xz > /dev/null" xz_T2 "xz -dc -T2 corpus.t2.csv.xz > /dev/null"
bench xz_single_block hotpath "$T lines corpus.csv.xz" xz "xz -dc corpus.csv.xz > /dev/null"
bench bz2_lines hotpath "$T lines corpus.csv.bz2" bzip2 "bzip2 -dc corpus.csv.bz2 > /dev/null"
bench bz2_lines_2threads hotpath "$T lines --bz2-threads 2 corpus.csv.bz2" \
  bzip2 "bzip2 -dc corpus.csv.bz2 > /dev/null" lbzip2_n2 "lbzip2 -dc -n2 corpus.csv.bz2 > /dev/null"
bench zst_lines hotpath "$T lines corpus.csv.zst" zstd "zstd -dc corpus.csv.zst > /dev/null"
# The plain-file workloads start from the same page-cache state in every run, whatever the steps
# before left: the CSV dropped and read back once through read(), as a user's first pass over a
# file from disk leaves it (see the note at the top).
$peers evict corpus.csv
cat corpus.csv > /dev/null
bench plain_lines hotpath "$T lines --mmap corpus.csv" wc "wc -l corpus.csv" \
  python "$peers lines corpus.csv"
# The same lines through read() into hotpath's buffer: the file_source path, for comparison.
bench plain_lines_read hotpath "$T lines corpus.csv" wc "wc -l corpus.csv"
bench csv_rows hotpath "$T csv corpus.csv" python_csv "$peers csv corpus.csv" \
  pandas "$peers pandas corpus.csv"
bench jsonl_validate hotpath "$T jsonl corpus.jsonl" python_json "$peers json corpus.jsonl"
bench jsonl_gz_2threads hotpath "$T jsonl --threads 2 corpus.jsonl.gz" \
  igzip "igzip -dc corpus.jsonl.gz > /dev/null"

csv_bytes=$(stat -c %s corpus.csv)
"$py" - "$out" "$csv_bytes" "$mib" "${results[@]}" << 'PY'
import json, sys
out, csv_bytes, mib, files = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4:]
benchmarks = []
for path in files:
    with open(path) as f:
        for r in json.load(f)["results"]:
            entry = {
                "name": r["command"] + "_median", "run_name": r["command"],
                "run_type": "aggregate", "aggregate_name": "median",
                "real_time": r["median"] * 1e3, "cpu_time": (r["user"] + r["system"]) * 1e3,
                "time_unit": "ms", "repetitions": len(r["times"]),
            }
            # Workloads over the plain CSV also say how many bytes per second that is.
            if r["command"].split("/")[0] in ("plain_lines", "plain_lines_read", "csv_rows"):
                entry["bytes_per_second"] = csv_bytes / r["median"]
            benchmarks.append(entry)
context = {"executable": "benchmarks/stream/cli_bench.sh (hyperfine)",
           "corpus": f"{mib} MiB CSV ({csv_bytes} bytes) and the same records as JSON Lines"}
with open(out, "w") as f:
    json.dump({"context": context, "benchmarks": benchmarks}, f, indent=1)
PY
step "wrote $out"
