"""net_utils.recv_view, the server's read of a client connection: what recv would return, read into
one buffer per thread, because PyPy's recv(65536) makes 64 KB of garbage per call."""

import os
import socket
import subprocess
import threading

import pytest

from tests.support.servers import REPO, pypy_python
from zookeeper_py.common.net_utils import recv_view


def test_it_returns_what_recv_would_then_empty_at_the_end_of_the_stream():
    a, b = socket.socketpair()
    with a, b:
        got = bytearray()
        for chunk in (b"x" * 10, b"hello", bytes(range(256)) * 300):
            a.sendall(chunk)
            while len(got) < len(chunk):
                got += recv_view(b, 65536)  # copied at once, as the server does
            assert bytes(got) == chunk
            got.clear()
        a.close()
        assert len(recv_view(b, 65536)) == 0


def test_a_non_blocking_socket_without_data_raises_blocking_io_error():
    a, b = socket.socketpair()
    with a, b:
        b.setblocking(False)
        with pytest.raises(BlockingIOError):
            recv_view(b, 65536)


def test_threads_read_into_buffers_of_their_own():
    pairs = [socket.socketpair() for _ in range(4)]
    seen = {}
    start = threading.Barrier(len(pairs))

    def read(i, sock):
        start.wait()
        got = bytearray()
        while len(got) < 100000:
            got += recv_view(sock, 4096)
        seen[i] = bytes(got)

    threads = [threading.Thread(target=read, args=(i, b)) for i, (_, b) in enumerate(pairs)]
    for t in threads:
        t.start()
    for i, (a, _) in enumerate(pairs):
        a.sendall(bytes([i]) * 100000)
    for t in threads:
        t.join(30)
    for a, b in pairs:
        a.close()
        b.close()
    assert {i: set(v) for i, v in seen.items()} == {i: {i} for i in range(len(pairs))}


NURSERY_CHECK = r"""
import gc, socket
from zookeeper_py.common.net_utils import recv_view

minors = [0]

def on_minor(stats):
    minors[0] += stats.count

gc.hooks.on_gc_minor = on_minor
a, b = socket.socketpair()
inbuf = bytearray()
counts = []
for read in (lambda: b.recv(65536), lambda: recv_view(b, 65536)):
    gc.collect()
    before = minors[0]
    for _ in range(2000):
        a.send(b"x" * 40)
        inbuf += read()
        del inbuf[:]
    counts.append(minors[0] - before)
print(counts[0], counts[1])
"""


def test_on_pypy_its_reads_leave_no_garbage_for_the_collector():
    python = pypy_python()
    if python is None:
        pytest.skip("PyPy is not installed (Debian package pypy3)")
    out = subprocess.run([python, "-c", NURSERY_CHECK], cwd=REPO, capture_output=True, text=True, timeout=120,
                         env=dict(os.environ, PYTHONPATH=REPO, PYPY_GC_NURSERY="4MB"))
    assert out.returncode == 0, out.stderr
    with_recv, with_recv_view = map(int, out.stdout.split())
    assert with_recv >= 20, out.stdout  # 2000 x 64 KB through a 4 MB nursery
    assert with_recv_view <= 1, out.stdout
