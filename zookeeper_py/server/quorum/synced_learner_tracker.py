"""Mirror of org.apache.zookeeper.server.quorum.SyncedLearnerTracker."""

from zookeeper_py.common.java_hash_order import java_hash_order, long_hash_code


class SyncedLearnerTracker:
    """Mirror of org.apache.zookeeper.server.quorum.SyncedLearnerTracker.

    One ack set per QuorumVerifier (two while a reconfig is in flight); a decision
    needs a quorum in every one of them.
    """

    __slots__ = ("qv_ackset_pairs",)

    def __init__(self):
        self.qv_ackset_pairs = []  # [(QuorumVerifier, set of sids)]

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
        return ",".join("[" + ", ".join(str(s) for s in java_hash_order(ackset, long_hash_code)) + "]"
                        for _, ackset in self.qv_ackset_pairs)
