"""The learner at NEWLEADER of a DIFF, with a scripted leader on the other side of its packets: the
txns the leader sent as committed are in the txn log on disk, and applied, before the new epoch is
written and NEWLEADER is acked (3.9's order: ZOOKEEPER-3911, -4643, -4646). 3.5.7 acked them held
in memory only and logged them after UPTODATE."""

import os

from zookeeper_py.data import ACL, Id
from zookeeper_py.server.persistence.file_txn_log import FileTxnLog
from zookeeper_py.server.persistence.file_txn_snap_log import FileTxnSnapLog
from zookeeper_py.server.persistence.util import Util
from zookeeper_py.server.quorum.follower_zoo_keeper_server import FollowerZooKeeperServer
from zookeeper_py.server.quorum.learner import Learner
from zookeeper_py.server.quorum.packet_types import ACK, COMMIT, DIFF, NEWLEADER, PROPOSAL
from zookeeper_py.server.quorum.quorum_packet import QuorumPacket
from zookeeper_py.server.zk_database import ZKDatabase
from zookeeper_py.txn import CreateTxn, TxnHeader
from zookeeper_py.zoo_defs import OpCode

EPOCH1 = 1 << 32
EPOCH2 = 2 << 32
OPEN = [ACL(31, Id("world", "anyone"))]


class Peer:
    """The QuorumPeer as the learner sees it while syncing."""

    tick_time = 2000
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
        return self.packets.pop(0)

    def write_packet(self, pp, flush):
        self.on_write(pp)


def _create(zxid, path):
    hdr = TxnHeader(0x99, 1, zxid, 0, OpCode.create)
    return QuorumPacket(PROPOSAL, zxid, Util.marshall_txn_entry(hdr, CreateTxn(path, b"v", OPEN, False, 1), None),
                        None)


def _logged_zxids(data_dir):
    itr = FileTxnLog(os.path.join(data_dir, "version-2")).read(0)
    zxids = []
    try:
        while itr.get_header() is not None:  # read() stands on the first txn, as Java's
            zxids.append(itr.get_header().zxid)
            if not itr.next():
                break
    finally:
        itr.close()
    return zxids


def test_committed_diff_txns_are_on_disk_and_applied_before_the_epoch_and_the_ack(tmp_path):
    data_dir = str(tmp_path)
    snap_log = FileTxnSnapLog(data_dir, data_dir)
    zk_db = ZKDatabase(snap_log)
    seen = []

    def on_epoch(epoch):
        seen.append(("epoch", epoch, _logged_zxids(data_dir), zk_db.get_data_tree_last_processed_zxid()))

    def on_write(pp):
        seen.append(("write", pp.type, pp.zxid, _logged_zxids(data_dir)))
        if pp.type == ACK:
            raise ScriptedLeader()

    peer = Peer(on_epoch)
    zk = FollowerZooKeeperServer(snap_log, peer, zk_db)
    # A DIFF of two committed creates and a third proposal not yet committed, then NEWLEADER.
    packets = [QuorumPacket(DIFF, EPOCH1 + 2, None, None),
               _create(EPOCH1 + 1, "/a"), QuorumPacket(COMMIT, EPOCH1 + 1, None, None),
               _create(EPOCH1 + 2, "/b"), QuorumPacket(COMMIT, EPOCH1 + 2, None, None),
               _create(EPOCH1 + 3, "/c"),
               QuorumPacket(NEWLEADER, EPOCH2, None, None)]
    learner = Follower(peer, zk, packets, on_write)
    try:
        learner.sync_with_leader(EPOCH2)
        raise AssertionError("the learner never acked NEWLEADER")
    except ScriptedLeader:
        pass
    finally:
        snap_log.close()
    # The epoch is set after the committed txns are on disk and in the tree; the proposal not yet
    # committed is neither (it is logged and acked after UPTODATE, as before).
    assert seen[0] == ("epoch", 2, [EPOCH1 + 1, EPOCH1 + 2], EPOCH1 + 2), seen
    assert seen[1] == ("write", ACK, EPOCH2, [EPOCH1 + 1, EPOCH1 + 2]), seen
    assert zk_db.get_node("/a") is not None and zk_db.get_node("/b") is not None
    assert zk_db.get_node("/c") is None
    assert [p.packet.zxid for p in zk_db.committed_log] == [EPOCH1 + 1, EPOCH1 + 2]
