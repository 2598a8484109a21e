"""LearnerHandler.syncFollower's choice of DIFF, TRUNC or SNAP, as Java's LearnerHandlerTest: crafted
committed logs in an in-memory ZKDatabase, and the packets the handler queues for its learner.

The handler is never started; its constructor only needs a connected socket (a loopback pair)."""

import socket

import pytest

from zookeeper_py.common import system_properties
from zookeeper_py.server.quorum.learner_handler import LearnerHandler
from zookeeper_py.server.quorum.packet_types import COMMIT, DIFF, PROPOSAL, TRUNC
from zookeeper_py.server.quorum.proposal import Proposal
from zookeeper_py.server.quorum.quorum_packet import QuorumPacket
from zookeeper_py.server.quorum.state_summary import StateSummary
from zookeeper_py.server.request import Request
from zookeeper_py.server.zk_database import COMMIT_LOG_COUNT, ZKDatabase
from zookeeper_py.txn import SetDataTxn, TxnHeader
from zookeeper_py.zoo_defs import OpCode

E1 = 1 << 32  # epoch 1's first zxid is E1 + 1
E2 = 2 << 32


class Leader:
    """What syncFollower asks of the leader: where forwarding starts, and its state summary (the
    zxid its tree had when its epoch began)."""

    leader_state_summary = None

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

    size_limit = 1 << 20

    def calculate_txn_log_size_limit(self):
        return self.size_limit

    def get_proposals_from_txn_log(self, start_zxid, size_limit):
        # Like the real one: empty unless the log reaches back to start_zxid.
        return _Iterator(list(self.txn_log) if self.txn_log and self.txn_log[0].packet.zxid <= start_zxid else [])


class _Iterator:
    def __init__(self, proposals):
        self.proposals = proposals

    def has_next(self):
        return bool(self.proposals)

    def skip_to(self, zxid):
        # TxnLogProposalIterator.skip_to: the txns below zxid are passed over; the last one's zxid
        prev = -1
        while self.proposals and self.proposals[0].packet.zxid < zxid:
            prev = self.proposals.pop(0).packet.zxid
        return prev

    def __iter__(self):
        return iter(self.proposals)

    def close(self):
        pass


def _request(zxid):
    hdr = TxnHeader(1, 1, zxid, 0, OpCode.setData)
    return Request.from_txn(1, 1, OpCode.setData, hdr, SetDataTxn("/x", b"", 1), zxid)


def _proposal(zxid):
    return Proposal(QuorumPacket(PROPOSAL, zxid, b"", None), _request(zxid))


def _committed(db, *zxids):
    """Committed proposals whose packets carry a 100-byte txn each."""
    for zxid in zxids:
        db.add_committed_proposal(_request(zxid))
        db.committed_log[-1].packet.data = bytes(100)
    db.set_last_processed_zxid(zxids[-1])
    return db


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


def test_a_gap_between_the_txn_log_and_the_committed_log_gets_snap(handler):
    """A slow disk on the leader: its txn log ends (E1+4) before its committed log begins (E1+7).
    3.5.7 (ours before) sent a DIFF of E1+4 then E1+7, E1+8, skipping E1+5 and E1+6
    (ZOOKEEPER-2418, fixed in 3.6.0)."""
    db = Database(E1 + 8, [E1 + 7, E1 + 8], txn_log=[E1 + 2, E1 + 3, E1 + 4])
    assert sync(handler, E1 + 3, db) == (True, [])


def test_peer_behind_everything_gets_snap(handler):
    db = Database(E1 + 6, [E1 + 4, E1 + 5, E1 + 6], txn_log=[E1 + 3, E1 + 4])
    assert sync(handler, E1 + 1, db) == (True, [])


@pytest.mark.parametrize("count, kept", [(None, 501), ("800", 801), ("10", 501), ("x", 501)])
def test_commit_log_count_keeps_more_txns_for_diffs_never_fewer_than_500(handler, count, kept):
    # zookeeper.commitLogCount (3.6+), as Java 3.8 reads it: larger values keep more txns, so a
    # learner further behind still gets a DIFF from memory; smaller or unparsable ones keep 500.
    if count is not None:
        system_properties.set_property(COMMIT_LOG_COUNT, count)
    try:
        db = Database(E1 + 1000, range(E1 + 1, E1 + 1001), txn_log_sync=False)
    finally:
        system_properties.clear_property(COMMIT_LOG_COUNT)
    assert len(db.committed_log) == kept
    first_kept = E1 + 1001 - kept
    need_snap, packets = sync(handler, first_kept, db)
    assert (need_snap, packets[0]) == (False, (DIFF, E1 + 1000))
    assert len(packets) == 1 + 2 * (kept - 1)
    assert sync(handler, first_kept - 1, db) == (True, [])


def test_txn_log_sync_disabled_gets_snap(handler):
    db = Database(E1 + 6, [E1 + 4, E1 + 5, E1 + 6], txn_log=[E1 + 1, E1 + 2, E1 + 3, E1 + 4], txn_log_sync=False)
    assert sync(handler, E1 + 2, db) == (True, [])


def test_empty_committed_log_behind_gets_snap(handler):
    assert sync(handler, E1 + 1, Database(E1 + 5)) == (True, [])


def test_force_snap_sync(handler):
    handler.force_snap_sync = True
    assert sync(handler, E1 + 3, Database(E1 + 3, [E1 + 1, E1 + 2, E1 + 3])) == (True, [])


# A member restored from the snapshot the leader's tree was loaded from (E1 + 5), joining after
# the leader began epoch 2: no log holds E1 + 5 (not in Java, which sends a SNAP).

def test_peer_at_the_epoch_start_with_no_txn_since_gets_empty_diff(handler):
    handler.leader.leader_state_summary = StateSummary(1, E1 + 5)
    assert sync(handler, E1 + 5, Database(E2)) == (False, [(DIFF, E2)])


def test_peer_at_the_epoch_start_gets_the_epochs_txns(handler):
    handler.leader.leader_state_summary = StateSummary(1, E1 + 5)
    db = _committed(Database(E2), E2 + 1, E2 + 2)
    assert sync(handler, E1 + 5, db) == (False, [(DIFF, E2 + 2)] + _diff_of(E2 + 1, E2 + 2))


def test_peer_at_the_epoch_start_gets_snap_once_the_committed_log_lost_the_epochs_first_txn(handler):
    handler.leader.leader_state_summary = StateSummary(1, E1 + 5)
    db = _committed(Database(E2), E2 + 2, E2 + 3)
    assert sync(handler, E1 + 5, db) == (True, [])


def test_peer_at_the_epoch_start_gets_snap_when_the_txns_outweigh_the_size_limit(handler):
    handler.leader.leader_state_summary = StateSummary(1, E1 + 5)
    db = _committed(Database(E2), E2 + 1, E2 + 2)
    db.size_limit = 199
    assert sync(handler, E1 + 5, db) == (True, [])


def test_other_peers_than_the_one_at_the_epoch_start_get_what_they_got(handler):
    handler.leader.leader_state_summary = StateSummary(1, E1 + 5)
    assert sync(handler, E1 + 4, Database(E2)) == (True, [])
    handler.leader.leader_state_summary = StateSummary(1, 0)  # began empty: an empty member gets a SNAP
    assert sync(handler, 0, _committed(Database(E1), E1 + 1)) == (True, [])


def test_the_leader_marks_its_epoch_without_the_log_lock_a_syncing_handler_holds():
    """sync_follower holds the log lock, then takes the Leader's lock (start_forwarding), while
    start_zk_server holds the Leader's lock: a version that took the log lock there deadlocked a
    late joiner's sync with the leader's start (a member never served, 1 start in ~30 of
    bench_snap_sync)."""
    import threading

    from zookeeper_py.server.quorum.leader import Leader as RealLeader

    class Member:
        addr = ("127.0.0.1", 2888)

    class QuorumVerifier:
        def get_voting_members(self):
            return {1: Member()}

    class Peer:
        def get_id(self):
            return 1

        def get_quorum_address(self):
            return Member.addr

        def get_last_seen_quorum_verifier(self):
            return QuorumVerifier()

        def process_reconfig(self, *args):
            pass

        def update_election_vote(self, epoch):
            pass

    class Server:
        db = Database(E1 + 5)

        def get_zxid(self):
            return E2

        def startup(self):
            pass

        def get_zk_database(self):
            return self.db

    leader = RealLeader.__new__(RealLeader)
    leader.__dict__.update(self=Peer(), zk=Server(), _lock=threading.RLock(), new_leader_proposal=Proposal(),
                           outstanding_proposals={}, last_proposed=E2, allowed_to_commit=True)
    leader.new_leader_proposal.qv_ackset_pairs = [(QuorumVerifier(), {1})]
    db = leader.zk.db
    with db.get_log_lock():  # a handler in sync_follower
        starting = threading.Thread(target=leader.start_zk_server, daemon=True)
        starting.start()
        starting.join(10)
        assert not starting.is_alive(), "start_zk_server waits for the log lock"
    assert db.get_data_tree_last_processed_zxid() == E2
