#!/usr/bin/env python3
"""Times the bench/ workloads untracked, under heaptrail and under heaptrack.

SPEC §7 states heaptrail's performance as ratios measured side by side in one
run on one machine; this runner produces them. For every workload row it runs
the three variants interleaved (the order rotates each round, so slow drift of
a shared machine spreads over all of them), repeats the round, and prints one
table of medians and ratios, a line on the cost per event at 4 threads against
1 thread, and the machine it ran on. Optionally it writes every number to a
JSON file.

It fails (non-zero, with the command to reproduce) when a program exits
non-zero, hangs, prints something other than what it printed untracked, or
leaves no trace; when heaptrack itself fails on a workload (it runs out of
memory on cc1plus), its cells say why and the run goes on. Without heaptrack
on PATH, the heaptrack columns are skipped with a note.

Usage: python3 bench/run_benchmarks.py --build-dir B [--repeat 5] [--quick]
           [--json FILE] [--skip-heaptrack]
Plain python3 standard library only.
"""

import argparse
import dataclasses
import glob
import json
import os
import platform
import shlex
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time

import real_programs

# Variants of each run, in the order of the first round.
UNTRACKED, HEAPTRAIL, HEAPTRACK = "untracked", "heaptrail", "heaptrack"

# A run taking longer than this is taken for a hang. The slowest default run
# (heaptrack, tight loop, 2 threads) takes well under a minute here.
RUN_TIMEOUT_S = 600

# mixed.cc's window of live blocks per thread; the event count depends on it.
MIXED_WINDOW = 1000


class BenchError(Exception):
    """A failure that ends the run: the message says what and how to repeat it."""


@dataclasses.dataclass
class Workload:
    """One table row: a program, its arguments and its exact event count."""

    name: str
    program: str  # file name in BUILD/bench
    args: list
    events: int
    events_formula: str  # how `events` follows from the arguments

    def command(self, build_dir):
        return [os.path.join(build_dir, "bench", self.program)] + [
            str(a) for a in self.args
        ]


def tight_loop(threads, iterations):
    events = 2 * iterations * threads
    return Workload(
        name=f"tight loop, {threads} thread{'s' if threads > 1 else ''}",
        program="tight_loop",
        args=[iterations, threads],
        events=events,
        events_formula=(
            f"2 (malloc + free) x {iterations:,} iterations x {threads} "
            f"thread(s) = {events:,}"
        ),
    )


def mixed(threads, steps):
    reallocs = steps // 10 - MIXED_WINDOW // 10
    allocations = steps - reallocs
    per_thread = 2 * allocations + reallocs
    events = per_thread * threads
    return Workload(
        name=f"mixed, {threads} thread{'s' if threads > 1 else ''}",
        program="mixed",
        args=[steps, threads],
        events=events,
        events_formula=(
            f"{threads} thread(s) x (2 x {allocations:,} allocations [frees = "
            f"allocations] + {reallocs:,} reallocs [floor(S/10) - "
            f"floor(W/10), S = {steps:,} steps, W = {MIXED_WINDOW} live "
            f"blocks]) = {events:,}"
        ),
    )


def workloads(quick):
    # Sized so that the untracked runs last long enough (~0.1 s) to dwarf
    # process start-up, while the whole default run stays within a few
    # minutes on 2 cores: the tracked runs are 10-60x slower.
    if quick:
        tight_iterations, mixed_steps = 2_000_000, 500_000
    else:
        tight_iterations, mixed_steps = 10_000_000, 2_000_000
    return [
        tight_loop(1, tight_iterations),
        tight_loop(2, tight_iterations),
        mixed(1, mixed_steps),
        mixed(4, mixed_steps),
    ] + real_programs.workloads(quick)


@dataclasses.dataclass
class Sample:
    wall_s: float
    cpu_s: float  # user + system of the process and the children it waited for
    max_rss_kib: int
    trace_bytes: int  # 0 for untracked runs


def repro_line(env_extra, command, scratch):
    """A shell line that repeats a run; trace paths move out of the scratch
    directory, which is gone by the time anyone reads this."""
    env = " ".join(f"{k}={shlex.quote(v)}" for k, v in env_extra.items())
    line = (env + " " if env else "") + shlex.join(command)
    return line.replace(scratch, "/tmp")


def run_once(build_dir, command, env_extra, scratch, label):
    """Runs `command` once through measure_exec; returns (Sample, stdout).

    Wall time is taken here; max RSS and CPU time come from measure_exec's
    wait4 on the program (see measure_exec.c for why not from Python). The
    environment additions go to the program only, never to the launcher.
    Output goes to files, never pipes: nothing can block on a full pipe while
    we sit in wait4.
    """
    result_path = os.path.join(scratch, "rusage")
    stdout_path = os.path.join(scratch, "stdout")
    stderr_path = os.path.join(scratch, "stderr")
    if os.path.exists(result_path):
        os.remove(result_path)
    launcher = ([os.path.join(build_dir, "bench", "measure_exec"), result_path] +
                [f"{k}={v}" for k, v in env_extra.items()] + ["--"] + command)
    with open(stdout_path, "wb") as out, open(stderr_path, "wb") as err:
        start = time.perf_counter()
        process = subprocess.Popen(
            launcher, stdin=subprocess.DEVNULL, stdout=out, stderr=err,
            start_new_session=True)  # its own group, to kill it whole on a hang
        timed_out = threading.Event()

        def kill():
            timed_out.set()
            try:
                os.killpg(process.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass

        # os.wait4 blocks without polling (Popen.wait(timeout) would sleep in
        # steps of up to 50 ms, inflating short runs); the timer ends hangs.
        timer = threading.Timer(RUN_TIMEOUT_S, kill)
        timer.start()
        try:
            _, status, _ = os.wait4(process.pid, 0)
        finally:
            timer.cancel()
        wall = time.perf_counter() - start
        process.returncode = os.waitstatus_to_exitcode(status)
    with open(stdout_path, "rb") as f:
        stdout = f.read().decode(errors="replace")
    with open(stderr_path, "rb") as f:
        stderr = f.read().decode(errors="replace")
    reproduce = f"  reproduce: {repro_line(env_extra, command, scratch)}"
    stderr_tail = f"  stderr (end): {stderr[-2000:].strip() or '(empty)'}"
    if timed_out.is_set():
        raise BenchError(f"{label}: no exit after {RUN_TIMEOUT_S} s (hang?), "
                         f"killed.\n{reproduce}\n{stderr_tail}")
    try:
        with open(result_path) as f:
            rss, user, system, exit_status, signal_number = f.read().split()
    except (OSError, ValueError):
        raise BenchError(f"{label}: measure_exec could not run it (status "
                         f"{process.returncode}).\n{reproduce}\n{stderr_tail}")
    if int(signal_number) != 0:
        raise BenchError(
            f"{label}: killed by signal {signal_number} "
            f"({signal.Signals(int(signal_number)).name}).\n{reproduce}\n"
            f"{stderr_tail}")
    if int(exit_status) != 0:
        raise BenchError(f"{label}: exit status {exit_status}.\n{reproduce}\n"
                         f"{stderr_tail}")
    sample = Sample(wall_s=wall, cpu_s=float(user) + float(system),
                    max_rss_kib=int(rss), trace_bytes=0)
    return sample, stdout


def parse_program_line(stdout, label):
    """The workload's own "events=E checksum=C" line."""
    for line in stdout.splitlines():
        if line.startswith("events="):
            return line.strip()
    raise BenchError(f"{label}: no 'events=... checksum=...' line in its output")


class Runner:
    def __init__(self, build_dir, scratch):
        self.build_dir = build_dir
        self.scratch = scratch
        self.preload = os.path.join(build_dir, "lib", "libheaptrail.so")
        self.expected_line = {}  # workload name -> untracked program line
        self.counter = 0
        # workload name -> why heaptrack failed on it (its rows then say so:
        # the peer failing is a result, not a reason to stop).
        self.peer_failures = {}

    def run(self, workload, variant):
        command = workload.command(self.build_dir)
        label = f"{workload.name} [{variant}]"
        self.counter += 1
        trace = os.path.join(self.scratch, f"trace-{self.counter}")
        real = getattr(workload, "real", False)
        program_env = getattr(workload, "env", {})  # for every variant
        if variant == UNTRACKED:
            sample, stdout = run_once(self.build_dir, command, dict(program_env), self.scratch,
                                      label)
            if real:  # its whole output, the same every run
                expected = self.expected_line.setdefault(workload.name, stdout)
                if stdout != expected:
                    raise BenchError(f"{label}: output differs from an earlier "
                                     f"untracked run's")
                return sample
            line = parse_program_line(stdout, label)
            if not line.startswith(f"events={workload.events} "):
                raise BenchError(
                    f"{label}: the program reports '{line}', the runner "
                    f"expected events={workload.events} "
                    f"({workload.events_formula})")
            expected = self.expected_line.setdefault(workload.name, line)
            if line != expected:
                raise BenchError(f"{label}: output '{line}' differs from an "
                                 f"earlier untracked run's '{expected}'")
            return sample
        if variant == HEAPTRAIL:
            env = {**program_env, "HEAPTRAIL_OUTPUT": trace, "LD_PRELOAD": self.preload}
            sample, stdout = run_once(self.build_dir, command, env, self.scratch, label)
            # A program that runs others (g++) leaves one trace per process.
            files = [trace] + sorted(glob.glob(glob.escape(trace) + ".*"))
            if real and workload.events is None and os.path.isfile(trace):
                workload.events = real_programs.count_events(self.build_dir, files)
        else:
            name = workload.name.removesuffix(" (warm-up)")
            if name in self.peer_failures:
                return None
            env = dict(program_env)
            command = ["heaptrack", "-o", trace] + command
            try:
                sample, stdout = run_once(self.build_dir, command, env, self.scratch, label)
            except BenchError as error:
                lines = str(error).splitlines()
                cause = [l.strip() for l in lines if "what():" in l or "Killed" in l]
                reason = lines[0].split("]: ", 1)[-1].rstrip(".")
                self.peer_failures[name] = reason + (f" ({cause[-1]})" if cause else "")
                print(f"note: heaptrack failed on {name}: {self.peer_failures[name]}",
                      file=sys.stderr)
                return None
            files = glob.glob(glob.escape(trace) + ".*")
        # Transparency: the tracked program prints what it printed untracked
        # (heaptrack adds its own chatter around it, hence `in`).
        expected = self.expected_line[workload.name]
        if (expected not in stdout) if real else (expected not in stdout.splitlines()):
            raise BenchError(
                f"{label}: the program's output changed under the tracker; "
                f"expected the line '{expected}', got:\n{stdout[-2000:]}\n"
                f"  reproduce: {repro_line(env, command, self.scratch)}")
        if not files or not os.path.isfile(files[0]):
            raise BenchError(
                f"{label}: exited 0 but wrote no trace at {trace}\n"
                f"  reproduce: {repro_line(env, command, self.scratch)}")
        sample.trace_bytes = sum(os.path.getsize(f) for f in files)
        for f in files:  # traces of the big rows are tens of MB each
            os.remove(f)
        return sample


def machine_info():
    model = "unknown"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    try:
        usable = len(os.sched_getaffinity(0))
    except AttributeError:
        usable = os.cpu_count()
    info = {
        "nproc": usable,
        "cpu_model": model,
        "kernel": platform.release(),
        "libc": " ".join(platform.libc_ver()),
        "python": platform.python_version(),
    }
    try:
        info["commit"] = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], capture_output=True,
            text=True, check=True,
            cwd=os.path.dirname(os.path.abspath(__file__))).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        pass
    if shutil.which("heaptrack"):
        version = subprocess.run(["heaptrack", "--version"],
                                 capture_output=True, text=True)
        info["heaptrack"] = (version.stdout or version.stderr).strip()
    return info


def median(samples, field):
    return statistics.median(getattr(s, field) for s in samples)


def fmt_time(seconds):
    return f"{seconds:.3f} s" if seconds < 10 else f"{seconds:.2f} s"


def summarize(workload, samples, variants, failures):
    """Medians per variant and the ratios that go into the table; a variant
    with no run (heaptrack failed) carries its `failures` reason instead."""
    row = {"workload": workload.name, "command": workload.args,
           "events": workload.events, "events_formula": workload.events_formula}
    for variant in variants:
        runs = [s for s in samples[variant] if s is not None]
        if not runs:  # the peer failed (Runner.peer_failures)
            row[variant] = {"failed": failures.get(workload.name, "failed")}
            continue
        row[variant] = {
            "runs": [dataclasses.asdict(s) for s in runs],
            "median_wall_s": median(runs, "wall_s"),
            "median_cpu_s": median(runs, "cpu_s"),
            "median_max_rss_kib": median(runs, "max_rss_kib"),
        }
        if variant != UNTRACKED:
            row[variant]["median_trace_bytes"] = median(runs, "trace_bytes")
            row[variant]["trace_bytes_per_event"] = (
                row[variant]["median_trace_bytes"] / workload.events)
    base_wall = row[UNTRACKED]["median_wall_s"]
    base_cpu = row[UNTRACKED]["median_cpu_s"]
    for variant in variants:
        if variant == UNTRACKED or "failed" in row[variant]:
            continue
        stats = row[variant]
        stats["wall_ratio"] = stats["median_wall_s"] / base_wall
        stats["cpu_ratio"] = stats["median_cpu_s"] / base_cpu
        # What tracking adds per event; wall clock, then CPU of all threads
        # (the writer's included).
        stats["wall_ns_per_event"] = (
            (stats["median_wall_s"] - base_wall) * 1e9 / workload.events)
        stats["cpu_ns_per_event"] = (
            (stats["median_cpu_s"] - base_cpu) * 1e9 / workload.events)
    if HEAPTRACK in variants and "failed" not in row[HEAPTRACK]:
        row["heaptrack_over_heaptrail"] = (
            row[HEAPTRACK]["median_wall_s"] / row[HEAPTRAIL]["median_wall_s"])
    return row


def print_table(rows, variants):
    header = ["workload", "untracked", "heaptrail (x untracked)"]
    if HEAPTRACK in variants:
        header += ["heaptrack (x untracked)", "heaptrack/heaptrail"]
    header += ["events", "heaptrail trace bytes/event",
               "heaptrail RSS over untracked"]
    table = [header]
    for row in rows:
        base = row[UNTRACKED]
        trail = row[HEAPTRAIL]
        cells = [row["workload"], fmt_time(base["median_wall_s"]),
                 f"{fmt_time(trail['median_wall_s'])} ({trail['wall_ratio']:.1f}x)"]
        if HEAPTRACK in variants and "failed" in row[HEAPTRACK]:
            cells += [f"failed: {row[HEAPTRACK]['failed']}", "-"]
        elif HEAPTRACK in variants:
            track = row[HEAPTRACK]
            cells += [
                f"{fmt_time(track['median_wall_s'])} ({track['wall_ratio']:.1f}x)",
                f"{row['heaptrack_over_heaptrail']:.2f}x"]
        rss_delta = (trail["median_max_rss_kib"] - base["median_max_rss_kib"]) / 1024
        rss_ratio = trail["median_max_rss_kib"] / base["median_max_rss_kib"]
        cells += [f"{row['events']:,}", f"{trail['trace_bytes_per_event']:.2f}",
                  f"{rss_delta:+.1f} MiB ({rss_ratio:.1f}x)"]
        table.append(cells)
    widths = [max(len(r[i]) for r in table) for i in range(len(header))]

    def line(cells):
        # Left-align the first column, right-align the numbers; pipes make it
        # a Markdown table as printed.
        parts = [cells[0].ljust(widths[0])] + [
            c.rjust(w) for c, w in zip(cells[1:], widths[1:])]
        return "| " + " | ".join(parts) + " |"

    print(line(table[0]))
    print("|" + "|".join(
        ":" + "-" * (widths[0] + 1) if i == 0 else "-" * (w + 1) + ":"
        for i, w in enumerate(widths)) + "|")
    for cells in table[1:]:
        print(line(cells))


def print_scaling(rows, variants, nproc):
    """Per-event cost of tracking, mixed workload, 4 threads against 1."""
    by_name = {row["workload"]: row for row in rows}
    one, four = by_name.get("mixed, 1 thread"), by_name.get("mixed, 4 threads")
    if not one or not four:
        return {}
    scaling = {}
    for variant in variants:
        a, b = one[variant], four[variant]
        if variant == UNTRACKED or "failed" in a or "failed" in b:
            continue
        scaling[variant] = {
            "wall_ns_per_event_1t": a["wall_ns_per_event"],
            "wall_ns_per_event_4t": b["wall_ns_per_event"],
            "cpu_ns_per_event_1t": a["cpu_ns_per_event"],
            "cpu_ns_per_event_4t": b["cpu_ns_per_event"],
        }
        print(f"Mixed, {variant} minus untracked, per event: "
              f"CPU {a['cpu_ns_per_event']:.0f} ns at 1 thread vs "
              f"{b['cpu_ns_per_event']:.0f} ns at 4 threads "
              f"(4T/1T = {b['cpu_ns_per_event'] / a['cpu_ns_per_event']:.2f}); "
              f"wall {a['wall_ns_per_event']:.0f} ns vs "
              f"{b['wall_ns_per_event']:.0f} ns "
              f"(4T/1T = {b['wall_ns_per_event'] / a['wall_ns_per_event']:.2f}).")
    print(f"  CPU = user + system time of all the process's threads (the "
          f"tracker's own included); it shows lock contention whatever the core "
          f"count. Wall per event at 4 threads is divided by the parallelism "
          f"{nproc} core(s) allow, so it reads lower than 1 thread's when "
          f"threads do not contend.")
    return scaling


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--build-dir", required=True,
                        help="build tree holding bench/ and lib/libheaptrail.so")
    parser.add_argument("--repeat", type=int, default=None,
                        help="rounds of runs (default 5; 3 with --quick)")
    parser.add_argument("--quick", action="store_true",
                        help="smaller workloads and 3 rounds")
    parser.add_argument("--json", metavar="FILE", help="also write the numbers here")
    parser.add_argument("--skip-heaptrack", action="store_true",
                        help="leave out the heaptrack runs")
    parser.add_argument("--only", metavar="TEXT",
                        help="only the rows whose name contains TEXT")
    options = parser.parse_args()
    repeat = options.repeat or (3 if options.quick else 5)
    if repeat < 1:
        parser.error("--repeat must be at least 1")
    build_dir = os.path.abspath(options.build_dir)

    for needed in ["lib/libheaptrail.so", "bench/tight_loop", "bench/mixed",
                   "bench/measure_exec"]:
        if not os.path.isfile(os.path.join(build_dir, needed)):
            print(f"error: {os.path.join(build_dir, needed)} is missing; build "
                  f"it first: ninja -C {options.build_dir} heaptrail_preload "
                  f"tight_loop mixed measure_exec", file=sys.stderr)
            return 1

    variants = [UNTRACKED, HEAPTRAIL]
    heaptrack_note = None
    if options.skip_heaptrack:
        heaptrack_note = "heaptrack columns skipped (--skip-heaptrack)."
    elif not shutil.which("heaptrack"):
        heaptrack_note = ("heaptrack columns skipped: heaptrack is not on PATH "
                          "(Debian: apt-get install heaptrack).")
    else:
        variants.append(HEAPTRACK)
    if heaptrack_note:
        print(f"note: {heaptrack_note}", file=sys.stderr)

    rows = workloads(options.quick)
    if options.only:
        rows = [w for w in rows if options.only in w.name]
        if not rows:
            parser.error(f"no row's name contains {options.only!r}")
    info = machine_info()
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="heaptrail-bench-") as scratch:
        runner = Runner(build_dir, scratch)
        try:
            # A round of tiny runs first: fails fast on a broken build, and
            # warms the page cache for the programs and libraries.
            for workload in rows:
                if getattr(workload, "real", False):
                    small = dataclasses.replace(workload, events=0)
                elif workload.program == "tight_loop":
                    small = tight_loop(workload.args[1], 1000)
                else:
                    small = mixed(workload.args[1], 2 * MIXED_WINDOW)
                small.name = workload.name + " (warm-up)"
                for variant in variants:
                    runner.run(small, variant)
            samples = {w.name: {v: [] for v in variants} for w in rows}
            for round_index in range(repeat):
                order = (variants[round_index % len(variants):] +
                         variants[:round_index % len(variants)])
                for workload in rows:
                    for variant in order:
                        samples[workload.name][variant].append(
                            runner.run(workload, variant))
                print(f"round {round_index + 1}/{repeat} done "
                      f"({time.perf_counter() - started:.0f} s)",
                      file=sys.stderr, flush=True)
        except BenchError as error:
            print(f"error: {error}", file=sys.stderr)
            return 1

    summary = [summarize(w, samples[w.name], variants, runner.peer_failures) for w in rows]
    print()
    print(f"Machine: {info['nproc']} CPU(s), {info['cpu_model']}; Linux "
          f"{info['kernel']}, {info['libc']}"
          + (f"; {info['heaptrack']}" if "heaptrack" in info else "")
          + (f"; heaptrail at {info['commit']}" if "commit" in info else ""))
    print(f"Figures are medians of {repeat} interleaved runs on a shared, noisy "
          f"machine; ratios are ratios of those medians. Workloads built -O2 "
          f"without frame pointers.")
    print()
    print_table(summary, variants)
    print()
    print("Events (allocator calls the workload makes; the runtime's own few "
          "are not counted):")
    for workload in rows:
        print(f"  {workload.name}: {workload.events_formula}")
    print("Trace bytes/event = median trace file size / events. RSS = median "
          "max RSS (wait4).")
    if HEAPTRACK in variants:
        print("heaptrack trace bytes/event, for comparison: " + ", ".join(
            f"{row['workload']} {row[HEAPTRACK]['trace_bytes_per_event']:.2f}"
            for row in summary if "failed" not in row[HEAPTRACK]))
    if heaptrack_note:
        print(f"Note: {heaptrack_note}")
    print()
    scaling = print_scaling(summary, variants, info["nproc"])
    if HEAPTRACK in variants:  # SPEC §7's analyzer row (analyzer_benchmark.py)
        import analyzer_benchmark
        print()
        try:
            analyzer_benchmark.run(build_dir)
        except (RuntimeError, subprocess.CalledProcessError) as error:
            print(f"analyzer benchmark failed: {error}")
    elapsed = time.perf_counter() - started
    print(f"\n(total run time {elapsed:.0f} s)")

    if options.json:
        with open(options.json, "w") as f:
            json.dump({"machine": info, "repeat": repeat, "quick": options.quick,
                       "variants": variants, "heaptrack_note": heaptrack_note,
                       "rows": summary, "mixed_scaling": scaling,
                       "total_run_time_s": elapsed}, f, indent=2)
            f.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
