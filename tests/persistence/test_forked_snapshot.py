"""zookeeper.forkSnapshot: the Snapshot Thread's snapshot of a big tree (zookeeper.forkSnapshotMinNodes)
written by a forked child process.

The file is the one the server would write itself, byte for byte; a failure in the child
fails the snapshot as a failure here would (no file left, the error named); a failed fork
writes it here instead; and a real server writes its snapshots that way by default and
restarts from them with every write."""

import os
import signal
import threading

import pytest

from tests.support.locks import AnnouncingLock
from tests.support.servers import PythonServer
from zookeeper_py.common import child_process
from zookeeper_py.server.data_tree import _SNAPSHOT_LOCK_BATCH, DataTree
from zookeeper_py.server.persistence.file_snap import FileSnap
from zookeeper_py.txn import CreateTxn, TxnHeader
from zookeeper_py.zoo_defs import Ids, OpCode

pytestmark = pytest.mark.skipif(not child_process.fork_available(), reason="no os.fork on this platform")

SESSIONS = {0x1000000000001: 30000, 0x1000000000002: 4000}


def _tree(nodes=3 * _SNAPSHOT_LOCK_BATCH + 7):
    tree = DataTree()
    for i in range(nodes):
        zxid = i + 1
        tree.process_txn(TxnHeader(1, zxid, zxid, 1700000000000 + i, OpCode.create),
                         CreateTxn("/n%05d" % i, b"v%d" % i, list(Ids.OPEN_ACL_UNSAFE), i % 2 == 0, 1))
    return tree


def _write(directory, tree, sessions, in_child):
    os.makedirs(directory, exist_ok=True)
    path = os.path.join(directory, "snapshot.%x" % tree.last_processed_zxid)
    FileSnap(directory).serialize(tree, sessions, path, in_child=in_child)
    with open(path, "rb") as f:
        return f.read()


def _write_in_child_or_fail(directory, tree, monkeypatch, timeout=60):
    """_write in a forked child; a child that never finishes is killed and the test fails,
    where a plain wait would hang the suite (a child that inherits a lock taken waits forever)."""
    real_fork = os.fork
    children = []

    def fork():
        pid = real_fork()
        if pid:
            children.append(pid)
        return pid

    outcome = {}

    def write():
        try:
            outcome["snapshot"] = _write(directory, tree, {}, True)
        except BaseException as e:
            outcome["error"] = e

    monkeypatch.setattr(os, "fork", fork)
    thread = threading.Thread(target=write)
    thread.start()
    thread.join(timeout)
    if thread.is_alive():
        for pid in children:
            os.kill(pid, signal.SIGKILL)
        thread.join()
        pytest.fail("the snapshot's child process did not finish in %d s (killed)" % timeout)
    if "error" in outcome:
        raise outcome["error"]
    return outcome["snapshot"]


def test_the_childs_snapshot_is_the_one_written_here(tmp_path):
    tree = _tree()
    here = _write(str(tmp_path / "here"), tree, SESSIONS, False)
    forked = _write(str(tmp_path / "forked"), tree, SESSIONS, True)
    assert forked == here
    restored, sessions = DataTree(), {}
    snap = FileSnap(str(tmp_path / "forked"))
    assert snap.deserialize(restored, sessions) == tree.last_processed_zxid
    assert sessions == SESSIONS
    assert restored.get_node("/n00020").data == b"v20"


def test_a_failure_in_the_child_fails_the_snapshot_and_leaves_no_file(tmp_path):
    directory = str(tmp_path)
    with pytest.raises(IOError, match="Snapshot child process failed: error: required argument is not an integer"):
        _write(directory, _tree(10), {1: "not a timeout"}, True)  # the child cannot encode it
    assert os.listdir(directory) == []


def test_a_failed_fork_writes_it_here(tmp_path, monkeypatch, caplog):
    def no_fork():
        raise OSError(12, "Cannot allocate memory")

    tree = _tree()
    here = _write(str(tmp_path / "here"), tree, SESSIONS, False)
    monkeypatch.setattr(os, "fork", no_fork)
    assert _write(str(tmp_path / "fallback"), tree, SESSIONS, True) == here
    assert "Could not fork to write the snapshot" in caplog.text


def test_the_tree_is_held_across_the_fork(tmp_path, monkeypatch):
    """A writer inside the tree's lock is waited for: the child's copy is the tree after it."""
    tree = _tree(5)
    tree.lock = AnnouncingLock()
    taken = threading.Event()

    def writer():
        with tree.lock:
            taken.set()
            # Written once the snapshot asks for the lock (or after 10 s, if it never does).
            tree.lock.wanted.wait(10)
            tree.nodes["/n00003"].data = b"changed under the lock"

    thread = threading.Thread(target=writer)
    thread.start()
    assert taken.wait(10)
    try:
        _write_in_child_or_fail(str(tmp_path), tree, monkeypatch)
    finally:
        thread.join()
    restored = DataTree()
    FileSnap(str(tmp_path)).deserialize(restored, {})
    assert restored.get_node("/n00003").data == b"changed under the lock"


@pytest.mark.parametrize("flags, forked", [
    (["-Dzookeeper.forkSnapshotMinNodes=0"], True),
    (["-Dzookeeper.forkSnapshotMinNodes=0", "-Dzookeeper.forkSnapshot=false"], False),
    ([], False),  # the default leaves a tree this small to the Snapshot Thread itself
], ids=["forked", "fork-off", "small-tree"])
def test_a_server_snapshots_and_restarts_from_its_snapshots(tmp_path, flags, forked):
    from kazoo.client import KazooClient  # optional: kazoo is a test-only client

    server = PythonServer(str(tmp_path), extra_cfg={"snapCount": "20"}, flags=flags)
    server.start()
    try:
        zk = KazooClient(hosts="127.0.0.1:%d" % server.client_port)
        zk.start(timeout=30)
        try:
            for i in range(120):
                zk.create("/f%03d" % i, b"%d" % i)
        finally:
            zk.stop()
            zk.close()
        server.stop()
        output = server.all_output()
        snapshots = [n for n in os.listdir(os.path.join(server.data_dir, "version-2")) if n.startswith("snapshot.")]
        assert len(snapshots) >= 3, snapshots
        written_by_child = output.count("Snapshot written by child process")
        if forked:
            assert written_by_child >= 2, output[-3000:]
        else:
            assert written_by_child == 0
        assert "Severe unrecoverable error" not in output
        server.start()
        zk = KazooClient(hosts="127.0.0.1:%d" % server.client_port)
        zk.start(timeout=30)
        try:
            assert sorted(zk.get_children("/")) == sorted(["zookeeper"] + ["f%03d" % i for i in range(120)])
            assert zk.get("/f077")[0] == b"77"
        finally:
            zk.stop()
            zk.close()
    finally:
        server.stop()


@pytest.mark.parametrize("flag, message", [
    ("-Dzookeeper.forkSnapshot=maybe", "zookeeper.forkSnapshot=maybe: not true or false"),
    ("-Dzookeeper.forkSnapshotMinNodes=many", "zookeeper.forkSnapshotMinNodes=many: not a whole number (0 or more)"),
    ("-Dzookeeper.forkSnapshotMinNodes=-5", "zookeeper.forkSnapshotMinNodes=-5: not a whole number (0 or more)"),
])
def test_a_bad_value_fails_the_start_naming_the_property(tmp_path, flag, message):
    server = PythonServer(str(tmp_path), flags=[flag])
    code, output = server.run_to_exit(30)
    assert code == 2, output
    assert message in output
