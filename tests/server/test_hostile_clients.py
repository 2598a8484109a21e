"""Misbehaving clients cost only their own connection: nothing freezes or bloats the server.

Each test runs once against our server and once against Java ZooKeeper 3.8 (where
installed) with the same expectations.
"""

import collections
import os
import re
import resource
import socket
import struct
import threading
import time

import pytest
from kazoo.client import KazooClient

from tests.support.net import four_letter_word, process_rss_kb, read_to_end, reset_connection, wait_until
from tests.support.raw_zk import RawClient
from tests.support.servers import PythonServer
from zookeeper_py.data import ACL, Id
from zookeeper_py.proto import (
    AuthPacket,
    CreateRequest,
    ExistsRequest,
    GetACLRequest,
    GetACLResponse,
    GetChildrenRequest,
    GetDataRequest,
    ReplyHeader,
    RequestHeader,
    SetWatches,
)
from zookeeper_py.zoo_defs import OpCode, Perms


@pytest.fixture
def kazoo_client(zk_server):
    client = KazooClient(hosts=zk_server.address, timeout=15)
    client.start(timeout=15)
    yield client
    client.stop()
    client.close()


def _serves_within(server, seconds):
    """A fresh client connects, creates, reads and a 4lw answers, each within `seconds`."""
    with RawClient("127.0.0.1", server.client_port, timeout=seconds) as c:
        c.connect()
        hdr, _ = c.request(OpCode.exists, body=b"\0\0\0\x01/\0", timeout=seconds)
        assert hdr.err == 0
    assert "imok" in four_letter_word("127.0.0.1", server.client_port, "ruok", timeout=seconds)


def _small_receive_buffer_socket(port):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    s.settimeout(5)
    s.connect(("127.0.0.1", port))
    return s


def test_resets_on_the_client_port_cost_nothing(zk_server, kazoo_client):
    """Connections reset right after connect (a port scanner, a health check): new clients still connect."""
    kazoo_client.create("/before-resets", b"1")
    for _ in range(50):
        reset_connection("127.0.0.1", zk_server.client_port)
    _serves_within(zk_server, 3)
    for _ in range(5):
        _serves_within(zk_server, 3)  # fds freed by the resets are taken again by new connections
    assert kazoo_client.get("/before-resets")[0] == b"1"


def test_half_sent_stmk_does_not_stall_other_clients(zk_server):
    """`stmk` waits for an 8-byte mask; a client that never sends it must not freeze the others."""
    stuck = socket.create_connection(("127.0.0.1", zk_server.client_port), timeout=5)
    try:
        stuck.sendall(b"stmk")
        time.sleep(0.3)  # let the server read it
        _serves_within(zk_server, 3)
        stuck.sendall(b"\0\0")  # part of the mask: still nothing must stall
        _serves_within(zk_server, 3)
    finally:
        stuck.close()


def test_stmk_mask_in_pieces_is_answered(py_server):
    """Ours waits for a mask that arrives in pieces and answers it (Java reads once and closes
    the connection when the 8 bytes are not all there yet)."""
    with socket.create_connection(("127.0.0.1", py_server.client_port), timeout=5) as s:
        s.sendall(b"stmk")
        time.sleep(0.2)
        s.sendall(struct.pack(">q", 0x1f2)[:3])
        time.sleep(0.2)
        s.sendall(struct.pack(">q", 0x1f2)[3:])
        answer = read_to_end(s)
    assert answer.decode().strip() == str(0x1f2)


def test_dump_clients_that_never_read_do_not_stall_others(zk_server, kazoo_client):
    """A `dump` several MB long to clients that never read: the others are served meanwhile."""
    # 20,000 ephemerals with long names make `dump` several MB, more than the socket buffers hold.
    kazoo_client.ensure_path("/e")
    prefix = "/e/" + "x" * 200
    for batch in range(20):
        tx = kazoo_client.transaction()
        for i in range(1000):
            tx.create("%s-%d-%d" % (prefix, batch, i), ephemeral=True)
        assert all(r is True or isinstance(r, str) for r in tx.commit())
    stuck = []
    try:
        for _ in range(2):
            s = _small_receive_buffer_socket(zk_server.client_port)
            s.sendall(b"dump")
            stuck.append(s)
        time.sleep(1.0)  # the server fills what the sockets hold
        _serves_within(zk_server, 5)
        assert kazoo_client.exists("/e") is not None
    finally:
        for s in stuck:
            s.close()


def _watch_while_stuck(kazoo_client, path, pid, rss_before, seconds):
    """For `seconds`, another client's request every 0.1 s: (the server's peak RSS in KB, the
    slowest of those requests in seconds)."""
    peak, worst_wait = rss_before, 0.0
    deadline = time.time() + seconds
    while time.time() < deadline:
        started = time.time()
        assert kazoo_client.exists(path) is not None
        worst_wait = max(worst_wait, time.time() - started)
        peak = max(peak, process_rss_kb(pid) or 0)
        time.sleep(0.1)
    return peak, worst_wait


def test_client_that_never_reads_does_not_bloat_the_server(zk_server, kazoo_client):
    """A session pipelines getData of a 512 KiB znode for 10 s and never reads a reply.

    The server's RSS stays bounded and other clients keep being served."""
    kazoo_client.create("/big", b"z" * (512 * 1024))
    pid = zk_server.proc.pid
    rss_before = process_rss_kb(pid)
    slow = RawClient("127.0.0.1", zk_server.client_port)
    slow.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    slow.connect()
    request = GetDataRequest("/big", False).to_bytes()
    frame_body = struct.pack(">ii", 1, OpCode.getData) + request
    frame = struct.pack(">i", len(frame_body)) + frame_body
    burst = frame * 256
    stop = threading.Event()
    sent = [0]

    def pipeline():
        slow.sock.setblocking(False)
        view = memoryview(burst)
        pos = 0
        while not stop.is_set():
            try:
                pos += slow.sock.send(view[pos:])
            except BlockingIOError:
                time.sleep(0.005)
                continue
            except OSError:
                return
            if pos == len(burst):
                sent[0] += 256
                pos = 0

    t = threading.Thread(target=pipeline, daemon=True)
    t.start()
    try:
        peak, worst_wait = _watch_while_stuck(kazoo_client, "/big", pid, rss_before, 10)
    finally:
        stop.set()
        t.join(5)
        slow.close()
    growth_mb = (peak - rss_before) / 1024.0
    print("%s: %d getData sent, RSS %d MB -> peak %d MB (+%.0f MB), slowest other request %.2f s" % (
        zk_server.kind, sent[0], rss_before // 1024, peak // 1024, growth_mb, worst_wait))
    assert sent[0] > 1000, "the load generator did not get its requests out"
    # Both keep serving the others. The memory bound is ours alone: Java holds the replies on its
    # heap (a quarter of the machine's memory by default) and grew by 0.2-1.2 GB here, run to run;
    # ours before back-pressure grew past 1 GB and went on. Now it stops reading the connection
    # after about 1 MB of unsent replies.
    if zk_server.kind == "python":
        assert growth_mb < 64, "RSS grew by %.0f MB with back-pressure on" % growth_mb
    assert worst_wait < 3.0, "another client waited %.2f s" % worst_wait


def _wide_listing_request(kazoo_client):
    """/wide with 1,000 children of ~400-character names; a getChildren frame for its ~400 KB listing."""
    kazoo_client.create("/wide")
    name = "c" * 390
    for start in range(0, 1000, 200):
        for pending in [kazoo_client.create_async("/wide/%s%04d" % (name, i)) for i in range(start, start + 200)]:
            pending.get(timeout=30)
    body = struct.pack(">ii", 1, OpCode.getChildren) + GetChildrenRequest("/wide", False).to_bytes()
    return struct.pack(">i", len(body)) + body


def test_clients_that_pipeline_large_listings_and_never_read_do_not_bloat_the_server(zk_server, kazoo_client):
    """Ten sessions each pipeline 200 getChildren of a node whose listing is ~400 KB, and never read.

    A listing is made anew for each reply (a large getData sends the znode's own bytes), so the
    unsent-bytes mark alone does not bound it: the requests already in flight when it is passed
    add theirs. Ours caps a connection's requests in flight by the size of its recent replies;
    before the cap each such connection held some 128 replies (~50 MB)."""
    if zk_server.kind != "python":
        pytest.skip("the bound is ours: Java's outgoing buffers are unbounded")
    burst = _wide_listing_request(kazoo_client) * 200
    pid = zk_server.proc.pid
    rss_before = process_rss_kb(pid)
    stuck = []
    try:
        for _ in range(10):
            c = RawClient("127.0.0.1", zk_server.client_port)
            c.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
            c.connect()
            c.send_raw(burst)  # ~7 KB: all of it reaches the server's socket buffer
            stuck.append(c)
        peak, worst_wait = _watch_while_stuck(kazoo_client, "/wide", pid, rss_before, 6)
    finally:
        for c in stuck:
            c.close()
    growth_mb = (peak - rss_before) / 1024.0
    print("RSS %d MB -> peak %d MB (+%.0f MB), slowest other request %.2f s" % (
        rss_before // 1024, peak // 1024, growth_mb, worst_wait))
    assert growth_mb < 160, "RSS grew by %.0f MB for ten clients that never read" % growth_mb
    assert worst_wait < 3.0, "another client waited %.2f s" % worst_wait


def test_a_reset_while_replies_are_written_is_logged_once(zk_server, kazoo_client):
    """Clients that reset their connection while large replies are being written to it.

    The thread writing a reply and the selector thread both meet the reset; the connection is
    closed once and logged once, not once per selector round until the close completes (CPython
    logged hundreds of lines a connection, megabytes a second from one client)."""
    if zk_server.kind != "python":
        pytest.skip("checks our server's log")
    request = _wide_listing_request(kazoo_client)
    for _ in range(200):
        c = RawClient("127.0.0.1", zk_server.client_port)
        c.connect()
        c.send_raw(request * 5)
        c.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        c.close()
    _serves_within(zk_server, 3)
    per_session = collections.Counter(re.findall(r"Exception causing close of session (0x[0-9a-f]+)",
                                                 zk_server.all_output()))
    worst = max(per_session.values(), default=0)
    assert worst <= 2, "one connection's close was logged %d times" % worst


# -- requests that cost the server much work ----------------------------------------------------

def _probe_worst_wait(server, seconds):
    """For `seconds`, another client's exists("/") one after another: the slowest, in seconds."""
    worst = 0.0
    with RawClient("127.0.0.1", server.client_port, timeout=30) as probe:
        probe.connect()
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            started = time.monotonic()
            hdr, _ = probe.request(OpCode.exists, ExistsRequest("/", False), timeout=30)
            assert hdr.err == 0
            worst = max(worst, time.monotonic() - started)
    return worst


def test_a_slow_four_letter_word_does_not_hold_other_clients(zk_server):
    """`wchp` over 200,000 watches, sent again and again: the other clients are served meanwhile,
    as on Java, whose words run on an NIOWorkerThread. Ours ran them on the selector thread, and
    each held every client for as long as it took (0.2 s on PyPy, 0.55 s on CPython, with
    100,000 watches)."""
    paths = ["/w%d" % i for i in range(200000)]
    with RawClient("127.0.0.1", zk_server.client_port, timeout=60) as watcher:
        watcher.connect()
        for i in range(0, len(paths), 50000):  # SetWatches of exist watches: under jute.maxbuffer each
            hdr, _ = watcher.request(OpCode.setWatches, SetWatches(0, [], paths[i:i + 50000], []), timeout=60)
            assert hdr.err == 0
        started = time.monotonic()
        assert "/w199999" in four_letter_word("127.0.0.1", zk_server.client_port, "wchp", timeout=60)
        one_word = time.monotonic() - started
        stop = threading.Event()

        def send_words():
            while not stop.is_set():
                four_letter_word("127.0.0.1", zk_server.client_port, "wchp", timeout=60)

        sender = threading.Thread(target=send_words, daemon=True)
        sender.start()
        try:
            worst = _probe_worst_wait(zk_server, max(3.0, 3 * one_word))
            # Health checks and `zkServer.sh status` are not queued behind a wchp either.
            checks = {}
            for word, answer in [("ruok", "imok"), ("srvr", "Mode: standalone")] * 5:
                started = time.monotonic()
                assert answer in four_letter_word("127.0.0.1", zk_server.client_port, word, timeout=60)
                checks[word] = max(checks.get(word, 0), time.monotonic() - started)
        finally:
            stop.set()
            sender.join(60)
    bound = max(one_word / 2, 0.2)
    assert worst < bound, "a request waited %.3f s; one wchp takes %.3f s" % (worst, one_word)
    for word, waited in checks.items():
        assert waited < bound, "%s waited %.3f s; one wchp takes %.3f s" % (word, waited, one_word)


def test_a_create_with_a_huge_acl_list_does_not_freeze_the_server(py_server):
    """One create whose ACL lists 35,000 ip ids (most of a 1 MB packet, 1,000 of them twice):
    the duplicates go, and the other clients are served meanwhile. Ours scanned the list for
    each entry, as Java does (Java 3.8 holds its server about 10 s with 40,000), and was frozen
    for a minute on PyPy, two on CPython."""
    ids = ["10.%d.%d.%d" % (i >> 16, (i >> 8) & 255, i & 255) for i in range(35000)]
    acl = [ACL(Perms.ALL, Id("ip", a)) for a in ids] + [ACL(Perms.ALL, Id("ip", a)) for a in ids[:1000]]
    acl.append(ACL(Perms.READ, Id("world", "anyone")))  # this client may read it back
    with RawClient("127.0.0.1", py_server.client_port, timeout=60) as client:
        client.connect()
        xid = client.send_request(OpCode.create, CreateRequest("/wide-acl", b"", acl, 0).to_bytes())
        _serves_within(py_server, 5)
        hdr, _ = ReplyHeader.decode(client.read_frame(timeout=60))
        assert (hdr.xid, hdr.err) == (xid, 0)
        hdr, body = client.request(OpCode.getACL, GetACLRequest("/wide-acl"), timeout=60)
        assert hdr.err == 0
        assert [a.id.id for a in GetACLResponse.from_bytes(body).acl] == ids + ["anyone"]


def test_a_flood_of_addauth_is_answered_in_linear_time(zk_server):
    """20,000 addauth digest packets pipelined on one connection, each a new id: all answered
    within 15 s, and the other clients served meanwhile (Java 3.8: 2 s). Ours scanned the
    connection's ids for each new one: 12 s on PyPy, 38 s on CPython."""
    count = 20000
    with RawClient("127.0.0.1", zk_server.client_port, timeout=60) as client:
        client.connect()
        frames = b"".join(
            struct.pack(">i", len(p)) + p
            for p in (RequestHeader(-4, OpCode.auth).to_bytes() + AuthPacket(0, "digest", b"u%d:pw" % i).to_bytes()
                      for i in range(count)))
        started = time.monotonic()
        sender = threading.Thread(target=client.send_raw, args=(frames,), daemon=True)
        sender.start()
        _serves_within(zk_server, 5)
        for _ in range(count):
            hdr, _ = ReplyHeader.decode(client.read_frame(timeout=30))
            assert (hdr.xid, hdr.err) == (-4, 0)
        answered = time.monotonic() - started
        sender.join(10)
    assert answered < 15, "20,000 addauth answered in %.1f s" % answered


def test_a_full_descriptor_table_is_logged_ten_times_a_second_not_per_try(tmp_path):
    """At its open-file limit the AcceptThread retries every 10 ms. Java's NIO factory logs the
    failures through a RateLogger: the first at once, then "[N times] ..." at most every 100 ms.
    Ours logged every try, 100 warnings a second for as long as the limit held. The server keeps
    serving the session it has and takes new ones once descriptors are free."""
    server = PythonServer(str(tmp_path), extra_cfg={"maxClientCnxns": "0"})
    server.start()
    zk = KazooClient(hosts=server.address, timeout=15)
    held = []
    try:
        zk.start(timeout=15)
        soft, hard = resource.prlimit(server.proc.pid, resource.RLIMIT_NOFILE)
        in_use = len(os.listdir("/proc/%d/fd" % server.proc.pid))
        resource.prlimit(server.proc.pid, resource.RLIMIT_NOFILE, (in_use + 5, hard))
        for _ in range(40):
            held.append(socket.create_connection(("127.0.0.1", server.client_port), timeout=5))
        wait_until(lambda: "Too many open files" in server.all_output(), timeout=10,
                   message="the server never ran out of descriptors")
        start = time.monotonic()
        before = server.all_output().count("Error accepting new connection")
        time.sleep(2)
        lines = server.all_output().count("Error accepting new connection") - before
        seconds = time.monotonic() - start
        assert lines <= 12 * seconds + 2, "%d accept warnings in %.1f s" % (lines, seconds)
        assert re.search(r"\[\d+ times\] Error accepting new connection: \[Errno 24\] Too many open files",
                         server.all_output())
        zk.create("/still-served", b"")
        for s in held:
            s.close()
        resource.prlimit(server.proc.pid, resource.RLIMIT_NOFILE, (soft, hard))
        _serves_within(server, 10)
    finally:
        for s in held:
            s.close()
        zk.stop()
        zk.close()
        server.stop()
