#!/usr/bin/env python3
"""The judge of issue 11: our server on CPython and on PyPy next to Java ZooKeeper 3.8, in one run.

    .tox/py/bin/python bench/bench_matrix.py [--duration 8] [--warmup 2] [--rounds 1] [--quick]
        [--servers python,pypy,java] [--topologies standalone,3node] [--rows get,set,...]
        [--our-flags="-Dname=value ..."] [--b-flags="-Dname=value ..."] [--b-env NAME=VALUE ...]

Servers: `python` is our server on CPython (the interpreter running this script), `pypy` our
server on PyPy (bin/zkEnv.sh's .venv-pypy3, as tests/support/servers.pypy_python finds it),
`python-ft` our server on a free-threaded CPython (--ft-python or $ZK_FT_PYTHON: one with the
server's dependencies installed, e.g. a venv's; else python3.14t or python3.13t on PATH, in the
venv bin/zkEnv.sh makes for it; only when named in --servers; judged by CPython's goals), `java`
Java ZooKeeper 3.8 (-Xmx1g, as zkServer.sh's default heap). A kind that cannot run here
is left out with the reason printed. Topologies: `standalone`, and `3node` (a 3-member ensemble
of one kind, tickTime 2000 as in conf/zoo.cfg; the load connections are spread over all three
client ports, followers first, as clients of a real deployment are). fsync is on (the default)
everywhere; data dirs are fresh temporary dirs.

Rows (pipelined load: 2 processes x 4 connections x 32 requests in flight; 100-byte znodes):
  get, exists, set     getData / exists / setData of /bench/node;
  create               create PERSISTENT_SEQUENTIAL under /bench/seq;
  (memory)             not a row of its own: where `create` runs, the memory per znode it added,
                       per member: each member's RSS and the tree's node count just before the
                       first create and after the last load row, and Java's live heap (in use
                       after a full GC: `jcmd GC.run`, then `GC.heap_info`) before the first load
                       row and after the last; a JSON line with row `memory`. The issue's goal:
                       our RSS per znode <= half of Java's live heap per znode. The RSS is what
                       the rows left (garbage a collector has yet to free included); Java's heap
                       is only what is live;
  mixed                80% getData / 20% setData of /bench/node (every 5th request a set);
  connect              sessions per second: 2 processes x 4 threads, each looping TCP connect,
                       ConnectRequest -> ConnectResponse, closeSession -> reply, close; p50/p99
                       is connect to ConnectResponse;
  get-w1, set-w1       1 connection, 1 request in flight: latency and ops/s;
  get-w1-32c           32 connections (2 processes x 16), 1 request in flight each;
  reelect              3node only: kill -9 of the leader until a create through a surviving
                       member succeeds, seconds (median of 3; the member is restarted between);
  start                standalone only: process start (Popen) until `ruok` answers `imok`,
                       seconds (median of 3, empty data dir); `serving_s` is until srvr shows Mode.
                       Ours start with their bytecode cached, as an installed server has it (pip
                       compiles it; a checkout writes __pycache__ on its first start): the cache
                       goes to a scratch PYTHONPYCACHEPREFIX, filled by one unmeasured start,
                       whatever PYTHONDONTWRITEBYTECODE (tox sets it) says.
For load rows ops/s counts replies within the measured window, p50/p99 is send-to-reply (with 32 in
flight it includes the queueing), server CPU per op sums all members' /proc CPU.

The servers take turns: for each topology, the start rows run one server at a time, then every
server (or ensemble) is started and each load row runs for each server in turn before the next
row, so each server meets the same rows in the same order, and a slow minute of this shared
machine falls on all servers of a row rather than on one. --rounds N runs each row N times per
server, round r starting with the r-th server; the table and the JSON line keep each measure's
median (the JSON line keeps every round under `rounds`).

Each (server, topology, row) is one JSON line in bench/results/<date>-<commit>.jsonl (git-ignored),
with the machine (cpu, cores, kernel, interpreters, java) and the options. The table at the end has
the values of each server and the ratios ours vs Java, all oriented so that > 1 is better for us:
throughput ours/Java, latency and seconds Java/ours. A `!` marks a ratio that misses the issue's
goal: PyPy >= 1.0x Java's throughput and p99 <= Java's; CPython >= 0.5x and p99 <= 2x Java's;
re-election and start-to-serving <= Java's (for both). An `E` marks a row that had errors.
--our-flags gives our servers system properties (as SERVER_JVMFLAGS does for zkServer.sh), to
measure a setting of ours against Java as it runs by default, e.g.
--our-flags=-Dzookeeper.commitProcessor.numWorkerThreads=0 (with "=", so that a value starting
with "-" is not taken for an option); they are printed above the tables and kept in the
JSON options.
An A/B of a setting of ours goes inside one run, not across two: this machine drifts by 15-20%
between consecutive runs, more than most settings move. The servers `python-b`, `python-ft-b` and `pypy-b` are
ours again with --b-flags (instead of --our-flags) and --b-env (NAME=VALUE, repeatable, added to
their environment), and take their turns row by row with the others, e.g.
--servers python,python-b,java --b-flags=-Dzookeeper.commitProcessor.numWorkerThreads=0, or
--servers pypy,pypy-b --b-env PYPY_GC_NURSERY=4MB. Their ratio to Java is judged by the goal of
their runtime. Two commits: `git worktree add /tmp/base <commit>`, then --b-env PYTHONPATH=/tmp/base
(the -b servers import zookeeper_py from there; the others from this checkout).
--quick (1 s measured, 0.5 s warm-up, 1 start and 1 kill) is a smoke run of a few minutes; the
defaults take about 10-15 minutes on 2 cores, and each further round about 7 more.
"""

import argparse
import collections
import contextlib
import datetime
import json
import math
import multiprocessing as mp
import os
import platform
import re
import shutil
import socket
import statistics
import struct
import subprocess
import sys
import tempfile
import threading
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, REPO)

from bench.bench_server import _proc_cpu, load_worker, prepare  # noqa: E402
from tests.support import java_zk  # noqa: E402
from tests.support.ensemble import Ensemble  # noqa: E402
from tests.support.net import four_letter_word, process_rss_kb  # noqa: E402
from tests.support.servers import (  # noqa: E402
    FREE_THREADED_PYTHONS,
    JavaServer,
    PythonServer,
    free_threaded_python,
    pypy_python,
    zk_env,
)
from zookeeper_py.data import ACL, Id  # noqa: E402
from zookeeper_py.proto import ConnectRequest, ConnectResponse, CreateRequest  # noqa: E402
from zookeeper_py.zoo_defs import OpCode  # noqa: E402

_FRAME_HEAD = struct.Struct(">iii")  # length, xid, opcode
_LEN = struct.Struct(">i")
_REPLY = struct.Struct(">iqi")  # xid, zxid, err
_CONNECT = ConnectRequest(0, 0, 30000, 0, bytes(16)).to_bytes() + b"\0"  # readOnly=false
OPEN = [ACL(31, Id("world", "anyone"))]

# name -> (kind, op mix, processes, connections, in flight per connection)
LOAD_ROWS = collections.OrderedDict([
    ("get", ("load", ("get",), 2, 8, 32)),
    ("exists", ("load", ("exists",), 2, 8, 32)),
    ("set", ("load", ("set",), 2, 8, 32)),
    ("create", ("load", ("create",), 2, 8, 32)),
    ("mixed", ("load", ("set", "get", "get", "get", "get"), 2, 8, 32)),
    ("connect", ("connect", (), 2, 8, 1)),
    ("get-w1", ("load", ("get",), 1, 1, 1)),
    ("set-w1", ("load", ("set",), 1, 1, 1)),
    ("get-w1-32c", ("load", ("get",), 2, 32, 1)),
])
ROWS = list(LOAD_ROWS) + ["reelect", "start"]
TIME_ROWS = ("reelect", "start")
SERVERS = ("python", "python-b", "python-ft", "python-ft-b", "pypy", "pypy-b", "java")
DEFAULT_SERVERS = ("python", "pypy", "java")
TOPOLOGIES = ("standalone", "3node")
# (min throughput ratio ours/Java, min latency ratio Java/ours) per server: the goals.
GOALS = {"pypy": (1.0, 1.0), "python": (0.5, 0.5)}


def runtime(name):
    """'python' or 'pypy' for our servers, their B variants and python-ft (judged as CPython)."""
    return name.split("-")[0]


# -- load generator (worker processes) -----------------------------------------------------------

def _session(port, timeout):
    """A blocking socket with a fresh session (ConnectRequest answered)."""
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    try:
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        s.sendall(_LEN.pack(len(_CONNECT)) + _CONNECT)
        body = _read_frame(s)
        rsp, _ = ConnectResponse.decode(body, 0)
        if rsp.timeOut <= 0:
            raise ConnectionError("session refused")
        return s
    except BaseException:
        s.close()
        raise


def _read_frame(s):
    buf = b""
    while len(buf) < 4 or len(buf) < 4 + _LEN.unpack_from(buf)[0]:
        chunk = s.recv(65536)
        if not chunk:
            raise ConnectionError("server closed the connection")
        buf += chunk
    return buf[4:]


def _connect_worker(ports, duration, warmup, barrier, results):
    """One thread per port in `ports`, each opening and closing sessions in a loop."""
    out = {"done": 0, "errors": 0, "lat": []}
    lock = threading.Lock()
    close_frame = _FRAME_HEAD.pack(8, 1, OpCode.closeSession)
    barrier.wait()
    cpu0 = time.process_time()
    measure_from = time.perf_counter() + warmup
    stop_at = measure_from + duration

    def loop(port):
        done = errors = 0
        lat = []
        while time.perf_counter() < stop_at:
            t = time.perf_counter()
            try:
                s = _session(port, 10)
                t_session = time.perf_counter()
                with s:
                    s.sendall(close_frame)
                    _read_frame(s)
                    # The server closes after closeSession: wait for that, so the TIME_WAIT is its.
                    while s.recv(4096):
                        pass
                ok = True
            except OSError:
                ok = False
            now = time.perf_counter()
            if measure_from <= t and now < stop_at:
                if ok:
                    done += 1
                    lat.append(t_session - t)
                else:
                    errors += 1
        with lock:
            out["done"] += done
            out["errors"] += errors
            out["lat"].extend(lat)

    threads = [threading.Thread(target=loop, args=(p,)) for p in ports]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    results.put((out["done"], out["errors"], time.process_time() - cpu0, out["lat"]))


@contextlib.contextmanager
def row_in_background(row, ports, pids, duration, warmup, into_window):
    """Run a load row (run_row) on a thread; the block starts `into_window` seconds after the
    row did (past its warm-up, inside its measured window), and ends when the row has: the
    dict yielded then holds the row's result. For tools that watch the server meanwhile."""
    result = {}
    load = threading.Thread(target=lambda: result.update(run_row(row, ports, pids, duration, warmup)))
    load.start()
    try:
        time.sleep(into_window)
        yield result
    finally:
        load.join()


# -- memory per znode (the create row) ---------------------------------------------------------

def _rss(pid):
    kib = process_rss_kb(pid)
    if kib is None:
        raise ValueError("no VmRSS for process %d" % pid)
    return kib * 1024


def _java_live_heap(pid):
    """Java's heap in use right after a full GC, in bytes; None without the JDK's jcmd or when it
    fails (said on stderr): the memory line then lacks the heap, and Java's rows still run."""
    jcmd = os.path.join(os.path.dirname(os.path.realpath(java_zk.java_executable())), "jcmd")
    if not os.path.exists(jcmd):
        return None
    try:
        subprocess.run([jcmd, str(pid), "GC.run"], capture_output=True, timeout=60, check=True)
        out = subprocess.run([jcmd, str(pid), "GC.heap_info"], capture_output=True, text=True, timeout=60,
                             check=True).stdout
    except (OSError, subprocess.SubprocessError) as e:
        print("jcmd %d: %s: no live heap measured" % (pid, e), file=sys.stderr)
        return None
    used = re.search(r"\bused (\d+)K", out)  # "garbage-first heap   total 262144K, used 40123K"
    return int(used.group(1)) * 1024 if used else None


def _znode_count(port):
    out = four_letter_word("127.0.0.1", port, "srvr", timeout=10)
    return int(re.search(r"Node count: (\d+)", out).group(1))


def tree_and_rss(ports, pids):
    """(znodes, RSS summed over the members). The node count is the leader's (load_targets lists
    its port last)."""
    return _znode_count(ports[-1]), sum(_rss(pid) for pid in pids)


def live_heap(name, pids):
    """Java's live heap summed over the members; None for ours, or without jcmd."""
    heaps = [_java_live_heap(pid) for pid in pids] if name == "java" else [None]
    return None if None in heaps else sum(heaps)


def memory_per_znode(before, after, heap_before, heap_after, members):
    """Per member and per znode added: rss_per_znode, and heap_per_znode where both heaps are known."""
    added = after[0] - before[0]
    if added <= 0:
        return {}
    out = {"znodes_added": added, "rss_per_znode": (after[1] - before[1]) / members / added}
    if heap_before is not None and heap_after is not None:
        out["heap_per_znode"] = (heap_after - heap_before) / members / added
    return out


def _machine_cpu():
    """(busy, steal) CPU seconds of the whole machine so far, from /proc/stat's cpu line."""
    with open("/proc/stat") as f:
        ticks = [int(x) for x in f.readline().split()[1:]]
    user, nice, system, idle, iowait, irq, softirq, steal = (ticks + [0] * 8)[:8]
    hz = os.sysconf("SC_CLK_TCK")
    return (user + nice + system + irq + softirq) / hz, steal / hz


def _disk_written():
    """Bytes written so far to the machine's disks: whole devices in /proc/diskstats, without the
    virtual ones stacked on them (device mapper, md RAID), whose writes their members count."""
    total = 0
    with open("/proc/diskstats") as f:
        for line in f:
            fields = line.split()
            if os.path.exists("/sys/block/%s" % fields[2]) and \
                    not fields[2].startswith(("loop", "ram", "zram", "dm-", "md")):
                total += int(fields[9]) * 512
    return total


def _cpu_of(pids):
    total = 0.0
    for pid in pids:
        try:
            total += _proc_cpu(pid)
        except OSError:
            pass  # a process that has ended
    return total


class _Window:
    """What the machine did over a row's measured window besides the row: busy and stolen CPU,
    the CPU of the other servers (`bystanders`), of nothing we started (the kernel's flushers,
    a snapshot's child process, ...), and the bytes written to disk. The CPU figures come from
    tick-sampled counters: where threads wake ~10k times a second (the window-1 rows) the
    unattributed CPU reads up to ~1 s below zero; only seconds of it mean something."""

    def __init__(self, pids, load_pids, bystanders):
        self.groups = (pids, load_pids, bystanders)
        self.start = self._sample()

    def _sample(self):
        return [_cpu_of(g) for g in self.groups] + list(_machine_cpu()) + [_disk_written()]

    def end(self):
        server, load, others, busy, steal, disk = (b - a for a, b in zip(self.start, self._sample()))
        return server, {"machine_busy_s": busy, "steal_s": steal, "other_servers_cpu_s": others,
                        "unattributed_cpu_s": busy - server - load - others, "disk_written_mb": disk / 1e6}


def run_row(row, ports, pids, duration, warmup, bystanders=()):
    """One load row against the client `ports` (spread round-robin); a dict of measurements.

    `bystanders`: pids of servers that should sit idle meanwhile (the judge's other servers);
    their CPU in the measured window is recorded with what else the machine did (_Window), so
    that a row slowed by something beside it can be told from one slowed by its server."""
    kind, mix, nprocs, nconns, window = LOAD_ROWS[row]
    conn_ports = [ports[i % len(ports)] for i in range(nconns)]
    per_proc = [conn_ports[i::nprocs] for i in range(nprocs)]
    ctx = mp.get_context("fork")
    barrier = ctx.Barrier(nprocs + 1)
    results = ctx.Queue()
    if kind == "connect":
        procs = [ctx.Process(target=_connect_worker, args=(p, duration, warmup, barrier, results)) for p in per_proc]
    else:
        procs = [ctx.Process(target=load_worker, args=(p, window, mix, duration, warmup, barrier, results))
                 for p in per_proc]
    for p in procs:
        p.start()
    try:
        barrier.wait(timeout=120)
    except threading.BrokenBarrierError:
        for p in procs:
            p.kill()
        raise RuntimeError("%s: the load processes could not connect" % row) from None
    time.sleep(warmup)  # the workers' own warm-up: server CPU is sampled over the measured window only
    measured = _Window(pids, [p.pid for p in procs], bystanders)
    time.sleep(duration)
    server_cpu, beside = measured.end()
    outs = [results.get(timeout=duration + warmup + 60) for _ in procs]
    for p in procs:
        p.join(30)
    done = sum(o[0] for o in outs)
    lat = sorted(x for o in outs for x in o[3])
    res = {
        "ops_per_s": done / duration,
        "errors": sum(o[1] for o in outs),
        "server_cpu_us_per_op": server_cpu / max(done, 1) * 1e6,
        "client_cpu_us_per_op": sum(o[2] for o in outs) / max(done, 1) * 1e6,
        "window": beside,
        "params": {"mix": list(mix), "processes": nprocs, "connections": nconns, "in_flight": window,
                   "members": len(ports), "duration_s": duration, "warmup_s": warmup},
    }
    if lat:
        res["p50_us"] = lat[len(lat) // 2] * 1e6
        res["p99_us"] = lat[min(len(lat) - 1, int(len(lat) * 0.99))] * 1e6
    return res


# -- the time rows ------------------------------------------------------------------------------------

def start_to_serving(server, timeout=120):
    """(seconds until ruok answers imok, seconds until srvr shows a Mode) from Popen."""
    t0 = time.perf_counter()
    server.start(wait=False)
    t_ruok = None
    deadline = t0 + timeout
    while time.perf_counter() < deadline:
        if server.proc.poll() is not None:
            raise RuntimeError("%s exited with %s:\n%s" % (server.kind, server.proc.returncode, server.output_tail()))
        try:
            if t_ruok is None:
                if four_letter_word("127.0.0.1", server.client_port, "ruok", timeout=2) == "imok":
                    t_ruok = time.perf_counter() - t0
            elif "Mode:" in four_letter_word("127.0.0.1", server.client_port, "srvr", timeout=2):
                return t_ruok, time.perf_counter() - t0
        except OSError:
            pass
        time.sleep(0.01)  # the polling period
    raise TimeoutError("%s not serving after %ss" % (server.kind, timeout))


def reelection(ens, seq_path):
    """kill -9 of the leader; seconds until a create through a surviving member succeeds."""
    leader = ens.wait_for_quorum(timeout=120)
    rest = [ens.client_ports[sid] for sid in ens.servers if sid != leader]
    body = CreateRequest(seq_path, b"", OPEN, 2).to_bytes()
    frame = _FRAME_HEAD.pack(8 + len(body), 1, OpCode.create) + body
    t0 = time.perf_counter()
    ens.kill(leader)
    deadline = t0 + 120
    i = 0
    while time.perf_counter() < deadline:
        port = rest[i % len(rest)]
        i += 1
        try:
            with _session(port, 2) as s:
                s.sendall(frame)
                _xid, _zxid, err = _REPLY.unpack_from(_read_frame(s))
                if err == 0:
                    elapsed = time.perf_counter() - t0
                    break
        except OSError:
            pass  # not serving yet (refused, closed, or timed out)
        time.sleep(0.01)  # the polling period
    else:
        raise TimeoutError("no write served within 120 s after the leader was killed")
    ens.start_member(leader)
    ens.wait_for_quorum(timeout=120)
    return elapsed


# -- servers --------------------------------------------------------------------------------------------

def interpreters(want_ft=False, ft_python=None):
    """{server name: python executable or None for java}, and {name: why it is left out}.
    python-ft is looked for only when wanted: its first use makes a venv (a minute)."""
    found, missing = {}, {}
    if platform.python_implementation() == "CPython":
        found["python"] = sys.executable
    else:
        missing["python"] = "this script runs on %s; run it with CPython" % platform.python_implementation()
    pypy = pypy_python()
    if pypy:
        found["pypy"] = pypy
    else:
        missing["pypy"] = "PyPy is not installed (Debian package pypy3)"
    ft = want_ft and (ft_python or free_threaded_python())
    if ft:
        found["python-ft"] = ft
    elif want_ft:
        missing["python-ft"] = ("no free-threaded CPython: none of %s on PATH could be set up by bin/zkEnv.sh, "
                                "and neither --ft-python nor ZK_FT_PYTHON names one" % ", ".join(FREE_THREADED_PYTHONS))
    for name in ("python", "python-ft", "pypy"):
        if name in found:
            found[name + "-b"] = found[name]
        elif name in missing:
            missing[name + "-b"] = missing[name]
    reason = java_zk.missing_reason()
    if reason:
        missing["java"] = reason
    else:
        found["java"] = None
    return found, missing


class Setup:
    """How one server name runs: its interpreter (None for Java), system properties and extra environment."""

    def __init__(self, interp, flags=(), env=None):
        self.interp = interp
        self.flags = list(flags)
        self.env = dict(env or {})

    def apply(self, server):
        server.python = self.interp
        server.extra_env = self.env
        return server


def setups(found, args):
    """{server name: Setup}: --our-flags for ours, --b-flags and --b-env for the B variants."""
    out = {}
    for name, interp in found.items():
        if name == "java":
            out[name] = Setup(None, ["-Xmx1g"])
        elif name.endswith("-b"):
            out[name] = Setup(interp, args.b_flags, args.b_env)
        else:
            out[name] = Setup(interp, args.our_flags)
    return out


def new_server(name, setup, base):
    if name == "java":
        return JavaServer(base, flags=setup.flags)
    return setup.apply(PythonServer(base, flags=setup.flags))


def new_ensemble(name, setup, base):
    kind = "java" if name == "java" else "python"
    ens = Ensemble(base, kinds=[kind] * 3, tick_time=2000, init_limit=10, sync_limit=5, flags=setup.flags)
    if kind == "python":
        for server in ens.servers.values():
            setup.apply(server)
    return ens


# -- the run -----------------------------------------------------------------------------------------------

def machine(found):
    def out(cmd):
        try:
            p = subprocess.run(cmd, capture_output=True, text=True, timeout=60, cwd=REPO)
            return (p.stdout + p.stderr).strip()
        except (OSError, subprocess.SubprocessError):
            return None

    cpu = None
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    commit = out(["git", "rev-parse", "HEAD"]) or "unknown"
    info = {
        "cpu_model": cpu or platform.processor(),
        "cores": os.cpu_count(),
        "kernel": platform.release(),
        # with whether the GIL is on once the server's modules are imported (an extension module
        # that does not declare free-threading support turns it back on in a free-threaded build)
        "python": {name: out([path, "-c", "import sys, zookeeper_py.server.quorum.quorum_peer_main; "
                              "print(sys.version.replace(chr(10), ' '), '(GIL %s)' % "
                              "('on' if getattr(sys, '_is_gil_enabled', lambda: True)() else 'off'))"])
                   for name, path in found.items() if path},
        "java": (out([java_zk.java_executable(), "-version"]) or "").splitlines()[0] if "java" in found else None,
        "commit": commit,
        "dirty": bool(out(["git", "status", "--porcelain", "--untracked-files=no"])),
        # what our PyPy servers ran with (bin/zkEnv.sh's default unless set here)
        "pypy_gc_nursery": os.environ.get("PYPY_GC_NURSERY") or zk_env("PYPY_GC_NURSERY"),
    }
    return info


def system_property_flags(ap, option, text):
    """The -Dname=value flags of a space-separated option value; an argparse error names any other."""
    flags = text.split()
    bad = [f for f in flags if not f.startswith("-D") or "=" not in f]
    if bad:
        ap.error("%s: not a -Dname=value system property: %s" % (option, " ".join(bad)))
    return flags


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--duration", type=float, default=8.0, help="measured seconds per load row")
    ap.add_argument("--warmup", type=float, default=2.0, help="seconds of load before measuring")
    ap.add_argument("--repeat", type=int, default=3, help="starts and kills for the start and reelect rows")
    ap.add_argument("--rounds", type=int, default=1,
                    help="runs of each load row per server, the servers taking turns; the median is kept")
    ap.add_argument("--quick", action="store_true", help="smoke run: --duration 1 --warmup 0.5 --repeat 1")
    ap.add_argument("--servers", default=",".join(DEFAULT_SERVERS), help="any of " + ",".join(SERVERS))
    ap.add_argument("--topologies", default=",".join(TOPOLOGIES))
    ap.add_argument("--rows", default=",".join(ROWS), help="any of " + ",".join(ROWS))
    ap.add_argument("--out", help="JSON lines file (default bench/results/<date>-<commit>.jsonl)")
    ap.add_argument("--our-flags", default="",
                    help="-Dname=value system properties, space-separated, for our servers (Java keeps its defaults)")
    ap.add_argument("--b-flags", default="",
                    help="-Dname=value system properties, space-separated, for the -b servers")
    ap.add_argument("--b-env", action="append", default=[], metavar="NAME=VALUE",
                    help="an environment variable for the -b servers (repeatable)")
    ap.add_argument("--ft-python", metavar="PATH",
                    help="the free-threaded CPython of python-ft, with the server's dependencies installed (default: "
                    "$ZK_FT_PYTHON, else bin/zkEnv.sh's venv for %s on PATH)" % " or ".join(FREE_THREADED_PYTHONS))
    args = ap.parse_args()
    for opt in ("our_flags", "b_flags"):
        setattr(args, opt, system_property_flags(ap, "--" + opt.replace("_", "-"), getattr(args, opt)))
    bad = [e for e in args.b_env if "=" not in e or e.startswith("=")]
    if bad:
        ap.error("--b-env: not NAME=VALUE: %s" % " ".join(bad))
    args.b_env = dict(e.split("=", 1) for e in args.b_env)
    if args.quick:
        args.duration, args.warmup, args.repeat = 1.0, 0.5, 1
    for opt, allowed in (("servers", SERVERS), ("topologies", TOPOLOGIES), ("rows", ROWS)):
        bad = [x for x in getattr(args, opt).split(",") if x not in allowed]
        if bad:
            ap.error("--%s: unknown %s (choose from %s)" % (opt, ",".join(bad), ",".join(allowed)))
    rows = [r for r in ROWS if r in args.rows.split(",")]
    topologies = [t for t in TOPOLOGIES if t in args.topologies.split(",")]
    names = [n for n in SERVERS if n in args.servers.split(",")]
    found, missing = interpreters(any(n.startswith("python-ft") for n in names), args.ft_python)
    for n in names:
        if n in missing:
            print("left out: %s: %s" % (n, missing[n]), file=sys.stderr)
    names = [n for n in names if n in found]
    if not names:
        ap.error("no server to run: every one asked for was left out (see above)")
    info = machine({n: found[n] for n in names})
    now = datetime.datetime.now(datetime.timezone.utc)
    out_path = args.out or os.path.join(REPO, "bench", "results",
                                        "%s-%s.jsonl" % (now.strftime("%Y-%m-%dT%H%M%SZ"), info["commit"][:10]))
    os.makedirs(os.path.dirname(os.path.abspath(out_path)), exist_ok=True)
    options = {"duration_s": args.duration, "warmup_s": args.warmup, "repeat": args.repeat, "rounds": args.rounds,
               "quick": args.quick, "our_flags": args.our_flags, "b_flags": args.b_flags, "b_env": args.b_env}
    print("servers: %s; topologies: %s; results: %s" % (", ".join(names), ", ".join(topologies), out_path),
          file=sys.stderr)
    results = {}
    t_start = time.time()
    base = tempfile.mkdtemp(prefix="zk-matrix-")

    def record(name, topo, row, res):
        results[(name, topo, row)] = res
        line = {"date": now.isoformat(), "commit": info["commit"], "machine": info, "options": options,
                "server": name, "topology": topo, "row": row}
        line.update(res)
        with open(out_path, "a") as f:
            f.write(json.dumps(line, sort_keys=True) + "\n")
        print("%-6s %-10s %-10s %s" % (name, topo, row, _describe(res)), file=sys.stderr, flush=True)

    def failed(name, topo, e):  # one server's failure leaves the others' results
        print("FAILED %s %s: %s: %s" % (name, topo, type(e).__name__, e), file=sys.stderr)
        results[(name, topo, "failed")] = {"error": "%s: %s" % (type(e).__name__, e)}

    try:
        for topo in topologies:
            wanted = [r for r in rows if r in LOAD_ROWS or (r == "start") == (topo == "standalone")]
            if wanted:
                run_topology(setups({n: found[n] for n in names}, args), topo, wanted, args,
                             os.path.join(base, topo), record, failed)
    finally:
        shutil.rmtree(base, ignore_errors=True)
    print("total %.0f s; JSON lines in %s" % (time.time() - t_start, out_path), file=sys.stderr)
    print_tables(results, names, topologies, rows, info, options)
    return 1 if any(k[2] == "failed" for k in results) else 0


class cached_bytecode:
    """os.environ (which the servers inherit) with bytecode written to and read from `prefix`."""

    def __init__(self, prefix):
        self.prefix = prefix
        self.saved = None

    def __enter__(self):
        self.saved = {k: os.environ.get(k) for k in ("PYTHONDONTWRITEBYTECODE", "PYTHONPYCACHEPREFIX")}
        os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
        os.environ["PYTHONPYCACHEPREFIX"] = self.prefix
        return self

    def __exit__(self, *exc):
        for k, v in self.saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def run_topology(setups, topo, rows, args, base, record, failed):
    """The rows of one topology for every server: `start` one server at a time; the load rows with
    all servers up, each row run for each server in turn (args.rounds times, round r starting with
    the r-th server), so that a slow minute of the machine falls on all of them; then `reelect`."""
    os.makedirs(base)
    names = list(setups)
    if "start" in rows:
        for name in names:
            try:
                record(name, topo, "start", start_rows(name, setups[name], args.repeat, os.path.join(base, name)))
            except Exception as e:
                failed(name, topo, e)
    load_rows = [r for r in rows if r in LOAD_ROWS]
    if not load_rows and "reelect" not in rows:
        return
    with contextlib.ExitStack() as stack:
        up = {}  # name -> its server (standalone) or Ensemble (3node)
        for name in names:
            try:
                up[name] = stack.enter_context(serving(name, setups[name], topo, os.path.join(base, name)))
            except Exception as e:
                failed(name, topo, e)
        # Memory, where the create row runs: Java's live heap now (its full GC before any row),
        # each member's RSS just before the first create, both again after the last row.
        heap_before, rss_before = {}, {}
        for name in list(up) if "create" in load_rows else ():
            try:
                heap_before[name] = live_heap(name, load_targets(up[name])[1])
            except Exception as e:
                failed(name, topo, e)
                del up[name]
        for row in load_rows:
            runs = {name: [] for name in up}
            for r in range(args.rounds):
                for name in names[r % len(names):] + names[:r % len(names)]:
                    if name not in up:
                        continue
                    try:
                        ports, pids = load_targets(up[name])
                        if row == "create" and name not in rss_before:
                            rss_before[name] = tree_and_rss(ports, pids)
                        bystanders = [pid for other in up if other != name for pid in _pids(up[other])]
                        runs[name].append(run_row(row, ports, pids, args.duration, args.warmup, bystanders))
                    except Exception as e:
                        failed(name, topo, e)
                        del up[name]
            for name in names:
                if runs.get(name) and name in up:
                    record(name, topo, row, median_of_rounds(runs[name]))
        for name in [n for n in names if n in up and n in rss_before]:
            try:
                ports, pids = load_targets(up[name])
                after = tree_and_rss(ports, pids)
                record(name, topo, "memory", memory_per_znode(rss_before[name], after, heap_before[name],
                                                              live_heap(name, pids), len(pids)))
            except Exception as e:
                failed(name, topo, e)
        if "reelect" in rows:
            for name, ens in up.items():
                try:
                    times = [reelection(ens, "/bench/seq/elect-") for _ in range(args.repeat)]
                    record(name, topo, "reelect", {"seconds": statistics.median(times), "samples_s": times})
                except Exception as e:
                    failed(name, topo, e)


def start_rows(name, setup, repeat, base):
    ruok, serving_s = [], []
    with cached_bytecode(os.path.join(base, "pycache")):
        for i in range(-1 if name != "java" else 0, repeat):  # ours: start -1 fills the cache
            server = new_server(name, setup, os.path.join(base, "start%d" % i))
            try:
                r, s = start_to_serving(server)
            finally:
                server.stop()
            if i >= 0:
                ruok.append(r)
                serving_s.append(s)
    return {"seconds": statistics.median(ruok), "samples_s": ruok,
            "serving_s": statistics.median(serving_s), "serving_samples_s": serving_s}


@contextlib.contextmanager
def serving(name, setup, topo, base):
    """A started standalone server or 3-member ensemble of `name`, with /bench prepared; stopped on exit."""
    ensemble = topo != "standalone"
    target = (new_ensemble if ensemble else new_server)(name, setup, os.path.join(base, topo))
    try:
        if ensemble:
            target.start()
            prepare(target.client_ports[target.wait_for_quorum(timeout=120)])
        else:
            target.start(timeout=120)
            prepare(target.client_port)
        yield target
    finally:
        target.stop()


def load_targets(target):
    """(client ports, pids) of a server or ensemble: an ensemble's followers' ports first, as the
    clients of a real deployment are spread over all members."""
    if not isinstance(target, Ensemble):
        return [target.client_port], _pids(target)
    leader = target.wait_for_quorum(timeout=120)
    followers = [sid for sid in target.servers if sid != leader]
    return ([target.client_ports[sid] for sid in followers + [leader]],
            _pids(target))


def _pids(target):
    """The server processes of a server or ensemble."""
    if isinstance(target, Ensemble):
        return [s.proc.pid for s in target.servers.values()]
    return [target.proc.pid]


def median_of_rounds(runs):
    """One row's result from its rounds: each measure's median, errors summed, every round kept."""
    if len(runs) == 1:
        return runs[0]
    res = dict(runs[0])
    for key in ("ops_per_s", "p50_us", "p99_us", "server_cpu_us_per_op", "client_cpu_us_per_op"):
        values = [r[key] for r in runs if r.get(key) is not None]
        if values:
            res[key] = statistics.median(values)
    res["errors"] = sum(r["errors"] for r in runs)
    res["rounds"] = [{k: r.get(k) for k in ("ops_per_s", "p50_us", "p99_us", "server_cpu_us_per_op", "window")}
                     for r in runs]
    res.pop("window", None)  # each round's is in its entry
    return res


# -- the table ------------------------------------------------------------------------------------------------

def _describe(res):
    if "seconds" in res:
        return "%.3f s (samples %s)" % (res["seconds"], ", ".join("%.3f" % x for x in res["samples_s"]))
    if "ops_per_s" not in res:  # the memory line
        return "%d znodes added; per znode and member: RSS %s B, live heap %s B" % (
            res.get("znodes_added", 0), _num(res.get("rss_per_znode")), _num(res.get("heap_per_znode")))
    text = "%.0f ops/s  p50 %s us  p99 %s us  server %.1f us/op  client %.1f us/op  errors %d" % (
        res["ops_per_s"], _num(res.get("p50_us")), _num(res.get("p99_us")), res["server_cpu_us_per_op"],
        res["client_cpu_us_per_op"], res["errors"])
    if res.get("window"):
        text += "  window: %s" % _describe_window(res["window"])
    if "rounds" in res:
        text += "  (medians; rounds %s)" % ", ".join(
            "%.0f/s p99 %s [%s]" % (r["ops_per_s"], _num(r.get("p99_us")), _describe_window(r.get("window")))
            for r in res["rounds"])
    return text


def _describe_window(w):
    if not w:
        return "-"
    return "busy %.1f s, stolen %.2f, other servers %.2f, unattributed %.2f; disk %.0f MB" % (
        w["machine_busy_s"], w["steal_s"], w["other_servers_cpu_s"], w["unattributed_cpu_s"], w["disk_written_mb"])


def _num(v):
    return "-" if v is None else "%.0f" % v


def _ratio(ours, java, name, kind):
    """'1.23' oriented so that > 1 is better for us, with '!' where it misses the goal."""
    if not ours or not java:
        return "-"
    if kind == "throughput":
        r = ours / java
        goal = GOALS[runtime(name)][0]
    else:  # latency, seconds or memory: Java/ours
        r = java / ours
        goal = GOALS[runtime(name)][1] if kind == "latency" else 1.0
    # Truncated, not rounded: a 0.996 that misses a 1.0 goal shows as 0.99!, not 1.00!.
    return "%.2f%s" % (math.floor(r * 100) / 100, "" if r >= goal else "!")


def _b_variant(options):
    what = options["b_flags"] + ["%s=%s" % kv for kv in sorted(options["b_env"].items())]
    return "; the -b servers: %s" % (" ".join(what) or "no flags (an A/A run)")


def print_tables(results, names, topologies, rows, info, options):
    ours = [n for n in names if n != "java"]
    java = "java" in names
    print("\n%s, %s cores, Linux %s, commit %s%s%s%s%s" % (
        info["cpu_model"], info["cores"], info["kernel"], info["commit"][:10], " (dirty tree)" if info["dirty"] else "",
        "; PyPy GC nursery %s" % info["pypy_gc_nursery"] if any(runtime(n) == "pypy" for n in names) else "",
        "; our servers' flags %s" % " ".join(options["our_flags"]) if options["our_flags"] else "",
        _b_variant(options) if any(n.endswith("-b") for n in names) else ""))
    print("ratios: ours/Java for ops/s, Java/ours for p99 and seconds (> 1 is better for us); "
          "! misses the goal (pypy >= 1.0, python >= 0.5; times >= 1.0); E: errors in the row; "
          "mixed is 80% get / 20% set")
    for n in ours:
        print("%s: %s" % (n, info["python"].get(n)))
    for topo in topologies:
        head = ["%s row" % topo] + ["%s" % n for n in names]
        if java:
            head += ["%s/java" % n for n in ours] + ["%s p99 java/ours" % n for n in ours]
        head += ["%s p50/p99 us" % n for n in names]
        print()
        print("| " + " | ".join(head) + " |")
        print("|---|" + "---:|" * (len(head) - 1))
        for row in rows:
            if (row == "reelect" and topo != "3node") or (row == "start" and topo != "standalone"):
                continue
            r = {n: results.get((n, topo, row)) for n in names}
            if not any(r.values()):
                continue
            cells = [row]
            timed = row in TIME_ROWS
            for n in names:
                if not r[n]:
                    cells.append("-")
                elif timed:
                    cells.append("%.2f s" % r[n]["seconds"])
                else:
                    cells.append("%.0f/s%s" % (r[n]["ops_per_s"], " E" if r[n]["errors"] else ""))
            if java:
                j = r["java"]
                for n in ours:
                    if timed:
                        cells.append(_ratio(r[n] and r[n]["seconds"], j and j["seconds"], n, "seconds"))
                    else:
                        cells.append(_ratio(r[n] and r[n]["ops_per_s"], j and j["ops_per_s"], n, "throughput"))
                for n in ours:
                    cells.append("-" if timed else
                                 _ratio(r[n] and r[n].get("p99_us"), j and j.get("p99_us"), n, "latency"))
            for n in names:
                cells.append("-" if timed or not r[n] else "%s / %s" % (_num(r[n].get("p50_us")),
                                                                         _num(r[n].get("p99_us"))))
            print("| " + " | ".join(cells) + " |")
    print_memory(results, names, topologies)
    failed = [(k[0], k[1], v["error"]) for k, v in results.items() if k[2] == "failed"]
    for name, topo, err in failed:
        print("FAILED: %s %s: %s" % (name, topo, err))


def print_memory(results, names, topologies):
    """Memory per znode the create rows added: each server's RSS, Java's live heap, and the goal's ratio."""
    for topo in topologies:
        r = {n: results.get((n, topo, "memory")) or {} for n in names}
        if not any("rss_per_znode" in v for v in r.values()):
            continue
        heap = r.get("java", {}).get("heap_per_znode")
        print("\nmemory per znode the %s rows added (create's), per member: RSS %s; Java's live heap %s" % (
            topo, ", ".join("%s %s B" % (n, _num(r[n].get("rss_per_znode"))) for n in names),
            "%.0f B" % heap if heap else "not measured (no jcmd)" if "java" in names else "-"))
        if heap and any(n != "java" for n in names):
            print("goal: our RSS per znode <= half of Java's live heap (%.0f B): %s" % (heap / 2, ", ".join(
                "%s %s" % (n, _ratio(r[n].get("rss_per_znode"), heap / 2, n, "memory"))
                for n in names if n != "java")))


if __name__ == "__main__":
    sys.exit(main())
