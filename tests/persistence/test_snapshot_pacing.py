"""The Snapshot Thread, writing the snapshot in the server's process (zookeeper.forkSnapshot=false),
gives way to requests: while any is in process it sleeps after each batch of nodes as long as
the batch took; on an idle server it never sleeps. Either way it writes the same snapshot.
A forked child (the default) never sleeps: test_forked_snapshot.py."""

import math
import os
import time

from tests.persistence.test_file_txn_log import sysprops  # noqa: F401  (fixture)
from zookeeper_py.server import sync_request_processor
from zookeeper_py.server.data_tree import _SNAPSHOT_LOCK_BATCH
from zookeeper_py.server.persistence.file_snap import FileSnap
from zookeeper_py.server.persistence.file_txn_snap_log import FileTxnSnapLog
from zookeeper_py.server.sync_request_processor import SnapshotThread
from zookeeper_py.server.zoo_keeper_server import ZooKeeperServer
from zookeeper_py.txn import CreateTxn, TxnHeader
from zookeeper_py.zoo_defs import Ids, OpCode

NODES = 5 * _SNAPSHOT_LOCK_BATCH + 100


class RecordingSnapshotThread(SnapshotThread):
    """The real thread, noting the batch times DataTree hands to pace()."""

    def __init__(self, zks):
        super().__init__(zks)
        self.batch_times = []

    def pace(self, busy):
        self.batch_times.append(busy)
        super().pace(busy)


class Sleeps:
    """time as sync_request_processor sees it: its sleeps are noted, and really slept."""

    def __init__(self):
        self.slept = []

    def sleep(self, seconds):
        self.slept.append(seconds)
        time.sleep(seconds)


def _server(data_dir):
    zks = ZooKeeperServer(FileTxnSnapLog(data_dir, data_dir), 2000)
    zks.startdata()
    tree = zks.zk_db.get_data_tree()
    for i in range(NODES):
        zxid = i + 1
        tree.process_txn(TxnHeader(1, zxid, zxid, 1700000000000 + i, OpCode.create),
                         CreateTxn("/n%05d" % i, b"x" * 100, list(Ids.OPEN_ACL_UNSAFE), False, 1))
    return zks


def _snapshot(zks, in_process, monkeypatch):
    sleeps = Sleeps()
    monkeypatch.setattr(sync_request_processor, "time", sleeps)
    for _ in range(in_process):
        zks.inc_in_process()
    thread = RecordingSnapshotThread(zks)
    thread.start()
    thread.join(timeout=60)
    assert not thread.is_alive()
    for _ in range(in_process):
        zks.dec_in_process()
    batches = math.ceil(len(zks.zk_db.get_data_tree().nodes) / _SNAPSHOT_LOCK_BATCH)
    assert len(thread.batch_times) == batches and all(t > 0 for t in thread.batch_times)
    return thread.batch_times, sleeps.slept


def _snapshot_bytes(data_dir):
    path = FileSnap(os.path.join(data_dir, "version-2")).find_most_recent_snapshot()
    with open(path, "rb") as f:
        return f.read()


def test_snapshot_sleeps_as_long_as_each_batch_took_while_requests_are_in_process(tmp_path, monkeypatch,
                                                                                  sysprops):  # noqa: F811
    sysprops(sync_request_processor.FORK_SNAPSHOT, "false")
    paced_dir, idle_dir = str(tmp_path / "paced"), str(tmp_path / "idle")
    batch_times, slept = _snapshot(_server(paced_dir), 3, monkeypatch)
    assert slept == batch_times
    batch_times, slept = _snapshot(_server(idle_dir), 0, monkeypatch)
    assert slept == []
    # Pacing changes when the nodes are copied, not what is written.
    assert _snapshot_bytes(paced_dir) == _snapshot_bytes(idle_dir)
