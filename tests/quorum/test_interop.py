"""Mixed ensembles of Java ZooKeeper 3.8 and zookeeper_py peers (election, Zab, sync, both directions)."""

import os
import shutil
import threading

import pytest
from kazoo.exceptions import KazooException
from kazoo.handlers.threading import KazooTimeoutError

from tests.quorum.conftest import join_a_restored_ensemble_late, kazoo, learner_snapshot_line, log_offset, log_since
from tests.support import java_zk
from tests.support.net import wait_until
from zookeeper_py.server.persistence.file_txn_log import FileTxnLog
from zookeeper_py.zoo_defs import OpCode

pytestmark = pytest.mark.java


@pytest.fixture(autouse=True)
def _need_java():
    java_zk.require_java_zookeeper()


def _check_same_data(ens, sids, expected):
    seen = {}
    for sid in sids:
        with kazoo(ens.address(sid)) as zk:
            zk.sync("/")
            children = {c for c in zk.get_children("/") if c != "zookeeper"}
            assert expected <= children, "member %d (%s) misses %s" % (sid, ens.kinds[sid], expected - children)
            seen[sid] = {c: zk.get("/" + c)[0] for c in sorted(expected)}
    values = list(seen.values())
    assert all(v == values[0] for v in values)


@pytest.mark.parametrize("kinds", [["java", "java", "python"], ["python", "python", "java"]],
                         ids=["2java+1python", "1java+2python"])
def test_mixed_ensemble_elects_replicates_and_survives_leader_kill(make_ensemble, kinds):
    ens = make_ensemble(kinds=kinds, tick_time=1000, init_limit=10, sync_limit=5).start_first([3])
    leader = ens.wait_for_quorum(timeout=60)
    assert leader == 3, ens.modes()  # the highest sid, whichever implementation it runs
    expected = set()
    for sid in ens.servers:
        with kazoo(ens.address(sid)) as zk:
            for i in range(10):
                zk.create("/%s%d_%d" % (ens.kinds[sid], sid, i), b"%d-%d" % (sid, i))
                expected.add("%s%d_%d" % (ens.kinds[sid], sid, i))
            zk.set("/%s%d_0" % (ens.kinds[sid], sid), b"updated")
            eph = zk.create("/eph-%d" % sid, b"", ephemeral=True)
            assert zk.exists(eph)
    _check_same_data(ens, ens.servers, expected)
    # kill -9 the leader (Python in the first case, Java in the second)
    ens.kill(leader)
    rest = [s for s in ens.servers if s != leader]
    new_leader = ens.wait_for_quorum(rest, timeout=60)
    assert new_leader == 2
    with kazoo(ens.connect_string(rest)) as zk:
        for i in range(10):
            zk.create("/after%d" % i, b"a")
            expected.add("after%d" % i)
    _check_same_data(ens, rest, expected)
    # The old leader comes back as a follower of the other implementation and catches up (DIFF).
    off = log_offset(ens, leader)
    ens.start_member(leader)
    ens.wait_for_quorum(timeout=60)
    assert ens.mode(leader) == "follower"
    assert "Getting a diff from the leader" in log_since(ens, leader, off)
    _check_same_data(ens, ens.servers, expected)
    with kazoo(ens.address(leader)) as zk:
        zk.create("/from-old-leader", b"back")
        expected.add("from-old-leader")
    _check_same_data(ens, ens.servers, expected)


@pytest.mark.parametrize("kinds", [["java", "java", "python"], ["python", "python", "java"]],
                         ids=["java-leader-snaps-python", "python-leader-snaps-java"])
def test_snap_sync_across_implementations(make_ensemble, kinds):
    ens = make_ensemble(kinds=kinds, tick_time=1000).start_first([3])
    ens.wait_for_quorum(timeout=60)
    # 1 and 2 lead/follow; the member of the other kind (3) gets wiped and synced by SNAP from their leader.
    # Either of them may lead: if 3 stops while one of them is still in its first sync, the one that got a
    # SNAP (zxid epoch<<32) beats the one that got an empty DIFF (zxid 0), as in Java.
    ens.stop_member(3)
    ens.wait_for_quorum([1, 2], timeout=60)
    expected = set()
    with kazoo(ens.connect_string([1, 2])) as zk:
        for i in range(300):
            zk.create("/snap%03d" % i, b"v%d" % i)
            expected.add("snap%03d" % i)
    shutil.rmtree(os.path.join(ens.data_dir(3), "version-2"))
    off = log_offset(ens, 3)
    ens.start_member(3)
    ens.wait_for_quorum(timeout=60)
    log = log_since(ens, 3, off)
    assert "Getting a snapshot from leader" in log
    _check_same_data(ens, ens.servers, expected)
    if kinds[2] == "python":
        # Ours keeps Java's SNAP stream as its snapshot (no write came in between): Java reads that file.
        line = learner_snapshot_line(log)
        assert "(the leader's stream, as received)" in line, log
        path = line.split(" to ")[1].split(" (")[0]
        j = java_zk.run_java_class("org.apache.zookeeper.server.SnapshotFormatter", [path])
        assert j.returncode == 0 and "/snap123" in j.stdout and "/snap299" in j.stdout, j.stderr


def test_java_multi_address_handshake_is_accepted(make_ensemble):
    # Java 3 (the larger sid, so it dials 1 and 2) sends the 3.6+ handshake: protocol -65535, "host:port|...".
    ens = make_ensemble(kinds=["python", "python", "java"], tick_time=1000,
                        member_flags={3: ["-Dzookeeper.multiAddress.enabled=true"]}).start_first([3])
    assert ens.wait_for_quorum(timeout=60) == 3
    for sid in (1, 2):
        log = ens.log(sid)
        assert "Received connection request" in log
        assert "unrecognized protocol version" not in log
    with kazoo(ens.address(1)) as zk:
        zk.create("/multi", b"address")
    with kazoo(ens.address(3)) as zk:
        zk.sync("/")
        assert zk.get("/multi")[0] == b"address"


def _close_sessions_in_log(data_dir):
    """The closeSession txns of a member's logs, as (session id, txn record or None)."""
    found = []
    with FileTxnLog(os.path.join(data_dir, "version-2")).read(0) as itr:
        while itr.get_header() is not None:
            if itr.get_header().type == OpCode.closeSession:
                found.append((itr.get_header().clientId, itr.get_txn()))
            if not itr.next():
                break
    return found


def test_python_follower_keeps_a_java_leaders_close_session_paths(make_ensemble):
    # Java 3.8's closeSession txn names the ephemerals it deletes (CloseSessionTxn, ZOOKEEPER-3145);
    # the Python follower logs that body, as a Java follower does, and applies it.
    ens = make_ensemble(kinds=["python", "java", "java"], tick_time=1000).start_first([3])
    assert ens.wait_for_quorum(timeout=60) == 3
    with kazoo(ens.address(1)) as zk:
        zk.create("/app", b"")
        session_id = zk.client_id[0]
        zk.create("/app/eph", b"", ephemeral=True)
    with kazoo(ens.address(3)) as zk:
        zk.sync("/app")
        java_stat = zk.exists("/app")
    assert java_stat.numChildren == 0
    wait_until(lambda: any(s == session_id for s, _ in _close_sessions_in_log(ens.data_dir(1))), timeout=30,
               message="the follower to log the closeSession")
    txn = dict(_close_sessions_in_log(ens.data_dir(1)))[session_id]
    assert txn is not None and list(txn.paths2Delete) == ["/app/eph"]
    with kazoo(ens.address(1)) as zk:
        zk.sync("/app")
        assert zk.exists("/app") == java_stat


def test_no_acknowledged_write_lost_killing_java_and_python_leaders(make_ensemble):
    ens = make_ensemble(kinds=["java", "python", "java"], tick_time=1000).start()
    ens.wait_for_quorum(timeout=60)
    acked = set()
    stop = threading.Event()

    def writer():
        i = 0
        with kazoo(ens.connect_string(), timeout=10) as zk:
            while not stop.is_set():
                path = "/w%06d" % i
                try:
                    zk.create(path, b"x")
                    acked.add(path)
                except (KazooException, KazooTimeoutError):
                    pass  # not acknowledged: may or may not exist
                i += 1

    thread = threading.Thread(target=writer, daemon=True)
    thread.start()
    killed = []
    try:
        # (usually java, python, java, ...: the highest sid among equals wins; go on until both kinds died)
        while len(killed) < 3 or set(killed) != {"java", "python"}:
            assert len(killed) < 8, killed
            wait_until(lambda: len(acked) > 20, timeout=60, message="writes going")
            before = len(acked)
            leader = ens.wait_for_quorum(timeout=60)
            killed.append(ens.kinds[leader])
            ens.kill(leader)
            ens.wait_for_quorum([s for s in ens.servers if s != leader], timeout=60)
            wait_until(lambda: len(acked) > before + 20, timeout=60, message="writes after re-election")
            ens.start_member(leader)
            ens.wait_for_quorum(timeout=60)
    finally:
        stop.set()
        thread.join(30)
    assert set(killed) == {"java", "python"}, killed
    for sid in ens.servers:
        with kazoo(ens.address(sid)) as zk:
            zk.sync("/")
            missing = acked - set("/" + c for c in zk.get_children("/"))
            assert not missing, "member %d (%s) lost %d acknowledged writes" % (sid, ens.kinds[sid], len(missing))


def test_java_member_joining_a_restored_ensemble_late_is_synced_by_our_leaders_diff(make_ensemble):
    """Our leader's DIFF from the zxid its epoch began at (not in Java) is one a Java learner takes."""
    ens = make_ensemble(kinds=["python", "python", "java"], tick_time=1000)
    join_a_restored_ensemble_late(ens, writes=20)
    expected = {"seeded%d" % i for i in range(30)} | {"epoch%d" % i for i in range(20)}
    _check_same_data(ens, ens.servers, expected)
