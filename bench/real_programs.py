"""The real-programs rows of the benchmark table (SPEC §7: <= 1.3x untracked).

Programs nobody here wrote: GCC's compiler proper, cc1plus, compiling the
preprocessed form of a translation unit that instantiates much of the
standard library (traced directly, so that heaptrack and heaptrail trace the
same process: under the g++ driver heaptrack traces only the driver), a Python
workload (Debian's /usr/bin/python3: building, serializing and parsing a
large dict; with pymalloc's arenas, and with PYTHONMALLOC=malloc as `heaptrail
run` traces Python, every object a block, the stacks with Python frames), and sqlite3 filling and querying an indexed table in memory.
Their allocation counts are not known in advance: the runner counts them in
the first heaptrail trace (allocations + frees, from `heaptrail report`).
"""

import atexit
import dataclasses
import json
import os
import shutil
import subprocess
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))

PYTHON_SCRIPT = """
import json
d = {str(i): [i, str(i) * 20, {"k": i}] for i in range(%d)}
s = json.dumps(d)
e = json.loads(s)
print(len(s), sum(len(v[1]) for v in e.values()))
"""

SQLITE_SCRIPT = (
    "create table t(a integer primary key, b text, c integer);"
    "with recursive n(i) as (select 1 union all select i + 1 from n where i < %d)"
    " insert into t select i, printf('%%032d', i * 7919 %% 1000003), i %% 1000 from n;"
    "create index tc on t(c);"
    "select count(*), sum(length(b)), sum(a) from t where c < 500;")


@dataclasses.dataclass
class RealProgram:
    """A table row running an installed program: the runner compares its whole
    output with the untracked run's instead of an events line."""

    name: str
    argv: list
    env: dict = dataclasses.field(default_factory=dict)  # for every run of it
    events: int = None  # counted from the first heaptrail trace
    events_formula: str = "allocations + frees in the first heaptrail trace(s)"
    real: bool = True

    @property
    def args(self):
        return self.argv

    def command(self, build_dir):
        return list(self.argv)


def workloads(quick):
    """The rows whose programs are installed (missing ones are left out, with
    a note on stderr)."""
    python = "/usr/bin/python3" if os.path.exists("/usr/bin/python3") else shutil.which("python3")
    rows = []
    if shutil.which("g++"):
        rows.append(RealProgram(name="cc1plus -O2, large TU", argv=cc1plus_command()))
        rows.append(RealProgram(name="cc1plus -O2, medium TU (heaptrack finishes)",
                                argv=cc1plus_command("medium_tu.cc")))
    if python:
        script = PYTHON_SCRIPT % (100_000 if quick else 300_000)
        rows.append(RealProgram(name="python3, dict/json", argv=[python, "-c", script]))
        # As `heaptrail run` traces Python: every object a block of its own
        # (the untracked run too), the stacks with their Python frames.
        rows.append(RealProgram(name="python3, dict/json, PYTHONMALLOC=malloc",
                                argv=[python, "-c", script], env={"PYTHONMALLOC": "malloc"}))
    if shutil.which("sqlite3"):
        rows.append(RealProgram(name="sqlite3, insert/index/query",
                                argv=["sqlite3", ":memory:",
                                      SQLITE_SCRIPT % (100_000 if quick else 300_000)]))
    return rows


def cc1plus_command(source="large_tu.cc"):
    """cc1plus compiling bench/real/`source`, preprocessed once here into a
    directory removed at exit, as the g++ driver would run it (-O2, its
    assembly thrown away)."""
    def ask(option):
        return subprocess.run(["g++", option], capture_output=True, text=True,
                              check=True).stdout.strip()
    directory = tempfile.mkdtemp(prefix="heaptrail-bench-cc1plus.")
    atexit.register(shutil.rmtree, directory, True)
    preprocessed = os.path.join(directory, os.path.splitext(source)[0] + ".ii")
    subprocess.run(["g++", "-std=c++20", "-E", os.path.join(HERE, "real", source),
                    "-o", preprocessed], check=True)
    return [ask("-print-prog-name=cc1plus"), "-fpreprocessed", preprocessed, "-quiet",
            "-std=c++20", "-O2", "-o", "/dev/null"]


def count_events(build_dir, traces):
    """Allocations + frees recorded in `traces`, by the heaptrail CLI."""
    cli = os.path.join(build_dir, "bin", "heaptrail")
    events = 0
    for trace in traces:
        report = subprocess.run([cli, "report", trace, "--format", "json"],
                                capture_output=True, text=True, check=True)
        summary = json.loads(report.stdout)["summary"]
        events += summary["allocations"] + summary["frees"]
    return events
