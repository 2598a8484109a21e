#!/usr/bin/env python3
"""Overload and scale: our standalone server against Java ZooKeeper 3.8, one table per scenario.

    .tox/py/bin/python bench/bench_overload.py [--servers python,pypy,java] [--quick]
        [--scenarios sessions,storm,maxcnxns,oversize,pipeline] [--sessions 10000] [--hold 10]
        [--storm-rate 1000] [--storm-duration 10] [--pipeline-conns 8] [--pipeline-window 5000]
        [--pipeline-duration 10]

Servers: `python` is our server on the interpreter running this script (CPython), `pypy` our
server on PyPy (the .venv-pypy3 of bin/zkServer.sh, made on first use), `java` Java ZooKeeper
3.8 (-Xmx1g, as bench_server.py). Kinds that cannot run here are left out. Every scenario
starts each server fresh on free ports (tests/support/servers.py), with maxClientCnxns=0 and
globalOutstandingLimit=1000 unless the scenario says otherwise; ours has its AdminServer on,
for `queues`. This process raises its soft RLIMIT_NOFILE to the hard limit, and the servers
and load processes inherit it (bin/zkServer.sh does the same for an operator's server).

Scenarios (each against each server, in the same run):
  sessions  N concurrent sessions (raw sockets, ConnectRequest, from 4 load processes with at
            most 64 handshakes under way each), pinged every 10 s as a client would, held for
            --hold seconds while a probe client sends getData (window 1, every 5 ms); then every
            session is pinged once more: "held" counts those that answer.
  storm     --storm-rate connects/s for --storm-duration s (connect, ConnectRequest, read the
            ConnectResponse, close), paced from 2 load processes; a probe client runs meanwhile.
  maxcnxns  maxClientCnxns=60: 60 sessions from 127.0.0.1, the 61st is closed without a
            ConnectResponse, the 60 still answer exists, and a slot freed by a close is reused.
  oversize  connections one after another (for 3 s, at least 100) each send a frame longer than
            jute.maxbuffer (and 64 KiB of it): each must be closed, while a probe client
            (getData, window 1) is unaffected.
  pipeline  --pipeline-conns connections (2 load processes) each keeping --pipeline-window
            getData/setData (3:1, 100-byte node) in flight, far past globalOutstandingLimit,
            2 s warm-up then --pipeline-duration s measured; replies must come in order. The
            table also shows how the server shared itself (replies/s of the least and the most
            served connection, the longest any waited for a reply). mntr's
            zk_outstanding_requests is polled every 200 ms on both servers, and on ours the
            AdminServer's `queues` every 50 ms: the deepest depth of each queue against its
            bound (Java has no `queues`: n/a).

RSS is VmRSS of the server process from /proc (before: started and idle; during: the largest
sample, every 200 ms, while the load runs). Probe latency is a separate client's getData,
send to reply, one at a time: it shows whether one client's load stalls others.
"""

import argparse
import collections
import errno
import json
import multiprocessing as mp
import os
import re
import resource
import selectors
import shutil
import socket
import struct
import sys
import tempfile
import threading
import time
import urllib.request

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, REPO)

from tests.support import java_zk  # noqa: E402
from tests.support.net import four_letter_word, free_port, process_open_file_limit, process_rss_kb  # noqa: E402
from tests.support.raw_zk import ConnectionClosed, RawClient  # noqa: E402
from tests.support.servers import JavaServer, PythonServer, pypy_python  # noqa: E402
from zookeeper_py.data import ACL, Id  # noqa: E402
from zookeeper_py.proto import (  # noqa: E402
    ConnectRequest,
    CreateRequest,
    ExistsRequest,
    GetDataRequest,
    SetDataRequest,
)  # noqa: E402
from zookeeper_py.zoo_defs import OpCode  # noqa: E402

OPEN = [ACL(31, Id("world", "anyone"))]
PAYLOAD = b"x" * 100
NODE = "/bench/node"
MAX_BUFFER = 0xFFFFF  # jute.maxbuffer's default, on both servers
SESSION_TIMEOUT_MS = 30000
PING_EVERY = 10.0  # a client with a 30 s session pings after 10 s idle
_LEN = struct.Struct(">i")
_HEAD = struct.Struct(">iii")  # frame length, xid, opcode
_REPLY = struct.Struct(">iqi")  # xid, zxid, err
_CONNECT_RSP = struct.Struct(">ii")  # protocolVersion, timeOut of a ConnectResponse
PING = _HEAD.pack(8, -2, OpCode.ping)


def connect_frame(timeout_ms=SESSION_TIMEOUT_MS):
    body = ConnectRequest(0, 0, timeout_ms, 0, bytes(16)).to_bytes() + b"\0"
    return _LEN.pack(len(body)) + body


def _split_frames(buf):
    """Complete frames at the front of buf: (list of (start, length), bytes consumed)."""
    frames, pos, n = [], 0, len(buf)
    while n - pos >= 4:
        length, = _LEN.unpack_from(buf, pos)
        if n - pos - 4 < length:
            break
        frames.append((pos + 4, length))
        pos += 4 + length
    return frames, pos


def _pct(values, q):
    if not values:
        return None
    values = sorted(values)
    return values[min(len(values) - 1, int(len(values) * q))]


# -- many sessions on one selector (runs in load processes) ----------------------------------

class Handshakes:
    """Non-blocking connects, each followed by a ConnectRequest and its ConnectResponse.

    start() begins one; event() advances it on a selector event and returns "open" (a
    session: the socket stays registered, its key data is the state list), a failure reason,
    or None while it is under way. State: [sock, phase, inbuf, t_start, pings_sent, replies].
    """

    def __init__(self, port, sel):
        self.addr = ("127.0.0.1", port)
        self.sel = sel
        self.frame = connect_frame()
        self.pending = {}

    def start(self):
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setblocking(False)
        err = sock.connect_ex(self.addr)
        if err not in (0, errno.EINPROGRESS):
            sock.close()
            return os.strerror(err)
        st = [sock, "connect", bytearray(), time.perf_counter(), 0, 0]
        self.pending[sock.fileno()] = st
        self.sel.register(sock, selectors.EVENT_WRITE, st)
        return None

    def fail(self, st, reason):
        self.pending.pop(st[0].fileno(), None)
        self.sel.unregister(st[0])
        st[0].close()
        return reason

    def event(self, st):
        sock = st[0]
        if st[1] == "connect":
            err = sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
            if err:
                return self.fail(st, os.strerror(err))
            try:
                sock.send(self.frame)  # 49 bytes into an empty send buffer
            except OSError as e:
                return self.fail(st, e.strerror or str(e))
            st[1] = "handshake"
            self.sel.modify(sock, selectors.EVENT_READ, st)
            return None
        try:
            data = sock.recv(4096)
        except BlockingIOError:
            return None
        except OSError:
            data = b""
        if not data:
            return self.fail(st, "closed by server")
        st[2] += data
        buf = st[2]
        if len(buf) < 4 or len(buf) < 4 + _LEN.unpack_from(buf)[0]:
            return None
        _, timeout = _CONNECT_RSP.unpack_from(buf, 4)
        del buf[:4 + _LEN.unpack_from(buf)[0]]
        if timeout <= 0:
            return self.fail(st, "session refused")
        self.pending.pop(sock.fileno(), None)
        st[1] = "open"
        return "open"

    def expire(self, now, limit):
        """Fail handshakes older than limit seconds; returns how many."""
        old = [st for st in self.pending.values() if now - st[3] > limit]
        for st in old:
            self.fail(st, "timeout")
        return len(old)


def _sessions_worker(port, n, window, check, results):
    """Open n sessions, ping them while held; at `check`, ping each once more and count answers."""
    sel = selectors.DefaultSelector()
    hs = Handshakes(port, sel)
    opened = []
    failures = collections.Counter()
    dropped = 0
    started = 0
    t0 = time.perf_counter()
    connect_times = []
    next_ping = t0 + PING_EVERY
    reported = False

    def read_open(st):
        nonlocal dropped
        try:
            data = st[0].recv(65536)
        except BlockingIOError:
            return
        except OSError:
            data = b""
        if not data:
            dropped += 1
            st[1] = "dropped"
            sel.unregister(st[0])
            st[0].close()
            return
        st[2] += data
        frames, used = _split_frames(st[2])
        st[5] += len(frames)
        del st[2][:used]

    def ping_all():
        for st in opened:
            if st[1] == "open":
                try:
                    st[0].send(PING)
                    st[4] += 1
                except OSError:
                    pass

    while True:
        now = time.perf_counter()
        while started < n and len(hs.pending) < window:
            started += 1
            reason = hs.start()
            if reason:
                failures[reason] += 1
        if started == n and not hs.pending and not reported:
            results.put(("connected", len(opened), dict(failures), max(connect_times, default=0.0)))
            reported = True
        if now >= next_ping:
            ping_all()
            next_ping = now + PING_EVERY
        if reported and check.is_set():
            break
        for key, _ in sel.select(0.05):
            st = key.data
            if st[1] == "open":
                read_open(st)
                continue
            outcome = hs.event(st)
            if outcome == "open":
                opened.append(st)
                connect_times.append(time.perf_counter() - t0)
            elif outcome:
                failures[outcome] += 1
        for _ in range(hs.expire(time.perf_counter(), 30)):
            failures["timeout"] += 1
    ping_all()
    deadline = time.perf_counter() + 30
    while time.perf_counter() < deadline and any(st[1] == "open" and st[5] < st[4] for st in opened):
        for key, _ in sel.select(0.1):
            read_open(key.data)
    held = sum(1 for st in opened if st[1] == "open" and st[5] >= st[4])
    for st in opened:
        st[0].close()
    results.put(("held", held, dropped))


def _storm_worker(port, rate, duration, barrier, results, max_pending=2000):
    """Connect at `rate`/s for `duration` s: ConnectRequest, ConnectResponse, close."""
    sel = selectors.DefaultSelector()
    hs = Handshakes(port, sel)
    total = int(rate * duration)
    failures = collections.Counter()
    latencies = []
    ok = skipped = started = 0
    barrier.wait()
    t0 = time.perf_counter()
    last_done = t0
    while True:
        now = time.perf_counter()
        due = min(total, int((now - t0) * rate) + 1)
        while started < due:
            started += 1
            if len(hs.pending) >= max_pending:
                skipped += 1
                continue
            reason = hs.start()
            if reason:
                failures[reason] += 1
        if started >= total and not hs.pending:
            break
        for key, _ in sel.select(0.001):
            st = key.data
            outcome = hs.event(st)
            if outcome == "open":
                last_done = time.perf_counter()
                latencies.append(last_done - st[3])
                ok += 1
                sel.unregister(st[0])
                st[0].close()
            elif outcome:
                failures[outcome] += 1
        for _ in range(hs.expire(time.perf_counter(), 15)):
            failures["timeout"] += 1
    results.put((ok, dict(failures), skipped, last_done - t0, latencies))


def _pipeline_worker(port, nconns, window, duration, warmup, barrier, results):
    """nconns connections, each keeping `window` requests queued or in flight (3 getData : 1 setData)."""
    get_body = GetDataRequest(NODE, False).to_bytes()
    set_body = SetDataRequest(NODE, PAYLOAD, -1).to_bytes()
    sel = selectors.DefaultSelector()
    conns = []
    for _ in range(nconns):
        c = RawClient("127.0.0.1", port, timeout=30)
        c.connect()
        c.sock.setblocking(False)
        st = {"sock": c.sock, "xid": 0, "sent": collections.deque(), "in": bytearray(), "out": bytearray(),
              "writing": False, "done": 0, "last": None, "gap": 0.0}
        conns.append(st)
        sel.register(c.sock, selectors.EVENT_READ, st)

    def queue(st, k, now):
        out, sent = st["out"], st["sent"]
        for _ in range(k):
            st["xid"] += 1
            xid = st["xid"]
            if xid % 4 == 0:
                out += _HEAD.pack(8 + len(set_body), xid, OpCode.setData) + set_body
            else:
                out += _HEAD.pack(8 + len(get_body), xid, OpCode.getData) + get_body
            sent.append((xid, now))

    def flush(st):
        out = st["out"]
        if out:
            try:
                n = st["sock"].send(out)
            except BlockingIOError:
                n = 0
            del out[:n]
        want = bool(out)
        if want != st["writing"]:
            st["writing"] = want
            sel.modify(st["sock"], selectors.EVENT_READ | (selectors.EVENT_WRITE if want else 0), st)

    barrier.wait()
    t0 = time.perf_counter()
    measure_from, stop_at = t0 + warmup, t0 + warmup + duration
    done = errors = out_of_order = 0
    max_in_flight = 0
    latencies = []
    for st in conns:
        queue(st, window, t0)
        flush(st)
    sending = True
    while True:
        now = time.perf_counter()
        if now >= stop_at:
            sending = False
            if all(not st["sent"] for st in conns) or now > stop_at + 60:
                break
        max_in_flight = max(max_in_flight, sum(len(st["sent"]) for st in conns))
        for key, mask in sel.select(0.2):
            st = key.data
            if mask & selectors.EVENT_READ:
                try:
                    data = st["sock"].recv(262144)
                except BlockingIOError:
                    data = None
                if data == b"":
                    raise ConnectionError("server closed a pipelining connection")
                if data:
                    buf = st["in"]
                    buf += data
                    frames, used = _split_frames(buf)
                    now = time.perf_counter()
                    if measure_from <= now < stop_at:
                        if st["last"] is not None:
                            st["gap"] = max(st["gap"], now - st["last"])
                        st["last"] = now
                    replies = 0
                    for start, _ in frames:
                        xid, _zxid, err = _REPLY.unpack_from(buf, start)
                        if xid < 0:
                            continue
                        want, sent_at = st["sent"].popleft()
                        replies += 1
                        if xid != want:
                            out_of_order += 1
                        if measure_from <= now < stop_at:
                            done += 1
                            st["done"] += 1
                            errors += err != 0
                            latencies.append(now - sent_at)
                    del buf[:used]
                    if replies and sending:
                        queue(st, replies, now)
            flush(st)
    lost = sum(len(st["sent"]) for st in conns)
    for st in conns:
        st["sock"].close()
    results.put((done, errors, out_of_order, lost, max_in_flight, latencies[::10], [st["done"] for st in conns],
                 max(st["gap"] for st in conns)))


def _probe(port, ready, stop, results, interval=0.005):
    """getData one at a time (every `interval` s) until `stop`; latencies, errors, still connected."""
    lat, errors, alive = [], 0, True
    body = GetDataRequest(NODE, False).to_bytes()
    try:
        c = RawClient("127.0.0.1", port, timeout=30)
        c.connect()
    except (OSError, ConnectionClosed):
        ready.set()
        results.put(([], 1, False))
        return
    ready.set()
    while not stop.is_set():
        t = time.perf_counter()
        try:
            hdr, _ = c.request(OpCode.getData, body=body, timeout=30)
        except (OSError, ConnectionClosed):
            errors += 1
            alive = False
            break
        lat.append(time.perf_counter() - t)
        errors += hdr.err != 0
        stop.wait(interval)  # pacing, not synchronisation
    c.close()
    results.put((lat, errors, alive))


class Probe:
    def __init__(self, port):
        ctx = mp.get_context("fork")
        self.ready = ctx.Event()
        self.stop_evt = ctx.Event()
        self.results = ctx.Queue()
        self.proc = ctx.Process(target=_probe, args=(port, self.ready, self.stop_evt, self.results))
        self.proc.start()
        if not self.ready.wait(60):
            raise TimeoutError("the probe client did not connect in 60 s")

    def finish(self):
        self.stop_evt.set()
        lat, errors, alive = self.results.get(timeout=90)
        self.proc.join(30)
        return {"probe_n": len(lat), "probe_p50": _pct(lat, 0.5), "probe_p99": _pct(lat, 0.99),
                "probe_max": max(lat, default=None), "probe_errors": errors, "probe_alive": alive}


# -- sampling the server ----------------------------------------------------------------------

class Sampler(threading.Thread):
    """Every `interval` s: the server's RSS; ours: `queues`; both: mntr's zk_outstanding_requests."""

    def __init__(self, server, interval=0.05, rss_every=0.2):
        super().__init__(daemon=True)
        self.pid = server.proc.pid
        self.port = server.client_port
        self.admin_port = getattr(server, "admin_port", None)
        self.interval = interval
        self.rss_every = rss_every
        self.stop_evt = threading.Event()
        self.rss_max = 0
        self.outstanding_max = 0
        self.deepest = {}  # "owner.queue" -> (depth, bound, bound_by)
        self.over = []  # entries seen above their bound
        self.polls = 0
        self.start()

    def run(self):
        next_rss = 0.0
        while not self.stop_evt.is_set():
            now = time.perf_counter()
            if now >= next_rss:
                self.rss_max = max(self.rss_max, process_rss_kb(self.pid) or 0)
                next_rss = now + self.rss_every
                try:
                    m = re.search(r"zk_outstanding_requests\s+(\d+)", four_letter_word("127.0.0.1", self.port, "mntr"))
                    if m:
                        self.outstanding_max = max(self.outstanding_max, int(m.group(1)))
                except OSError:
                    pass
            if self.admin_port:
                self.poll_queues()
            self.stop_evt.wait(self.interval)

    def poll_queues(self):
        try:
            with urllib.request.urlopen("http://127.0.0.1:%d/commands/queues" % self.admin_port, timeout=5) as r:
                entries = json.load(r)["queues"]
        except (OSError, ValueError, KeyError):
            return
        self.polls += 1
        for e in entries:
            name = "%s.%s" % (re.sub(r"\(sid:\d+ cport:\d+\):", "", e["owner"]), e["queue"])
            if e["depth"] > e["bound"]:
                self.over.append(e)
            if e["depth"] >= self.deepest.get(name, (-1,))[0]:
                self.deepest[name] = (e["depth"], e["bound"], e["bound_by"])

    def finish(self):
        self.stop_evt.set()
        self.join(10)
        self.rss_max = max(self.rss_max, process_rss_kb(self.pid) or 0)
        return self


# -- servers -----------------------------------------------------------------------------------

class OurServer(PythonServer):
    """Ours, with its AdminServer on a free port for `queues`."""

    def __init__(self, base_dir, extra_cfg=None, **kw):
        self.admin_port = free_port()
        cfg = {"admin.enableServer": "true", "admin.serverPort": str(self.admin_port)}
        cfg.update(extra_cfg or {})
        super().__init__(base_dir, extra_cfg=cfg, **kw)


class PyPyServer(OurServer):
    kind = "pypy"


def server_kinds(wanted):
    kinds = {}
    for name in wanted:
        if name == "python":
            kinds[name] = OurServer
        elif name == "pypy":
            python = pypy_python()
            if python:
                PyPyServer.python = python
                kinds[name] = PyPyServer
            else:
                print("pypy: not installed, left out", file=sys.stderr)
        elif name == "java":
            reason = java_zk.missing_reason()
            if reason:
                print("java: %s, left out" % reason, file=sys.stderr)
            else:
                kinds[name] = JavaServer
    return kinds


def start(kind, base, **cfg):
    extra = {"maxClientCnxns": "0", "globalOutstandingLimit": "1000"}
    extra.update({k: str(v) for k, v in cfg.items()})
    os.makedirs(base, exist_ok=True)
    server = kind(tempfile.mkdtemp(dir=base), extra_cfg=extra, flags=["-Xmx1g"] if kind is JavaServer else [])
    server.start(timeout=90)
    with RawClient("127.0.0.1", server.client_port) as c:
        c.connect()
        for path, data in (("/bench", b""), (NODE, PAYLOAD)):
            c.request(OpCode.create, CreateRequest(path, data, OPEN, 0))
    server.rss_before = process_rss_kb(server.proc.pid) or 0
    return server


def raise_open_file_limit():
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    for want in (max(hard, 1 << 20), hard):
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (want, want))
            break
        except (ValueError, OSError):
            continue
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


def _alive(server, timeout=10):
    """srvr answers (retried: connections just closed may still count against maxClientCnxns)."""
    deadline = time.time() + timeout
    while True:
        try:
            if "Mode:" in server.srvr():
                return True
        except OSError:
            pass
        if time.time() > deadline or server.proc.poll() is not None:
            return False
        time.sleep(0.1)


# -- scenarios ---------------------------------------------------------------------------------

def run_sessions(server, args):
    n, workers = args.sessions, 4
    limit = process_open_file_limit(server.proc.pid)
    ctx = mp.get_context("fork")
    check = ctx.Event()
    results = ctx.Queue()
    per = [n // workers + (1 if i < n % workers else 0) for i in range(workers)]
    sampler = Sampler(server)
    t0 = time.perf_counter()
    procs = [ctx.Process(target=_sessions_worker, args=(server.client_port, k, 64, check, results)) for k in per]
    for p in procs:
        p.start()
    connected, failures, connect_s = 0, collections.Counter(), 0.0
    for _ in procs:
        _, ok, fails, _secs = results.get(timeout=600)
        connected += ok
        failures.update(fails)
    connect_s = time.perf_counter() - t0
    fds = len(os.listdir("/proc/%d/fd" % server.proc.pid))
    probe = Probe(server.client_port)
    time.sleep(args.hold)  # the hold itself: sessions stay open this long
    res = probe.finish()
    check.set()
    held = dropped = 0
    for _ in procs:
        _, h, d = results.get(timeout=120)
        held += h
        dropped += d
    for p in procs:
        p.join(60)
    sampler.finish()
    res.update(sessions=n, connected=connected, held=held, dropped=dropped, failures=dict(failures),
               connect_rate=connected / connect_s if connect_s else 0, connect_s=connect_s, fds=fds,
               nofile=limit, rss_before=server.rss_before, rss_max=sampler.rss_max, alive=_alive(server))
    return res


def run_storm(server, args):
    workers = 2
    ctx = mp.get_context("fork")
    barrier = ctx.Barrier(workers + 1)
    results = ctx.Queue()
    procs = [ctx.Process(target=_storm_worker,
                         args=(server.client_port, args.storm_rate / workers, args.storm_duration, barrier, results))
             for _ in range(workers)]
    for p in procs:
        p.start()
    probe = Probe(server.client_port)
    sampler = Sampler(server)
    barrier.wait()
    outs = [results.get(timeout=args.storm_duration + 120) for _ in procs]
    for p in procs:
        p.join(30)
    res = probe.finish()
    sampler.finish()
    ok = sum(o[0] for o in outs)
    failures = collections.Counter()
    for o in outs:
        failures.update(o[1])
    lat = [x for o in outs for x in o[4]]
    elapsed = max(o[3] for o in outs)
    res.update(target=int(args.storm_rate * args.storm_duration), ok=ok, failures=dict(failures),
               skipped=sum(o[2] for o in outs), rate=ok / elapsed if elapsed else 0,
               hs_p50=_pct(lat, 0.5), hs_p99=_pct(lat, 0.99), rss_before=server.rss_before,
               rss_max=sampler.rss_max, alive=_alive(server))
    return res


def _session_or_none(server, clients):
    """A new session appended to clients (True), or False when the server refused the connection."""
    c = None
    try:
        c = RawClient("127.0.0.1", server.client_port)
        c.connect()
    except (ConnectionClosed, OSError):
        if c is not None:
            c.close()
        return False
    clients.append(c)
    return True


def run_maxcnxns(server, args, limit=60):
    clients = []
    res = {"limit": limit}
    try:
        # The server counts a connection until it has seen it close (srvr and the setup client just
        # did): a session refused before the limit is retried until the stale ones are gone.
        deadline = time.time() + 30
        while len(clients) < limit:
            if not _session_or_none(server, clients):
                if time.time() > deadline:
                    raise TimeoutError("only %d sessions under maxClientCnxns=%d" % (len(clients), limit))
                time.sleep(0.05)
        t = time.perf_counter()
        try:
            with RawClient("127.0.0.1", server.client_port) as extra:  # connect() itself may see the reset
                extra.connect()
            res["refused"] = False
        except (ConnectionClosed, OSError):
            res["refused"] = True
        res["refused_ms"] = (time.perf_counter() - t) * 1000
        answered = 0
        for c in clients:
            try:
                hdr, _ = c.request(OpCode.exists, ExistsRequest("/", False), timeout=10)
                answered += hdr.err == 0
            except (ConnectionClosed, OSError):
                pass
        res["answered"] = answered
        clients.pop().close()
        # The server counts a connection until it has seen the close: retry until the slot is free.
        deadline = time.time() + 10
        res["reused"] = False
        while time.time() < deadline and not res["reused"]:
            res["reused"] = _session_or_none(server, clients)
            if not res["reused"]:
                time.sleep(0.05)
    finally:
        for c in clients:
            c.close()
    res["alive"] = _alive(server)
    return res


def run_oversize(server, args, min_rounds=100, min_seconds=3.0):
    probe = Probe(server.client_port)
    sampler = Sampler(server)
    closed, close_ms, rounds = 0, [], 0
    frame = _LEN.pack(MAX_BUFFER + 1) + b"x" * 65536
    until = time.perf_counter() + min_seconds
    while rounds < min_rounds or time.perf_counter() < until:
        rounds += 1
        with RawClient("127.0.0.1", server.client_port) as c:
            c.connect()
            t = time.perf_counter()
            try:
                c.send_raw(frame)
            except OSError:
                pass  # closed while we were still writing: that is the answer
            if c.closed_by_server(10):
                closed += 1
                close_ms.append((time.perf_counter() - t) * 1000)
    res = probe.finish()
    sampler.finish()
    res.update(rounds=rounds, closed=closed, close_p99=_pct(close_ms, 0.99), rss_before=server.rss_before,
               rss_max=sampler.rss_max, alive=_alive(server))
    return res


def run_pipeline(server, args, warmup=2.0):
    workers = 2 if args.pipeline_conns > 1 else 1
    per = [args.pipeline_conns // workers + (1 if i < args.pipeline_conns % workers else 0) for i in range(workers)]
    ctx = mp.get_context("fork")
    barrier = ctx.Barrier(workers + 1)
    results = ctx.Queue()
    procs = [ctx.Process(target=_pipeline_worker, args=(server.client_port, k, args.pipeline_window,
                                                        args.pipeline_duration, warmup, barrier, results))
             for k in per]
    for p in procs:
        p.start()
    barrier.wait()
    sampler = Sampler(server)
    probe = Probe(server.client_port)
    outs = [results.get(timeout=args.pipeline_duration + warmup + 180) for _ in procs]
    for p in procs:
        p.join(30)
    res = probe.finish()
    sampler.finish()
    lat = [x for o in outs for x in o[5]]
    res.update(ops=sum(o[0] for o in outs) / args.pipeline_duration, errors=sum(o[1] for o in outs),
               out_of_order=sum(o[2] for o in outs), lost=sum(o[3] for o in outs),
               in_flight=sum(o[4] for o in outs), p50=_pct(lat, 0.5), p99=_pct(lat, 0.99),
               per_conn=[x / args.pipeline_duration for o in outs for x in o[6]], gap=max(o[7] for o in outs),
               outstanding_max=sampler.outstanding_max, rss_before=server.rss_before, rss_max=sampler.rss_max,
               deepest=sampler.deepest, over=sampler.over, polls=sampler.polls, alive=_alive(server))
    return res


SCENARIOS = {
    "sessions": (run_sessions, {}),
    "storm": (run_storm, {}),
    "maxcnxns": (run_maxcnxns, {"maxClientCnxns": 60}),
    "oversize": (run_oversize, {}),
    "pipeline": (run_pipeline, {}),
}


# -- the tables --------------------------------------------------------------------------------

def _mb(kb):
    return "-" if not kb else "%.0f" % (kb / 1024.0)


def _ms(sec):
    return "-" if sec is None else ("%.1f" % (sec * 1000) if sec < 0.1 else "%.0f" % (sec * 1000))


def _fails(d):
    return ", ".join("%s %d" % kv for kv in sorted(d.items())) if d else "0"


def _yes(v):
    return "yes" if v else "**no**"


ROWS = {
    "sessions": [
        ("sessions opened / asked", lambda r: "%d / %d" % (r["connected"], r["sessions"])),
        ("sessions held (answer a ping after the hold)", lambda r: "%d" % r["held"]),
        ("closed by the server while held", lambda r: "%d" % r["dropped"]),
        ("connect failures", lambda r: _fails(r["failures"])),
        ("connect rate (sessions/s)", lambda r: "%.0f" % r["connect_rate"]),
        ("server open files (limit)", lambda r: "%d (%s)" % (r["fds"], r["nofile"])),
        ("RSS before / during (MB)", lambda r: "%s / %s" % (_mb(r["rss_before"]), _mb(r["rss_max"]))),
        ("probe getData p50 / p99 / max (ms)", lambda r: "%s / %s / %s" % (
            _ms(r["probe_p50"]), _ms(r["probe_p99"]), _ms(r["probe_max"]))),
        ("probe errors", lambda r: "%d" % r["probe_errors"]),
        ("server serving afterwards", lambda r: _yes(r["alive"])),
    ],
    "storm": [
        ("connects asked", lambda r: "%d" % r["target"]),
        ("sessions established", lambda r: "%d" % r["ok"]),
        ("failures", lambda r: _fails(r["failures"])),
        ("not started (2,000 handshakes pending)", lambda r: "%d" % r["skipped"]),
        ("achieved rate (sessions/s)", lambda r: "%.0f" % r["rate"]),
        ("handshake p50 / p99 (ms)", lambda r: "%s / %s" % (_ms(r["hs_p50"]), _ms(r["hs_p99"]))),
        ("RSS before / during (MB)", lambda r: "%s / %s" % (_mb(r["rss_before"]), _mb(r["rss_max"]))),
        ("probe getData p50 / p99 / max (ms)", lambda r: "%s / %s / %s" % (
            _ms(r["probe_p50"]), _ms(r["probe_p99"]), _ms(r["probe_max"]))),
        ("probe errors", lambda r: "%d" % r["probe_errors"]),
        ("server serving afterwards", lambda r: _yes(r["alive"])),
    ],
    "maxcnxns": [
        ("sessions from 127.0.0.1 (maxClientCnxns)", lambda r: "%d" % r["limit"]),
        ("next one refused (closed, no ConnectResponse)", lambda r: _yes(r["refused"])),
        ("time to the refusal (ms)", lambda r: "%.1f" % r["refused_ms"]),
        ("first ones still answer exists", lambda r: "%d / %d" % (r["answered"], r["limit"])),
        ("a freed slot is reused", lambda r: _yes(r["reused"])),
        ("server serving afterwards", lambda r: _yes(r["alive"])),
    ],
    "oversize": [
        ("frames of jute.maxbuffer + 1 sent", lambda r: "%d" % r["rounds"]),
        ("their connections closed", lambda r: "%d" % r["closed"]),
        ("time to close p99 (ms)", lambda r: _ms(r["close_p99"] / 1000.0 if r["close_p99"] is not None else None)),
        ("probe getData p50 / p99 / max (ms)", lambda r: "%s / %s / %s" % (
            _ms(r["probe_p50"]), _ms(r["probe_p99"]), _ms(r["probe_max"]))),
        ("probe requests / errors / still connected", lambda r: "%d / %d / %s" % (
            r["probe_n"], r["probe_errors"], "yes" if r["probe_alive"] else "**no**")),
        ("RSS before / during (MB)", lambda r: "%s / %s" % (_mb(r["rss_before"]), _mb(r["rss_max"]))),
        ("server serving afterwards", lambda r: _yes(r["alive"])),
    ],
    "pipeline": [
        ("throughput (replies/s)", lambda r: "%.0f" % r["ops"]),
        ("errors / out of order / unanswered", lambda r: "%d / %d / %d" % (r["errors"], r["out_of_order"], r["lost"])),
        ("requests in flight, client side (max)", lambda r: "%d" % r["in_flight"]),
        ("zk_outstanding_requests (max of mntr)", lambda r: "%d" % r["outstanding_max"]),
        ("pipelined latency p50 / p99 (ms)", lambda r: "%s / %s" % (_ms(r["p50"]), _ms(r["p99"]))),
        ("replies/s per connection, least / most", lambda r: "%.0f / %.0f" % (min(r["per_conn"]), max(r["per_conn"]))),
        ("longest a pipelining connection waited for a reply (ms)", lambda r: _ms(r["gap"])),
        ("probe getData p50 / p99 / max (ms)", lambda r: "%s / %s / %s" % (
            _ms(r["probe_p50"]), _ms(r["probe_p99"]), _ms(r["probe_max"]))),
        ("probe errors", lambda r: "%d" % r["probe_errors"]),
        ("RSS before / during (MB)", lambda r: "%s / %s" % (_mb(r["rss_before"]), _mb(r["rss_max"]))),
        ("`queues` polls / depths above bound", lambda r: "%d / %d" % (r["polls"], len(r["over"]))
         if r["polls"] else "n/a"),
        ("server serving afterwards", lambda r: _yes(r["alive"])),
    ],
}

TITLES = {
    "sessions": "sessions: {sessions:,} concurrent sessions held {hold:g} s",
    "storm": "storm: {storm_rate:,.0f} connects/s for {storm_duration:g} s "
             "(connect, ConnectRequest, ConnectResponse, close)",
    "maxcnxns": "maxClientCnxns=60: the 61st connection from one address",
    "oversize": "oversize: connections in turn (for 3 s, at least 100) each send a frame over jute.maxbuffer "
                "(1 MiB - 1), a probe client alongside",
    "pipeline": "pipeline: {pipeline_conns} connections x {pipeline_window:,} requests in flight "
                "(globalOutstandingLimit=1000), {pipeline_duration:g} s",
}


def print_tables(results, names, scenarios, args):
    for sc in scenarios:
        print("\n### " + TITLES[sc].format(**vars(args)) + "\n")
        print("| | " + " | ".join(names) + " |")
        print("|---|" + "---:|" * len(names))
        rs = {n: results.get((sc, n)) for n in names}
        for label, fmt in ROWS[sc]:
            cells = []
            for n in names:
                r = rs[n]
                if r is None:
                    cells.append("-")
                elif "error" in r:
                    cells.append("failed: %s" % r["error"])
                else:
                    cells.append(fmt(r))
            print("| %s | %s |" % (label, " | ".join(cells)))
        if sc == "pipeline":
            queues = sorted({q for r in rs.values() if r and "deepest" in r for q in r["deepest"]})
            for q in queues:
                cells = []
                for n in names:
                    d = rs[n].get("deepest", {}).get(q) if rs[n] else None
                    cells.append("%d / %d" % (d[0], d[1]) if d else "n/a")
                print("| deepest `%s` / bound | %s |" % (q, " | ".join(cells)))
            bound_by = {}
            for r in rs.values():
                for q, d in (r or {}).get("deepest", {}).items():
                    bound_by.setdefault(q, d[2])
            if bound_by:
                print("\nBounds: " + "; ".join("`%s`: %s" % kv for kv in sorted(bound_by.items())) + ".")
            for n in names:
                for e in (rs[n] or {}).get("over", [])[:5]:
                    print("\n%s: queue above its bound: %s" % (n, json.dumps(e)))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--servers", default="python,pypy,java")
    ap.add_argument("--scenarios", default=",".join(SCENARIOS))
    ap.add_argument("--quick", action="store_true", help="a smaller run (2,000 sessions, 3 s phases)")
    ap.add_argument("--sessions", type=int, default=10000)
    ap.add_argument("--hold", type=float, default=10.0)
    ap.add_argument("--storm-rate", type=float, default=1000.0)
    ap.add_argument("--storm-duration", type=float, default=10.0)
    ap.add_argument("--pipeline-conns", type=int, default=8)
    ap.add_argument("--pipeline-window", type=int, default=5000)
    ap.add_argument("--pipeline-duration", type=float, default=10.0)
    args = ap.parse_args()
    if args.quick:
        args.sessions, args.hold = 2000, 3.0
        args.storm_rate, args.storm_duration = 500.0, 3.0
        args.pipeline_conns, args.pipeline_window, args.pipeline_duration = 4, 2000, 3.0
    scenarios = args.scenarios.split(",")
    nofile = raise_open_file_limit()
    if nofile < args.sessions + 200:
        print("open-file limit %d: %d sessions do not fit, asking for %d" % (nofile, args.sessions, nofile - 200),
              file=sys.stderr)
        args.sessions = nofile - 200
    kinds = server_kinds(args.servers.split(","))
    names = list(kinds)
    print("servers: %s; open-file limit %d" % (", ".join(names), nofile), file=sys.stderr)
    results = {}
    base = tempfile.mkdtemp(prefix="zk-overload-")
    t_all = time.perf_counter()
    try:
        for sc in scenarios:
            run, cfg = SCENARIOS[sc]
            for name in names:
                t = time.perf_counter()
                server = None
                try:
                    server = start(kinds[name], os.path.join(base, name), **cfg)
                    results[(sc, name)] = run(server, args)
                except Exception as e:  # a scenario that breaks a server is a result, not a crash
                    results[(sc, name)] = {"error": "%s: %s" % (type(e).__name__, e)}
                finally:
                    if server is not None:
                        if server.proc is not None and server.proc.poll() is not None:
                            results[(sc, name)]["error"] = "server exited with %s" % server.proc.returncode
                        server.stop()
                print("%-9s %-6s %5.1f s  %s" % (sc, name, time.perf_counter() - t,
                                                 _summary(results[(sc, name)])), file=sys.stderr, flush=True)
    finally:
        shutil.rmtree(base, ignore_errors=True)
    print("total %.0f s" % (time.perf_counter() - t_all), file=sys.stderr)
    print_tables(results, names, scenarios, args)


def _summary(r):
    return ", ".join("%s=%s" % (k, v) for k, v in r.items() if k not in ("deepest", "over") and not isinstance(v, list))


if __name__ == "__main__":
    main()
