"""Benchmark of the data directory: txn-log appends, snapshot write/load, memory per znode.

Prints a table of our figures next to Java ZooKeeper 3.8's, measured on this machine
with bench/PersistenceBench.java (Java's own FileTxnLog, DataTree and FileSnap). Not a test.

    .venv/bin/python bench/bench_persistence.py             # 100k znodes
    .venv/bin/python bench/bench_persistence.py --big       # also 1M znodes (takes minutes)
    pypy3 bench/bench_persistence.py --no-java              # our side only

Txn-log rows: CreateTxn of 100 data bytes, appended in batches of 1, 10 and 100 with a
commit (flush + fdatasync) after each batch, as SyncRequestProcessor does; ours and Java's
runs alternate (--rounds, median shown) because fsync latency on a shared disk drifts.
The "nosync" row (zookeeper.forceSync=no) shows the CPU cost of appending alone.

Snapshot rows: a tree of 100 parents with (N-100) children of 100 data bytes; "write" is FileSnap.serialize,
"load" is FileSnap.deserialize (CRC check included) in a fresh process (Java: a cold JVM), ours and
Java's taking turns (--rounds, median shown), and memory per znode is that process's RSS growth
(Java: heap in use after GC) divided by the node count. The floor under each size is what a
fresh process pays a znode for its path, its data and its place in its parent's children alone,
as Python objects: what any tree of objects keyed by path pays, against the memory goal.
"""

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, REPO)

from zookeeper_py.common import system_properties  # noqa: E402
from zookeeper_py.server.data_node import CHILDREN_ARE_DICT, NEW_CHILDREN, STAT_FIELDS  # noqa: E402
from zookeeper_py.server.data_tree import _SNAPSHOT_LOCK_BATCH, DataTree, _pack_nodes  # noqa: E402
from zookeeper_py.server.persistence.file_snap import FileSnap  # noqa: E402
from zookeeper_py.server.persistence.file_txn_log import FileTxnLog  # noqa: E402
from zookeeper_py.server.persistence.file_txn_snap_log import FileTxnSnapLog  # noqa: E402
from zookeeper_py.server.persistence.util import Util  # noqa: E402
from zookeeper_py.txn import CreateTxn, TxnHeader  # noqa: E402
from zookeeper_py.zoo_defs import Ids, OpCode  # noqa: E402

JAVA_JARS = ["/usr/share/java/zookeeper.jar", "/usr/share/java/zookeeper-jute.jar", "/usr/share/java/slf4j-api.jar",
             "/usr/share/java/slf4j-nop.jar", "/usr/share/java/metrics-core.jar"]
JAVA_BENCH = os.path.join(REPO, "bench", "PersistenceBench.java")
OPEN = list(Ids.OPEN_ACL_UNSAFE)
DATA = bytes(100)


def rss_bytes(key="VmRSS:"):
    """This process's RSS (or, with key "VmHWM:", its peak RSS so far) in bytes."""
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(key):
                return int(line.split()[1]) * 1024
    return 0


# -- ours ---------------------------------------------------------------------------

def bench_log(directory, batch, total, force_sync=True):
    system_properties.set_property("zookeeper.forceSync", "yes" if force_sync else "no")
    log = FileTxnLog(directory)
    zxid = 0
    for i in range(2000):  # same warm-up file as the Java side
        zxid += 1
        log.append(TxnHeader(1, i, zxid, int(time.time() * 1000), OpCode.create),
                   CreateTxn("/bench/n%d" % i, DATA, OPEN, False, i))
    log.commit()
    log.roll_log()
    t0 = time.perf_counter()
    i = 0
    while i < total:
        for _ in range(batch):
            zxid += 1
            log.append(TxnHeader(1, i, zxid, int(time.time() * 1000), OpCode.create),
                       CreateTxn("/bench/n%d" % i, DATA, OPEN, False, i))
            i += 1
        log.commit()
    secs = time.perf_counter() - t0
    log.close()
    return total / secs, total / batch / secs


def bench_log_read(directory):
    t0 = time.perf_counter()
    n = 0
    with FileTxnLog(directory).read(0) as itr:
        while itr.get_header() is not None:
            n += 1
            if not itr.next():
                break
    return n / (time.perf_counter() - t0)


def build_tree(n):
    dt = DataTree()
    zxid = 0
    for i in range(100):
        zxid += 1
        dt.process_txn(TxnHeader(1, zxid, zxid, 0, OpCode.create), CreateTxn("/p%d" % i, bytes(10), OPEN, False, i + 1))
    for i in range(n - 100):
        zxid += 1
        dt.process_txn(TxnHeader(1, zxid, zxid, 0, OpCode.create),
                       CreateTxn("/p%d/n%d" % (i % 100, i), DATA, OPEN, False, i // 100 + 1))
    return dt, zxid


def lock_holds(dt):
    """How long a snapshot write holds the tree's lock per batch: (median, p99) microseconds of
    packing each batch, the part of a hold that grows with the batch (DataTree._walk_copies)."""
    holds = []
    chunk = bytearray()

    def timed_pack(paths, nodes):
        t0 = time.perf_counter()
        _pack_nodes(chunk, paths, nodes)
        holds.append(time.perf_counter() - t0)
        chunk.clear()

    for _ in dt._walk_copies(timed_pack):
        pass
    holds.sort()
    return holds[len(holds) // 2] * 1e6, holds[int(len(holds) * 0.99)] * 1e6


def load_in_fresh_process(directory, tuned=True):
    """Run `--load-only` in a new interpreter, its collector set as the servers' (tuned) or left
    at Python's defaults: (load seconds, nodes, bytes per node, seconds of a full collection after,
    the breakdown of memory_parts or None, the load's peak RSS growth per node)."""
    cmd = [sys.executable, os.path.abspath(__file__), "--load-only", directory] + ([] if tuned else ["--untuned"])
    lines = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout.splitlines()
    out = lines[0].split()
    parts = json.loads(lines[1]) if len(lines) > 1 else None
    return float(out[0]), int(out[1]), float(out[2]), float(out[3]), parts, float(out[4])


def memory_parts(dt):
    """Bytes per znode of each part of the loaded tree, from sys.getsizeof (CPython only: PyPy has
    no getsizeof). Shows where the RSS goes: which parts any layout of Python objects must pay."""
    size = sys.getsizeof
    parts = dict.fromkeys(("path key", "nodes dict slot", "DataNode", "data bytes", "stat ints", "children"), 0)
    seen = set()
    parts["nodes dict slot"] = size(dt.nodes)
    for path, node in dt.nodes.items():
        parts["path key"] += size(path)
        parts["DataNode"] += size(node)  # with the StatPersisted fields as its own slots
        parts["data bytes"] += size(node.data)
        for name in STAT_FIELDS:
            v = getattr(node, name)
            if not -5 <= v <= 256 and id(v) not in seen:  # small ints are shared by the interpreter
                seen.add(id(v))
                parts["stat ints"] += size(v)
        if node.children:  # the children's paths: the keys counted above
            parts["children"] += size(node.children)
    n = len(dt.nodes)
    return {k: v / n for k, v in parts.items()}


def load_only(directory, tuned=True):
    import gc

    from zookeeper_py.common.gc_tuning import tune_collector

    if tuned:
        tune_collector()  # as the server mains do
    gc.collect()
    before = rss_bytes()
    dt = DataTree()
    sessions = {}
    t0 = time.perf_counter()
    FileSnap(directory).deserialize(dt, sessions)
    secs = time.perf_counter() - t0
    t0 = time.perf_counter()
    gc.collect()  # the pause a full collection would cost every client now
    full_gc = time.perf_counter() - t0
    grown = rss_bytes() - before
    peak = rss_bytes("VmHWM:") - before
    print(secs, dt.get_node_count(), grown / dt.get_node_count(), full_gc, peak / dt.get_node_count())
    if sys.implementation.name == "cpython":
        print(json.dumps(memory_parts(dt)))


def floor_only(n):
    """The least any tree of Python objects keyed by path pays a znode, on this interpreter: the
    path as a str keying a dict, the data as a bytes, the path in its parent's children (the
    same shape as build_tree's; no DataNode, no stat, no ACL). Prints RSS growth per znode."""
    import gc

    gc.collect()
    before = rss_bytes()
    nodes = {}
    children = [NEW_CHILDREN() for _ in range(100)]
    for i in range(n):
        path = "/p%d/n%d" % (i % 100, i)
        nodes[path] = bytes(bytearray(DATA))  # a bytes of its own, as a loaded node's data is
        if CHILDREN_ARE_DICT:
            children[i % 100][path] = None
        else:
            children[i % 100].add(path)
    gc.collect()
    print((rss_bytes() - before) / n)


def floor_in_fresh_process(n):
    cmd = [sys.executable, os.path.abspath(__file__), "--floor-only", str(n)]
    return float(subprocess.run(cmd, capture_output=True, text=True, check=True).stdout.split()[0])


def bench_replay(directory, n):
    """Restore = newest snapshot + replay of n logged creates: replayed txns per second."""
    fts = FileTxnSnapLog(directory, directory)
    dt = DataTree()
    fts.restore(dt, {})  # writes snapshot.0
    zxid = dt.last_processed_zxid
    log = FileTxnLog(os.path.join(directory, "version-2"))
    for i in range(n):
        zxid += 1
        log.append(TxnHeader(1, i, zxid, 0, OpCode.create), CreateTxn("/r%d" % i, DATA, OPEN, False, i + 1))
    log.commit()
    log.close()
    dt = DataTree()
    t0 = time.perf_counter()
    FileTxnSnapLog(directory, directory).restore(dt, {})
    return n / (time.perf_counter() - t0)


# -- Java ---------------------------------------------------------------------------

def java_available():
    return shutil.which("java") and all(os.path.exists(j) for j in JAVA_JARS)


def run_java(*args, flags=()):
    cmd = ["java", "-Xmx8g", *flags, "-cp", ":".join(JAVA_JARS), JAVA_BENCH, *map(str, args)]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    return dict(kv.split("=", 1) for kv in out.split())


# -- main ---------------------------------------------------------------------------

def median(runs):
    """The run with the median first figure (txn/s, load seconds)."""
    runs = sorted(runs, key=lambda run: run[0] if isinstance(run, tuple) else run)
    return runs[len(runs) // 2]


def fmt(v, spec="%.0f"):
    return "n/a" if v is None else spec % v


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--big", action="store_true", help="also 1M znodes (minutes, ~2 GB of RAM)")
    ap.add_argument("--no-java", action="store_true", help="skip the Java 3.8 figures")
    ap.add_argument("--rounds", type=int, default=3,
                    help="txn-log runs per batch size and snapshot loads per size (median reported)")
    ap.add_argument("--dir", default=None, help="scratch directory (default: a new one under /tmp)")
    ap.add_argument("--load-only", metavar="DIR", help=argparse.SUPPRESS)
    ap.add_argument("--untuned", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--floor-only", metavar="N", type=int, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.floor_only:
        floor_only(args.floor_only)
        return
    if args.load_only:
        load_only(args.load_only, tuned=not args.untuned)
        return
    java = not args.no_java and java_available()
    base = args.dir or tempfile.mkdtemp(prefix="bench-persistence-")
    impl = "%s %s" % (sys.implementation.name, ".".join(map(str, sys.version_info[:3])))
    print("zookeeper_py persistence benchmark (%s) vs Java ZooKeeper 3.8%s; scratch dir %s"
          % (impl, "" if java else " (not measured)", base))
    rows = []
    try:
        print("\nTxn log: append + commit (fdatasync), CreateTxn with 100 data bytes")
        print("%-10s %14s %14s %14s %14s" % ("batch", "ours txn/s", "ours commit/s", "Java txn/s", "Java commit/s"))
        for batch, total, sync in ((1, 2000, True), (10, 10000, True), (100, 50000, True), (100, 200000, False)):
            # fsync cost on a shared virtual disk drifts a lot from minute to minute: alternate
            # ours and Java's runs and take the median of each
            ours_runs, java_runs = [], []
            for r in range(args.rounds):
                d = os.path.join(base, "log-%d-%d-%s" % (batch, r, sync))
                os.makedirs(d)
                ours_runs.append(bench_log(d, batch, total, sync))
                if java:
                    j = run_java("log", os.path.join(base, "jlog-%d-%d-%s" % (batch, r, sync)), batch, total,
                                 flags=() if sync else ("-Dzookeeper.forceSync=no",))
                    java_runs.append((float(j["txns_per_s"]), float(j["commits_per_s"])))
            txn_s, commit_s = median(ours_runs)
            jt, jc = median(java_runs) if java_runs else (None, None)
            label = "%d" % batch if sync else "%d nosync" % batch
            print("%-10s %14s %14s %14s %14s" % (label, fmt(txn_s), fmt(commit_s), fmt(jt), fmt(jc)))
            rows.append(("log", batch, txn_s, commit_s, jt, jc))
        system_properties.clear_property("zookeeper.forceSync")
        read_s = bench_log_read(os.path.join(base, "log-100-0-True"))
        print("(reading the batch-100 log back with FileTxnIterator: %.0f txn/s)" % read_s)
        replay_s = bench_replay(os.path.join(base, "replay"), 50000)
        print("(restore replaying 50000 logged creates into a DataTree: %.0f txn/s)" % replay_s)

        sizes = [100000] + ([1000000] if args.big else [])
        gc_notes = []
        breakdowns = []
        holds = []
        print("\nSnapshots (FileSnap) and memory of the loaded tree")
        print("%-9s %9s %9s %9s %11s %11s %9s %9s %9s %11s %11s" % (
            "znodes", "build s", "write s", "load s", "B/znode", "peak B", "J write s", "J load s", "J load*",
            "J B/znode", "size MB"))
        for n in sizes:
            d = os.path.join(base, "snap-%d" % n)
            os.makedirs(d)
            t0 = time.perf_counter()
            dt, zxid = build_tree(n)
            build = time.perf_counter() - t0
            t0 = time.perf_counter()
            path = os.path.join(d, Util.make_snapshot_name(zxid))
            FileSnap(d).serialize(dt, {1: 30000}, path)
            write = time.perf_counter() - t0
            holds.append((n, *lock_holds(dt)))
            del dt
            jdir = os.path.join(base, "jsnap-%d" % n)
            j = run_java("snap", jdir, n) if java else {}
            # Loads in fresh processes, ours and Java's taking turns (--rounds, median shown): a
            # load's time on this shared machine drifts by a third from one minute to the next.
            loads, jloads, jours_loads = [], [], []
            for _ in range(args.rounds):
                loads.append(load_in_fresh_process(d))
                if java:
                    jloads.append(float(run_java("load", jdir)["load_s"]))
                    jours_loads.append(float(run_java("load", d)["load_s"]))
            load, nodes, per_node, full_gc, parts, peak_per_node = median(loads)
            jload, jours = (median(jloads), median(jours_loads)) if java else (None, None)
            raw_load, _, _, raw_gc, _, _ = load_in_fresh_process(d, tuned=False)
            gc_notes.append((n, load, full_gc, raw_load, raw_gc))
            if parts:
                breakdowns.append((n, per_node, parts))
            print("%-9d %9.2f %9.2f %9.2f %11.0f %11.0f %9s %9s %9s %11s %11.1f" % (
                n, build, write, load, per_node, peak_per_node, j.get("write_s", "n/a"), fmt(jload, "%.3f"),
                fmt(jours, "%.3f"),
                fmt(float(j["bytes_per_node"])) if j else "n/a", os.path.getsize(path) / 1e6))
            rows.append(("snap", n, build, write, load, per_node, j, jload, jours))
        print("\nLoads are fresh processes and cold JVMs, as at server start, %d of each taking turns "
              "(median); J load* = Java loading the snapshot file we wrote. B/znode: our RSS growth "
              "vs Java heap after GC; peak B: our RSS's peak growth during the load, per znode." % args.rounds)
        for row in rows:
            if row[0] == "snap":
                n, java_per_node = row[1], row[6].get("bytes_per_node")
                print("(the floor for %d znodes: a path str keying a dict, a bytes of the data and the path in its "
                      "parent's children, nothing else, %.0f B/znode; the goal, half of Java's heap per znode: %s)"
                      % (n, floor_in_fresh_process(n), fmt(float(java_per_node) / 2) if java_per_node else "n/a"))
        for n, median_us, p99_us in holds:
            print("(a snapshot write of %d znodes holds the tree's lock %.0f us per batch of %d nodes, p99 %.0f us)"
                  % (n, median_us, _SNAPSHOT_LOCK_BATCH, p99_us))
        for n, per_node, parts in breakdowns:
            print("\nWhere a znode's bytes go, %d znodes (sys.getsizeof per znode; RSS growth %.0f):" % (n, per_node))
            for name, b in parts.items():
                print("  %-16s %6.1f" % (name, b))
            print("  %-16s %6.1f" % ("sum", sum(parts.values())))
        if sys.implementation.name == "cpython":
            print("\nCPython's collector as the servers set it (gc_tuning) against Python's defaults:")
            print("%-9s %12s %14s %14s %16s" % ("znodes", "load s", "full GC s", "untuned load s",
                                                "untuned full GC s"))
            for n, load, full_gc, raw_load, raw_gc in gc_notes:
                print("%-9d %12.2f %14.3f %14.2f %16.3f" % (n, load, full_gc, raw_load, raw_gc))
    finally:
        if not args.dir:
            shutil.rmtree(base, ignore_errors=True)
    return rows


if __name__ == "__main__":
    main()
