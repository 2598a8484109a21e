"""Fixtures for replicated-ensemble tests: ensembles of real server processes, always torn down."""

import contextlib
import os
import shutil

import pytest
from kazoo.client import KazooClient

from tests.support.ensemble import Ensemble
from zookeeper_py.data import ACL, Id
from zookeeper_py.server.data_tree import DataTree
from zookeeper_py.server.persistence.file_snap import FileSnap
from zookeeper_py.server.persistence.util import Util
from zookeeper_py.txn import CreateTxn, TxnHeader
from zookeeper_py.zoo_defs import OpCode


@pytest.fixture
def make_ensemble(tmp_path):
    """make_ensemble(kinds=..., observers=..., ...) -> a started-later Ensemble; all are killed at teardown."""
    made = []

    def make(**kwargs):
        ens = Ensemble(str(tmp_path / ("ensemble%d" % len(made))), **kwargs)
        made.append(ens)
        return ens

    yield make
    for ens in made:
        ens.stop()


@contextlib.contextmanager
def kazoo(hosts, timeout=15, **kwargs):
    """A started KazooClient, stopped and closed on exit."""
    client = KazooClient(hosts=hosts, timeout=timeout, **kwargs)
    client.start(timeout=timeout)
    try:
        yield client
    finally:
        try:
            client.stop()
            client.close()
        except Exception:
            pass


def log_offset(ens, sid):
    return len(ens.log(sid))


def log_since(ens, sid, offset):
    return ens.log(sid)[offset:]


def repo_root():
    return os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def learner_snapshot_line(log):
    """The log line of the snapshot a learner took after its SNAP (not the empty one of its start)."""
    after = log[log.index("Getting a snapshot from leader"):]
    return next(l for l in after.splitlines() if "Snapshotting: 0x" in l)


def seed_with_a_lone_snapshot(ens, nodes):
    """Every member's version-2 holds one snapshot and nothing else (no txn log, no epoch files),
    as an operator restoring a backup leaves it; returns the snapshot's zxid."""
    dt = DataTree()
    zxid = 0x100000000
    for i in range(nodes):
        zxid += 1
        dt.process_txn(TxnHeader(1, i, zxid, 1700000000000, OpCode.create),
                       CreateTxn("/seeded%d" % i, b"s%d" % i + bytes(4000), [ACL(31, Id("world", "anyone"))], False,
                                 i + 1))
    for sid in ens.servers:
        version2 = os.path.join(ens.data_dir(sid), "version-2")
        shutil.rmtree(version2, ignore_errors=True)
        os.makedirs(version2)
        FileSnap(version2).serialize(dt, {}, os.path.join(version2, Util.make_snapshot_name(zxid)))
    return zxid


def join_a_restored_ensemble_late(ens, writes):
    """Every member restored from one snapshot (seed_with_a_lone_snapshot); 1 and 2 form the
    epoch and take `writes` creates (/epoch0 ... with data e0 ...); then 3 starts. Checks that the
    leader synced 3 by a DIFF from the snapshot's zxid, not a SNAP."""
    seeded = seed_with_a_lone_snapshot(ens, 30)
    ens.start([1, 2])
    leader = ens.wait_for_quorum(timeout=60)
    with kazoo(ens.connect_string([1, 2])) as zk:
        for i in range(writes):
            zk.create("/epoch%d" % i, b"e%d" % i)
    leader_off = log_offset(ens, leader)
    ens.start_member(3)
    ens.wait_for_quorum(timeout=60)
    leader_log = log_since(ens, leader, leader_off)
    assert "peerLastZxid=0x%x" % seeded in leader_log
    assert "Sending DIFF zxid=" in leader_log and "Sending snapshot" not in leader_log, leader_log
    assert "Getting a diff from the leader" in ens.log(3)
