#!/usr/bin/env python3
"""SNAP of a big tree to an emptied follower, several times per ensemble: ours next to Java 3.8.

    .venv/bin/python bench/bench_snap_sync.py [--znodes 1000000] [--trials 4] [--starts 1] [--kinds python,pypy,java]

bench_quorum.py's sync row fills its tree through kazoo (minutes per implementation) and
syncs once. Here every member starts from one snapshot of `znodes` znodes (bench_persistence's
tree: 100 parents, 100-byte data), then each trial kills a follower (the two take turns), wipes
its version-2 and starts it again: the time from that start until it serves as a follower with
the leader's zxid, and the SNAP's load as its log shows it ("Getting a snapshot" to
"Snapshotting"; Java also writes the tree out after that, ours keeps the stream as it reads).
For our servers each trial also says whether the follower's process was pinned to the leader's
CPU (zookeeper_py/common/cpu_affinity.py). Before the trials, the three members start together
(--starts times, stopped in between), each loading the snapshot: the time from their start until
all three serve. Not a test.
"""

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, REPO)
sys.path.insert(0, os.path.join(REPO, "bench"))

from bench_persistence import build_tree  # noqa: E402
from bench_quorum import available_kinds, snap_phases, sync_emptied_follower  # noqa: E402

from tests.support.ensemble import Ensemble  # noqa: E402
from tests.support.servers import pypy_python  # noqa: E402
from zookeeper_py.common.cpu_affinity import allowed_cpus  # noqa: E402
from zookeeper_py.server.persistence.file_snap import FileSnap  # noqa: E402
from zookeeper_py.server.persistence.util import Util  # noqa: E402


def write_snapshot(directory, n):
    dt, zxid = build_tree(n)
    path = os.path.join(directory, Util.make_snapshot_name(zxid))
    FileSnap(directory).serialize(dt, {}, path)
    return path


def main_thread_cpus(ens, sid):
    pid = ens.servers[sid].proc.pid
    return allowed_cpus("/proc/%d/task/%d/status" % (pid, pid))


def seed(ens, snapshot):
    """Every member's version-2 holds the snapshot alone (so every start loads the same: a start
    that left the leader's new-epoch snapshot behind would make the next start a double SNAP)."""
    for sid in ens.servers:
        version2 = os.path.join(ens.data_dir(sid), "version-2")
        shutil.rmtree(version2, ignore_errors=True)
        os.makedirs(version2)
        shutil.copy(snapshot, version2)


def bench(kind, snapshot, trials, starts, base):
    ens = Ensemble(os.path.join(base, kind), kinds=["java" if kind == "java" else "python"] * 3, tick_time=1000,
                   init_limit=30, sync_limit=5)
    if kind == "pypy":
        for server in ens.servers.values():
            server.python = pypy_python()
    out = []
    try:
        started = []
        for i in range(starts):
            if i:
                ens.stop()
            seed(ens, snapshot)
            t0 = time.perf_counter()
            ens.start()
            ens.wait_for_quorum(timeout=300)
            started.append(time.perf_counter() - t0)
            print("%s: 3 members from the snapshot to all serving in %.2f s" % (kind, started[-1]), file=sys.stderr)
        if not starts:
            seed(ens, snapshot)
            ens.start()
        for trial in range(trials):
            leader = ens.wait_for_quorum(timeout=120)
            follower = [s for s in ens.servers if s != leader][trial % 2]
            total = sync_emptied_follower(ens, leader, follower)
            # The main threads stay pinned (a SNAP's threads leave the pin only while they run).
            cpus = None if kind == "java" else (main_thread_cpus(ens, follower), main_thread_cpus(ens, leader))
            shared = cpus[0] == cpus[1] if cpus and len(cpus[0]) == len(cpus[1]) == 1 else None
            phases = snap_phases(ens.log(follower))
            out.append((total, phases[0] if phases else None, shared))
            print("%s trial %d: synced in %.2f s, load %s s%s" % (
                kind, trial, total, "%.2f" % phases[0] if phases else "n/a",
                "" if shared is None else ", on the leader's CPU" if shared else ", on the other CPU"),
                file=sys.stderr)
    finally:
        ens.stop()
    return out, started


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--znodes", type=int, default=1000000)
    parser.add_argument("--trials", type=int, default=4)
    parser.add_argument("--starts", type=int, default=1, help="starts of the ensemble before the trials")
    parser.add_argument("--kinds", default="python,pypy,java")
    args = parser.parse_args()
    kinds = available_kinds(args.kinds)
    base = tempfile.mkdtemp(prefix="bench_snap_sync-")
    try:
        snapshot = write_snapshot(base, args.znodes)
        results = {kind: bench(kind, snapshot, args.trials, args.starts, base) for kind in kinds}
    finally:
        shutil.rmtree(base, ignore_errors=True)
    names = {"python": "ours (CPython)", "pypy": "ours (PyPy)", "java": "Java 3.8"}
    print("SNAP of %d znodes to an emptied follower, 3 members on loopback, %d cores, %d trials"
          % (args.znodes, os.cpu_count() or 1, args.trials))
    print("%-16s %14s %14s %14s %14s %14s %14s" % ("", "synced, median", "min / max", "load, median", "min / max",
                                                   "start, median", "min / max"))
    for kind, (rows, started) in results.items():
        totals = [r[0] for r in rows]
        loads = [r[1] for r in rows if r[1] is not None]
        print("%-16s %14.2f %14s %14s %14s %14.2f %14s" % (
            names[kind], statistics.median(totals), "%.2f / %.2f" % (min(totals), max(totals)),
            "%.2f" % statistics.median(loads) if loads else "n/a",
            "%.2f / %.2f" % (min(loads), max(loads)) if loads else "n/a",
            statistics.median(started), "%.2f / %.2f" % (min(started), max(started))))


if __name__ == "__main__":
    main()
