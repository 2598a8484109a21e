#!/usr/bin/env python3
"""Throughput and latency of our standalone server against Java ZooKeeper 3.8, one table.

    .venv/bin/python bench/bench_server.py [--duration 5] [--warmup 2] [--ops get,set,create,exists]
                                           [--servers python,pypy,java] [--profile out.txt]

Servers: `python` is our server on the interpreter running this script (CPython), `pypy`
our server on PyPy (the interpreter bin/zkServer.sh prefers; its venv .venv-pypy3 is made
on first use), `java` Java ZooKeeper 3.8. Kinds that cannot run here are left out.

For each server (started fresh on a free port, as tests/support/servers.py does) and each
operation (getData, setData, create PERSISTENT_SEQUENTIAL, exists; 100-byte payloads) it
runs:
  - pipelined: 1 connection with 64 requests in flight, and 32 connections with 8 each;
  - window 1: 1 connection and 32 connections with one request in flight each, for
    latency (p50/p99 of send-to-reply, microseconds).

The load generator is this script's own: worker processes on raw sockets, frames built
once with the jute records of zookeeper_py.proto (only the xid is patched per request),
replies split by their length prefix, headers read with one struct call. Each worker
measures its own CPU time, so the table shows how much of the machine the client took
(client CPU per op and the rate one client core could drive); the server's CPU per op
comes from /proc/<pid>/stat. On a 2-core machine shared with the load generator, the
server-CPU-per-op column is the fairer comparison.

--profile FILE runs py-spy on our server during one extra run of each op and scenario
chosen and writes the hottest functions (self time, all threads, idle excluded) to FILE.
"""

import argparse
import collections
import itertools
import multiprocessing as mp
import os
import re
import selectors
import shutil
import socket
import ssl
import struct
import subprocess
import sys
import tempfile
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, REPO)

from tests.support.servers import JavaServer, PythonServer  # noqa: E402
from zookeeper_py.data import ACL, Id  # noqa: E402
from zookeeper_py.proto import (  # noqa: E402
    ConnectRequest,
    ConnectResponse,
    CreateRequest,
    ExistsRequest,
    GetDataRequest,
    SetDataRequest,
)
from zookeeper_py.zoo_defs import OpCode  # noqa: E402

OPEN = [ACL(31, Id("world", "anyone"))]
PAYLOAD = b"x" * 100
_FRAME_HEAD = struct.Struct(">iii")  # length, xid, opcode
_LEN = struct.Struct(">i")
_REPLY = struct.Struct(">iqi")  # xid, zxid, err

OPS = {
    "get": (OpCode.getData, GetDataRequest("/bench/node", False)),
    "set": (OpCode.setData, SetDataRequest("/bench/node", PAYLOAD, -1)),
    "create": (OpCode.create, CreateRequest("/bench/seq/n-", PAYLOAD, OPEN, 2)),  # PERSISTENT_SEQUENTIAL
    "exists": (OpCode.exists, ExistsRequest("/bench/node", False)),
}

# (label, connections, in-flight per connection)
SCENARIOS = [
    ("pipelined 1x64", 1, 64),
    ("pipelined 32x8", 32, 8),
    ("window-1 1x1", 1, 1),
    ("window-1 32x1", 32, 1),
]


# -- the load generator (runs in worker processes) ------------------------------------------

def _connect(port, tls=None):
    """A session on a raw socket; with tls=(cert, key, ca) PEM paths, over TLS with that client
    certificate (the handshake blocking, then the socket non-blocking like a plain one)."""
    s = socket.create_connection(("127.0.0.1", port), timeout=30)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    if tls:
        cert, key, ca = tls
        ctx = ssl.create_default_context(cafile=ca)
        ctx.load_cert_chain(cert, key)
        s = ctx.wrap_socket(s, server_hostname="127.0.0.1")
    req = ConnectRequest(0, 0, 30000, 0, bytes(16)).to_bytes() + b"\0"
    s.sendall(_LEN.pack(len(req)) + req)
    buf = b""
    while len(buf) < 4 or len(buf) < 4 + _LEN.unpack_from(buf)[0]:
        chunk = s.recv(4096)
        if not chunk:
            raise ConnectionError("server closed during the handshake")
        buf += chunk
    rsp, _ = ConnectResponse.decode(buf, 4)
    if rsp.timeOut <= 0:
        raise ConnectionError("session refused")
    s.setblocking(False)
    return s


def load_worker(ports, window, mix, duration, warmup, barrier, results, tls=None, record_latency=True):
    """One connection per entry of `ports`, each keeping `window` requests in flight; the request
    with xid n is OPS[mix[n % len(mix)]]. Puts (replies, errors, cpu seconds, latencies) measured
    on `results`; latencies (send to reply) only with record_latency. tls: see _connect."""
    bodies = [(OPS[name][0], OPS[name][1].to_bytes()) for name in mix]
    conns = [_connect(port, tls) for port in ports]
    sel = selectors.DefaultSelector()
    state = {}
    for s in conns:
        st = {"xid": 0, "sent": collections.deque(), "buf": bytearray()}
        state[s.fileno()] = st
        sel.register(s, selectors.EVENT_READ, s)

    def frames(st, n, now):
        out = []
        for _ in range(n):
            st["xid"] += 1
            op, body = bodies[st["xid"] % len(bodies)]
            out.append(_FRAME_HEAD.pack(8 + len(body), st["xid"], op) + body)
            st["sent"].append(now)
        return b"".join(out)

    barrier.wait()
    cpu0 = time.process_time()
    t0 = time.perf_counter()
    measure_from = t0 + warmup
    stop_at = measure_from + duration
    done = errors = 0
    latencies = []
    for s in conns:
        s.sendall(frames(state[s.fileno()], window, time.perf_counter()))
    sending = True
    while True:
        now = time.perf_counter()
        if now >= stop_at:
            sending = False
            if all(not st["sent"] for st in state.values()) or now > stop_at + 10:
                break
        for key, _ in sel.select(0.5):
            s = key.data
            st = state[s.fileno()]
            try:
                data = s.recv(262144)
            except (BlockingIOError, ssl.SSLWantReadError):  # the latter: TLS, no whole record yet
                continue
            if not data:
                raise ConnectionError("server closed a load connection")
            buf = st["buf"]
            buf += data
            while tls:  # every record already here (Java's Netty sends one per reply), not one per select
                try:
                    more = s.recv(262144)
                except ssl.SSLWantReadError:
                    break
                if not more:
                    break  # the next select sees the end of the stream
                buf += more
            pos, n, replies = 0, len(buf), 0
            now = time.perf_counter()
            while n - pos >= 4:
                length, = _LEN.unpack_from(buf, pos)
                if n - pos - 4 < length:
                    break
                xid, _zxid, err = _REPLY.unpack_from(buf, pos + 4)
                pos += 4 + length
                if xid < 0:
                    continue  # a watch event or ping: not ours
                sent_at = st["sent"].popleft()
                replies += 1
                if measure_from <= now < stop_at:
                    done += 1
                    if err:
                        errors += 1
                    if record_latency:
                        latencies.append(now - sent_at)
            del buf[:pos]
            if replies and sending:
                s.sendall(frames(st, replies, now))
    cpu = time.process_time() - cpu0
    for s in conns:
        s.close()
    results.put((done, errors, cpu, latencies))


def run_load(port, op_name, nconns, window, duration, warmup, server_pid, tls=None):
    """Run one scenario; returns a dict of measurements. tls: see _connect."""
    procs_n = 1 if nconns == 1 else 2
    per = [nconns // procs_n + (1 if i < nconns % procs_n else 0) for i in range(procs_n)]
    ctx = mp.get_context("fork")
    barrier = ctx.Barrier(procs_n + 1)
    results = ctx.Queue()
    procs = [ctx.Process(target=load_worker, args=([port] * n, window, [op_name], duration, warmup, barrier, results,
                                                   tls, window == 1))
             for n in per]
    for p in procs:
        p.start()
    barrier.wait()
    time.sleep(warmup)
    cpu_before = _proc_cpu(server_pid)
    time.sleep(duration)
    cpu_after = _proc_cpu(server_pid)
    outs = [results.get(timeout=duration + warmup + 60) for _ in procs]
    for p in procs:
        p.join(30)
    done = sum(o[0] for o in outs)
    errors = sum(o[1] for o in outs)
    client_cpu = sum(o[2] for o in outs)
    lat = sorted(x for o in outs for x in o[3])
    res = {
        "ops": done / duration,
        "errors": errors,
        "server_cpu_us_per_op": (cpu_after - cpu_before) / max(done, 1) * 1e6,
        "client_cpu_us_per_op": client_cpu / max(done, 1) * 1e6,
    }
    if lat:
        res["p50_us"] = lat[len(lat) // 2] * 1e6
        res["p99_us"] = lat[min(len(lat) - 1, int(len(lat) * 0.99))] * 1e6
    return res


def _proc_cpu(pid):
    """User + system CPU seconds of a process (all threads) from /proc."""
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


# -- servers -----------------------------------------------------------------------------------

def prepare(port):
    """/bench/node with 100 bytes, /bench/seq for sequential creates."""
    from tests.support.raw_zk import RawClient

    with RawClient("127.0.0.1", port) as c:
        c.connect()
        for path, data in (("/bench", b""), ("/bench/node", PAYLOAD), ("/bench/seq", b"")):
            c.request(OpCode.create, CreateRequest(path, data, OPEN, 0))


def start(kind, base, extra_cfg=None):
    # Java gets the heap and GC it would get from zkServer.sh defaults; both log at INFO to a file.
    server = kind(base, extra_cfg=extra_cfg, flags=["-Xmx1g"] if kind is JavaServer else [])
    server.start(timeout=60)
    prepare(server.client_port)
    return server


def profile_python(server, ops, scenarios, duration, warmup, out_path):
    """py-spy (all threads, no idle) on our server during one more run of each op and scenario."""
    py_spy = shutil.which("py-spy") or os.path.join(os.path.dirname(sys.executable), "py-spy")
    if not os.path.exists(py_spy):
        print("py-spy not found: pip install py-spy into the venv to profile", file=sys.stderr)
        return
    report = []
    for op_name, (label, nconns, window) in itertools.product(ops, scenarios):
        raw = "%s.%s.%s.collapsed" % (out_path, op_name, label.replace(" ", "-"))
        # --gil: only samples of the thread holding the GIL, i.e. where the interpreter's one
        # core of Python work goes; --threads: the first frame names the thread.
        spy = subprocess.Popen([py_spy, "record", "-p", str(server.proc.pid), "-d", str(int(duration + warmup)),
                                "-r", "200", "--format", "raw", "-o", raw, "--nonblocking", "--gil", "--threads"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        res = run_load(server.client_port, op_name, nconns, window, duration, warmup, server.proc.pid)
        spy.wait(60)
        report.append(summarize_profile(raw, "%s: %s" % (op_name, label), res))
    with open(out_path, "w") as f:
        f.write("\n".join(report))
    print("profile written to", out_path)


def summarize_profile(raw_path, op_name, res, top=25):
    """Self and inclusive share of GIL-holding samples per function (and the hottest lines)."""
    self_fn = collections.Counter()
    incl_fn = collections.Counter()
    self_line = collections.Counter()
    by_thread = collections.Counter()
    total = 0
    try:
        with open(raw_path) as f:
            lines = f.read().splitlines()
    except OSError:
        return "%s: no profile" % op_name
    for line in lines:
        stack, _, count = line.rpartition(" ")
        n = int(count)
        frames = stack.split(";")
        total += n
        by_thread[re.sub(r"\(.*?\)\s*$", "", frames[0]).strip() or frames[0]] += n
        leaf = frames[-1]
        self_line[leaf] += n
        self_fn[_function(leaf)] += n
        for fn in {_function(fr) for fr in frames[1:]}:
            incl_fn[fn] += n
    if not total:
        return "%s: no samples" % op_name
    out = ["== %s, %.0f ops/s while profiled; %d samples holding the GIL (py-spy --gil)"
           % (op_name, res["ops"], total)]
    out.append("-- by thread")
    for th, n in by_thread.most_common(10):
        out.append("%6.1f%%  %s" % (100.0 * n / total, th))
    out.append("-- self, by function")
    for fn, n in self_fn.most_common(top):
        out.append("%6.1f%%  %s" % (100.0 * n / total, fn))
    out.append("-- inclusive, by function")
    for fn, n in incl_fn.most_common(top):
        out.append("%6.1f%%  %s" % (100.0 * n / total, fn))
    out.append("-- self, by line")
    for fr, n in self_line.most_common(12):
        out.append("%6.1f%%  %s" % (100.0 * n / total, fr))
    return "\n".join(out) + "\n"


def _function(frame):
    """'func (path/file.py:123)' -> 'func (file.py)'."""
    m = re.match(r"(.*) \((.*?):\d+\)$", frame)
    return "%s (%s)" % (m.group(1), os.path.basename(m.group(2))) if m else frame


class PyPyServer(PythonServer):
    """Our server on PyPy, from the venv bin/zkEnv.sh makes (.venv-pypy3)."""

    kind = "pypy"
    python = os.path.join(REPO, ".venv-pypy3", "bin", "python")


def pypy_available():
    if not os.path.exists(PyPyServer.python):
        if not shutil.which("pypy3"):
            return False
        # Let the scripts build the venv, as a first `zkServer.sh` run on PyPy would.
        env = dict(os.environ, ZOO_PYTHON="pypy3")
        subprocess.run([os.path.join(REPO, "bin", "zkServer.sh"), "version"], env=env,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return os.path.exists(PyPyServer.python)


def java_available():
    from tests.support import java_zk

    return java_zk.missing_reason() is None


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--duration", type=float, default=5.0, help="measured seconds per scenario")
    ap.add_argument("--warmup", type=float, default=2.0, help="seconds of load before measuring")
    ap.add_argument("--ops", default="get,set,create,exists")
    ap.add_argument("--servers", default="python,pypy,java")
    ap.add_argument("--scenarios", default=",".join(str(i) for i in range(len(SCENARIOS))),
                    help="indexes into: " + "; ".join("%d=%s" % (i, s[0]) for i, s in enumerate(SCENARIOS)))
    ap.add_argument("--profile", metavar="FILE", help="py-spy our server under load, hot spots to FILE")
    args = ap.parse_args()
    ops = args.ops.split(",")
    scenarios = [SCENARIOS[int(i)] for i in args.scenarios.split(",")]
    kinds = {"python": PythonServer, "pypy": PyPyServer, "java": JavaServer}
    available = {"python": lambda: True, "pypy": pypy_available, "java": java_available}
    names = [n for n in args.servers.split(",") if available[n]()]
    print("servers: %s" % ", ".join(names), file=sys.stderr)
    results = {}
    base = tempfile.mkdtemp(prefix="zk-bench-")
    try:
        for name in names:
            server = start(kinds[name], os.path.join(base, name))
            try:
                for op_name in ops:
                    for label, nconns, window in scenarios:
                        r = run_load(server.client_port, op_name, nconns, window, args.duration, args.warmup,
                                     server.proc.pid)
                        results[(name, op_name, label)] = r
                        print("%-6s %-6s %-15s %9.0f ops/s  p50 %7s us  p99 %7s us  server %6.1f us/op  "
                              "client %5.1f us/op  errors %d" % (
                                  name, op_name, label, r["ops"], _fmt(r.get("p50_us")), _fmt(r.get("p99_us")),
                                  r["server_cpu_us_per_op"], r["client_cpu_us_per_op"], r["errors"]),
                              file=sys.stderr, flush=True)
                if args.profile and name in ("python", "pypy"):
                    profile_python(server, ops, scenarios, args.duration, args.warmup, args.profile)
            finally:
                server.stop()
    finally:
        shutil.rmtree(base, ignore_errors=True)
    print_table(results, ops, scenarios, names)


def _fmt(v):
    return "-" if v is None else "%.0f" % v


def print_table(results, ops, scenarios, names):
    """One row per op and scenario: ops/s of each server, ours/Java ratios, latency, CPU per op."""
    ours = [n for n in names if n != "java"]
    java = "java" in names
    head = ["op", "scenario"] + ["%s ops/s" % n for n in names]
    if java:
        head += ["%s/Java" % n for n in ours]
    head += ["%s p50/p99 us" % n for n in names]
    if java:
        head += ["%s p99/Java p99" % n for n in ours]
    head += ["server CPU us/op (%s)" % " / ".join(names), "client CPU us/op"]
    print("| " + " | ".join(head) + " |")
    print("|" + "---|" * 2 + "---:|" * (len(head) - 2))
    for op_name in ops:
        for label, _, window in scenarios:
            r = {n: results.get((n, op_name, label)) for n in names}
            row = [op_name, label] + ["%.0f" % r[n]["ops"] if r[n] else "-" for n in names]
            if java:
                row += ["%.2f" % (r[n]["ops"] / r["java"]["ops"]) if r[n] and r["java"] else "-" for n in ours]
            row += ["%s / %s" % (_fmt(r[n].get("p50_us")), _fmt(r[n].get("p99_us"))) if r[n] and window == 1 else "-"
                    for n in names]
            if java:
                row += ["%.2f" % (r[n]["p99_us"] / r["java"]["p99_us"])
                        if window == 1 and r[n] and r["java"] and r[n].get("p99_us") and r["java"].get("p99_us")
                        else "-" for n in ours]
            row.append(" / ".join("%.1f" % r[n]["server_cpu_us_per_op"] if r[n] else "-" for n in names))
            clients = [x for x in r.values() if x]
            row.append("%.1f" % max(x["client_cpu_us_per_op"] for x in clients) if clients else "-")
            print("| " + " | ".join(row) + " |")


if __name__ == "__main__":
    main()
