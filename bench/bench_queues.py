#!/usr/bin/env python3
"""The hand-off between two server threads: queue.SimpleQueue against OneConsumerQueue.

    .tox/py/bin/python bench/bench_queues.py
    .venv-pypy3/bin/python bench/bench_queues.py     # PyPy: SimpleQueue is pure Python there

Two numbers per queue: a round trip (one thread puts, another takes and answers on a second
queue, so both sleep and wake every time: the cost of a hop when the pipeline is idle), and
a stream (one thread puts 500k items, another takes them: the cost per item when busy).
zookeeper_py.common.linked_blocking_queue picks the faster one per interpreter.
The round trip depends on where the threads wake: run it again under `taskset -c 0` (one CPU,
as the server pins itself: zookeeper_py/common/cpu_affinity.py). On PyPy, SimpleQueue's
round trip there is ~340 us (the woken thread preempts its waker, finds the GIL held and
sleeps out PyPy's 0.1 ms poll) and OneConsumerQueue's ~5 us, since its WakeupSemaphore wakes
the consumer with the GIL free (zookeeper_py/common/wakeup_semaphore.py).
"""

import os
import queue
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from zookeeper_py.common.linked_blocking_queue import LinkedBlockingQueue, OneConsumerQueue  # noqa: E402


def round_trip_us(kind, n=20000):
    a, b = kind(), kind()

    def echo():
        for _ in range(n):
            b.put(a.get())

    t = threading.Thread(target=echo)
    t.start()
    t0 = time.perf_counter()
    for i in range(n):
        a.put(i)
        b.get()
    dt = time.perf_counter() - t0
    t.join()
    return dt / n * 1e6


def stream_us(kind, n=500000):
    q = kind()

    def consume():
        for _ in range(n):
            q.get()

    t = threading.Thread(target=consume)
    t.start()
    t0 = time.perf_counter()
    for i in range(n):
        q.put(i)
    t.join()
    return (time.perf_counter() - t0) / n * 1e6


def main():
    print("%s %s; LinkedBlockingQueue is %s" % (sys.implementation.name, sys.version.split()[0],
                                                   LinkedBlockingQueue.__name__))
    print("| queue | round trip (us) | stream (us/item) |")
    print("|---|---:|---:|")
    for kind in (queue.SimpleQueue, OneConsumerQueue):
        round_trip_us(kind, 2000)  # warm up (PyPy's JIT)
        print("| %s | %.1f | %.3f |" % (kind.__name__, round_trip_us(kind), stream_us(kind)))


if __name__ == "__main__":
    main()
