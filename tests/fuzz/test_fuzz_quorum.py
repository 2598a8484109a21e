"""Structured fuzzing of the peer ports of a live 3-member ensemble of our servers.

Quorum port (the leader's): fuzzed first packets (FOLLOWERINFO / OBSERVERINFO with
LearnerInfo of every shape, QuorumPackets of every type, cut packets, forged data
lengths and authinfo counts, random bytes), and, after a complete learner handshake
(FOLLOWERINFO, LEADERINFO, ACKEPOCH, DIFF, NEWLEADER, ACK, UPTODATE), fuzzed packets of
every type: ACK, PING with session lists, REVALIDATE, REQUEST carrying every opcode's
fuzzed body, and the leader-to-learner types a learner never sends.

Election port (every member's): fuzzed initial messages (protocol version -65536 and
-65535 with sid, address length and address; the pre-3.5 plain sid), then FLE
notifications of every format (28, 36 and 40 bytes, version 2 with a config) with
fuzzed states, epochs, versions, config text and frame lengths.

Each connection closes with a FIN or a reset. After each example the member still
serves clients and, on the election port, still answers a LOOKING peer with the
leader's vote (its WorkerReceiver, WorkerSender and connection threads are alive).
After each test the leader is the same member in the same epoch (no re-election),
every process is alive with every thread it had, a write through kazoo succeeds and
the logs tell of no dead thread. The last test makes the ensemble elect again: the
election machinery fuzzed all along still works.
"""

import socket
import struct
import time

import pytest
from hypothesis import given, strategies as st
from kazoo.client import KazooClient

from tests.fuzz.conftest import (
    ALL_OPCODES,
    HEALTH_DEADLINE,
    INT32_MAX,
    INT32_MIN,
    KAZOO_RANDOM,
    SERVER_FLAGS,
    LogWatch,
    answered_or_closed,
    assert_serving,
    close_with_reset,
    damaged,
    forged_lengths,
    fuzz_settings,
    int32s,
    int64s,
    lasting_threads,
    mutated,
    record_strategy,
    requests,
    send_ignoring_reset,
    thread_names,
    valid_body,
)
from tests.support.ensemble import Ensemble
from tests.support.net import free_port, wait_until
from tests.support.raw_zk import RawClient
from zookeeper_py.data import Id
from zookeeper_py.jute import BinaryInputArchive
from zookeeper_py.proto import CreateRequest, ExistsRequest, MultiHeader, RequestHeader
from zookeeper_py.server.quorum.quorum_cnx_manager import OBSERVER_ID, QuorumCnxManager
from zookeeper_py.server.quorum.quorum_packet import LearnerInfo, QuorumPacket
from zookeeper_py.zoo_defs import OpCode

pytestmark = [pytest.mark.timeout(600), KAZOO_RANDOM]

# Packet types of the quorum protocol (Leader's constants)
REQUEST, PROPOSAL, ACK, COMMIT, PING, REVALIDATE, SYNC, INFORM = 1, 2, 3, 4, 5, 6, 7, 8
COMMITANDACTIVATE, NEWLEADER, FOLLOWERINFO, UPTODATE, DIFF, TRUNC, SNAP = 9, 10, 11, 12, 13, 14, 15
OBSERVERINFO, LEADERINFO, ACKEPOCH, INFORMANDACTIVATE = 16, 17, 18, 19
PACKET_TYPES = list(range(1, 20))

_INT = struct.Struct(">i")
_LONG = struct.Struct(">q")
_SESSION = struct.Struct(">qi")
_REQUEST_HEAD = struct.Struct(">qii")
_HANDSHAKE_HEAD = struct.Struct(">qqi")
_NOTIFICATION_28 = struct.Struct(">iqqq")  # state, leader, zxid, electionEpoch
_NOTIFICATION_36 = struct.Struct(">iqqqq")  # + peerEpoch
_NOTIFICATION_40 = struct.Struct(">iqqqqi")  # + version
_NOTIFICATION_44 = struct.Struct(">iqqqqii")  # + config length, then the config text
LOOKING, FOLLOWING, LEADING, OBSERVING = 0, 1, 2, 3

FAKE_SIDS = st.one_of(st.integers(1000, 1010), st.sampled_from([1, 2, 3, 0, -1, OBSERVER_ID]), int64s)
PEER_TIMEOUT = 5.0


# -- the ensemble ---------------------------------------------------------------------------------------

class Watched:
    """The module's ensemble, its kazoo session, and what each test must find unchanged."""

    def __init__(self, ens):
        self.ens = ens
        self.zk = None
        self.threads = {}
        self.writes = 0
        self.leader = None
        self.probe_sid = 100000
        self.closed_port = free_port()  # nobody listens here: an election address that is refused

    def write(self):
        self.writes += 1
        self.zk.set_async("/fuzz-health", str(self.writes).encode()).get(timeout=HEALTH_DEADLINE)


def start_watched(tmp_path_factory, name):
    ens = Ensemble(str(tmp_path_factory.mktemp(name)), extra_cfg={"forceSync": "no"}, flags=SERVER_FLAGS)
    ens.start()
    ens.wait_for_quorum(timeout=90)
    w = Watched(ens)
    w.zk = KazooClient(hosts=ens.connect_string(), timeout=30)
    w.zk.start(timeout=30)
    w.zk.create("/fuzz-health", b"0")
    for sid in ens.servers:
        w.threads[sid] = thread_names(ens.servers[sid])
    return w


def stop_watched(w):
    try:
        if w.zk is not None:
            w.zk.stop()
            w.zk.close()
    finally:
        w.ens.stop()


@pytest.fixture(scope="class")
def quorum_port_ensemble(tmp_path_factory):
    w = start_watched(tmp_path_factory, "fuzz-quorum-port")
    yield w
    stop_watched(w)


@pytest.fixture(scope="class")
def election_port_ensemble(tmp_path_factory):
    w = start_watched(tmp_path_factory, "fuzz-election-port")
    yield w
    stop_watched(w)


@pytest.fixture
def steady(request):
    """The class's ensemble, its leader and epoch before the test; steady.check() at the end of the test
    asserts they are the same and every member is whole and serving (in the test, so xfail covers it)."""
    watched = request.getfixturevalue("watched")
    ens = watched.ens
    watched.leader = ens.wait_for_quorum(timeout=90)
    epoch = ens.zxid(watched.leader) >> 32
    logs = {sid: LogWatch(ens.servers[sid].out_path) for sid in ens.servers}

    def check():
        leader = watched.leader
        for sid in ens.servers:
            assert ens.is_running(sid), "member %d exited:\n%s" % (sid, ens.servers[sid].output_tail())
        modes = ens.modes()
        assert modes[leader] == "leader", "leader %d lost its role: %r\n%s" % (leader, modes, ens.tails())
        assert sorted(modes.values()) == ["follower", "follower", "leader"], modes
        now = ens.zxid(leader) >> 32
        assert now == epoch, "a re-election happened: epoch %d -> %d" % (epoch, now)
        watched.write()
        for sid in ens.servers:
            assert_serving(ens.client_ports[sid], "member %d" % sid, proc=ens.servers[sid].proc)
            probe_election(watched, sid)
            lost = lasting_threads(watched.threads[sid]) - lasting_threads(thread_names(ens.servers[sid]))
            assert not lost, "member %d lost threads: %s" % (sid, sorted(lost))
            problems = logs[sid].problems()
            assert not problems, "member %d's log tells of dead threads:\n%s" % (sid, "\n".join(problems[:20]))

    watched.check = check
    return watched


def member_healthy(watched, sid, election=False):
    ens = watched.ens
    assert ens.is_running(sid), "member %d exited:\n%s" % (sid, ens.servers[sid].output_tail())
    assert_serving(ens.client_ports[sid], "member %d" % sid, proc=ens.servers[sid].proc)
    if election:
        probe_election(watched, sid)


def finish(sock, reset):
    if reset:
        close_with_reset(sock)
    else:
        try:
            sock.shutdown(socket.SHUT_WR)
        except OSError:
            pass
        sock.close()


def send_all(sock, data):
    try:
        sock.sendall(data)
        return True
    except OSError:
        return False  # the member closed first


# -- the election-port probe -------------------------------------------------------------------------------

def _recv_exactly(sock, n):
    buf = b""
    while len(buf) < n:
        b = sock.recv(n - len(buf))
        if not b:
            raise EOFError("closed after %d of %d bytes" % (len(buf), n))
        buf += b
    return buf


def election_handshake(watched, sid, version=QuorumCnxManager.PROTOCOL_VERSION, addr=None):
    if addr is None:
        addr = "127.0.0.1:%d" % watched.closed_port
    a = addr.encode()
    return _HANDSHAKE_HEAD.pack(version, sid, len(a)) + a


def notification_frame(payload):
    return _INT.pack(len(payload)) + payload


def probe_election(watched, sid):
    """A non-voting peer that is LOOKING: the member must answer with the vote for the current leader.

    The answer needs the member's listener, a connection thread, its RecvWorker, WorkerReceiver,
    WorkerSender and SendWorker; and as the receive queue is FIFO, everything fuzzed before it on
    the election port has been handled by then."""
    ens = watched.ens
    watched.probe_sid += 1
    probe = watched.probe_sid
    s = socket.create_connection(("127.0.0.1", ens.election_ports[sid]), timeout=HEALTH_DEADLINE)
    try:
        s.sendall(election_handshake(watched, probe)
                  + notification_frame(_NOTIFICATION_40.pack(LOOKING, probe, 0, 0, 0, 0x1)))
        deadline = time.time() + HEALTH_DEADLINE
        while True:
            s.settimeout(max(0.01, deadline - time.time()))
            try:
                n, = _INT.unpack(_recv_exactly(s, 4))
                msg = _recv_exactly(s, n)
            except (OSError, EOFError) as e:
                raise AssertionError("member %d did not answer a LOOKING peer on its election port: %r"
                                     % (sid, e)) from e
            state, leader = struct.unpack_from(">iq", msg, 0)
            if state in (FOLLOWING, LEADING):
                assert leader == watched.leader, "member %d says %d leads, not %d" % (sid, leader, watched.leader)
                return
    finally:
        s.close()


# -- quorum port: the first packet ---------------------------------------------------------------------------

def learner_info_bytes():
    valid = st.builds(LearnerInfo, serverid=FAKE_SIDS, protocolVersion=st.sampled_from([0x10000, 0x0, 0x1]) | int32s,
                      configVersion=st.just(0) | int64s).map(lambda r: r.to_bytes())
    return st.one_of(st.none(), st.binary(max_size=7), st.just(b""), damaged(valid))


def authinfo():
    return st.one_of(st.none(), st.just([]), st.lists(record_strategy(Id), max_size=2))


def quorum_packet(types, data):
    return st.builds(QuorumPacket, type=types, zxid=st.just(0) | int64s, data=data, authinfo=authinfo()).map(
        lambda p: p.to_bytes())


first_packets = st.one_of(
    quorum_packet(st.sampled_from([FOLLOWERINFO, OBSERVERINFO]), learner_info_bytes()),
    quorum_packet(st.sampled_from([FOLLOWERINFO, OBSERVERINFO]), learner_info_bytes()).flatmap(mutated),
    quorum_packet(st.sampled_from(PACKET_TYPES) | int32s, st.none() | st.binary(max_size=40)),
    st.binary(max_size=64),
)


@fuzz_settings(150, live=True)
@given(first_packets, st.booleans(), st.booleans())
def _fuzz_first_packets(watched, data, read_answer, reset):
    ens = watched.ens
    s = socket.create_connection(("127.0.0.1", ens.quorum_ports[watched.leader]), timeout=PEER_TIMEOUT)
    try:
        if send_all(s, data) and read_answer:
            s.settimeout(0.1)
            try:
                s.recv(65536)  # LEADERINFO, or the end
            except OSError:
                pass
    finally:
        finish(s, reset)
    member_healthy(watched, watched.leader)




# -- quorum port: a learner that completed its handshake -----------------------------------------------------

class FakeLearner:
    """A learner on a raw socket: FOLLOWERINFO/OBSERVERINFO, ACKEPOCH, ACK of NEWLEADER, then anything."""

    def __init__(self, watched, sid, observer=False):
        ens = watched.ens
        self.sock = socket.create_connection(("127.0.0.1", ens.quorum_ports[watched.leader]), timeout=PEER_TIMEOUT)
        self.ia = BinaryInputArchive.get_archive(self.sock.makefile("rb"))
        last_zxid = ens.zxid(watched.leader)
        epoch = last_zxid >> 32
        info = LearnerInfo(sid, 0x10000, 0).to_bytes()
        self.send(QuorumPacket(OBSERVERINFO if observer else FOLLOWERINFO, epoch << 32, info, None))
        leader_info = self.read()
        assert leader_info.type == LEADERINFO, leader_info
        self.send(QuorumPacket(ACKEPOCH, last_zxid, _INT.pack(epoch), None))
        self.synced = False
        while True:
            qp = self.read()
            if qp.type == SNAP:
                return  # the leader's txns moved past our zxid's log: no snapshot reading here
            if qp.type == NEWLEADER:
                self.send(QuorumPacket(ACK, qp.zxid, None, None))
                break
        while self.read().type != UPTODATE:
            pass
        self.synced = True

    def send(self, qp):
        self.sock.sendall(qp.to_bytes())

    def read(self):
        return self.ia.read_record(QuorumPacket)

    def close(self, reset):
        finish(self.sock, reset)


def ping_data():
    sessions = st.lists(st.tuples(int64s, int32s).map(lambda t: _SESSION.pack(*t)), max_size=4).map(b"".join)
    return st.tuples(sessions, st.binary(max_size=11)).map(lambda t: t[0] + t[1])


@st.composite
def request_data(draw):
    op = draw(st.one_of(st.sampled_from(ALL_OPCODES), int32s))
    head = _REQUEST_HEAD.pack(draw(st.sampled_from([0, 1, -1]) | int64s), draw(int32s), op)
    body = draw(damaged(valid_body(op)))
    return head + body


def learner_packet():
    by_type = {
        ACK: st.none() | st.binary(max_size=8),
        PING: st.none() | ping_data(),
        REVALIDATE: st.none() | st.binary(max_size=11) | st.tuples(int64s, int32s).map(lambda t: _SESSION.pack(*t)),
        REQUEST: st.none() | st.binary(max_size=15) | request_data(),
    }
    typed = st.sampled_from(sorted(by_type)).flatmap(
        lambda t: st.builds(QuorumPacket, type=st.just(t), zxid=st.just(0) | int64s, data=by_type[t],
                            authinfo=authinfo()))
    other = st.builds(QuorumPacket, type=st.sampled_from(PACKET_TYPES) | int32s, zxid=int64s,
                      data=st.none() | st.binary(max_size=40), authinfo=authinfo())
    packets = st.one_of(typed, typed, other).map(lambda p: p.to_bytes())
    return st.one_of(packets, packets, packets.flatmap(mutated))


@fuzz_settings(120, live=True)
@given(FAKE_SIDS, st.booleans(), st.lists(learner_packet(), min_size=1, max_size=4), st.booleans())
def _fuzz_learner_packets(watched, sid, observer, packets, reset):
    learner = FakeLearner(watched, sid, observer)
    try:
        if learner.synced:
            send_all(learner.sock, b"".join(packets))
            learner.sock.settimeout(0.1)
            try:
                learner.sock.recv(65536)
            except OSError:
                pass
    finally:
        learner.close(reset)
    for member in watched.ens.servers:  # a fuzzed REQUEST becomes a txn every follower applies
        member_healthy(watched, member)


ZXID_KINDS = ["current", "zero", "older", "newer", "next-epoch", "previous-epoch", "negative", "random"]


def peer_zxid(kind, last_zxid, draw):
    epoch = last_zxid >> 32
    return {"current": last_zxid, "zero": 0, "older": max(0, last_zxid - 3), "newer": last_zxid + 3,
            "next-epoch": (epoch + 1) << 32, "previous-epoch": max(0, epoch - 1) << 32 | 5, "negative": -5,
            "random": draw(int64s)}[kind]


@fuzz_settings(100, live=True)
@given(st.data(), FAKE_SIDS, st.booleans(), st.sampled_from([0x10000, 0x10000, 0x0, 0x1]) | int32s,
       st.sampled_from(ZXID_KINDS), st.none() | st.binary(max_size=6) | int32s.map(_INT.pack),
       st.integers(0, 1 << 16), st.booleans())
def _fuzz_learner_sync(watched, data, sid, observer, version, zxid_kind, epoch_data, read_limit, reset):
    ens = watched.ens
    last_zxid = ens.zxid(watched.leader)
    zxid = peer_zxid(zxid_kind, last_zxid, data.draw)
    s = socket.create_connection(("127.0.0.1", ens.quorum_ports[watched.leader]), timeout=PEER_TIMEOUT)
    try:
        info = LearnerInfo(sid, version, 0).to_bytes()
        info_zxid = zxid if version < 0x10000 else (last_zxid >> 32) << 32
        if send_all(s, QuorumPacket(OBSERVERINFO if observer else FOLLOWERINFO, info_zxid, info, None).to_bytes()):
            if version >= 0x10000:
                if epoch_data is None and data.draw(st.booleans()):
                    epoch_data = _INT.pack(last_zxid >> 32)
                send_all(s, QuorumPacket(ACKEPOCH, zxid, epoch_data, None).to_bytes())
            # Whatever the leader sends (LEADERINFO, DIFF/TRUNC/SNAP and a snapshot, NEWLEADER): read some, go.
            s.settimeout(0.2)
            got = 0
            try:
                while got < read_limit:
                    b = s.recv(min(65536, read_limit - got))
                    if not b:
                        break
                    got += len(b)
            except OSError:
                pass
    finally:
        finish(s, reset)
    for member in ens.servers:
        member_healthy(watched, member)


@fuzz_settings(300, live=True)
@given(st.sampled_from(["follower", "leader"]), requests())
def _fuzz_client_requests(watched, role, request):
    ens = watched.ens
    followers = [sid for sid in ens.servers if sid != watched.leader]
    member = followers[0] if role == "follower" else watched.leader
    xid, op, body = request
    with RawClient("127.0.0.1", ens.client_ports[member], timeout=HEALTH_DEADLINE) as c:
        c.connect()
        if send_ignoring_reset(c, _INT.pack(8 + len(body)) + RequestHeader(xid, op).to_bytes() + body):
            assert answered_or_closed(c, xid) is not None, "member %d: op %d xid %d body %s: neither answered " \
                "nor closed in %ss" % (member, op, xid, body.hex(), HEALTH_DEADLINE)
    for sid in ens.servers:
        member_healthy(watched, sid)


class TestQuorumPort:
    """The leader's quorum port, on an ensemble of the class's own."""

    @pytest.fixture
    def watched(self, quorum_port_ensemble):
        return quorum_port_ensemble

    def test_fake_learner_handshake_completes(self, steady):
        """The fuzzing of a synced learner only means something if the fake learner gets through."""
        learner = FakeLearner(steady, 1001)
        try:
            assert learner.synced
        finally:
            learner.close(False)
        steady.check()

    def test_fuzz_first_packet_on_the_quorum_port(self, steady):
        _fuzz_first_packets(steady)
        steady.check()

    def test_fuzz_client_requests_on_a_follower_and_the_leader(self, steady):
        """Client requests of every opcode with fuzzed bodies: a follower forwards the writes (REQUEST) to the
        leader, whose txns every member applies."""
        _fuzz_client_requests(steady)
        steady.check()

    def test_fuzz_learner_sync(self, steady):
        """A learner's FOLLOWERINFO/OBSERVERINFO of every protocol version and ACKEPOCH of every zxid (DIFF,
        TRUNC, SNAP, txn-log sync), that reads part of what the leader sends and goes away or resets."""
        _fuzz_learner_sync(steady)
        steady.check()

    def test_fuzz_packets_of_a_synced_learner(self, steady):
        """Every packet type a learner may send, and those it never does, with fuzzed zxids, data and authinfo."""
        _fuzz_learner_packets(steady)
        steady.check()


# -- election port -----------------------------------------------------------------------------------------------

def election_addresses(watched):
    return st.one_of(
        st.just("127.0.0.1:%d" % watched.closed_port),
        st.sampled_from(["0.0.0.0:1", "127.0.0.1:99999", "a..b:1", "x" * 80 + ":1", "127.0.0.1", ":", "[::1",
                         "127.0.0.1:%d|[::1]:1" % watched.closed_port, "", "|"]),
        st.text(max_size=40),
    )


def handshakes(watched):
    headed = st.tuples(
        st.sampled_from([QuorumCnxManager.PROTOCOL_VERSION, QuorumCnxManager.PROTOCOL_VERSION_V2]) | st.integers(
            -(1 << 63), -1),
        FAKE_SIDS,
        election_addresses(watched).map(lambda a: a.encode("utf-8", "surrogatepass")),
        st.none() | forged_lengths(16),
    ).map(lambda t: _HANDSHAKE_HEAD.pack(t[0], t[1], len(t[2]) if t[3] is None else t[3]) + t[2])
    # Most connections must be kept, so that the notifications after them reach the WorkerReceiver:
    # a valid handshake from a sid larger than every member's.
    # (A real member's sid larger than the receiver's takes over that member's connection, as in Java.)
    kept = st.tuples(st.sampled_from([QuorumCnxManager.PROTOCOL_VERSION, QuorumCnxManager.PROTOCOL_VERSION_V2]),
                     st.integers(1000, 1010) | st.sampled_from([2, 3])).map(
        lambda t: election_handshake(watched, t[1], t[0]))
    old = st.one_of(st.integers(1000, 1010), FAKE_SIDS.filter(lambda s: s >= 0)).map(_LONG.pack)
    return st.one_of(kept, kept, kept, old, headed, headed.flatmap(mutated), st.binary(max_size=24))


config_texts = st.one_of(
    st.just(b""),
    st.sampled_from([b"version=100000000", b"server.1=127.0.0.1:1:2\nversion=ffffffffff", b"server.x=y\nversion=zz",
                     b"version=-1", b"\xff\xfe", b"server.9=127.0.0.1:1:2:observer;3\nversion=1"]),
    st.binary(max_size=60),
)
states = st.one_of(st.sampled_from([LOOKING, FOLLOWING, LEADING, OBSERVING]), int32s)


@st.composite
def notifications(draw):
    """One FLE notification frame in any of the formats, fields and length fuzzed."""
    fields = (draw(states), draw(int64s), draw(int64s), draw(int64s))
    form = draw(st.sampled_from([28, 36, 40, 44, "short", "random"]))
    if form == 28:
        payload = _NOTIFICATION_28.pack(*fields)
    elif form == 36:
        payload = _NOTIFICATION_36.pack(*fields, draw(int64s))
    elif form == 40:
        payload = _NOTIFICATION_40.pack(*fields, draw(int64s), draw(st.sampled_from([0, 1, 2]) | int32s))
    elif form == 44:
        config = draw(config_texts)
        length = draw(st.just(len(config)) | forged_lengths(len(config)))
        payload = _NOTIFICATION_44.pack(*fields, draw(int64s), draw(st.sampled_from([2, 3]) | int32s), length) + config
    elif form == "short":
        payload = _NOTIFICATION_44.pack(*fields, 0, 2, 0)[:draw(st.integers(0, 43))]
    else:
        payload = draw(st.binary(max_size=64))
    if draw(st.integers(0, 4)) == 0:
        payload = draw(mutated(payload))
    length = draw(st.one_of(st.just(len(payload)), st.just(len(payload)), st.sampled_from(
        [0, -1, INT32_MIN, INT32_MAX, QuorumCnxManager.PACKETMAXSIZE + 1, len(payload) + 1])))
    return _INT.pack(length) + payload


# WorkerReceiver.run_thread read the version at byte 36 of every notification neither 28 nor 40 bytes
# long: one of 29 to 39 bytes raised struct.error and killed WorkerReceiver[myid=N], after which the
# member never answered a LOOKING peer and could not take part in an election (fuzzing found it).


class TestElectionPort:
    """Every member's election port, on an ensemble of the class's own; then it must still elect."""

    @pytest.fixture
    def watched(self, election_port_ensemble):
        return election_port_ensemble

    @pytest.mark.parametrize("member", [1, 2, 3])
    def test_fuzz_election_port(self, steady, member):
        """Fuzzed handshakes and notifications on one member's election port (leader or follower)."""

        @fuzz_settings(200, live=True)
        @given(handshakes(steady), st.lists(notifications(), max_size=4), st.booleans())
        def run(handshake, frames, reset):
            ens = steady.ens
            s = socket.create_connection(("127.0.0.1", ens.election_ports[member]), timeout=PEER_TIMEOUT)
            try:
                send_all(s, handshake + b"".join(frames))
            finally:
                finish(s, reset)
            member_healthy(steady, member, election=True)

        run()
        steady.check()

    def test_the_ensemble_still_elects(self, watched):
        """Runs after the fuzzing (class order): stop the leader; the two others elect one of them; the old
        leader rejoins. Every election-port thread fuzzed above takes part, on both sides of every connection."""
        ens = watched.ens
        old = watched.leader = ens.wait_for_quorum(timeout=90)
        for sid in ens.servers:
            member_healthy(watched, sid, election=True)
        ens.stop_member(old)
        rest = [sid for sid in ens.servers if sid != old]
        watched.leader = ens.wait_for_quorum(sids=rest, timeout=60)
        assert watched.leader in rest
        watched.write()
        ens.start_member(old)
        wait_until(lambda: ens.mode(old) == "follower", timeout=60, message="the old leader following")
        assert ens.wait_for_quorum(timeout=60) == watched.leader
        watched.write()
        for sid in ens.servers:
            member_healthy(watched, sid, election=True)
        assert watched.zk.get("/fuzz-health")[0] == str(watched.writes).encode()


class TestMultiNullPath:
    """A multi whose create op has a null path. PrepRequestProcessor.get_pending_changes failed on it before
    the request had a header: it was never proposed, the CommitProcessor of the member that took it waited
    for its commit for ever, and that member (and the leader, for a forwarded one) answered no client any
    more (fuzzing found it). On an ensemble of its own, so that a regression stalls no other test."""

    def test_multi_with_a_null_path_stalls_nobody(self, tmp_path):
        body = (MultiHeader(1, False, -1).to_bytes() + CreateRequest(None, b"", [], 0).to_bytes()
                + MultiHeader(-1, True, -1).to_bytes())
        ens = Ensemble(str(tmp_path), extra_cfg={"forceSync": "no"})
        try:
            ens.start()
            leader = ens.wait_for_quorum(timeout=90)
            follower = min(sid for sid in ens.servers if sid != leader)
            for member in (leader, follower):
                with RawClient("127.0.0.1", ens.client_ports[member], timeout=HEALTH_DEADLINE) as c:
                    c.connect()
                    hdr, _ = c.request(OpCode.multi, body=body, timeout=HEALTH_DEADLINE)
                    assert hdr.err != 0, "member %d applied a create of a null path" % member
                    hdr, _ = c.request(OpCode.exists, ExistsRequest("/", False), timeout=HEALTH_DEADLINE)
                    assert hdr.err == 0
                for sid in ens.servers:
                    assert_serving(ens.client_ports[sid], "member %d" % sid, proc=ens.servers[sid].proc)
        finally:
            ens.stop()
