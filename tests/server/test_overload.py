"""Overload and scale, at test size: many sessions at once, a connection storm, maxClientCnxns,
frames over jute.maxbuffer, and pipelining far past globalOutstandingLimit.

Each runs against our server and Java ZooKeeper 3.8 where the assertion is the same; the
AdminServer's `queues` (no bound passed) and the RSS growth are checked on ours only. Clients
are raw sockets (ConnectRequest framing as tests/support/raw_zk.py), many on one selector.
bench/bench_overload.py measures the same scenarios at full scale, side by side.
"""

import collections
import errno
import json
import os
import resource
import selectors
import socket
import struct
import threading
import time
import urllib.request

import pytest

from tests.support.net import free_port, process_rss_kb
from tests.support.raw_zk import ConnectionClosed, RawClient
from tests.support.servers import JavaServer, PythonServer
from zookeeper_py.data import ACL, Id
from zookeeper_py.proto import ConnectRequest, CreateRequest, ExistsRequest, GetDataRequest, SetDataRequest
from zookeeper_py.zoo_defs import OpCode

pytestmark = pytest.mark.timeout(180)

KINDS = ["python", "java"]
OPEN = [ACL(31, Id("world", "anyone"))]
MAX_BUFFER = 0xFFFFF  # jute.maxbuffer's default on both servers
RSS_GROWTH_LIMIT_KB = 200 * 1024
_LEN = struct.Struct(">i")
_HEAD = struct.Struct(">iii")  # frame length, xid, opcode
_REPLY = struct.Struct(">iqi")  # xid, zxid, err
_CONNECT_RSP = struct.Struct(">ii")  # protocolVersion, timeOut
PING = _HEAD.pack(8, -2, OpCode.ping)
_CONNECT_BODY = ConnectRequest(0, 0, 30000, 0, bytes(16)).to_bytes() + b"\0"
CONNECT_FRAME = _LEN.pack(len(_CONNECT_BODY)) + _CONNECT_BODY


# -- servers -------------------------------------------------------------------------------------

@pytest.fixture
def open_files():
    """Raise the soft open-file limit (this process and the servers it starts) for `need` descriptors."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)

    def need(n):
        if hard != resource.RLIM_INFINITY and hard < n:
            pytest.skip("open-file hard limit %d is below the %d this test needs" % (hard, n))
        if soft != resource.RLIM_INFINITY and soft < n:
            resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))

    yield need
    resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))


@pytest.fixture
def start_server(tmp_path):
    """start_server(kind, **cfg): a fresh server with maxClientCnxns=0 unless cfg says otherwise.

    Ours also gets its AdminServer on a free port (server.admin_port) for `queues`."""
    started = []

    def start(kind, **cfg):
        extra = {"maxClientCnxns": "0"}
        admin_port = None
        if kind == "python":
            admin_port = free_port()
            extra.update({"admin.enableServer": "true", "admin.serverPort": str(admin_port)})
        extra.update({k: str(v) for k, v in cfg.items()})
        cls = {"python": PythonServer, "java": JavaServer}[kind]
        server = cls(str(tmp_path / ("%s-%d" % (kind, len(started)))), extra_cfg=extra)
        started.append(server)
        server.admin_port = admin_port
        server.start(timeout=60)
        return server

    yield start
    for server in started:
        server.stop()


# -- many sessions on one selector ---------------------------------------------------------------

def open_sessions(port, n, window=64, keep=True, timeout=60):
    """n sessions on raw sockets with at most `window` handshakes under way.

    Returns (sockets with a session, or [] when keep is False and each was closed once
    established; failure reasons)."""
    sel = selectors.DefaultSelector()
    opened, failures = [], []
    started = pending = done = 0
    deadline = time.time() + timeout

    def finish(state, reason=None):
        nonlocal pending, done
        sel.unregister(state[0])
        pending -= 1
        done += 1
        if reason:
            failures.append(reason)
            state[0].close()
        elif keep:
            opened.append(state[0])
        else:
            state[0].close()

    try:
        while done < n:
            while started < n and pending < window:
                started += 1
                sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
                sock.setblocking(False)
                err = sock.connect_ex(("127.0.0.1", port))
                if err not in (0, errno.EINPROGRESS):
                    sock.close()
                    failures.append(os.strerror(err))
                    done += 1
                    continue
                sel.register(sock, selectors.EVENT_WRITE, [sock, bytearray(), False])
                pending += 1
            if time.time() > deadline:
                raise TimeoutError("%d of %d sessions after %ss (%d failed)" % (len(opened), n, timeout, len(failures)))
            for key, _ in sel.select(0.5):
                state = key.data
                sock, buf, sent = state
                if not sent:
                    err = sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
                    if err:
                        finish(state, os.strerror(err))
                        continue
                    sock.send(CONNECT_FRAME)
                    state[2] = True
                    sel.modify(sock, selectors.EVENT_READ, state)
                    continue
                try:
                    data = sock.recv(4096)
                except BlockingIOError:
                    continue
                except OSError:
                    data = b""
                if not data:
                    finish(state, "closed before the ConnectResponse")
                    continue
                buf += data
                if len(buf) >= 4 and len(buf) >= 4 + _LEN.unpack_from(buf)[0]:
                    _, session_timeout = _CONNECT_RSP.unpack_from(buf, 4)
                    finish(state, None if session_timeout > 0 else "session refused")
    finally:
        for key in list(sel.get_map().values()):
            key.fileobj.close()
        sel.close()
    return opened, failures


def ping_all(socks, timeout=60):
    """Ping every session once; the number that answered with a ping reply."""
    sel = selectors.DefaultSelector()
    bufs = {}
    for sock in socks:
        sock.send(PING)
        bufs[sock] = bytearray()
        sel.register(sock, selectors.EVENT_READ)
    answered = 0
    deadline = time.time() + timeout
    try:
        while bufs and time.time() < deadline:
            for key, _ in sel.select(0.5):
                sock = key.fileobj
                try:
                    data = sock.recv(4096)
                except BlockingIOError:
                    continue
                except OSError:
                    data = b""
                buf = bufs[sock]
                buf += data
                if not data or (len(buf) >= 4 and len(buf) >= 4 + _LEN.unpack_from(buf)[0]):
                    if data and _REPLY.unpack_from(buf, 4)[0] == -2:
                        answered += 1
                    sel.unregister(sock)
                    del bufs[sock]
    finally:
        sel.close()
    return answered


def assert_serving(server):
    with RawClient("127.0.0.1", server.client_port) as c:
        c.connect()
        hdr, _ = c.request(OpCode.exists, ExistsRequest("/", False))
        assert hdr.err == 0


# -- the scenarios -------------------------------------------------------------------------------

@pytest.mark.parametrize("kind", KINDS)
def test_2000_concurrent_sessions_all_answer(kind, start_server, open_files):
    n = 2000
    open_files(n + 500)
    server = start_server(kind)
    rss_before = process_rss_kb(server.proc.pid)
    socks, failures = open_sessions(server.client_port, n)
    try:
        assert not failures, "%d sessions failed: %s" % (len(failures), collections.Counter(failures))
        assert len(socks) == n
        assert ping_all(socks) == n
        assert_serving(server)
        if kind == "python":
            growth = process_rss_kb(server.proc.pid) - rss_before
            assert growth < RSS_GROWTH_LIMIT_KB, "RSS grew by %d MB for %d sessions" % (growth // 1024, n)
    finally:
        for sock in socks:
            sock.close()


@pytest.mark.parametrize("kind", KINDS)
def test_connect_storm_every_session_established(kind, start_server, open_files):
    """500 connects as fast as the server takes them: connect, ConnectRequest, ConnectResponse, close."""
    open_files(1000)
    server = start_server(kind)
    _, failures = open_sessions(server.client_port, 500, window=128, keep=False)
    assert not failures, collections.Counter(failures)
    assert_serving(server)


def _new_session(server, clients):
    """A new session appended to clients (True), or False when the server refused the connection."""
    c = None
    try:
        c = RawClient("127.0.0.1", server.client_port)
        c.connect()
    except (ConnectionClosed, OSError):  # refused: a reset can come as early as connect()
        if c is not None:
            c.close()
        return False
    clients.append(c)
    return True


@pytest.mark.parametrize("kind", KINDS)
def test_max_client_cnxns_refuses_the_next_and_keeps_the_first(kind, start_server):
    limit = 10
    server = start_server(kind, maxClientCnxns=limit)
    clients = []
    try:
        # The server counts a connection until it has seen it close (its start-up srvr did just
        # now): a refusal below the limit is retried until those are gone.
        deadline = time.time() + 20
        while len(clients) < limit:
            if not _new_session(server, clients):
                assert time.time() < deadline, "only %d sessions under maxClientCnxns=%d" % (len(clients), limit)
                time.sleep(0.05)
        assert not _new_session(server, clients), "connection %d from 127.0.0.1 was let in" % (limit + 1)
        for c in clients:
            hdr, _ = c.request(OpCode.exists, ExistsRequest("/", False))
            assert hdr.err == 0
    finally:
        for c in clients:
            c.close()


@pytest.mark.parametrize("kind", KINDS)
def test_frame_over_maxbuffer_closes_only_its_connection(kind, start_server):
    server = start_server(kind)
    with RawClient("127.0.0.1", server.client_port) as other, RawClient("127.0.0.1", server.client_port) as bad:
        other.connect()
        bad.connect()
        # The other client has requests in flight while the bad frame arrives.
        body = ExistsRequest("/", False).to_bytes()
        other.send_raw(b"".join(_HEAD.pack(8 + len(body), xid, OpCode.exists) + body for xid in range(1, 101)))
        try:
            bad.send_raw(_LEN.pack(MAX_BUFFER + 1) + b"x" * 65536)
        except OSError:
            pass  # closed while we were still writing: that is the answer
        assert bad.closed_by_server(10), "the connection that sent an oversize frame stays open"
        xids = [_REPLY.unpack_from(other.read_frame())[0] for _ in range(100)]
        assert xids == list(range(1, 101))
        other.xid = 100
        hdr, _ = other.request(OpCode.exists, ExistsRequest("/", False))
        assert hdr.err == 0


class QueuePoller(threading.Thread):
    """Polls ours's AdminServer `queues` every `interval` s; keeps every entry above its bound."""

    def __init__(self, admin_port, interval=0.02):
        super().__init__(daemon=True)
        self.url = "http://127.0.0.1:%d/commands/queues" % admin_port
        self.interval = interval
        self.stop_evt = threading.Event()
        self.polls = 0
        self.over = []
        self.deepest = {}
        self.errors = []

    def run(self):
        while not self.stop_evt.is_set():
            try:
                with urllib.request.urlopen(self.url, timeout=10) as r:
                    entries = json.load(r)["queues"]
            except (OSError, ValueError, KeyError) as e:
                self.errors.append(repr(e))
                entries = []
            if entries:
                self.polls += 1
            for e in entries:
                key = (e["owner"], e["queue"])
                self.deepest[key] = max(self.deepest.get(key, 0), e["depth"])
                if e["depth"] > e["bound"]:
                    self.over.append(e)
            self.stop_evt.wait(self.interval)

    def finish(self):
        self.stop_evt.set()
        self.join(20)


def _read_replies(sock, st):
    """Read what sock has now into st["replies"] as (xid, err); False if nothing was there."""
    got = False
    while True:
        try:
            data = sock.recv(262144)
        except BlockingIOError:
            return got
        if not data:
            raise ConnectionClosed("the server closed pipelining connection %d" % st["i"])
        got = True
        buf = st["in"]
        buf += data
        pos = 0
        while len(buf) - pos >= 4 and len(buf) - pos - 4 >= _LEN.unpack_from(buf, pos)[0]:
            xid, _, err = _REPLY.unpack_from(buf, pos + 4)
            st["replies"].append((xid, err))
            pos += 4 + _LEN.unpack_from(buf, pos)[0]
        del buf[:pos]


def pipeline(port, nconns, per_conn, timeout=120):
    """nconns connections each send per_conn requests at once (3 getData : 1 setData on /p).

    Returns ({connection index: [(xid, err), ...]} in the order the replies came, the number
    of replies each connection had when the first one had all of its own)."""
    get_body = GetDataRequest("/p", False).to_bytes()
    set_body = SetDataRequest("/p", b"v" * 100, -1).to_bytes()
    sel = selectors.DefaultSelector()
    clients, state = [], {}
    for i in range(nconns):
        c = RawClient("127.0.0.1", port)
        c.connect()
        clients.append(c)
        out = bytearray()
        for xid in range(1, per_conn + 1):
            op, body = (OpCode.setData, set_body) if xid % 4 == 0 else (OpCode.getData, get_body)
            out += _HEAD.pack(8 + len(body), xid, op) + body
        c.sock.setblocking(False)
        state[c.sock] = {"i": i, "out": out, "in": bytearray(), "replies": []}
        sel.register(c.sock, selectors.EVENT_READ | selectors.EVENT_WRITE, state[c.sock])
    deadline = time.time() + timeout
    first_done = None
    try:
        while any(len(st["replies"]) < per_conn for st in state.values()):
            assert time.time() < deadline, "replies missing after %ss: %s" % (
                timeout, {st["i"]: len(st["replies"]) for st in state.values()})
            for key, mask in sel.select(0.5):
                sock, st = key.fileobj, key.data
                if mask & selectors.EVENT_WRITE and st["out"]:
                    try:
                        del st["out"][:sock.send(st["out"])]
                    except BlockingIOError:
                        pass
                    if not st["out"]:
                        sel.modify(sock, selectors.EVENT_READ, st)
                if mask & selectors.EVENT_READ and _read_replies(sock, st) and first_done is None \
                        and len(st["replies"]) == per_conn:
                    # The other connections' replies already in this process's socket buffers
                    # were sent before this moment too: read them before counting.
                    for other_sock, other in state.items():
                        if other is not st:
                            _read_replies(other_sock, other)
                    first_done = [len(s["replies"]) for s in state.values()]
    finally:
        sel.close()
        for c in clients:
            c.close()
    return {st["i"]: st["replies"] for st in state.values()}, first_done


class Probe(threading.Thread):
    """Another client: exists, one at a time, from `go` until `stop`; each must be answered."""

    def __init__(self, port):
        super().__init__(daemon=True)
        self.client = RawClient("127.0.0.1", port)
        self.client.connect()
        self.go = threading.Event()
        self.stop_evt = threading.Event()
        self.answered = 0
        self.failures = []

    def run(self):
        self.go.wait(60)
        with self.client:
            while not self.stop_evt.is_set():
                try:
                    hdr, _ = self.client.request(OpCode.exists, ExistsRequest("/", False), timeout=30)
                except (OSError, ConnectionClosed) as e:
                    self.failures.append(repr(e))
                    return
                if hdr.err:
                    self.failures.append("err %d" % hdr.err)
                self.answered += 1

    def finish(self):
        self.stop_evt.set()
        self.join(40)


@pytest.mark.parametrize("kind", KINDS)
def test_pipelining_past_global_outstanding_limit(kind, start_server):
    """20 x 2,000 requests at once (globalOutstandingLimit=1000): every reply, in order; on ours no
    queue of `queues` (polled every 20 ms) passes its bound, and RSS stays flat. Twenty connections,
    as ours lets each have at most 64 requests in flight (NIOServerCnxn.in_flight_cap): together
    they pass the limit. (With 4 x 3,000, a fast server answered them all in some 8 polls, which
    could all miss the queues' peak.)"""
    nconns, per_conn = 20, 2000
    server = start_server(kind, globalOutstandingLimit=1000)
    with RawClient("127.0.0.1", server.client_port) as c:
        c.connect()
        assert c.request(OpCode.create, CreateRequest("/p", b"v" * 100, OPEN, 0))[0].err == 0
    rss_before = process_rss_kb(server.proc.pid)
    poller = QueuePoller(server.admin_port) if server.admin_port else None
    if poller:
        poller.start()
    probe = Probe(server.client_port)
    probe.start()
    probe.go.set()
    try:
        replies, _ = pipeline(server.client_port, nconns, per_conn)
    finally:
        probe.finish()
        if poller:
            poller.finish()
    assert not probe.failures and probe.answered >= 1, (probe.answered, probe.failures)
    for i, got in replies.items():
        assert [xid for xid, _ in got] == list(range(1, per_conn + 1)), "connection %d: replies out of order" % i
        assert all(err == 0 for _, err in got), "connection %d: errors %s" % (
            i, collections.Counter(err for _, err in got if err))
    assert_serving(server)
    if poller:
        assert poller.polls > 0, "no `queues` answer: %s" % poller.errors[:3]
        assert not poller.over, "queues above their bound (first of %d): %s" % (len(poller.over), poller.over[0])
        # The run did fill the request queues to the limit, so "no bound passed" means something.
        deepest = max(d for (_, q), d in poller.deepest.items() if q == "requests_in_process")
        assert deepest >= 500, "requests_in_process peaked at %d in %d polls" % (deepest, poller.polls)
        growth = process_rss_kb(server.proc.pid) - rss_before
        assert growth < RSS_GROWTH_LIMIT_KB, "RSS grew by %d MB" % (growth // 1024)


@pytest.mark.parametrize("kind", ["python", "java"])
def test_pipelining_connections_share_the_server(kind, start_server):
    """4 connections send 3,000 requests each at once, past globalOutstandingLimit: when the first
    has all its replies, each other one has at least half of its own (Java: about 2,900)."""
    nconns, per_conn = 4, 3000
    server = start_server(kind, globalOutstandingLimit=1000)
    with RawClient("127.0.0.1", server.client_port) as c:
        c.connect()
        assert c.request(OpCode.create, CreateRequest("/p", b"v" * 100, OPEN, 0))[0].err == 0
    _, first_done = pipeline(server.client_port, nconns, per_conn)
    assert min(first_done) >= per_conn // 2, "replies per connection when the first was done: %s" % first_done
