"""Mirror of org.apache.zookeeper.server.quorum.Leader.Proposal."""


class Proposal:
    """Mirror of org.apache.zookeeper.server.quorum.Leader.Proposal.

    A txn on its way through Zab: the PROPOSAL packet, the request it came from (None
    when read back from the txn log), and the ack sets of Java's superclass
    SyncedLearnerTracker, one per QuorumVerifier (two during a reconfig).
    """

    __slots__ = ("packet", "request", "qv_ackset_pairs")

    def __init__(self, packet=None, request=None):
        self.packet = packet
        self.request = request
        self.qv_ackset_pairs = []  # [(QuorumVerifier, set of sids)]

    # -- SyncedLearnerTracker ------------------------------------------------

    def add_quorum_verifier(self, qv):
        self.qv_ackset_pairs.append((qv, set()))

    def add_ack(self, sid):
        """Count an ACK from sid in every configuration where it votes; True if any."""
        change = False
        for qv, ackset in self.qv_ackset_pairs:
            if sid in qv.get_voting_members():
                ackset.add(sid)
                change = True
        return change

    def has_all_quorums(self):
        return all(qv.contains_quorum(ackset) for qv, ackset in self.qv_ackset_pairs)

    def ack_sets_to_string(self):
        # Java's HashSet<Long>.toString of each set, comma-joined
        return ",".join("[" + ", ".join(str(s) for s in ackset) + "]" for _, ackset in self.qv_ackset_pairs)

    def __str__(self):
        return "%d, %d, %s" % (self.packet.type, self.packet.zxid, self.request)
