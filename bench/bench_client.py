#!/usr/bin/env python3
"""Client throughput: zookeeper_py's ZooKeeper next to kazoo, against Java ZooKeeper 3.8
and against zookeeper_py's server. Prints a table; it is not a test.

    .venv/bin/python bench/bench_client.py [-n 20000] [--window 1000] [--servers java,python]

Per server and client:
  async getData / setData: n requests pipelined with at most `window` in flight (the
      async API with callbacks; kazoo's get_async/set_async with rawlink), ops/s from the
      first send to the last callback;
  sync getData: one request at a time (round-trip bound), ops/s.
Both clients use one connection; all runs are on this machine over loopback.
"""

import argparse
import logging
import os
import sys
import tempfile
import threading
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, REPO)

from tests.support.servers import JavaServer, PythonServer  # noqa: E402
from zookeeper_py.create_mode import CreateMode  # noqa: E402
from zookeeper_py.zoo_defs import Ids  # noqa: E402
from zookeeper_py.zookeeper import States, ZooKeeper  # noqa: E402

PATH = "/bench_client"
DATA = b"x" * 100


class Window:
    """At most `size` requests in flight; wait() returns when all `n` have completed."""

    def __init__(self, size, n):
        self.sem = threading.Semaphore(size)
        self.left = n
        self.lock = threading.Lock()
        self.done = threading.Event()
        self.errors = 0

    def complete(self, ok=True):
        self.sem.release()
        with self.lock:
            if not ok:
                self.errors += 1
            self.left -= 1
            if self.left == 0:
                self.done.set()


# -- zookeeper_py --

class OurClient:
    name = "zookeeper_py"

    def __init__(self, address):
        self.zk = ZooKeeper(address, 30000)
        deadline = time.time() + 15
        while self.zk.get_state() is not States.CONNECTED:
            if time.time() > deadline:
                raise RuntimeError("zookeeper_py client did not connect")
            time.sleep(0.01)
        if self.zk.exists(PATH) is None:
            self.zk.create(PATH, DATA, Ids.OPEN_ACL_UNSAFE, CreateMode.PERSISTENT)

    def async_get(self, n, window):
        w = Window(window, n)

        def cb(rc, path, ctx, data, stat):
            w.complete(rc == 0)

        for _ in range(n):
            w.sem.acquire()
            self.zk.get_data(PATH, False, cb, None)
        w.done.wait(600)
        return w.errors

    def async_set(self, n, window):
        w = Window(window, n)

        def cb(rc, path, ctx, stat):
            w.complete(rc == 0)

        for _ in range(n):
            w.sem.acquire()
            self.zk.set_data(PATH, DATA, -1, cb, None)
        w.done.wait(600)
        return w.errors

    def sync_get(self, n):
        for _ in range(n):
            self.zk.get_data(PATH, False)
        return 0

    def close(self):
        self.zk.close()


# -- kazoo --

class KazooClient:
    name = "kazoo"

    def __init__(self, address):
        from kazoo.client import KazooClient as Kazoo

        self.zk = Kazoo(hosts=address, timeout=30)
        self.zk.start(15)
        self.zk.ensure_path(PATH)

    def _run(self, n, window, call):
        w = Window(window, n)

        def done(result):
            w.complete(result.exception is None)

        for _ in range(n):
            w.sem.acquire()
            call().rawlink(done)
        w.done.wait(600)
        return w.errors

    def async_get(self, n, window):
        return self._run(n, window, lambda: self.zk.get_async(PATH))

    def async_set(self, n, window):
        return self._run(n, window, lambda: self.zk.set_async(PATH, DATA))

    def sync_get(self, n):
        for _ in range(n):
            self.zk.get(PATH)
        return 0

    def close(self):
        self.zk.stop()
        self.zk.close()


def timed(fn, *args):
    t0 = time.perf_counter()
    errors = fn(*args)
    return time.perf_counter() - t0, errors


def bench_server(kind, args, rows):
    base = tempfile.mkdtemp(prefix="bench-%s-" % kind)
    server = {"java": JavaServer, "python": PythonServer}[kind](base)
    server.start()
    try:
        for client_cls in (OurClient, KazooClient):
            client = client_cls(server.address)
            try:
                client.async_get(min(2000, args.n), args.window)  # warm up
                for op, fn, n in (("async getData", client.async_get, args.n),
                                  ("async setData", client.async_set, args.n),
                                  ("sync getData", client.sync_get, args.sync_n)):
                    best = None
                    for _ in range(args.repeat):
                        secs, errors = timed(fn, n) if op.startswith("sync") else timed(fn, n, args.window)
                        if best is None or secs < best[0]:
                            best = (secs, errors)
                    rows.append((kind, client.name, op, n, best[0], n / best[0], best[1]))
                    print("  %-7s %-13s %-14s %7d %8.2fs %9.0f ops/s%s" % (
                        kind, client.name, op, n, best[0], n / best[0],
                        "  (%d errors)" % best[1] if best[1] else ""), flush=True)
            finally:
                client.close()
    finally:
        server.stop()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=20000, help="async requests per run")
    parser.add_argument("--sync-n", type=int, default=3000, help="sync requests per run")
    parser.add_argument("--window", type=int, default=1000, help="most requests in flight")
    parser.add_argument("--repeat", type=int, default=2, help="runs per measurement; the best is kept")
    parser.add_argument("--servers", default="java,python")
    args = parser.parse_args()
    logging.basicConfig(level=logging.ERROR)
    rows = []
    print("Running (best of %d) ..." % args.repeat, flush=True)
    for kind in args.servers.split(","):
        bench_server(kind, args, rows)
    print()
    print("%-8s %-13s %-14s %7s %9s %11s" % ("server", "client", "operation", "n", "seconds", "ops/s"))
    print("-" * 67)
    for kind, client, op, n, secs, rate, errors in rows:
        print("%-8s %-13s %-14s %7d %9.2f %11.0f%s" % (kind, client, op, n, secs, rate,
                                                        "  (%d errors)" % errors if errors else ""))


if __name__ == "__main__":
    main()
