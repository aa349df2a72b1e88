#!/usr/bin/env python3
"""Compile-time benchmark (issue 11): lucetc on extreme-shaped modules
(gen_shape.py) at several sizes. Per size: median wall time and CPU time
(lucetc + its cc children) of --runs compiles, and the peak RSS of lucetc and
its children together (the process tree's summed RSS, sampled every 20 ms,
or the largest single process's peak from wait4 if that is higher).

Targets: every shape's largest size <= 60 s wall and <= 2 GB peak RSS, and
CPU time (lucetc + cc) growing at most 1.3x linearly from one size to the
next (CPU, not wall: the machine is shared and wall time follows its load). Exit
status 1 if lucetc failed, 3 if only targets were missed (0 otherwise)."""
import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time

SHAPES = [  # (shape, sizes, unit of size)
    ("funcs", [10000, 20000, 50000], "functions"),
    ("locals", [10000, 25000, 50000], "live locals"),
    ("instrs", [100000, 200000, 400000], "instructions"),
    ("brtable", [25000, 50000, 100000], "br_table targets"),
    ("globals", [2500, 5000, 10000], "globals (table: 10x entries)"),
    ("data", [16, 32, 64], "MiB of data"),
]
MAX_WALL, MAX_RSS, MAX_GROWTH = 60.0, 2 << 30, 1.3
PAGE = os.sysconf("SC_PAGE_SIZE")


def tree_rss(pid):
    """Summed RSS in bytes of pid and its descendants."""
    total, todo = 0, [pid]
    while todo:
        p = todo.pop()
        try:
            with open("/proc/%d/statm" % p) as f:
                total += int(f.read().split()[1]) * PAGE
            for tid in os.listdir("/proc/%d/task" % p):
                with open("/proc/%d/task/%s/children" % (p, tid)) as f:
                    todo += [int(c) for c in f.read().split()]
        except (OSError, ValueError):
            pass
    return total


def measure(cmd):
    """(ok, wall s, cpu s, peak rss bytes, stderr) of one run of cmd."""
    err = tempfile.TemporaryFile()
    t0 = time.monotonic()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=err)
    peak = [0]
    done = threading.Event()

    def sample():
        while not done.wait(0.02):
            peak[0] = max(peak[0], tree_rss(proc.pid))
    th = threading.Thread(target=sample)
    th.start()
    _, status, ru = os.wait4(proc.pid, 0)
    wall = time.monotonic() - t0
    done.set()
    th.join()
    proc.returncode = os.waitstatus_to_exitcode(status)
    err.seek(0)
    return (status == 0, wall, ru.ru_utime + ru.ru_stime, max(peak[0], ru.ru_maxrss * 1024),
            err.read().decode(errors="replace"))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--lucetc", required=True)
    ap.add_argument("--gen", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "gen_shape.py"))
    ap.add_argument("--runs", type=int, default=int(os.environ.get("BENCH_RUNS", "3")))
    ap.add_argument("--only", default=os.environ.get("BENCH_ONLY", ""), help="comma-separated shapes")
    ap.add_argument("--no-targets", action="store_true")
    args = ap.parse_args()
    only = set(filter(None, args.only.split(",")))
    failed, missed = False, []
    print("%-8s %8s %10s %9s %9s %10s  %s" % ("shape", "size", "wasm", "wall s", "cpu s", "peak MiB", "growth"))
    with tempfile.TemporaryDirectory(prefix="lucet-compile-bench-") as work:
        for shape, sizes, unit in SHAPES:
            if only and shape not in only:
                continue
            prev = None
            for size in sizes:
                wasm = os.path.join(work, "%s-%d.wasm" % (shape, size))
                so = os.path.join(work, "%s-%d.so" % (shape, size))
                subprocess.run([sys.executable, args.gen, shape, str(size), wasm], check=True)
                runs = [measure([args.lucetc, wasm, "-o", so]) for _ in range(args.runs)]
                bad = [r for r in runs if not r[0]]
                if bad:
                    print("%-8s %8d  lucetc failed:\n%s" % (shape, size, bad[0][4][-2000:]))
                    failed = True
                    break
                wall = statistics.median(r[1] for r in runs)
                cpu = statistics.median(r[2] for r in runs)
                rss = max(r[3] for r in runs)
                growth = ""
                if prev:
                    g = (cpu / prev[1]) / (size / prev[0])
                    growth = "%.2fx linear" % g
                    if g > MAX_GROWTH:
                        missed.append("%s %d: CPU time grew %.2fx linear from %d" % (shape, size, g, prev[0]))
                print("%-8s %8d %10d %9.2f %9.2f %10.0f  %s" % (shape, size, os.path.getsize(wasm), wall, cpu,
                                                               rss / 2**20, growth), flush=True)
                prev = (size, cpu)
                os.remove(so)
                if size == sizes[-1]:
                    if wall > MAX_WALL:
                        missed.append("%s %d (%s): %.1f s > %.0f s" % (shape, size, unit, wall, MAX_WALL))
                    if rss > MAX_RSS:
                        missed.append("%s %d (%s): peak RSS %.0f MiB > 2048 MiB" % (shape, size, unit, rss / 2**20))
    for m in missed:
        print("target missed: " + m)
    if failed:
        return 1
    return 3 if missed and not args.no_targets else 0


if __name__ == "__main__":
    sys.exit(main())
