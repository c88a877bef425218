#!/usr/bin/env python3
"""The Python peers of hotpath's stream benchmarks, each in its best plain-Python form.

usage: peers.py gzip_lines FILE | lines FILE | csv FILE | pandas FILE | json FILE | crc
       peers.py evict FILE...
Each prints what it counted, so cli_bench.sh can check it against hotpath's count; `crc` reads
stdin and prints bytes, CRC32 and line count of it, the reference for hotpath's decoder. `evict`
writes the files back and drops them from the page cache (it is not a peer; see cli_bench.sh).
"""
import os
import sys
import zlib


def gzip_lines(path):
    import gzip
    n = 0
    with gzip.open(path, "rb") as f:  # binary: no decoding cost, the fastest gzip line loop
        for _ in f:
            n += 1
    print(f"lines={n}")


def lines(path):
    n = 0
    with open(path, "rb", buffering=1 << 20) as f:
        for _ in f:
            n += 1
    print(f"lines={n}")


def csv_rows(path):
    import csv
    n = 0
    with open(path, newline="", encoding="utf-8") as f:
        r = csv.reader(f)
        next(r)  # header
        for _ in r:
            n += 1
    print(f"rows={n}")


def pandas_rows(path):
    import pandas as pd
    n = 0
    for chunk in pd.read_csv(path, chunksize=100000):
        n += len(chunk)
    print(f"rows={n}")


def json_docs(path):
    import json
    n = 0
    with open(path, "rb", buffering=1 << 20) as f:
        for line in f:
            if line.strip():
                json.loads(line)
                n += 1
    print(f"docs={n}")


def crc():
    c, size, nl = 0, 0, 0
    while True:
        b = sys.stdin.buffer.read(1 << 20)
        if not b:
            break
        c = zlib.crc32(b, c)
        size += len(b)
        nl += b.count(b"\n")
    print(f"bytes={size} crc32={c:08x} lines={nl}")


def evict(paths):
    for path in paths:
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)  # dirty pages are not dropped; write them first
            os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
        finally:
            os.close(fd)


if __name__ == "__main__":
    cmd = sys.argv[1]
    if cmd == "evict":
        evict(sys.argv[2:])
        sys.exit(0)
    {"gzip_lines": gzip_lines, "lines": lines, "csv": csv_rows, "pandas": pandas_rows,
     "json": json_docs, "crc": lambda: crc()}[cmd](*sys.argv[2:3])
