"""LearnerHandler.syncFollower's choice of DIFF, TRUNC or SNAP, as Java's LearnerHandlerTest: crafted
committed logs in an in-memory ZKDatabase, and the packets the handler queues for its learner.

The handler is never started; its constructor only needs a connected socket (a loopback pair)."""

import socket

import pytest

from zookeeper_py.server.quorum.learner_handler import LearnerHandler
from zookeeper_py.server.quorum.packet_types import COMMIT, DIFF, PROPOSAL, TRUNC
from zookeeper_py.server.quorum.proposal import Proposal
from zookeeper_py.server.quorum.quorum_packet import QuorumPacket
from zookeeper_py.server.request import Request
from zookeeper_py.server.zk_database import ZKDatabase
from zookeeper_py.txn import SetDataTxn, TxnHeader
from zookeeper_py.zoo_defs import OpCode

E1 = 1 << 32  # epoch 1's first zxid is E1 + 1
E2 = 2 << 32


class Leader:
    """What syncFollower asks of the leader: where forwarding starts."""

    def start_forwarding(self, handler, last_seen_zxid):
        return last_seen_zxid

    def remove_learner_handler(self, handler):
        pass


class Database(ZKDatabase):
    """A ZKDatabase in memory; the on-disk txn log is a list, as Java's test's MockZKDatabase."""

    def __init__(self, last_processed, committed=(), txn_log=(), txn_log_sync=True):
        super().__init__(None)
        for zxid in committed:
            self.add_committed_proposal(_request(zxid))
        self.set_last_processed_zxid(last_processed)
        self.txn_log = [_proposal(z) for z in txn_log]
        if not txn_log_sync:
            self.set_snapshot_size_factor(-1)

    def calculate_txn_log_size_limit(self):
        return 1 << 20

    def get_proposals_from_txn_log(self, start_zxid, size_limit):
        # Like the real one: empty unless the log reaches back to start_zxid.
        return _Iterator(self.txn_log if self.txn_log and self.txn_log[0].packet.zxid <= start_zxid else [])


class _Iterator:
    def __init__(self, proposals):
        self.proposals = proposals

    def has_next(self):
        return bool(self.proposals)

    def __iter__(self):
        return iter(self.proposals)

    def close(self):
        pass


def _request(zxid):
    hdr = TxnHeader(1, 1, zxid, 0, OpCode.setData)
    return Request.from_txn(1, 1, OpCode.setData, hdr, SetDataTxn("/x", b"", 1), zxid)


def _proposal(zxid):
    return Proposal(QuorumPacket(PROPOSAL, zxid, b"", None), _request(zxid))


@pytest.fixture
def handler():
    server = socket.create_server(("127.0.0.1", 0))
    client = socket.create_connection(server.getsockname())
    sock, _ = server.accept()
    h = LearnerHandler(sock, Leader())
    yield h
    for s in (sock, client, server):
        s.close()


def sync(handler, peer_zxid, db):
    """syncFollower's answer: (needs a snapshot, [(type, zxid) queued])."""
    need_snap = handler.sync_follower(peer_zxid, db, handler.leader)
    packets = []
    while not handler.queued_packets.empty():
        p = handler.queued_packets.get()
        packets.append((p.type, p.zxid))
    return need_snap, packets


def _diff_of(*zxids):
    return [x for z in zxids for x in ((PROPOSAL, z), (COMMIT, z))]


def test_in_sync_gets_empty_diff(handler):
    assert sync(handler, E1 + 3, Database(E1 + 3, [E1 + 1, E1 + 2, E1 + 3])) == (False, [(DIFF, E1 + 3)])


def test_empty_committed_log_in_sync(handler):
    assert sync(handler, E1 + 3, Database(E1 + 3)) == (False, [(DIFF, E1 + 3)])


def test_peer_ahead_gets_trunc(handler):
    # The learner has txns the leader never committed (an old leader): TRUNC to our last.
    assert sync(handler, E1 + 9, Database(E1 + 3, [E1 + 1, E1 + 2, E1 + 3])) == (False, [(TRUNC, E1 + 3)])


def test_peer_within_committed_log_gets_diff(handler):
    db = Database(E1 + 4, [E1 + 1, E1 + 2, E1 + 3, E1 + 4])
    assert sync(handler, E1 + 2, db) == (False, [(DIFF, E1 + 4)] + _diff_of(E1 + 3, E1 + 4))


def test_peer_with_a_txn_we_lack_gets_trunc_then_diff(handler):
    # E1+3 is the learner's alone: truncate to E1+2, then the txns after it.
    db = Database(E1 + 5, [E1 + 1, E1 + 2, E1 + 4, E1 + 5])
    assert sync(handler, E1 + 3, db) == (False, [(TRUNC, E1 + 2)] + _diff_of(E1 + 4, E1 + 5))


def test_trunc_never_crosses_an_epoch(handler):
    # The learner's E1+3 is not ours and our next txn is of epoch 2: a TRUNC would cross the
    # epoch boundary, so the learner gets a snapshot.
    db = Database(E2 + 2, [E1 + 1, E1 + 2, E2 + 1, E2 + 2])
    assert sync(handler, E1 + 3, db) == (True, [])


def test_peer_at_a_new_epoch_zxid_gets_diff(handler):
    # E2 (counter 0) is what a learner has right after an election: no txn has it, yet DIFF.
    db = Database(E2 + 2, [E1 + 1, E2 + 1, E2 + 2])
    assert sync(handler, E2, db) == (False, [(DIFF, E2 + 2)] + _diff_of(E2 + 1, E2 + 2))


def test_peer_behind_committed_log_uses_txn_log(handler):
    db = Database(E1 + 6, [E1 + 4, E1 + 5, E1 + 6], txn_log=[E1 + 1, E1 + 2, E1 + 3, E1 + 4])
    assert sync(handler, E1 + 2, db) == (False, [(DIFF, E1 + 6)] + _diff_of(E1 + 3, E1 + 4, E1 + 5, E1 + 6))


def test_peer_behind_everything_gets_snap(handler):
    db = Database(E1 + 6, [E1 + 4, E1 + 5, E1 + 6], txn_log=[E1 + 3, E1 + 4])
    assert sync(handler, E1 + 1, db) == (True, [])


def test_txn_log_sync_disabled_gets_snap(handler):
    db = Database(E1 + 6, [E1 + 4, E1 + 5, E1 + 6], txn_log=[E1 + 1, E1 + 2, E1 + 3, E1 + 4], txn_log_sync=False)
    assert sync(handler, E1 + 2, db) == (True, [])


def test_empty_committed_log_behind_gets_snap(handler):
    assert sync(handler, E1 + 1, Database(E1 + 5)) == (True, [])


def test_force_snap_sync(handler):
    handler.force_snap_sync = True
    assert sync(handler, E1 + 3, Database(E1 + 3, [E1 + 1, E1 + 2, E1 + 3])) == (True, [])
