#!/usr/bin/env bash
# Starts examples/metrics_http on a free loopback port, scrapes /metrics with curl, checks that the
# request counter counted each scrape, and has promtool (a real Prometheus client) lint both the
# served page and the example's --print output.
set -euo pipefail
server=$1 promtool=$2 curl=$3
work=$(mktemp -d)
trap 'rm -rf "$work"; [ -n "${pid:-}" ] && kill "$pid" 2>/dev/null || true' EXIT

# --print: every metric type, labels and histograms.
"$server" --print > "$work/print.txt"
"$promtool" check metrics < "$work/print.txt"
grep -qx 'hotpath_example_http_requests_total{path="/metrics",code="200"} 12' "$work/print.txt"
grep -qx 'hotpath_example_http_request_duration_seconds_count 1000' "$work/print.txt"

# The server: three requests, then it exits by itself.
mkfifo "$work/out"
"$server" --port 0 --max-requests 3 > "$work/out" &
pid=$!
exec 3< "$work/out"
read -r -t 30 banner <&3 || { echo "server printed no address"; exit 1; }
url=${banner#listening on }
echo "server at $url"

"$curl" -sS --fail --max-time 10 "$url" > "$work/page1.txt"
"$curl" -sS --fail --max-time 10 "$url" > "$work/page2.txt"
code=$("$curl" -sS --max-time 10 -o /dev/null -w '%{http_code}' "${url%/metrics}/nope")
[ "$code" = 404 ] || { echo "expected 404 for /nope, got $code"; exit 1; }

grep -qx 'hotpath_example_http_requests_total{path="/metrics",code="200"} 1' "$work/page1.txt"
grep -qx 'hotpath_example_http_requests_total{path="/metrics",code="200"} 2' "$work/page2.txt"
grep -qx 'hotpath_example_http_request_duration_seconds_count 1' "$work/page2.txt"
"$promtool" check metrics < "$work/page2.txt"

wait "$pid"
pid=
echo "metrics_http: ok"
