"""Mirror of org.apache.zookeeper.server.quorum.Leader.Proposal."""

from zookeeper_py.server.quorum.synced_learner_tracker import SyncedLearnerTracker


class Proposal(SyncedLearnerTracker):
    """Mirror of org.apache.zookeeper.server.quorum.Leader.Proposal.

    A txn on its way through Zab: the PROPOSAL packet, the request it came from (None
    when read back from the txn log), and the ack sets of Java's superclass
    SyncedLearnerTracker, one per QuorumVerifier (two during a reconfig).
    """

    __slots__ = ("packet", "request")

    def __init__(self, packet=None, request=None):
        self.qv_ackset_pairs = []  # SyncedLearnerTracker.__init__ inlined: one Proposal a txn
        self.packet = packet
        self.request = request

    def __str__(self):
        return "%d, %d, %s" % (self.packet.type, self.packet.zxid, self.request)
