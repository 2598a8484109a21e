"""Hostile networks on the peer ports: resets, silent peers and diagnostics cost no leader.

Each test runs against an all-Python ensemble and, where Java ZooKeeper 3.8 is
installed, the same test against an all-Java one: what Java survives, ours survives.
"""

import re
import signal
import socket
import struct
import threading
import time

import pytest

from tests.quorum.conftest import kazoo
from tests.quorum.test_sasl_quorum import JAAS, jaas_flags
from tests.support.net import process_fd_count, process_thread_count, reset_connection, wait_until
from tests.support.servers import pypy_python
from zookeeper_py.server.quorum.quorum_cnx_manager import QuorumCnxManager

KINDS = ["python", "java"]


def _leader_and_epoch(ens):
    leader = ens.wait_for_quorum()
    return leader, ens.zxid(leader) >> 32


@pytest.mark.parametrize("kind", KINDS)
def test_resets_on_every_peer_port_keep_the_leader(make_ensemble, kind):
    """Five connections reset (RST) right after connect on each member's election and quorum ports."""
    ens = make_ensemble(kinds=[kind] * 3)
    ens.start()
    leader, epoch = _leader_and_epoch(ens)
    for sid in ens.servers:
        for port in (ens.election_ports[sid], ens.quorum_ports[sid]):
            for _ in range(5):
                reset_connection("127.0.0.1", port)
    ens.assert_same_leader_for(leader, epoch, 6)
    with kazoo(ens.connect_string()) as zk:
        zk.create("/after-resets", b"ok")
        assert zk.get("/after-resets")[0] == b"ok"


@pytest.mark.parametrize("kind", KINDS)
def test_silent_peers_on_the_election_port_do_not_block_elections(make_ensemble, kind):
    """Connections to the election port that never send their handshake, then a new election.

    Java reads the handshake on its listener thread (bounded by its socket timeout); ours
    reads it on a QuorumConnectionThread. Either way the members must still elect a leader
    while the silent connections are open."""
    ens = make_ensemble(kinds=[kind] * 3)
    ens.start()
    leader, epoch = _leader_and_epoch(ens)
    silent = []
    try:
        for sid in ens.servers:
            for _ in range(3):
                silent.append(socket.create_connection(("127.0.0.1", ens.election_ports[sid]), timeout=5))
        ens.kill(leader)
        survivors = [sid for sid in ens.servers if sid != leader]
        new_leader = ens.wait_for_quorum(survivors, timeout=30)
        assert new_leader != leader
        assert ens.zxid(new_leader) >> 32 > epoch
    finally:
        for s in silent:
            s.close()


class _ElectionPortSquatter(threading.Thread):
    """Keeps `count` silent connections open to an election port, opening a new one for each the
    server closes: a stranger holding every thread that reads handshakes, for as long as it likes."""

    def __init__(self, port, count):
        super().__init__(daemon=True)
        self.port, self.count = port, count
        self.stop = threading.Event()
        self.opened = 0

    def run(self):
        held = []
        try:
            while not self.stop.is_set():
                for s in list(held):
                    s.setblocking(False)
                    try:
                        if s.recv(1) == b"":  # closed by the server
                            held.remove(s)
                            s.close()
                    except BlockingIOError:
                        pass
                    except OSError:
                        held.remove(s)
                        s.close()
                while len(held) < self.count:
                    try:
                        held.append(socket.create_connection(("127.0.0.1", self.port), timeout=2))
                        self.opened += 1
                    except OSError:
                        break
                self.stop.wait(0.1)
        finally:
            for s in held:
                s.close()


def test_strangers_holding_every_handshake_thread_do_not_block_elections(make_ensemble):
    """Each member's 20 handshake threads (quorum.cnxn.threads.size) held by silent connections,
    reopened as soon as they are closed; a follower restarted, then the leader killed: the two
    left must open an election connection to each other past the squatters, and elect.

    Ours closes the handshake waiting longest for a new connection, and any handshake not in by
    cnxTimeout. (Java reads handshakes on its listener thread, each for up to its socket timeout,
    so such a squatter stalls its elections: ours only.)"""
    ens = make_ensemble(kinds=["python"] * 3)
    ens.start()
    leader, epoch = _leader_and_epoch(ens)
    squatters = [_ElectionPortSquatter(ens.election_ports[sid], 25) for sid in ens.servers]
    for sq in squatters:
        sq.start()
    try:
        time.sleep(2)
        # A follower restarted: its election connections must now get past the squatters.
        survivors = [sid for sid in ens.servers if sid != leader]
        ens.kill(survivors[0])
        ens.start_member(survivors[0])
        ens.wait_for_quorum(timeout=30)
        time.sleep(1)
        ens.kill(leader)
        new_leader = ens.wait_for_quorum(survivors, timeout=30)
        assert new_leader != leader
        assert ens.zxid(new_leader) >> 32 > epoch
        with kazoo(ens.connect_string(survivors)) as zk:
            zk.create("/elected-among-squatters", b"ok")
    finally:
        for sq in squatters:
            sq.stop.set()
        for sq in squatters:
            sq.join(10)


def test_a_handshake_sent_a_byte_at_a_time_is_closed_after_cnx_timeout(make_ensemble):
    """A connection that sends its initial message one byte a second holds its handshake thread for
    cnxTimeout (5 s) from its accept, not for a socket timeout per byte (hours, for 2 KB)."""
    ens = make_ensemble(kinds=["python"] * 3)
    ens.start()
    ens.wait_for_quorum()
    sid = next(iter(ens.servers))
    s = socket.create_connection(("127.0.0.1", ens.election_ports[sid]), timeout=2)
    started = time.monotonic()
    closed_after = None
    try:
        # protocol version -65536, sid 99, an address of 2,000 bytes: never all sent
        head = struct.pack(">qqi", -65536, 99, 2000)
        for i in range(30):
            try:
                s.sendall(head[i:i + 1] if i < len(head) else b"x")
                s.settimeout(1.0)
                if s.recv(1) == b"":
                    closed_after = time.monotonic() - started
                    break
            except socket.timeout:
                continue
            except OSError:
                closed_after = time.monotonic() - started
                break
    finally:
        s.close()
    assert closed_after is not None and closed_after < 9, closed_after


def _refused_strangers(ens, sid):
    return len(set(re.findall(r"Refused the election connection of server (-?\d+) from .*: it is not in the "
                              r"configuration", ens.log(sid))))


def _wait_for_strangers_handled(ens, sid, handled):
    """Wait until handled() is true of member `sid`; on timeout, fail with its election lines."""
    try:
        wait_until(handled, timeout=20, message="the strangers' handshakes handled")
    except TimeoutError:
        pytest.fail("strangers not handled; the member's election connection lines:\n" + "\n".join(
            line for line in ens.log(sid).splitlines()
            if re.search(r"election connection|challenge|connection threads|Exception handling", line)))


def test_servers_outside_the_configuration_hold_at_most_a_few_threads(make_ensemble):
    """Thirty election connections with valid handshakes from sids no member has: each kept one
    holds a SendWorker and a RecvWorker, so only MAX_STRANGERS of them are kept. (Java keeps them all.)"""
    ens = make_ensemble(kinds=["python"] * 3)
    ens.start()
    leader, epoch = _leader_and_epoch(ens)
    sid = next(iter(ens.servers))
    pid = ens.servers[sid].proc.pid
    before = process_thread_count(pid)
    address = b"127.0.0.1:1"
    held = []
    try:
        for i in range(30):
            s = socket.create_connection(("127.0.0.1", ens.election_ports[sid]), timeout=5)
            s.sendall(struct.pack(">qqi", -65536, 1000 + i, len(address)) + address)
            held.append(s)
        # All 30 handled: 22 refused, beyond the 8 kept.
        refused = 30 - QuorumCnxManager.MAX_STRANGERS
        _wait_for_strangers_handled(ens, sid, lambda: _refused_strangers(ens, sid) >= refused)
        grown = process_thread_count(pid) - before
        # Two workers per stranger kept, and the handshake pool grown to its 20 threads (kept idle).
        assert grown <= 2 * QuorumCnxManager.MAX_STRANGERS + 20 + 2, "%d more threads" % grown
    finally:
        for s in held:
            s.close()
    ens.assert_same_leader_for(leader, epoch, 3)
    with kazoo(ens.connect_string()) as zk:
        zk.create("/after-strangers", b"ok")


def test_strangers_called_back_with_quorum_sasl_are_bounded_too(make_ensemble, tmp_path):
    """The same thirty strangers, with sids below the member's: each is called back at the address
    its handshake names, and with quorum SASL on, the call-back runs on a QuorumConnectionThread.
    The call-backs under way count against MAX_STRANGERS as well, so at most that many strangers
    are ever called back and kept, and the real peers are still connected and elect."""
    jaas = tmp_path / "jaas.conf"
    jaas.write_text(JAAS)
    ens = make_ensemble(kinds=["python"] * 3, extra_cfg={"quorum.auth.enableSasl": "true"},
                        flags=jaas_flags(str(jaas)))
    ens.start()
    leader, epoch = _leader_and_epoch(ens)
    sid = max(ens.servers)
    listener = socket.create_server(("127.0.0.1", 0), backlog=64)
    address = ("127.0.0.1:%d" % listener.getsockname()[1]).encode()
    called_back = []
    held = []

    def accept_call_backs():
        while True:
            try:
                called_back.append(listener.accept()[0])
            except OSError:
                return

    acceptor = threading.Thread(target=accept_call_backs, daemon=True)
    acceptor.start()
    try:
        for i in range(30):
            s = socket.create_connection(("127.0.0.1", ens.election_ports[sid]), timeout=5)
            # With quorum SASL on, the member reads 8 bytes past the handshake to see whether an
            # auth packet follows (not here: SASL is not required); a real peer's first notification.
            s.sendall(struct.pack(">qqi", -65536, -1000 - i, len(address)) + address + bytes(8))
            held.append(s)
        # Each of the 30 is either refused or called back, once.
        _wait_for_strangers_handled(ens, sid, lambda: _refused_strangers(ens, sid) + len(called_back) >= 30)
        assert len(called_back) <= QuorumCnxManager.MAX_STRANGERS, "%d strangers called back" % len(called_back)
    finally:
        listener.close()
        for s in held + called_back:
            s.close()
    ens.assert_same_leader_for(leader, epoch, 3)
    with kazoo(ens.connect_string()) as zk:
        zk.create("/after-strangers", b"ok")


@pytest.mark.parametrize("kind", KINDS)
def test_connections_that_end_before_sync_leave_no_descriptor_open(make_ensemble, kind):
    """200 connections to the leader's quorum port that close at once (a port scan) or send half
    a packet: the leader holds no descriptor for them afterwards."""
    ens = make_ensemble(kinds=[kind] * 3)
    ens.start()
    leader = ens.wait_for_quorum()
    pid = ens.servers[leader].proc.pid
    port = ens.quorum_ports[leader]
    before = process_fd_count(pid)
    for i in range(200):
        with socket.create_connection(("127.0.0.1", port), timeout=2) as s:
            if i % 2:
                s.sendall(b"\0\0\0\x40\0\0")  # a length, then not the packet
    try:
        wait_until(lambda: process_fd_count(pid) - before < 20, timeout=10, message="the descriptors closed")
    except TimeoutError:
        pytest.fail("the leader holds %d more descriptors" % (process_fd_count(pid) - before))
    with kazoo(ens.connect_string()) as zk:
        zk.create("/after-scan", b"ok")


@pytest.mark.parametrize("runtime", ["python", "pypy"])
def test_thread_dumps_under_write_load_keep_the_leader(make_ensemble, runtime):
    """kill -QUIT (the thread dump) on the leader while clients write: it prints and serves on.

    On PyPy, walking another thread's frames could raise SystemError (InvalidVirtualRef)
    out of the signal handler and end the process."""
    ens = make_ensemble(kinds=["python"] * 3)
    if runtime == "pypy":
        pypy = pypy_python()
        if pypy is None:
            pytest.skip("PyPy is not installed (Debian package pypy3)")
        for server in ens.servers.values():
            server.python = pypy
    ens.start()
    leader, epoch = _leader_and_epoch(ens)
    stop = threading.Event()
    written = []

    def writer():
        with kazoo(ens.connect_string()) as zk:
            zk.ensure_path("/load")
            i = 0
            while not stop.is_set():
                zk.set("/load", str(i).encode())
                written.append(i)
                i += 1

    t = threading.Thread(target=writer, daemon=True)
    t.start()
    try:
        proc = ens.servers[leader].proc
        for _ in range(20):
            proc.send_signal(signal.SIGQUIT)
            time.sleep(0.1)
        ens.assert_same_leader_for(leader, epoch, 2)
    finally:
        stop.set()
        t.join(30)
    assert written, "no write succeeded"
    assert "Full thread dump" in ens.log(leader)
