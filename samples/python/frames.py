"""Python frames in heaptrail's stacks (tests/e2e/python_frames_test.cc).

Each line the test checks carries a marker comment; the test finds its
number there. Run with PYTHONMALLOC=malloc (heaptrail run sets it), so that
every object is an allocation of its own: bytearray(100000) is then a
56-byte object and a 100,001-byte buffer (one byte for a trailing NUL).
"""

import ctypes
import os
import signal
import threading

# Filled by index: a list that grows would add its own blocks to the lines.
blocks = [None] * 50
per_thread = [[None] * 10 for _ in range(4)]
held = [None] * 4


def load(first, last):
    for i in range(first, last):
        blocks[i] = bytearray(100000)  # LEAK


def churn():
    for _ in range(1000):
        temporary = bytearray(1000)  # TEMPORARY
        del temporary


def worker(slot):
    for i in range(10):
        per_thread[slot][i] = bytearray(20000)  # THREAD


def native_alloc():
    libc = ctypes.CDLL(None)
    libc.malloc.restype = ctypes.c_void_p
    libc.malloc.argtypes = [ctypes.c_size_t]
    return libc.malloc(77777)  # CTYPES


class Store:
    def add(self):
        held[0] = bytearray(3000)  # METHOD

    @classmethod
    def make(cls):
        held[1] = bytearray(3001)  # CLASSMETHOD


def pieces():
    for size in (4000, 4001):
        yield bytearray(size)  # GENERATOR


def snapshot():
    os.kill(os.getpid(), signal.SIGUSR2)


def main():
    load(0, 25)
    snapshot()
    load(25, 40)
    snapshot()
    load(40, 50)
    churn()
    snapshot()
    threads = [threading.Thread(target=worker, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    kept = [native_alloc()]
    Store().add()
    Store.make()
    kept.extend(pieces())
    make = lambda: bytearray(5000)  # LAMBDA
    held[2] = make()
    print("kept", len(blocks), len(kept), flush=True)
    return kept


if __name__ == "__main__":
    result = main()
    # No finalization, which would free every object: what the program holds
    # is live at the end, as in a program killed while running.
    os._exit(0)
