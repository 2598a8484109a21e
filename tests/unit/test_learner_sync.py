"""The learner's side of a sync (Learner.sync_with_leader), with a scripted leader in place of its
packets: the order of what it logs, applies, writes and acks, and what a failed sync leaves."""

import io
import os
import socket
import time

from tests.persistence.test_file_txn_log import sysprops  # noqa: F401  (fixture)
from tests.persistence.txns import logged_zxids
from zookeeper_py.data import ACL, Id
from zookeeper_py.jute import BinaryInputArchive, BinaryOutputArchive
from zookeeper_py.server.persistence import file_snap
from zookeeper_py.server.persistence.file_txn_snap_log import FileTxnSnapLog
from zookeeper_py.server.persistence.util import Util
from zookeeper_py.server.quorum.follower_zoo_keeper_server import FollowerZooKeeperServer
from zookeeper_py.server.quorum.learner import Learner, deserialize_txn
from zookeeper_py.server.quorum.packet_types import ACK, COMMIT, DIFF, NEWLEADER, PROPOSAL, SNAP, UPTODATE
from zookeeper_py.server.quorum.quorum_packet import QuorumPacket
from zookeeper_py.server.request import Request
from zookeeper_py.server.zk_database import ZKDatabase
from zookeeper_py.txn import CreateTxn, TxnHeader
from zookeeper_py.zoo_defs import OpCode

EPOCH1 = 1 << 32
EPOCH2 = 2 << 32
EPOCH3 = 3 << 32
OPEN = [ACL(31, Id("world", "anyone"))]


class Peer:
    """The QuorumPeer as the learner sees it while syncing."""

    tick_time = 2000
    sync_limit = 5
    min_session_timeout = 4000
    max_session_timeout = 40000

    def __init__(self, on_epoch):
        self.on_epoch = on_epoch

    def get_initial_config(self):
        return ""

    def get_id(self):
        return 2

    def are_local_sessions_enabled(self):
        return False

    def get_quorum_verifier(self):
        return None

    def is_running(self):
        return True

    def set_current_epoch(self, epoch):
        self.on_epoch(epoch)

    # what Learner.shutdown tells the peer
    admin_server = None

    def set_zoo_keeper_server(self, zk):
        pass

    def close_all_connections(self):
        pass


class ScriptedLeader(Exception):
    """Ends the sync once the learner acked NEWLEADER (the leader went away)."""


class Follower(Learner):
    def __init__(self, peer, zk, packets, on_write):
        super().__init__()
        self.self = peer
        self.zk = zk
        self.packets = list(packets)
        self.on_write = on_write

    def read_packet(self):
        if not self.packets:
            raise OSError("the leader closed the connection")
        return self.packets.pop(0)

    def write_packet(self, pp, flush):
        self.on_write(pp)


def _sync_to_the_ack(learner, new_leader_zxid, snap_log):
    """Run the learner's sync until it acks NEWLEADER (on_write raised ScriptedLeader)."""
    try:
        learner.sync_with_leader(new_leader_zxid)
        raise AssertionError("the learner never acked NEWLEADER")
    except ScriptedLeader:
        pass
    finally:
        snap_log.close()


def _ends_at_the_ack(pp):
    if pp.type == ACK:
        raise ScriptedLeader()


def _create(zxid, path):
    hdr = TxnHeader(0x99, 1, zxid, 0, OpCode.create)
    return QuorumPacket(PROPOSAL, zxid, Util.marshall_txn_entry(hdr, CreateTxn(path, b"v", OPEN, False, 1), None),
                        None)


def test_committed_diff_txns_are_on_disk_and_applied_before_the_epoch_and_the_ack(tmp_path):
    data_dir = str(tmp_path)
    snap_log = FileTxnSnapLog(data_dir, data_dir)
    zk_db = ZKDatabase(snap_log)
    seen = []

    def on_epoch(epoch):
        seen.append(("epoch", epoch, logged_zxids(data_dir), zk_db.get_data_tree_last_processed_zxid()))

    def on_write(pp):
        seen.append(("write", pp.type, pp.zxid, logged_zxids(data_dir)))
        _ends_at_the_ack(pp)

    peer = Peer(on_epoch)
    zk = FollowerZooKeeperServer(snap_log, peer, zk_db)
    # A DIFF of two committed creates and a third proposal not yet committed, then NEWLEADER.
    packets = [QuorumPacket(DIFF, EPOCH1 + 2, None, None),
               _create(EPOCH1 + 1, "/a"), QuorumPacket(COMMIT, EPOCH1 + 1, None, None),
               _create(EPOCH1 + 2, "/b"), QuorumPacket(COMMIT, EPOCH1 + 2, None, None),
               _create(EPOCH1 + 3, "/c"),
               QuorumPacket(NEWLEADER, EPOCH2, None, None)]
    learner = Follower(peer, zk, packets, on_write)
    _sync_to_the_ack(learner, EPOCH2, snap_log)
    # The epoch is set after the committed txns are on disk and in the tree; the proposal not yet
    # committed is neither (it is logged and acked after UPTODATE, as before).
    assert seen[0] == ("epoch", 2, [EPOCH1 + 1, EPOCH1 + 2], EPOCH1 + 2), seen
    assert seen[1] == ("write", ACK, EPOCH2, [EPOCH1 + 1, EPOCH1 + 2]), seen
    assert zk_db.get_node("/a") is not None and zk_db.get_node("/b") is not None
    assert zk_db.get_node("/c") is None
    assert [p.packet.zxid for p in zk_db.committed_log] == [EPOCH1 + 1, EPOCH1 + 2]


def _leaders_snap_stream(tmp_path):
    """A leader's SNAP stream (sessions, tree, signature) of a tree with /from-the-leader at EPOCH1 + 5."""
    source = ZKDatabase(FileTxnSnapLog(str(tmp_path / "leader"), str(tmp_path / "leader")))
    source.process_txn(TxnHeader(0x99, 1, EPOCH1 + 5, 0, OpCode.create),
                       CreateTxn("/from-the-leader", b"v", OPEN, False, 1))
    oa = BinaryOutputArchive()
    source.serialize_snapshot(oa)
    oa.write_string("BenWasHere", "signature")
    return bytes(oa.buf)


def _learners_database(tmp_path):
    """(data dir, FileTxnSnapLog, loaded ZKDatabase) of an empty learner."""
    data_dir = str(tmp_path / "learner")
    snap_log = FileTxnSnapLog(data_dir, data_dir)
    zk_db = ZKDatabase(snap_log)
    zk_db.load_data_base()
    return data_dir, snap_log, zk_db


def test_a_snap_sync_that_fails_before_newleader_leaves_nothing_of_the_snapshot_in_memory(tmp_path):
    """The leader's snapshot was loaded, then the leader went away before NEWLEADER: it is in
    memory only. Ours kept it there (a learner never started is not shut down), so the next
    election and sync started from the leader's zxid, a DIFF from there left a gap on disk.
    3.7+ drops it (ZOOKEEPER-3642): the next look at the last zxid loads the disk again."""
    stream = _leaders_snap_stream(tmp_path)
    _, snap_log, zk_db = _learners_database(tmp_path)
    peer = Peer(lambda epoch: None)
    zk = FollowerZooKeeperServer(snap_log, peer, zk_db)
    peer.admin_server = type("AdminServer", (), {"set_zoo_keeper_server": lambda self, zk: None})()
    learner = Follower(peer, zk, [QuorumPacket(SNAP, EPOCH1 + 5, None, None)], lambda pp: None)
    learner.leader_is = BinaryInputArchive.get_archive(io.BytesIO(stream))
    try:
        learner.sync_with_leader(EPOCH2)
        raise AssertionError("the sync went on without a leader")
    except OSError:
        pass
    assert zk_db.get_node("/from-the-leader") is not None  # loaded, not yet on disk
    learner.shutdown()
    snap_log.close()
    assert not zk_db.is_initialized()
    assert zk_db.get_node("/from-the-leader") is None


def test_the_snapshot_of_a_snap_sync_is_on_disk_before_newleader_is_acked(tmp_path, monkeypatch):
    """After a SNAP the txn log has a gap up to the snapshot, so the snapshot written at NEWLEADER is
    synced to disk before the ack, as 3.6+ (ZOOKEEPER-2872); ours wrote it without a sync."""
    synced = []
    real_sync = file_snap._fdatasync
    monkeypatch.setattr(file_snap, "_fdatasync", lambda fd: (synced.append(os.readlink("/proc/self/fd/%d" % fd)),
                                                             real_sync(fd)))
    stream = _leaders_snap_stream(tmp_path)
    data_dir, snap_log, zk_db = _learners_database(tmp_path)
    acked = []

    def on_write(pp):
        if pp.type == ACK:
            acked.append(list(synced))
            raise ScriptedLeader()

    peer = Peer(lambda epoch: None)
    learner = Follower(peer, FollowerZooKeeperServer(snap_log, peer, zk_db),
                       [QuorumPacket(SNAP, EPOCH1 + 5, None, None), QuorumPacket(NEWLEADER, EPOCH2, None, None)],
                       on_write)
    learner.leader_is = BinaryInputArchive.get_archive(io.BytesIO(stream))
    try:
        learner.sync_with_leader(EPOCH2)
    except ScriptedLeader:
        pass
    finally:
        snap_log.close()
    snapshot = os.path.join(data_dir, "version-2", "snapshot.%x" % (EPOCH1 + 5))
    assert os.path.exists(snapshot)
    assert acked and any(os.path.basename(p).startswith(("snapshot.", "tmp-snapshot.")) for p in acked[0]), acked


def test_a_followers_shutdown_leaves_memory_where_its_txn_log_ends(tmp_path, monkeypatch):
    """Proposals still queued in the SyncRequestProcessor at shutdown are written out as it stops;
    the fast-forward that follows must read them back, so memory ends where the log ends, as 3.9.3
    (ZOOKEEPER-4712). 3.5.7, and ours before, stopped the sync processor after the fast-forward:
    the follower went to the next election with a last zxid below its disk's, and a leader could
    then leave txns only it had logged in place."""
    data_dir, snap_log, zk_db = _learners_database(tmp_path)
    peer = Peer(lambda epoch: None)
    peer.admin_server = type("AdminServer", (), {"set_zoo_keeper_server": lambda self, zk: None})()
    peer.update_election_vote = lambda epoch: None
    zk = FollowerZooKeeperServer(snap_log, peer, zk_db)
    learner = Follower(peer, zk, [QuorumPacket(DIFF, 0, None, None), QuorumPacket(NEWLEADER, EPOCH1, None, None),
                                  QuorumPacket(UPTODATE, EPOCH1, None, None)], lambda pp: None)
    peer.follower = learner
    learner.sock, leader_end = socket.socketpair()
    learner.sync_with_leader(EPOCH1)
    real_append = zk_db.append
    # a slow disk: the sync thread is still writing when shutdown begins
    monkeypatch.setattr(zk_db, "append", lambda request: (time.sleep(0.02), real_append(request))[1])
    proposals = [_create(EPOCH1 + i, "/p%d" % i) for i in range(1, 31)]
    for qp in proposals:
        hdr, txn = deserialize_txn(qp.data)
        zk.log_request(hdr, txn)
    zk.shutdown()
    try:
        on_disk = logged_zxids(data_dir)
        assert on_disk == [EPOCH1 + i for i in range(1, 31)]
        assert zk_db.get_data_tree_last_processed_zxid() == on_disk[-1]
        assert all(zk_db.get_node("/p%d" % i) is not None for i in range(1, 31))
    finally:
        snap_log.close()
        learner.sock.close()
        leader_end.close()


def test_a_diff_with_a_gap_within_an_epoch_ends_the_sync_and_one_at_a_new_epoch_does_not(tmp_path):
    """A DIFF's proposals must follow one another within an epoch, as 3.9.4 (ZOOKEEPER-4925): a
    gap is txns the leader lacks, and a learner that took the rest would hold a history with a
    hole it could pass on as leader. Ours warned and synced; now the sync ends before anything is
    logged or acked. A jump to a new epoch's first txns is a normal DIFF and still syncs."""
    def sync(packets):
        data_dir, snap_log, zk_db = _learners_database(tmp_path / str(len(packets)))
        written = []

        def on_write(pp):
            written.append(pp.type)
            _ends_at_the_ack(pp)

        peer = Peer(lambda epoch: None)
        learner = Follower(peer, FollowerZooKeeperServer(snap_log, peer, zk_db), packets, on_write)
        try:
            learner.sync_with_leader(EPOCH3)
            raise AssertionError("the sync never ended")
        except (ScriptedLeader, IOError) as e:
            return e, written, logged_zxids(data_dir)
        finally:
            snap_log.close()

    gap = sync([QuorumPacket(DIFF, EPOCH1 + 3, None, None),
                _create(EPOCH1 + 1, "/a"), QuorumPacket(COMMIT, EPOCH1 + 1, None, None),
                _create(EPOCH1 + 3, "/c"), QuorumPacket(COMMIT, EPOCH1 + 3, None, None),
                QuorumPacket(NEWLEADER, EPOCH3, None, None)])
    assert isinstance(gap[0], IOError) and "DIFF sync got proposal 0x100000003, last queued 0x100000001" in str(gap[0])
    assert gap[1:] == ([], [])
    new_epoch = sync([QuorumPacket(DIFF, EPOCH2 + 1, None, None),
                      _create(EPOCH1 + 1, "/a"), QuorumPacket(COMMIT, EPOCH1 + 1, None, None),
                      _create(EPOCH2 + 1, "/b"), QuorumPacket(COMMIT, EPOCH2 + 1, None, None),
                      QuorumPacket(NEWLEADER, EPOCH3, None, None)])
    assert isinstance(new_epoch[0], ScriptedLeader)
    assert new_epoch[1:] == ([ACK], [EPOCH1 + 1, EPOCH2 + 1])


def test_a_diff_to_a_dir_trusted_without_a_snapshot_writes_one(tmp_path, sysprops):  # noqa: F811
    """A dir of txn logs without a snapshot (from 3.4) starts only under
    zookeeper.snapshot.trust.empty; its first sync writes a snapshot, a DIFF too, so the next
    start needs the flag no more, as 3.5.8+ (ZOOKEEPER-3781). Ours wrote none after a DIFF, and
    without the flag the member refused to start again."""
    data_dir, snap_log, zk_db = _learners_database(tmp_path)
    zk_db.append(_request(_create(EPOCH1 + 1, "/a")))
    zk_db.commit()
    snap_log.close()
    os.remove(os.path.join(data_dir, "version-2", "snapshot.0"))
    sysprops("zookeeper.snapshot.trust.empty", "true")
    _, snap_log, zk_db = _learners_database(tmp_path)
    assert zk_db.get_data_tree_last_processed_zxid() == EPOCH1 + 1

    peer = Peer(lambda epoch: None)
    learner = Follower(peer, FollowerZooKeeperServer(snap_log, peer, zk_db),
                       [QuorumPacket(DIFF, EPOCH1 + 2, None, None),
                        _create(EPOCH1 + 2, "/b"), QuorumPacket(COMMIT, EPOCH1 + 2, None, None),
                        QuorumPacket(NEWLEADER, EPOCH2, None, None)], _ends_at_the_ack)
    _sync_to_the_ack(learner, EPOCH2, snap_log)
    assert os.path.exists(os.path.join(data_dir, "version-2", "snapshot.%x" % (EPOCH1 + 2)))
    sysprops("zookeeper.snapshot.trust.empty", "false")
    _, snap_log, zk_db = _learners_database(tmp_path)
    snap_log.close()
    assert zk_db.get_node("/a") is not None and zk_db.get_node("/b") is not None


def _request(qp):
    hdr, txn = deserialize_txn(qp.data)
    return Request.from_txn(hdr.clientId, hdr.cxid, hdr.type, hdr, txn, hdr.zxid)
