"""Python frames that are easy to get wrong (tests/e2e/python_frames_test.cc).

Code objects compiled, run and freed one after another reuse one address,
and with it often their line table's: each pass's bytearray(100000) must
still be credited to its own line, 2 to 9 of "gen.py". And a recursion
deeper than the stack depth keeps its innermost frames.
"""

import os
import sys

kept = []


def compile_and_run():
    for blank_lines in range(8):
        source = "def f():\n" + "\n" * blank_lines + "    return bytearray(100000)\n"
        namespace = {}
        exec(compile(source, "gen.py", "exec"), namespace)
        kept.append(namespace["f"]())
        namespace.clear()


def recurse(depth):
    if depth == 0:
        return bytearray(123456)  # DEEP
    return recurse(depth - 1)


compile_and_run()
sys.setrecursionlimit(2000)
kept.append(recurse(600))
print("kept", len(kept), flush=True)
os._exit(0)  # no finalization: what it keeps is live at the end
