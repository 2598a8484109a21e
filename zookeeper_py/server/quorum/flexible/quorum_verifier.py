"""Mirror of org.apache.zookeeper.server.quorum.flexible.QuorumVerifier."""


class QuorumVerifier:
    """Mirror of org.apache.zookeeper.server.quorum.flexible.QuorumVerifier: who votes, what is a quorum."""

    def get_weight(self, sid):
        raise NotImplementedError

    def contains_quorum(self, set_):
        raise NotImplementedError

    def get_version(self):
        return self.version

    def set_version(self, version):
        self.version = version

    def get_all_members(self):
        return self.all_members

    def get_voting_members(self):
        return self.voting_members

    def get_observing_members(self):
        return self.observing_members

    def _servers_text(self):
        return "".join("server.%d=%s\n" % (sid, qs) for sid, qs in sorted(self.all_members.items()))

    def _members_equal(self, other):
        if len(self.all_members) != len(other.all_members):
            return False
        return all(other.all_members.get(sid) == qs for sid, qs in self.all_members.items())
