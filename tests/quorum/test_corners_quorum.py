"""Corners of 3.5.7's quorum found missing or untested (issue 13, item 5), ours and Java 3.8 alike.

- localSessionsEnabled=true with localSessionsUpgradingEnabled=false: sessions stay local (no txn for
  them), and an ephemeral create on one fails with EphemeralOnLocalSession (-120), on a follower and on
  the leader, with kazoo and with our client; plain creates work. A multi holding an ephemeral create
  fails whole: -120 on the leader, SESSIONEXPIRED from a follower (which forwards it), as Java 3.8. Our
  zkCli's `create -e` says what Java's says.
- An observer with syncEnabled=false (ObserverZooKeeperServer.syncRequestProcessorEnabled) serves reads
  and writes but logs no txn: no log.* file in its dataDir, while the voters (and an observer with the
  default true) have one; restarted, it catches up from the leader.
- leader.maxConcurrentSnapshots=1 (3.5.7's LearnerSnapshotThrottler, observers only; 3.6 replaced it by
  learner.maxConcurrentSnapSyncs, so no Java 3.8 twin of this test): while one observer's SNAP is in
  progress a second observer needing SNAP waits leader.maxConcurrentSnapshotTimeout, is refused
  ("too many concurrent snapshots") and retries; it syncs once the first is done, and both end in sync.
  The throttler waits at most the timeout (Java 3.5.7's loop condition is inverted: see
  learner_snapshot_throttler.py), and takes a slot freed during its wait.
- IPv6: a 3-member ensemble on ::1 (server.N=[::1]:quorum:election;[::1]:client), ours alone and with a
  Java 3.8 member: it elects, replicates, and kazoo reaches each member at [::1]:port.
"""

import os
import socket
import struct
import threading
import time

import pytest
from kazoo.exceptions import EphemeralOnLocalSessionError

from tests.quorum.conftest import kazoo
from tests.support import java_zk
from tests.support.java_cli import run_our_zkcli, run_zkcli
from tests.support.net import four_letter_word, ipv6_loopback_missing, wait_until
from zookeeper_py.create_mode import CreateMode
from zookeeper_py.keeper_exception import EphemeralOnLocalSessionException, SessionExpiredException
from zookeeper_py.op import Op
from zookeeper_py.server.quorum.learner_snapshot_throttler import LearnerSnapshotThrottler, SnapshotThrottleException
from zookeeper_py.server.quorum.packet_types import ACKEPOCH, LEADERINFO, OBSERVERINFO
from zookeeper_py.server.quorum.quorum_packet import LearnerInfo, QuorumPacket
from zookeeper_py.zoo_defs import Ids
from zookeeper_py.zookeeper import States, ZooKeeper

pytestmark = pytest.mark.timeout(300)

ENSEMBLES = {"python": ("python", "python", "python"), "java": ("java", "java", "java")}


@pytest.mark.parametrize("kind", ["python", "java"])
def test_ephemeral_on_local_session_without_upgrading(make_ensemble, kind):
    ens = make_ensemble(kinds=ENSEMBLES[kind], extra_cfg={"localSessionsEnabled": "true",
                                                          "localSessionsUpgradingEnabled": "false"}).start()
    leader = ens.wait_for_quorum(timeout=120)
    follower = 1 if leader != 1 else 2
    for sid in (follower, leader):
        zxid_before = ens.zxid(leader)
        with kazoo(ens.address(sid)) as zk:
            assert ens.zxid(leader) == zxid_before, "a local session is no txn"
            with pytest.raises(EphemeralOnLocalSessionError):
                zk.create("/eph%d" % sid, b"", ephemeral=True)
            zk.create("/plain%d" % sid, b"")
            assert zk.exists("/eph%d" % sid) is None
        ours = ZooKeeper(ens.address(sid), 10000)
        try:
            wait_until(lambda: ours.get_state() is States.CONNECTED, 15, message="our client connected")
            with pytest.raises(EphemeralOnLocalSessionException) as e:
                ours.create("/ours%d" % sid, b"", Ids.OPEN_ACL_UNSAFE, CreateMode.EPHEMERAL_SEQUENTIAL)
            assert int(e.value.code()) == -120
            # A multi with an ephemeral create fails whole. On the leader with -120; a follower forwards it
            # anyway (only the error is noted) and the leader, which does not know the follower's local
            # session, answers SESSIONEXPIRED (-112) while the session stays connected: Java 3.8 does both.
            with pytest.raises(SessionExpiredException if sid == follower else EphemeralOnLocalSessionException):
                ours.multi([Op.create("/multi%d" % sid, b"", Ids.OPEN_ACL_UNSAFE, CreateMode.PERSISTENT),
                            Op.create("/multi%d/e" % sid, b"", Ids.OPEN_ACL_UNSAFE, CreateMode.EPHEMERAL)])
            assert ours.get_state() is States.CONNECTED
            assert ours.exists("/multi%d" % sid, False) is None
            assert ours.exists("/plain%d" % sid, False) is not None
        finally:
            ours.close()
    # zkCli: ours prints what Java 3.8's prints, on the follower (create -e on a fresh, local session).
    address = ens.address(follower)
    outputs = {}
    for name, run in (("ours", run_our_zkcli), ("java", run_zkcli)):
        if name == "java" and java_zk.missing_reason():
            continue
        r = run(address, ["create", "-e", "/cli", "x"])
        outputs[name] = (r.returncode, [l for l in r.stderr.splitlines() + r.stdout.splitlines()
                                        if "ephemeral" in l.lower() or "local session" in l.lower()])
    assert outputs["ours"][1], outputs
    assert len(set(map(str, outputs.values()))) == 1, outputs


def _txn_logs(ens, sid):
    version2 = os.path.join(ens.data_dir(sid), "version-2")
    return sorted(f for f in os.listdir(version2) if f.startswith("log.")) if os.path.isdir(version2) else []


@pytest.mark.parametrize("sync_enabled", ["false", "true"])
@pytest.mark.parametrize("kind", ["python", "java"])
def test_observer_sync_enabled(make_ensemble, kind, sync_enabled):
    ens = make_ensemble(kinds=ENSEMBLES[kind], observers=(3,), extra_cfg={"syncEnabled": sync_enabled}).start()
    leader = ens.wait_for_quorum(timeout=120)
    assert ens.mode(3) == "observer"
    with kazoo(ens.address(3)) as zk:
        zk.create("/obs", b"x")
        for i in range(20):
            zk.create("/obs/n%d" % i, b"%d" % i)
        zk.sync("/")
        assert len(zk.get_children("/obs")) == 20 and zk.get("/obs/n7")[0] == b"7"
    with kazoo(ens.address(leader)) as zk:
        zk.sync("/")
        assert len(zk.get_children("/obs")) == 20
    assert _txn_logs(ens, leader), "the leader logged no txn"
    if sync_enabled == "false":
        assert _txn_logs(ens, 3) == [], "the observer with syncEnabled=false wrote a txn log"
    else:
        wait_until(lambda: _txn_logs(ens, 3), 10, message="a txn log on the observer with syncEnabled=true")
    # Restarted, it gets what it did not log from the leader.
    ens.servers[3].restart(timeout=120)
    wait_until(lambda: ens.mode(3) == "observer", timeout=60, message="the observer back")
    with kazoo(ens.address(3)) as zk:
        zk.sync("/")
        assert len(zk.get_children("/obs")) == 20


def _stalled_observer(port, sid):
    """An observer on a raw socket that registers, is sent SNAP, and then reads nothing: the leader's
    LearnerHandler blocks in the middle of the snapshot, holding its throttle slot."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)  # before connect: a small window
    sock.settimeout(30)
    sock.connect(("127.0.0.1", port))
    sock.sendall(QuorumPacket(OBSERVERINFO, 0, LearnerInfo(sid, 0x10000, 0).to_bytes(), None).to_bytes())
    # LEADERINFO: int type, long zxid, buffer (int 4 + int version), vector authinfo (int -1)
    head = b""
    while len(head) < 24:
        chunk = sock.recv(24 - len(head))
        assert chunk, "the leader closed the connection"
        head += chunk
    ptype = struct.unpack_from(">i", head)[0]
    assert ptype == LEADERINFO, ptype
    sock.sendall(QuorumPacket(ACKEPOCH, 0, struct.pack(">i", 0), None).to_bytes())
    return sock


def test_leader_max_concurrent_snapshots_throttles_observers(make_ensemble):
    # initLimit 120 ticks (60 s) is how long the leader waits on the stalled observer's socket: observer 5
    # must start, elect and connect within it, also on a loaded machine.
    ens = make_ensemble(kinds=("python",) * 5, observers=(4, 5), init_limit=120,
                        extra_cfg={"leader.maxConcurrentSnapshots": "1",
                                   "leader.maxConcurrentSnapshotTimeout": "1000"},
                        flags=["-Dzookeeper.forceSnapshotSync=true"])
    ens.start([1, 2, 3])
    leader = ens.wait_for_quorum(sids=[1, 2, 3], timeout=120)
    blob = b"x" * 100000
    with kazoo(ens.address(leader)) as zk:
        zk.create("/big", b"")
        for i in range(120):  # a 12 MB snapshot: more than the socket buffers hold
            zk.create("/big/n%03d" % i, blob)
    refused = "too many concurrent snapshots: new snapshot would make 2 concurrently in progress; maximum is 1"
    stalled = _stalled_observer(ens.quorum_ports[leader], 4)
    try:
        wait_until(lambda: "1 concurrent snapshots, snapshot was not exempt from throttle" in ens.log(leader),
                   timeout=30, message="the stalled observer's SNAP begun")
        ens.start([5])
        try:
            wait_until(lambda: refused in ens.log(leader), timeout=55, message="observer 5 throttled")
        except TimeoutError:
            raise AssertionError("observer 5 was not throttled; leader:\n%s\nobserver 5:\n%s" % (
                "\n".join(l for l in ens.log(leader).splitlines() if "LearnerHandler" in l)[-6000:],
                ens.log(5)[-4000:])) from None
        assert ens.mode(5) is None or ens.mode(5) != "observer"
    finally:
        stalled.close()
    # The slot is free again: observer 5 syncs on its next try, then the real observer 4.
    wait_until(lambda: ens.mode(5) == "observer", timeout=60, message="observer 5 in sync")
    ens.start([4])
    wait_until(lambda: ens.mode(4) == "observer", timeout=60, message="observer 4 in sync")
    for sid in (4, 5):
        with kazoo(ens.address(sid)) as zk:
            zk.sync("/")
            assert len(zk.get_children("/big")) == 120 and zk.get("/big/n119")[0] == blob
    # Every observer SNAP was the only one in progress.
    lines = [l for l in ens.log(leader).splitlines() if "snapshot was not exempt from throttle" in l]
    assert len(lines) >= 3 and all("1 concurrent snapshots" in l for l in lines), lines


def _mode_on_ipv6(ens, sid):
    try:
        text = four_letter_word("::1", ens.client_ports[sid], "srvr", timeout=2)
    except OSError:
        return None
    for line in text.splitlines():
        if line.startswith("Mode: "):
            return line[6:]
    return None


@pytest.mark.parametrize("listen_on_all_ips", [False, True], ids=["own-address", "quorumListenOnAllIPs"])
@pytest.mark.parametrize("kinds", [("python", "python", "python"), ("python", "python", "java")],
                         ids=["ours", "mixed"])
def test_ensemble_on_ipv6_loopback(make_ensemble, kinds, listen_on_all_ips):
    """Members written as [::1] form a quorum, with quorumListenOnAllIPs too (Java binds its
    dual-stack wildcard; ours bound an IPv6 socket to 0.0.0.0, failed, and never elected), and
    every member shows the config as Java keeps it, the address in full."""
    reason = ipv6_loopback_missing()
    if reason:
        pytest.skip(reason)
    ens = make_ensemble(kinds=kinds)
    lines = {"server.%d" % sid: "[::1]:%d:%d;[::1]:%d" % (ens.quorum_ports[sid], ens.election_ports[sid],
                                                         ens.client_ports[sid]) for sid in ens.servers}
    for server in ens.servers.values():
        server.cfg.update(lines)
        if listen_on_all_ips:
            server.cfg["quorumListenOnAllIPs"] = "true"
        server.cfg.pop("clientPort", None)  # the client address is in the server line
        server.write_cfg()
    ens.start()

    def modes():
        for sid in ens.servers:
            if not ens.is_running(sid):
                raise RuntimeError("member %d exited:\n%s" % (sid, ens.servers[sid].output_tail()))
        m = {sid: _mode_on_ipv6(ens, sid) for sid in ens.servers}
        return m if sorted(m.values(), key=str) == ["follower", "follower", "leader"] else None
    modes = wait_until(modes, timeout=120, interval=0.1, message="a quorum on ::1")
    leader = [sid for sid, m in modes.items() if m == "leader"][0]
    with kazoo("[::1]:%d" % ens.client_ports[leader]) as zk:
        zk.create("/v6", b"replicated")
    for sid in ens.servers:
        with kazoo("[::1]:%d" % ens.client_ports[sid]) as zk:
            zk.sync("/")
            assert zk.get("/v6")[0] == b"replicated"
            config = zk.get("/zookeeper/config")[0].decode()
            assert "server.%d=[0:0:0:0:0:0:0:1]:%d:%d:participant;[0:0:0:0:0:0:0:1]:%d" % (
                sid, ens.quorum_ports[sid], ens.election_ports[sid], ens.client_ports[sid]) in config, config


def test_snapshot_throttler_waits_at_most_its_timeout():
    throttler = LearnerSnapshotThrottler(1, 300)
    first = throttler.begin_snapshot(False)
    # Busy for longer than the timeout: refused after about 300 ms, never left waiting.
    start = time.monotonic()
    with pytest.raises(SnapshotThrottleException, match="2 concurrently in progress; maximum is 1"):
        throttler.begin_snapshot(False)
    assert 0.25 < time.monotonic() - start < 5
    # A follower is never refused.
    essential = throttler.begin_snapshot(True)
    assert essential.get_concurrent_snapshot_number() == 2
    essential.close()
    # A slot freed during the wait is taken.
    threading.Timer(0.1, first.close).start()
    second = throttler.begin_snapshot(False)
    assert second.get_concurrent_snapshot_number() == 1
    second.close()
