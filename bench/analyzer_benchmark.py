#!/usr/bin/env python3
"""Times `heaptrail report` against `heaptrack_print` on the same workloads.

SPEC §7's analyzer row: a full report of a 12.5M-event trace in at most 1/5
of heaptrack_print's time on heaptrack's trace of the same workload, with
memory bounded by live blocks and distinct stacks; and on a real program's
trace, cc1plus compiling bench/real/large_tu.cc (the benchmark table's
row), at most 1/3. Each workload, bench/mixed (4 threads;
run_benchmarks.py's formula gives its exact event count) and cc1plus, is
recorded once under heaptrail and once under heaptrack; then the two
analyzers are timed on the two traces, interleaved (the order alternates
each round), and medians of wall and CPU time, the ratios, and each
analyzer's peak RSS are printed.

Usage: python3 bench/analyzer_benchmark.py --build-dir B [--repeat 3]
           [--steps N] [--no-cc1plus]
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

import real_programs

# 4 threads x 1,644,684 steps: 4 x (2 x 1,480,316 + 164,368) = 12,500,000.
DEFAULT_STEPS = 1_644_684
THREADS = 4
# heaptrail's time / heaptrack_print's: SPEC §7 for mixed, issue 19 for cc1plus.
MIXED_TARGET = 0.2
CC1PLUS_TARGET = 1 / 3


def measure(command):
    """Runs `command` with its output discarded; returns (wall s, CPU s)
    from wait4 on that process alone. Not its max RSS: a child of this
    Python process starts with Python's RSS as a floor (measure_exec.c)."""
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
    return wall, usage.ru_utime + usage.ru_stime


def record(build_dir, name, program, scratch):
    """Traces `program` under both tools; returns the two trace paths, the
    second None when heaptrack failed (with why, third)."""
    heaptrail_trace = os.path.join(scratch, f"{name}.trace")
    subprocess.run([os.path.join(build_dir, "bin", "heaptrail"), "run", "-o",
                    heaptrail_trace, "--"] + program, check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    if not os.path.isfile(heaptrail_trace):
        raise RuntimeError(f"tracing {name} left no trace in {scratch}")
    heaptrack = subprocess.run(
        ["heaptrack", "-o", os.path.join(scratch, f"heaptrack.{name}")] + program,
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    heaptrack_traces = glob.glob(os.path.join(scratch, f"heaptrack.{name}.*"))
    if heaptrack.returncode != 0 or len(heaptrack_traces) != 1:
        cause = [l.strip() for l in heaptrack.stderr.splitlines() if "what():" in l]
        return heaptrail_trace, None, (f"heaptrack exited with {heaptrack.returncode}"
                                       + (f" ({cause[-1]})" if cause else ""))
    return heaptrail_trace, heaptrack_traces[0], None


def time_analyzers(build_dir, heaptrail_trace, heaptrack_trace, repeat):
    """Times both analyzers on their traces, interleaved (heaptrail's alone
    when `heaptrack_trace` is None); returns the figures."""
    commands = {"heaptrail report": [os.path.join(build_dir, "bin", "heaptrail"),
                                     "report", heaptrail_trace]}
    sizes = {"heaptrail report": os.path.getsize(heaptrail_trace)}
    if heaptrack_trace is not None:
        commands["heaptrack_print"] = ["heaptrack_print", heaptrack_trace]
        sizes["heaptrack_print"] = os.path.getsize(heaptrack_trace)
    samples = {name: [] for name in commands}
    names = list(commands)
    for round_index in range(repeat):
        for name in names[round_index % 2:] + names[:round_index % 2]:
            samples[name].append(measure(commands[name]))
    figures = {}
    scratch = tempfile.mkdtemp(prefix="heaptrail-analyzer-rss.")
    try:
        for name, runs in samples.items():
            # Peak RSS from one more run, through the small measure_exec.
            sample, _ = run_benchmarks.run_once(build_dir, commands[name], {},
                                                scratch, name)
            figures[name] = {
                "wall_s": statistics.median(r[0] for r in runs),
                "cpu_s": statistics.median(r[1] for r in runs),
                "max_rss_kib": sample.max_rss_kib,
                "trace_bytes": sizes[name],
            }
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    if heaptrack_trace is not None:
        ours, theirs = figures["heaptrail report"], figures["heaptrack_print"]
        figures["wall_ratio"] = ours["wall_s"] / theirs["wall_s"]
        figures["cpu_ratio"] = ours["cpu_s"] / theirs["cpu_s"]
    return figures


def print_row(title, figures, repeat, target):
    print(f"Analyzer: a full report of {title}, medians of {repeat} interleaved runs")
    print(f"  {'':18} {'wall':>9} {'CPU':>9} {'peak RSS':>10} {'trace':>10}")
    for name in ("heaptrail report", "heaptrack_print"):
        f = figures.get(name)
        if f is None:
            print(f"  {name:18} none: {figures['heaptrack_failed']}")
            continue
        print(f"  {name:18} {f['wall_s']:8.2f}s {f['cpu_s']:8.2f}s "
              f"{f['max_rss_kib'] / 1024:7.1f} MiB {f['trace_bytes'] / 2**20:6.1f} MiB")
    if "wall_ratio" not in figures:
        return
    verdict = "met" if figures["wall_ratio"] <= target else "not met"
    print(f"  heaptrail / heaptrack_print: wall {figures['wall_ratio']:.3f}, "
          f"CPU {figures['cpu_ratio']:.3f} (target <= {target:.3f}: {verdict})")


def run(build_dir, repeat=3, steps=DEFAULT_STEPS, cc1plus=True):
    """Records, times and prints the analyzer rows; returns their figures by
    workload, or None when heaptrack is not installed."""
    if not shutil.which("heaptrack") or not shutil.which("heaptrack_print"):
        print("analyzer benchmark skipped: heaptrack/heaptrack_print not on PATH")
        return None
    build_dir = os.path.abspath(build_dir)
    workload = run_benchmarks.mixed(THREADS, steps)
    rows = [("mixed", workload.command(build_dir),
             f"bench/mixed ({workload.events:,} events, {THREADS} threads)", MIXED_TARGET)]
    if cc1plus and shutil.which("g++"):
        rows.append(("cc1plus", real_programs.cc1plus_command(),
                     "cc1plus -O2 compiling bench/real/large_tu.cc", CC1PLUS_TARGET))
        # heaptrack runs out of memory on large_tu.cc here: a TU it finishes.
        rows.append(("cc1plus-medium", real_programs.cc1plus_command("medium_tu.cc"),
                     "cc1plus -O2 compiling bench/real/medium_tu.cc", CC1PLUS_TARGET))
    results = {}
    for index, (name, program, title, target) in enumerate(rows):
        with tempfile.TemporaryDirectory(prefix="heaptrail-analyzer-bench-") as scratch:
            heaptrail_trace, heaptrack_trace, failure = record(build_dir, name, program,
                                                               scratch)
            results[name] = time_analyzers(build_dir, heaptrail_trace, heaptrack_trace, repeat)
            if failure:
                results[name]["heaptrack_failed"] = failure
        if index > 0:
            print()
        print_row(title, results[name], repeat, target)
    return results


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--build-dir", required=True,
                        help="build tree holding bin/heaptrail and bench/mixed")
    parser.add_argument("--repeat", type=int, default=3,
                        help="timed runs of each analyzer (default 3)")
    parser.add_argument("--steps", type=int, default=DEFAULT_STEPS,
                        help=f"mixed's steps per thread (default {DEFAULT_STEPS:,}: "
                             f"12.5M events)")
    parser.add_argument("--no-cc1plus", action="store_true",
                        help="only the mixed row (heaptrack takes minutes on cc1plus)")
    options = parser.parse_args()
    if options.repeat < 1:
        parser.error("--repeat must be at least 1")
    try:
        run(options.build_dir, options.repeat, options.steps, not options.no_cc1plus)
    except (RuntimeError, subprocess.CalledProcessError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
