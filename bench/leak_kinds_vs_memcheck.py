#!/usr/bin/env python3
"""heaptrail's leak kinds against valgrind's memcheck, on real programs.

Runs each program plain, under `heaptrail run --leak-kinds` and under
`valgrind --leak-check=full --show-leak-kinds=all`, and prints, per program,
the four totals of each (bytes / blocks) and the median wall times.

Both runs get the same environment but for what each tool adds itself (perl
copies every variable into %ENV, so its numbers move with them);
PERL_HASH_SEED=0 makes perl's hash layout the same from run to run, and
PYTHONMALLOC=malloc gives both tools CPython's objects (`heaptrail run`
would set it for python3 by itself, valgrind not).

Usage: bench/leak_kinds_vs_memcheck.py --build-dir B [--repeat 3]
"""

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time

KINDS = [("definitely_lost", "definitely lost"),
         ("indirectly_lost", "indirectly lost"),
         ("possibly_lost", "possibly lost"),
         ("still_reachable", "still reachable")]

PROGRAMS = [
    ("perl", ["perl", "-e", 'my %h; $h{$_}=1 for 1..1000; print scalar(keys %h),"\\n"']),
    ("python3", ["/usr/bin/python3", "-c",
                 "import json; print(len(json.dumps(list(range(1000)))))"]),
    ("sqlite3", ["sqlite3", ":memory:",
                 "create table t(a,b); insert into t values(1,'x'); select * from t;"]),
    ("git log", ["git", "-C", os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                 "log", "--oneline", "-5"]),
    ("xz -T2", ["xz", "-T2", "-c", "/usr/bin/bash"]),
    ("xz", ["xz", "-c", "/usr/bin/bash"]),
]


def timed(argv, env):
    start = time.perf_counter()
    result = subprocess.run(argv, env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True)
    elapsed = time.perf_counter() - start
    if result.returncode != 0:
        sys.exit(f"{' '.join(argv)} failed ({result.returncode}):\n{result.stderr}")
    return elapsed, result.stderr


def memcheck_totals(log):
    totals = {key: (0, 0) for key, _ in KINDS}
    for key, text in KINDS:
        match = re.search(rf"{text}: ([\d,]+) bytes in ([\d,]+) blocks", log)
        if match:
            totals[key] = tuple(int(g.replace(",", "")) for g in match.groups())
    return totals


def heaptrail_totals(cli, trace):
    report = subprocess.run([cli, "report", trace, "--format", "json"],
                            capture_output=True, text=True, check=True)
    summary = json.loads(report.stdout)["summary"]
    return {key: (summary[f"{key}_bytes"], summary[f"{key}_blocks"])
            for key, _ in KINDS}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--build-dir", required=True)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    cli = os.path.join(os.path.abspath(args.build_dir), "bin", "heaptrail")
    env = dict(os.environ, PERL_HASH_SEED="0", GIT_PAGER="cat", PYTHONMALLOC="malloc")
    directory = tempfile.mkdtemp(prefix="heaptrail-leak-kinds.")
    trace = os.path.join(directory, "run.trace")
    print("| program | tool | definitely lost | indirectly lost | possibly lost "
          "| still reachable | wall (median) |")
    print("|---|---|---:|---:|---:|---:|---:|")
    for name, argv in PROGRAMS:
        plain, traced, checked = [], [], []
        for _ in range(args.repeat):
            plain.append(timed(argv, env)[0])
            traced.append(timed([cli, "run", "--leak-kinds", "-o", trace, "--"] + argv, env)[0])
            elapsed, log = timed(["valgrind", "--leak-check=full",
                                  "--show-leak-kinds=all"] + argv, env)
            checked.append(elapsed)
        ours = heaptrail_totals(cli, trace)
        theirs = memcheck_totals(log)
        base = statistics.median(plain)
        for tool, totals, times in (("memcheck", theirs, checked), ("heaptrail", ours, traced)):
            cells = " | ".join(f"{b:,} / {n:,}" for b, n in (totals[k] for k, _ in KINDS))
            wall = statistics.median(times)
            print(f"| {name} | {tool} | {cells} | {wall:.2f} s ({wall / base:.1f}x) |")
        os.remove(trace)
    os.rmdir(directory)


if __name__ == "__main__":
    main()
