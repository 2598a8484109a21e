"""Mirror of org.apache.zookeeper.server.quorum.SyncedLearnerTracker."""


class SyncedLearnerTracker:
    """Mirror of org.apache.zookeeper.server.quorum.SyncedLearnerTracker.

    One ack set per QuorumVerifier (two while a reconfig is in flight); a decision
    needs a quorum in every one of them.
    """

    def __init__(self):
        self.qv_ackset_pairs = []  # [(QuorumVerifier, set of sids)]

    def add_quorum_verifier(self, qv):
        self.qv_ackset_pairs.append((qv, set()))

    def add_ack(self, sid):
        change = False
        for qv, ackset in self.qv_ackset_pairs:
            if sid in qv.get_voting_members():
                ackset.add(sid)
                change = True
        return change

    def has_all_quorums(self):
        return all(qv.contains_quorum(ackset) for qv, ackset in self.qv_ackset_pairs)

    def ack_sets_to_string(self):
        return ",".join("[" + ", ".join(str(s) for s in sorted(ackset)) + "]" for _, ackset in self.qv_ackset_pairs)
