#!/usr/bin/env python3
"""Replicated ensemble: zookeeper_py next to Java ZooKeeper 3.8, 3 members on loopback. Prints a table;
it is not a test.

    .venv/bin/python bench/bench_quorum.py [--writes 5000] [--window 200] [--znodes 100000] [--kills 3]
                                           [--kinds python,pypy,java]

Per implementation (each a fresh 3-member ensemble, tickTime 1000, initLimit 10, syncLimit 5):
  write throughput: `writes` creates (100-byte data) through a follower with at most `window` in flight
      (kazoo create_async), creates/s from the first send to the last reply; then the same split over
      three client processes, one connected to each member;
  write latency: 500 creates one at a time through a follower, ms per create (mean, p50, p99);
  re-election: kill -9 of the leader, then the time until the two others serve with a new leader
      ("Mode: leader" in srvr), and until a create through them succeeds; `kills` rounds, the killed
      member restarted between rounds;
  empty-member sync: with `znodes` znodes in the tree, a follower's data directory is wiped and it
      is restarted: the time from start until it serves as a follower with the leader's zxid (a SNAP).
Clients are kazoo; all processes share this machine (its cores are shared with the servers).
"""

import argparse
import datetime
import logging
import multiprocessing
import os
import shutil
import statistics
import sys
import tempfile
import threading
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, REPO)

from kazoo.client import KazooClient  # noqa: E402
from kazoo.exceptions import KazooException  # noqa: E402
from kazoo.handlers.threading import KazooTimeoutError  # noqa: E402

from tests.support import java_zk  # noqa: E402
from tests.support.ensemble import Ensemble  # noqa: E402
from tests.support.servers import pypy_python  # noqa: E402

DATA = b"x" * 100


def client(hosts, timeout=15):
    zk = KazooClient(hosts=hosts, timeout=timeout)
    zk.start(timeout=timeout)
    return zk


def async_creates(zk, prefix, n, window):
    """n creates with at most `window` in flight; returns creates/s."""
    sem = threading.Semaphore(window)
    done = threading.Event()
    left = [n]
    errors = [0]
    lock = threading.Lock()

    def finished(result):
        try:
            result.get()
        except Exception:
            errors[0] += 1
        sem.release()
        with lock:
            left[0] -= 1
            if left[0] == 0:
                done.set()

    start = time.perf_counter()
    for i in range(n):
        sem.acquire()
        zk.create_async("%s%07d" % (prefix, i), DATA).rawlink(finished)
    done.wait()
    elapsed = time.perf_counter() - start
    if errors[0]:
        print("  (%d errors)" % errors[0], file=sys.stderr)
    return n / elapsed


def _client_process(hosts, prefix, n, window, ready, go, out):
    zk = client(hosts)
    try:
        ready.put(1)
        go.wait()
        t0 = time.time()
        async_creates(zk, prefix, n, window)
        out.put((t0, time.time()))
    finally:
        zk.stop()
        zk.close()


def parallel_creates(hosts_list, prefix, n, window):
    """n creates split over one client process per entry of hosts_list; creates/s over all of them."""
    ctx = multiprocessing.get_context("fork")
    ready, out, go = ctx.Queue(), ctx.Queue(), ctx.Event()
    per = n // len(hosts_list)
    procs = [ctx.Process(target=_client_process, args=(h, "%s%d_" % (prefix, i), per, window, ready, go, out))
             for i, h in enumerate(hosts_list)]
    for p in procs:
        p.start()
    for _ in procs:
        ready.get(timeout=60)
    go.set()
    spans = [out.get(timeout=600) for _ in procs]
    for p in procs:
        p.join(30)
    return per * len(procs) / (max(e for _, e in spans) - min(s for s, _ in spans))


def sync_latencies(zk, prefix, n):
    out = []
    for i in range(n):
        t = time.perf_counter()
        zk.create("%s%07d" % (prefix, i), DATA)
        out.append((time.perf_counter() - t) * 1000.0)
    return out


def wait_writable(hosts, deadline):
    while time.time() < deadline:
        try:
            zk = client(hosts, timeout=5)
            try:
                zk.create("/probe-", b"", sequence=True)
                return time.time()
            finally:
                zk.stop()
                zk.close()
        except (KazooException, KazooTimeoutError):
            time.sleep(0.02)
    raise TimeoutError("not writable")


def bench(kind, args, base):
    results = {}
    ens = Ensemble(os.path.join(base, kind), kinds=["java" if kind == "java" else "python"] * 3, tick_time=1000,
                   init_limit=10, sync_limit=5)
    if kind == "pypy":
        for server in ens.servers.values():
            server.python = pypy_python()
    try:
        ens.start()
        leader = ens.wait_for_quorum(timeout=60)
        follower = 1 if leader != 1 else 2
        zk = client(ens.address(follower))
        try:
            zk.create("/bench")
            async_creates(zk, "/bench/warm", 500, args.window)
            results["throughput"] = async_creates(zk, "/bench/w", args.writes, args.window)
            # one client process per member (the client side is Python too: one process cannot saturate)
            results["throughput3"] = parallel_creates([ens.address(s) for s in ens.servers], "/bench/p",
                                                      args.writes, args.window)
            lat = sync_latencies(zk, "/bench/s", 500)
            results["lat_mean"] = statistics.mean(lat)
            results["lat_p50"] = statistics.median(lat)
            results["lat_p99"] = sorted(lat)[int(len(lat) * 0.99) - 1]
        finally:
            zk.stop()
            zk.close()
        # re-election after kill -9 of the leader
        elected, writable = [], []
        for _ in range(args.kills):
            leader = ens.wait_for_quorum(timeout=60)
            rest = [s for s in ens.servers if s != leader]
            t0 = time.time()
            ens.kill(leader)
            ens.wait_for_quorum(rest, timeout=60)
            elected.append(time.time() - t0)
            writable.append(wait_writable(ens.connect_string(rest), time.time() + 60) - t0)
            ens.start_member(leader)
            ens.wait_for_quorum(timeout=60)
        results["elect"] = elected
        results["writable"] = writable
        # an empty member synced with `znodes` znodes
        leader = ens.wait_for_quorum(timeout=60)
        follower = 1 if leader != 1 else 2
        zk = client(ens.address(leader), timeout=30)
        try:
            zk.ensure_path("/big")
            t = time.perf_counter()
            async_creates(zk, "/big/n", args.znodes, args.window)
            results["fill"] = time.perf_counter() - t
        finally:
            zk.stop()
            zk.close()
        results["snap_sync"] = sync_emptied_follower(ens, leader, follower)
        results["snap_phases"] = snap_phases(ens.log(follower))
    finally:
        ens.stop()
    return results


def sync_emptied_follower(ens, leader, follower, timeout=600):
    """kill -9 of `follower`, its version-2 wiped, started again: seconds from that start until it
    serves as a follower with the leader's zxid."""
    ens.kill(follower)
    shutil.rmtree(os.path.join(ens.data_dir(follower), "version-2"))
    target = ens.zxid(leader)
    t0 = time.time()
    ens.start_member(follower)
    while not (ens.mode(follower) == "follower" and (ens.zxid(follower) or 0) >= target):
        if time.time() > t0 + timeout:
            raise TimeoutError("member %d did not sync" % follower)
        time.sleep(0.02)
    return time.time() - t0


def snap_phases(log):
    """(load s, snapshot s) of a learner's SNAP from its log: "Getting a snapshot" to its
    "Snapshotting" (receiving and loading the stream), then to "UPTODATE" (writing the snapshot)."""
    def stamp(line):
        return datetime.datetime.strptime(line[:23], "%Y-%m-%d %H:%M:%S,%f").timestamp()

    lines = log.splitlines()
    try:
        # The last SNAP: a member restarted in the re-election rounds may have synced by SNAP before.
        got = max(i for i, l in enumerate(lines) if "Getting a snapshot from leader" in l)
        snap = next(i for i in range(got, len(lines)) if "Snapshotting: 0x" in lines[i])
        upto = next(i for i in range(snap, len(lines)) if "UPTODATE" in lines[i])
        return stamp(lines[snap]) - stamp(lines[got]), stamp(lines[upto]) - stamp(lines[snap])
    except (StopIteration, ValueError):  # ValueError: no SNAP in the log (max of nothing)
        return None


def available_kinds(kinds_arg):
    """The kinds of a --kinds list that this machine can run, saying why any other is skipped."""
    kinds = [k for k in kinds_arg.split(",") if k]
    if "java" in kinds and java_zk.missing_reason():
        print("skipping java: %s" % java_zk.missing_reason(), file=sys.stderr)
        kinds.remove("java")
    if "pypy" in kinds and not pypy_python():
        print("skipping pypy: PyPy is not installed (Debian package pypy3)", file=sys.stderr)
        kinds.remove("pypy")
    return kinds


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--writes", type=int, default=5000)
    parser.add_argument("--window", type=int, default=200)
    parser.add_argument("--znodes", type=int, default=100000)
    parser.add_argument("--kills", type=int, default=3)
    parser.add_argument("--kinds", default="python,java")
    args = parser.parse_args()
    logging.basicConfig(level=logging.ERROR)
    kinds = available_kinds(args.kinds)
    base = tempfile.mkdtemp(prefix="bench_quorum-")
    results = {}
    try:
        for kind in kinds:
            print("running %s ..." % kind, file=sys.stderr)
            results[kind] = bench(kind, args, base)
    finally:
        shutil.rmtree(base, ignore_errors=True)
    names = {"python": "ours (CPython)", "pypy": "ours (PyPy)", "java": "Java 3.8"}
    rows = [
        ("write throughput, creates/s (window %d)" % args.window, lambda r: "%.0f" % r["throughput"]),
        ("  3 client processes, one per member", lambda r: "%.0f" % r["throughput3"]),
        ("write latency mean ms (one at a time)", lambda r: "%.2f" % r["lat_mean"]),
        ("write latency p50 / p99 ms", lambda r: "%.2f / %.2f" % (r["lat_p50"], r["lat_p99"])),
        ("re-election after kill -9, s (mean of %d)" % args.kills, lambda r: "%.2f" % statistics.mean(r["elect"])),
        ("  min / max s", lambda r: "%.2f / %.2f" % (min(r["elect"]), max(r["elect"]))),
        ("writable again after kill -9, s (mean)", lambda r: "%.2f" % statistics.mean(r["writable"])),
        ("fill %d znodes, s" % args.znodes, lambda r: "%.1f" % r["fill"]),
        ("empty member synced (SNAP of %d znodes), s" % args.znodes, lambda r: "%.2f" % r["snap_sync"]),
        ("  of which load / snapshot written, s (its log)",
         lambda r: "%.2f / %.2f" % r["snap_phases"] if r["snap_phases"] else "n/a"),
    ]
    width = max(len(r[0]) for r in rows) + 2
    print("3-member ensemble on loopback, %d cores" % (os.cpu_count() or 1))
    print("%-*s" % (width, "") + "".join("%16s" % names[k] for k in results))
    for label, fmt in rows:
        print("%-*s" % (width, label) + "".join("%16s" % fmt(results[k]) for k in results))


if __name__ == "__main__":
    main()
