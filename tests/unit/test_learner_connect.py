"""Learner.sock_connect: a leader port refused right after an election (the new leader has not
bound it yet) is retried every REFUSED_RETRY_MS, not after a whole leaderConnectDelayDuringRetryMs."""

import os
import socket
import threading
import time

import pytest

from zookeeper_py.server.quorum.learner import REFUSED_RETRY_MS, Learner


class Peer:
    def __init__(self):
        self.running = True

    def is_running(self):
        return self.running

    def sleep_while_running(self, seconds):
        time.sleep(seconds)  # QuorumPeer's wakes early on shutdown; nothing shuts down here


def learner():
    lr = Learner()
    lr.self = Peer()
    return lr


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_port_bound_during_the_patience_is_connected_at_once():
    port = free_port()
    listener = socket.socket()
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    bind_at = []

    def bind_late():
        time.sleep(0.05)  # the late leader under test, not a synchronisation
        listener.bind(("127.0.0.1", port))
        listener.listen(1)
        bind_at.append(time.monotonic())

    t = threading.Thread(target=bind_late)
    t.start()
    try:
        sock = learner().sock_connect(("127.0.0.1", port), 2000, refused_patience_ms=1000)
        connected_at = time.monotonic()
        sock.close()
        t.join()
        assert connected_at - bind_at[0] < 0.05  # one poll after the bind, not a 100 ms retry delay
    finally:
        t.join()
        listener.close()


def test_refusal_outlasting_the_patience_is_raised():
    port = free_port()
    t0 = time.monotonic()
    with pytest.raises(ConnectionRefusedError):
        learner().sock_connect(("127.0.0.1", port), 2000, refused_patience_ms=100)
    assert 0.1 - REFUSED_RETRY_MS / 1000.0 <= time.monotonic() - t0 < 1.0


def test_no_patience_is_one_attempt():
    port = free_port()
    t0 = time.monotonic()
    with pytest.raises(ConnectionRefusedError):
        learner().sock_connect(("127.0.0.1", port), 2000)
    assert time.monotonic() - t0 < REFUSED_RETRY_MS / 1000.0


def test_a_closed_leader_connection_releases_its_descriptor():
    """close_socket() closes the socket's descriptor at once, though the Learner (and its reader
    and buffered writer over the socket) lives on: a follower whose leader connection was reset
    fifty times holds no more descriptors. (The writer kept each one open until the Learner was
    collected.)"""
    listener = socket.create_server(("127.0.0.1", 0))
    kept = []
    before = len(os.listdir("/proc/self/fd"))
    try:
        for _ in range(50):
            lr = learner()
            lr.sock = socket.create_connection(listener.getsockname(), timeout=5)
            listener.accept()[0].close()
            lr._in = lr.sock.makefile("rb")  # as connect_to_leader makes them
            lr.buffered_output = lr.sock.makefile("wb", buffering=65536)
            lr.buffered_output.write(b"unsent")
            lr.close_socket()
            kept.append(lr)
        assert len(os.listdir("/proc/self/fd")) - before < 5
    finally:
        listener.close()
