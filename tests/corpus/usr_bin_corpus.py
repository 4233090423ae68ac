#!/usr/bin/env python3
"""Transparency corpus: every ELF program in /usr/bin, run with --version,
plain and under `heaptrail run`, must print the same stdout and exit with the
same status.

Programs nobody here wrote are the test: a tracker that is transparent on its
own samples can still kill clang at exit. Each program runs with stdin from
/dev/null, in a scratch directory, with a short timeout, several at a time.

Every name is run, links included: a multi-call program behaves by the name
it is called by (clang++, the llvm tools). A traced output that differs from
the plain one is still the program's own when a later plain run prints it
too (a program whose processes race to write); a program that prints
something else at every run (a time, a pid, a random name) is compared on
its exit status only and listed as such. Skipped: setuid/setgid
programs (the loader ignores LD_PRELOAD for them, by design) and the few in
SKIP below, each with its reason.

Another argument than --version (--help, say) reaches other code: --flag.

Usage: usr_bin_corpus.py --cli B/bin/heaptrail [--jobs N] [--timeout S] [--flag ARG]
Exit status 0 when every program is transparent and ends; the summary line
is "N/N programs transparent".
"""

import argparse
import concurrent.futures
import os
import shutil
import stat
import subprocess
import sys
import tempfile

# A traced output unlike the first plain one is looked for among this many
# more plain runs (groff's processes write in either order, one in ~7 runs).
PLAIN_RETRIES = 20

# Programs that never terminate here, whatever the flag, each with why.
SKIP = {
    "jconsole": "ignores --version and waits for a JMX connection in a GUI",
}

# Programs that ignore --version and work for longer than the timeout, then
# end: run with their own timeout (seconds) rather than skipped.
SLOW = {
    "llvm-PerfectShuffle": 90,  # computes its whole table: ~17 s
    "llvm-PerfectShuffle-14": 90,
}


def is_elf_executable(path):
    try:
        st = os.stat(path)
    except OSError:
        return False
    if not stat.S_ISREG(st.st_mode) or not os.access(path, os.X_OK):
        return False
    try:
        with open(path, "rb") as f:
            return f.read(4) == b"\x7fELF"
    except OSError:
        return False


def is_set_id(path):
    return bool(os.stat(path).st_mode & (stat.S_ISUID | stat.S_ISGID))


def run(argv, cwd, timeout, env):
    """(exit status, stdout bytes); status None on a timeout."""
    try:
        proc = subprocess.run(argv, cwd=cwd, stdin=subprocess.DEVNULL,
                              stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                              timeout=timeout, env=env, start_new_session=True)
        return proc.returncode, proc.stdout
    except subprocess.TimeoutExpired:
        return None, b""


def check(program, flag, cli, timeout, scratch):
    """Returns (verdict, detail): transparent, status-only, timeout, differs."""
    work = tempfile.mkdtemp(prefix=os.path.basename(program) + ".", dir=scratch)
    try:
        return compare(program, flag, cli, timeout, work)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def compare(program, flag, cli, timeout, work):
    env = dict(os.environ, LC_ALL="C", TZ="UTC", HOME=work)
    plain = run([program, flag], work, timeout, env)
    if plain[0] is None:
        return "timeout", "plain run did not end within %gs" % timeout
    trace = os.path.join(work, "program.trace")
    traced = run([cli, "run", "-o", trace, "--", program, flag], work,
                 timeout * 3, env)
    if traced[0] is None:
        return "differs", "hung under the tracker (plain: status %d)" % plain[0]
    if traced[0] != plain[0]:
        return "differs", "status %d plain, %d traced" % (plain[0], traced[0])
    if traced[1] == plain[1]:
        return "transparent", ""
    # Same status, other output: not the tracker's doing if the program
    # prints that output without it too (its processes racing to write), or
    # prints something else every time.
    seen = {plain[1]}
    for _ in range(PLAIN_RETRIES):
        again = run([program, flag], work, timeout, env)
        if again[1] == traced[1]:
            return "transparent", ""
        seen.add(again[1])
    if len(seen) > 1:
        return "status-only", "output varies between plain runs"
    return "differs", "stdout differs (%d bytes plain, %d traced)" % (
        len(plain[1]), len(traced[1]))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cli", required=True, help="path of the heaptrail CLI")
    parser.add_argument("--dir", default="/usr/bin", help="directory of programs")
    parser.add_argument("--jobs", type=int, default=8)
    parser.add_argument("--timeout", type=float, default=10)
    parser.add_argument("--only", nargs="*", help="check only these names")
    parser.add_argument("--flag", default="--version",
                        help="the one argument every program gets (default: --version)")
    args = parser.parse_args()

    cli = os.path.abspath(args.cli)
    names = sorted(os.listdir(args.dir))
    if args.only:
        names = [n for n in names if n in args.only]
    programs, skipped = [], []
    for name in names:
        path = os.path.join(args.dir, name)
        if not is_elf_executable(path):
            continue
        if name in SKIP:
            skipped.append((name, SKIP[name]))
        elif is_set_id(os.path.realpath(path)):
            skipped.append((name, "setuid/setgid: LD_PRELOAD is ignored"))
        else:
            programs.append(path)

    scratch = tempfile.mkdtemp(prefix="heaptrail-corpus.")
    results = {}
    with concurrent.futures.ThreadPoolExecutor(args.jobs) as pool:
        futures = {pool.submit(check, p, args.flag, cli,
                               SLOW.get(os.path.basename(p), args.timeout), scratch): p
                   for p in programs}
        for done, future in enumerate(concurrent.futures.as_completed(futures), 1):
            results[futures[future]] = future.result()
            if done % 100 == 0:
                print("corpus: %d/%d checked" % (done, len(programs)), file=sys.stderr)
    shutil.rmtree(scratch, ignore_errors=True)

    by_verdict = {}
    for program, (verdict, detail) in sorted(results.items()):
        by_verdict.setdefault(verdict, []).append((program, detail))
    for verdict in ("differs", "timeout", "status-only"):
        for program, detail in by_verdict.get(verdict, []):
            print("%-11s %s: %s" % (verdict, program, detail))
    for name, reason in skipped:
        print("skipped     %s: %s" % (name, reason))
    ok = len(by_verdict.get("transparent", [])) + len(by_verdict.get("status-only", []))
    checked = ok + len(by_verdict.get("differs", []))
    print("%d/%d programs transparent (%d compared on status only: their output "
          "varies between plain runs; %d skipped; %d did not end without the tracker)"
          % (ok, checked, len(by_verdict.get("status-only", [])), len(skipped),
             len(by_verdict.get("timeout", []))))
    return 1 if by_verdict.get("differs") or by_verdict.get("timeout") else 0


if __name__ == "__main__":
    sys.exit(main())
