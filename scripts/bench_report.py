#!/usr/bin/env python3
"""Turns Google Benchmark JSON files into benchmarks/results/RESULTS.md and PNG charts.

Benchmarks are named <workload>/<implementation>[/args]; the implementation is `hotpath` or a
peer. For every workload the report sets each peer beside hotpath with the ratio
peer time / hotpath time (equal to hotpath's throughput over the peer's when items are counted):
above 1 hotpath is faster. Medians of the repetitions are used when present.

Targets: benchmarks/<module>/targets.json may list {"workload", "peer", "min_ratio", "target"};
each such row of the table then says whether the ratio met its target. A target may name a
"metric", a counter of the benchmark where lower is better (such as a latency percentile); its
ratio is then peer counter / hotpath counter instead of a ratio of times. A target without a
"peer" is on hotpath's own number: {"workload", "metric", "min" or "max", "target"} checks the
median of that counter (such as a parallel efficiency or the CPU an idle pool uses), and with
"over": "<other workload>" the counter's ratio to the same counter of hotpath in that workload
(such as a 2-thread rate over the 1-thread rate); these go in a short list under the module's
table.

usage: bench_report.py RESULTS_DIR [--compiler TEXT] [--targets-dir benchmarks]
Standard library only; charts need gnuplot (skipped with a note when it is missing).
"""

import argparse
import collections
import datetime
import glob
import json
import os
import platform
import re
import shutil
import subprocess
import sys

# Name parts Google Benchmark appends on its own; they are not part of the workload.
GB_SUFFIX = re.compile(r"^(real_time|process_time|manual_time|threads:\d+|min_time:.*|"
                       r"min_warmup_time:.*|repeats:\d+|iterations:\d+)$")
TIME_NS = {"ns": 1.0, "us": 1e3, "ms": 1e6, "s": 1e9}
# Numeric fields of a Google Benchmark entry that are not user counters.
STANDARD_FIELDS = {"family_index", "per_family_instance_index", "repetitions",
                   "repetition_index", "threads", "iterations", "real_time", "cpu_time"}


def parse_name(run_name):
    parts = run_name.split("/")
    if len(parts) < 2:
        return None
    args = [p for p in parts[2:] if not GB_SUFFIX.match(p)]
    workload = "/".join([parts[0]] + args)
    return workload, parts[1]


def load(results_dir):
    """module -> workload -> impl -> {'time_ns', 'items_per_second'}; plus the first context."""
    modules = collections.OrderedDict()
    context = None
    for fname in sorted(os.listdir(results_dir)):
        if not (fname.startswith("bench_") and fname.endswith(".json")):
            continue
        with open(os.path.join(results_dir, fname)) as f:
            data = json.load(f)
        context = context or data.get("context", {})
        module = fname[len("bench_"):-len(".json")].split("_", 1)[0]
        # Registration order: with interleaved repetitions the file lists them in run order.
        entries = sorted(data.get("benchmarks", []),
                         key=lambda e: (e.get("family_index", 0),
                                        e.get("per_family_instance_index", 0)))
        has_median = any(e.get("aggregate_name") == "median" for e in entries)
        for e in entries:
            if has_median and e.get("aggregate_name") != "median":
                continue
            if not has_median and e.get("run_type") == "aggregate":
                continue
            if e.get("error_occurred"):
                continue
            parsed = parse_name(e.get("run_name", e["name"]))
            if parsed is None:
                continue
            workload, impl = parsed
            unit = TIME_NS[e.get("time_unit", "ns")]
            modules.setdefault(module, collections.OrderedDict()).setdefault(
                workload, collections.OrderedDict())[impl] = {
                    "time_ns": e["real_time"] * unit,
                    "items_per_second": e.get("items_per_second"),
                    # memory benchmarks report a size, not a time
                    "bytes_per_entry": e.get("bytes_per_entry"),
                    "bytes_per_second": e.get("bytes_per_second"),
                    "counters": {k: v for k, v in e.items()
                                 if isinstance(v, (int, float)) and k not in STANDARD_FIELDS},
            }
    return modules, context or {}


def load_targets(targets_dir, module):
    """(workload, peer) -> (min_ratio, text, metric or None) from
    benchmarks/<module>/targets.json, if any."""
    path = os.path.join(targets_dir, module, "targets.json")
    if not os.path.exists(path):
        return {}
    with open(path) as f:
        return {(t["workload"], t["peer"]): (float(t["min_ratio"]), t["target"], t.get("metric"))
                for t in json.load(f) if "peer" in t}


def load_own_targets(targets_dir, module):
    """Targets on hotpath's own counters: [{workload, metric, min|max, target}]."""
    path = os.path.join(targets_dir, module, "targets.json")
    if not os.path.exists(path):
        return []
    with open(path) as f:
        return [t for t in json.load(f) if "peer" not in t]


def own_target_lines(workloads, own):
    lines = []
    for t in own:
        hot = workloads.get(t["workload"], {}).get("hotpath")
        value = hot["counters"].get(t["metric"]) if hot else None
        name = t["metric"]
        if value is not None and "over" in t:
            # A ratio of two of hotpath's own workloads, such as a 2-thread rate over 1 thread's.
            base = workloads.get(t["over"], {}).get("hotpath")
            base_value = base["counters"].get(t["metric"]) if base else None
            value = value / base_value if base_value else None
            name = f"{t['metric']} / {t['over']}'s"
        if value is None:
            lines.append(f"- {t['workload']}: {t['target']}: not measured in this run")
            continue
        if "min" in t:
            ok, bound = value >= float(t["min"]), f">= {float(t['min']):g}"
        else:
            ok, bound = value <= float(t["max"]), f"<= {float(t['max']):g}"
        verdict = "met" if ok else "**missed**"
        lines.append(f"- {t['workload']}: {name} = {value:.4g} ({t['target']}; "
                     f"{bound}): {verdict}")
    return lines


def ratio(hot, peer):
    """peer time / hotpath time, from throughput when both count items (or peer bytes /
    hotpath bytes for memory benchmarks)."""
    if hot.get("bytes_per_entry") and peer.get("bytes_per_entry"):
        return peer["bytes_per_entry"] / hot["bytes_per_entry"]
    if hot.get("items_per_second") and peer.get("items_per_second"):
        return hot["items_per_second"] / peer["items_per_second"]
    if hot["time_ns"] <= 0:
        return float("inf")
    return peer["time_ns"] / hot["time_ns"]


def fmt_result(r):
    if r.get("bytes_per_entry"):
        return f"{r['bytes_per_entry']:.1f} B/entry"
    ips = r.get("items_per_second")
    if ips:
        for scale, suffix in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
            if ips >= scale:
                return f"{ips / scale:.1f} {suffix}items/s"
        return f"{ips:.1f} items/s"
    t = r["time_ns"]
    bps = r.get("bytes_per_second")
    rate = f" ({bps / 1e6:.0f} MB/s)" if bps else ""
    for scale, suffix in ((1e9, "s"), (1e6, "ms"), (1e3, "us")):
        if t >= scale:
            return f"{t / scale:.2f} {suffix}{rate}"
    return f"{t:.1f} ns{rate}"


def cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def machine_line(context, compiler):
    cpus = context.get("num_cpus", os.cpu_count())
    mhz = context.get("mhz_per_cpu")
    build = context.get("library_build_type", "?")
    parts = [f"{cpu_model()}, {cpus} CPUs" + (f" @ {mhz} MHz" if mhz else ""),
             f"{platform.system()} {platform.release()}"]
    if compiler:
        parts.append(compiler)
    parts.append(f"Google Benchmark library built as {build}")
    parts.append(context.get("date", datetime.datetime.now().isoformat(timespec="seconds")))
    return "; ".join(parts)


def chart(module, rows, out_png):
    """Bar chart of peer/hotpath ratios, log scale, one bar per (workload, peer)."""
    if not shutil.which("gnuplot") or not rows:
        return False
    data_path = out_png[:-4] + ".dat"
    with open(data_path, "w") as f:
        for workload, peer, r in rows:
            f.write(f'"{workload}\\n{peer}" {r:.6g}\n')
    height = 560
    width = max(720, 120 * len(rows))
    script = f"""
set terminal png size {width},{height} noenhanced
set output '{out_png}'
set title "hotpath {module}: peer time / hotpath time (above 1: hotpath faster)"
set style data histograms
set style fill solid 0.8 border -1
set boxwidth 0.7
set logscale y 2
set grid ytics
set ylabel "ratio (log scale)"
set xtics rotate by -30 font ",9"
set bmargin 10
set rmargin 12
set key off
set arrow from graph 0, first 1 to graph 1, first 1 nohead lc rgb "red" lw 2
plot '{data_path}' using 2:xtic(1) lc rgb "#3060a0", \
     '' using 0:2:(sprintf("%.2fx", $2)) with labels offset 0,0.8 font ",9"
"""
    subprocess.run(["gnuplot"], input=script, text=True, check=True)
    os.remove(data_path)
    return True


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("results_dir")
    ap.add_argument("--compiler", default="")
    ap.add_argument("--targets-dir", default=os.path.join(os.path.dirname(__file__), "..",
                                                          "benchmarks"))
    args = ap.parse_args()

    modules, context = load(args.results_dir)
    if not modules:
        print("bench_report: no benchmark JSON in " + args.results_dir, file=sys.stderr)
        return 1
    lines = ["# hotpath benchmark results", "",
             "Generated by `scripts/bench.sh`. Each row sets a peer beside hotpath on one workload, "
             "both measured in the same binary and run. Results are medians of the repetitions, "
             "which run in random interleaved order; "
             "**ratio = peer time / hotpath time** (equal to hotpath's throughput over the peer's), "
             "so above 1 means hotpath is faster.", "",
             f"Machine: {machine_line(context, args.compiler)}", ""]
    for module, workloads in modules.items():
        targets = load_targets(args.targets_dir, module)
        lines += [f"## {module}", "",
                  "| workload | hotpath | peer | peer result | ratio peer/hotpath | target |",
                  "|---|---|---|---|---|---|"]
        rows = []
        for workload, impls in workloads.items():
            hot = impls.get("hotpath")
            peers = [(name, r) for name, r in impls.items() if name != "hotpath"]
            if hot is None:
                for name, r in peers:
                    lines.append(f"| {workload} | (none) | {name} | {fmt_result(r)} | | |")
                continue
            if not peers:
                lines.append(f"| {workload} | {fmt_result(hot)} | (none) | | | |")
            for name, r in peers:
                need, text, metric = targets.get((workload, name), (None, "", None))
                hot_text, peer_text = fmt_result(hot), fmt_result(r)
                if metric and hot["counters"].get(metric) and r["counters"].get(metric):
                    q = r["counters"][metric] / hot["counters"][metric]
                    hot_text += f", {metric} {hot['counters'][metric]:.4g}"
                    peer_text += f", {metric} {r['counters'][metric]:.4g}"
                else:
                    q = ratio(hot, r)
                rows.append((workload, name, q))
                target = ""
                if need is not None:
                    # A near miss in percent, so 1.797x against 1.8x does not print as "by 1.00x".
                    short = need / q
                    by = f"{(short - 1) * 100:.1f}%" if short < 1.1 else f"{short:.2f}x"
                    verdict = "met" if q >= need else f"**missed** by {by}"
                    target = f"{text} (ratio >= {need:g}): {verdict}"
                lines.append(f"| {workload} | {hot_text} | {name} | {peer_text} "
                             f"| {q:.2f}x | {target} |")
        own = own_target_lines(workloads, load_own_targets(args.targets_dir, module))
        if own:
            lines += ["", "Targets on hotpath's own numbers (medians):", ""] + own
        png = os.path.join(args.results_dir, f"{module}.png")
        if chart(module, rows, os.path.abspath(png)):
            lines += ["", f"![{module} ratios]({module}.png)"]
        else:
            lines += ["", "(no chart: gnuplot not found)"]
        lines.append("")
    # Tables that are not timings (the cache hit-ratio tool) come as Markdown sections.
    for section in sorted(glob.glob(os.path.join(args.results_dir, "*_section.md"))):
        with open(section) as f:
            lines += [f.read().rstrip("\n"), ""]
    with open(os.path.join(args.results_dir, "RESULTS.md"), "w") as f:
        f.write("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
