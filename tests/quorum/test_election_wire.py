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


def _dial(ens, sid, to):
    """_connect_as, or None while member `to` does not listen yet."""
    try:
        return _connect_as(ens, sid, to)
    except ConnectionRefusedError:
        return None


def _until_the_timer_is_slow(sock):
    """Read member 2's notifications until its notification timeout has grown past 1.6 s (0.2, 0.4,
    0.8, 1.6 s ...), so the next one from its timer is at least 3.2 s away; the last one's fields."""
    arrived = []
    while len(arrived) < 2 or arrived[-1] - arrived[-2] < 1.5:
        state, leader, zxid, election_epoch, peer_epoch = _notification(_read_frame(sock))[:5]
        assert (state, leader) == (LOOKING, 2)
        arrived.append(time.monotonic())
    return zxid, election_epoch, peer_epoch


def _send_vote(sock, leader, zxid, election_epoch, peer_epoch):
    config = b"server.1=127.0.0.1:1:2:participant\nversion=0"
    sock.sendall(struct.pack(">i", 44 + len(config))
                 + NOTIFICATION.pack(LOOKING, leader, zxid, election_epoch, peer_epoch, 2, len(config)) + config)


def _answered_within(sock, seconds):
    """The notification member 2 sends within `seconds`, or None."""
    sock.settimeout(seconds)
    try:
        return _notification(_read_frame(sock))
    except socket.timeout:
        return None
    finally:
        sock.settimeout(20)


def test_a_looking_peer_with_a_worse_vote_is_told_the_better_one_at_once(make_ensemble):
    """zookeeper_py only (Java waits for its notification timeout): see FastLeaderElection.look_for_leader.

    Only member 2 of three runs; the test listens as member 1 (the smaller sid, which member 2 dials).
    Once member 2's notification timeout has grown past 1.6 s, the test sends member 2 a vote of its
    round for leader 1, worse than member 2's own; member 2 answers with its vote well before its timer.
    The same vote again is not answered at once: that peer has heard member 2's vote and kept its own."""
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
        zxid, election_epoch, peer_epoch = _until_the_timer_is_slow(sock)
        sent = time.monotonic()
        _send_vote(sock, 1, zxid, election_epoch, peer_epoch)
        state, leader, _, round_, _ = _notification(_read_frame(sock))[:5]
        answered = time.monotonic() - sent
        assert (state, leader, round_) == (LOOKING, 2, election_epoch)
        # the next timer notification is at least 3.2 s after the last one
        assert answered < 1.0, "answered by the timer (%.2f s), not at once" % answered
        _send_vote(sock, 1, zxid, election_epoch, peer_epoch)
        assert _answered_within(sock, 1.0) is None, "the same vote was answered at once again"


def test_a_vote_for_a_weight_0_member_is_not_answered_at_once(make_ensemble):
    """zookeeper_py only. A weight-0 member ranks the others' votes below its vote for itself (a smaller
    sid), and they rank its vote below theirs (weight 0): answering each other's "worse" vote at once
    bounced votes between two of our members thousands of times a second for as long as the quorum
    was lost (found by the large-ensembles tester). The test dials member 2 as member 3 (weight 0)."""
    ens = make_ensemble(kinds=["python"] * 3, extra_cfg={
        "group.1": "1:2:3", "weight.1": "1", "weight.2": "1", "weight.3": "0"})
    ens.start([2])
    with wait_until(lambda: _dial(ens, 3, to=2), timeout=15, message="member 2's election port") as sock:
        sock.settimeout(20)
        zxid, election_epoch, peer_epoch = _until_the_timer_is_slow(sock)
        _send_vote(sock, 3, zxid, election_epoch, peer_epoch)
        assert _answered_within(sock, 1.0) is None, "a vote for the weight-0 member 3 was answered at once"
        # member 2 keeps its vote, and its timer still sends it
        state, leader, _, round_, _ = _notification(_read_frame(sock))[:5]
        assert (state, leader, round_) == (LOOKING, 2, election_epoch)
