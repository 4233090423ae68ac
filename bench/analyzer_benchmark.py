#!/usr/bin/env python3
"""Times `heaptrail report` against `heaptrack_print` on the same workload.

SPEC §7's analyzer row: a full report of a 12.5M-event trace in at most 1/5
of heaptrack_print's time on heaptrack's trace of the same workload, with
memory bounded by live blocks and distinct stacks. This records bench/mixed
(4 threads; run_benchmarks.py's formula gives its exact event count) once
under heaptrail and once under heaptrack, then times the two analyzers on
the two traces, interleaved (the order alternates each round), and prints
medians of wall and CPU time, the ratios, and each analyzer's peak RSS.

Usage: python3 bench/analyzer_benchmark.py --build-dir B [--repeat 3]
           [--steps N]
run_benchmarks.py calls run() so that the one bench command prints this row
too. Plain python3 standard library only.
"""

import argparse
import glob
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

import run_benchmarks

# 4 threads x 1,644,684 steps: 4 x (2 x 1,480,316 + 164,368) = 12,500,000.
DEFAULT_STEPS = 1_644_684
THREADS = 4
TARGET_RATIO = 0.2  # SPEC §7: heaptrail's time / heaptrack_print's


def measure(command):
    """Runs `command` with its output discarded; returns (wall s, CPU s,
    max RSS KiB) from wait4 on that process alone."""
    started = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL,
                               stderr=subprocess.PIPE)
    stderr = process.stderr.read()
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} exited with "
                           f"{process.returncode}: {stderr.decode(errors='replace')}")
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss


def record(build_dir, steps, scratch):
    """Traces the workload under both tools; returns the two trace paths."""
    workload = run_benchmarks.mixed(THREADS, steps)
    program = workload.command(build_dir)
    heaptrail_trace = os.path.join(scratch, "mixed.trace")
    subprocess.run([os.path.join(build_dir, "bin", "heaptrail"), "run", "-o",
                    heaptrail_trace, "--"] + program, check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    subprocess.run(["heaptrack", "-o", os.path.join(scratch, "heaptrack.mixed")]
                   + program, check=True, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL)
    heaptrack_traces = glob.glob(os.path.join(scratch, "heaptrack.mixed.*"))
    if not os.path.isfile(heaptrail_trace) or len(heaptrack_traces) != 1:
        raise RuntimeError(f"tracing the workload left no trace in {scratch}")
    return workload, heaptrail_trace, heaptrack_traces[0]


def run(build_dir, repeat=3, steps=DEFAULT_STEPS):
    """Records, times and prints the analyzer row; returns its figures, or
    None when heaptrack is not installed."""
    if not shutil.which("heaptrack") or not shutil.which("heaptrack_print"):
        print("analyzer benchmark skipped: heaptrack/heaptrack_print not on PATH")
        return None
    build_dir = os.path.abspath(build_dir)
    with tempfile.TemporaryDirectory(prefix="heaptrail-analyzer-bench-") as scratch:
        workload, heaptrail_trace, heaptrack_trace = record(build_dir, steps, scratch)
        commands = {
            "heaptrail report": [os.path.join(build_dir, "bin", "heaptrail"),
                                 "report", heaptrail_trace],
            "heaptrack_print": ["heaptrack_print", heaptrack_trace],
        }
        sizes = {"heaptrail report": os.path.getsize(heaptrail_trace),
                 "heaptrack_print": os.path.getsize(heaptrack_trace)}
        samples = {name: [] for name in commands}
        names = list(commands)
        for round_index in range(repeat):
            for name in names[round_index % 2:] + names[:round_index % 2]:
                samples[name].append(measure(commands[name]))

    figures = {}
    for name, runs in samples.items():
        figures[name] = {
            "wall_s": statistics.median(r[0] for r in runs),
            "cpu_s": statistics.median(r[1] for r in runs),
            "max_rss_kib": max(r[2] for r in runs),
            "trace_bytes": sizes[name],
        }
    ours, theirs = figures["heaptrail report"], figures["heaptrack_print"]
    figures["wall_ratio"] = ours["wall_s"] / theirs["wall_s"]
    figures["cpu_ratio"] = ours["cpu_s"] / theirs["cpu_s"]

    print(f"Analyzer: a full report of bench/mixed ({workload.events:,} events, "
          f"{THREADS} threads), medians of {repeat} interleaved runs")
    print(f"  {'':18} {'wall':>9} {'CPU':>9} {'peak RSS':>10} {'trace':>10}")
    for name in commands:
        f = figures[name]
        print(f"  {name:18} {f['wall_s']:8.2f}s {f['cpu_s']:8.2f}s "
              f"{f['max_rss_kib'] / 1024:7.1f} MiB {f['trace_bytes'] / 2**20:6.1f} MiB")
    verdict = "met" if figures["wall_ratio"] <= TARGET_RATIO else "not met"
    print(f"  heaptrail / heaptrack_print: wall {figures['wall_ratio']:.3f}, "
          f"CPU {figures['cpu_ratio']:.3f} (target <= {TARGET_RATIO}: {verdict})")
    return figures


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--build-dir", required=True,
                        help="build tree holding bin/heaptrail and bench/mixed")
    parser.add_argument("--repeat", type=int, default=3,
                        help="timed runs of each analyzer (default 3)")
    parser.add_argument("--steps", type=int, default=DEFAULT_STEPS,
                        help=f"mixed's steps per thread (default {DEFAULT_STEPS:,}: "
                             f"12.5M events)")
    options = parser.parse_args()
    if options.repeat < 1:
        parser.error("--repeat must be at least 1")
    try:
        run(options.build_dir, options.repeat, options.steps)
    except (RuntimeError, subprocess.CalledProcessError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
