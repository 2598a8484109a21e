"""Hostile networks on the peer ports: resets, silent peers and diagnostics cost no leader.

Each test runs against an all-Python ensemble and, where Java ZooKeeper 3.8 is
installed, the same test against an all-Java one: what Java survives, ours survives.
"""

import signal
import socket
import threading
import time

import pytest

from tests.quorum.conftest import kazoo
from tests.support.net import reset_connection
from tests.support.servers import pypy_python

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
