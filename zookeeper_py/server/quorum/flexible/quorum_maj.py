"""Mirror of org.apache.zookeeper.server.quorum.flexible.QuorumMaj."""

from zookeeper_py.server.quorum.flexible.quorum_verifier import QuorumVerifier
from zookeeper_py.server.quorum.quorum_server import LearnerType, from_config_line


class QuorumMaj(QuorumVerifier):
    """Mirror of org.apache.zookeeper.server.quorum.flexible.QuorumMaj: a majority of the voters."""

    def __init__(self, members=None, props=None):
        """QuorumMaj(Map<Long, QuorumServer>) or QuorumMaj(Properties)."""
        self.all_members = {}
        self.voting_members = {}
        self.observing_members = {}
        self.version = 0
        if props is not None:
            for key, value in props.items():
                if key.startswith("server."):
                    qs = from_config_line(key, value)
                    self.all_members[qs.id] = qs
                elif key == "version":
                    self.version = int(value, 16)
        elif members is not None:
            self.all_members = dict(members)
        for sid, qs in self.all_members.items():
            (self.voting_members if qs.type is LearnerType.PARTICIPANT else self.observing_members)[sid] = qs
        self.half = len(self.voting_members) // 2

    def get_weight(self, sid):
        return 1

    def contains_quorum(self, ack_set):
        return len(ack_set) > self.half

    def __str__(self):
        return self._servers_text() + "version=%x" % (self.version & 0xFFFFFFFFFFFFFFFF)

    def __eq__(self, other):
        if not isinstance(other, QuorumMaj):
            return False
        return other.version == self.version or self._members_equal(other)

    __hash__ = None
