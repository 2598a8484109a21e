"""The election port on the wire: a test socket plays server 3 of an ensemble whose members 1 and 2 run."""

import socket
import struct
import time

import pytest

from tests.support import java_zk
from tests.support.net import wait_until

HANDSHAKE = struct.Struct(">qqi")
NOTIFICATION = struct.Struct(">iqqqqii")
LOOKING, FOLLOWING, LEADING = 0, 1, 2


def _recv_exactly(sock, n):
    buf = b""
    while len(buf) < n:
        chunk = sock.recv(n - len(buf))
        if not chunk:
            raise EOFError("closed after %d of %d bytes" % (len(buf), n))
        buf += chunk
    return buf


def _read_frame(sock):
    length, = struct.unpack(">i", _recv_exactly(sock, 4))
    return _recv_exactly(sock, length)


def _notification(frame):
    state, leader, zxid, election_epoch, peer_epoch, version, config_length = NOTIFICATION.unpack_from(frame, 0)
    assert len(frame) == 44 + config_length
    return state, leader, zxid, election_epoch, peer_epoch, version, frame[44:].decode()


@pytest.fixture(params=["python", "java"])
def two_of_three(make_ensemble, request):
    """Members 1 and 2 of a three-member config, ours or (as the reference) Java 3.8."""
    if request.param == "java":
        java_zk.require_java_zookeeper()
    ens = make_ensemble(kinds=[request.param] * 3)
    ens.start([1, 2])
    assert ens.wait_for_quorum([1, 2]) == 2
    return ens


def _listen_on(port):
    """A listening socket on the election port of a member the test plays."""
    listener = socket.socket()
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", port))
    listener.listen(5)
    listener.settimeout(15)
    return listener


def _connect_as(ens, sid, to, version=-65536, election_port=None):
    """Dial member `to` and send the handshake of server `sid` (its election address: election_port)."""
    sock = socket.create_connection(("127.0.0.1", ens.election_ports[to]), timeout=10)
    addr = ("127.0.0.1:%d" % (election_port or ens.election_ports[sid])).encode()
    sock.sendall(HANDSHAKE.pack(version, sid, len(addr)) + addr)
    return sock


@pytest.mark.parametrize("version", [-65536, -65535], ids=["3.5-handshake", "3.6+-handshake"])
def test_a_following_peer_tells_a_looking_peer_who_leads(two_of_three, version):
    ens = two_of_three
    # As server 3 (the larger sid: my connection to server 1 survives).
    with _connect_as(ens, 3, 1, version) as sock:
        config = b"server.3=127.0.0.1:1:2:participant\nversion=0"
        sock.sendall(struct.pack(">i", 44 + len(config)) + NOTIFICATION.pack(LOOKING, 3, 0, 1, 0, 2, len(config))
                     + config)
        # Server 1 first delivers what it queued for 3 during the election (3 was down then): with a send
        # queue of capacity 1, at most that one newest vote. Then the answer to my LOOKING notification.
        frames = []
        while True:
            frames.append(_notification(_read_frame(sock)))
            if frames[-1][0] != LOOKING:
                break
        assert len(frames) <= 2, frames
        assert all(f[0] == LOOKING and f[1] == 2 for f in frames[:-1])
        state, leader, zxid, election_epoch, peer_epoch, version_out, qv = frames[-1]
        assert (state, leader, version_out) == (FOLLOWING, 2, 2)
        assert peer_epoch == 1 and zxid >> 32 == 0  # the epoch the leader started (its vote's zxid is older)
        assert "server.1=127.0.0.1:%d:%d:participant\n" % (ens.quorum_ports[1], ens.election_ports[1]) in qv
        assert qv.endswith("version=0")
        # A pre-3.4 28-byte notification is understood too (peerEpoch taken from the zxid).
        sock.sendall(struct.pack(">i", 28) + struct.pack(">iqqq", LOOKING, 3, 0, 1))
        state, leader = _notification(_read_frame(sock))[:2]
        assert (state, leader) == (FOLLOWING, 2)
        # A frame over 512 KiB ends the connection.
        sock.sendall(struct.pack(">i", 512 * 1024 + 1))
        sock.settimeout(10)
        with pytest.raises((EOFError, ConnectionResetError)):
            while True:
                _read_frame(sock)
    assert "Received packet with invalid packet: 524289" in wait_until(lambda: "invalid packet" in ens.log(1)
                                                                        and ens.log(1), timeout=10)


def test_the_smaller_sid_is_hung_up_on_and_called_back(two_of_three):
    ens = two_of_three
    # Play a smaller sid (0) calling server 1: server 1 hangs up and dials sid 0 back at the address the
    # handshake gave (a port the test listens on).
    listener = _listen_on(ens.election_ports[3])
    try:
        with _connect_as(ens, 0, 1, election_port=ens.election_ports[3]) as sock:
            sock.settimeout(10)
            assert sock.recv(1) == b""  # hung up on
        back, _ = listener.accept()
        with back:
            back.settimeout(10)
            version, sid, length = HANDSHAKE.unpack(_recv_exactly(back, HANDSHAKE.size))
            assert (version, sid) == (-65536, 1)
            assert _recv_exactly(back, length).decode() == "127.0.0.1:%d" % ens.election_ports[1]
    finally:
        listener.close()


def test_a_looking_peer_with_a_worse_vote_is_told_the_better_one_at_once(make_ensemble):
    """zookeeper_py only (Java waits for its notification timeout): see FastLeaderElection.look_for_leader.

    Only member 2 of three runs; the test listens as member 1 (the smaller sid, which member 2 dials).
    Once member 2's notification timeout has grown past 1.6 s, the test sends member 2 a vote of its
    round for leader 1, worse than member 2's own; member 2 answers with its vote well before its timer."""
    ens = make_ensemble(kinds=["python"] * 3)
    listener = _listen_on(ens.election_ports[1])
    try:
        ens.start([2])
        sock, _ = listener.accept()
    finally:
        listener.close()
    with sock:
        sock.settimeout(20)
        version, sid, length = HANDSHAKE.unpack(_recv_exactly(sock, HANDSHAKE.size))
        assert sid == 2
        _recv_exactly(sock, length)
        arrived = []
        while len(arrived) < 2 or arrived[-1] - arrived[-2] < 1.5:  # timeouts 0.2, 0.4, 0.8, 1.6 s ...
            state, leader, zxid, election_epoch, peer_epoch = _notification(_read_frame(sock))[:5]
            assert (state, leader) == (LOOKING, 2)
            arrived.append(time.monotonic())
        config = b"server.1=127.0.0.1:1:2:participant\nversion=0"
        sent = time.monotonic()
        sock.sendall(struct.pack(">i", 44 + len(config))
                     + NOTIFICATION.pack(LOOKING, 1, zxid, election_epoch, peer_epoch, 2, len(config)) + config)
        state, leader, _, round_, _ = _notification(_read_frame(sock))[:5]
        answered = time.monotonic() - sent
        assert (state, leader, round_) == (LOOKING, 2, election_epoch)
        # the next timer notification is at least 3.2 s after the last one
        assert answered < 1.0, "answered by the timer (%.2f s), not at once" % answered
