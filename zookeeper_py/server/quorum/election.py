"""Mirror of org.apache.zookeeper.server.quorum.Election."""


class Election:
    """Mirror of org.apache.zookeeper.server.quorum.Election: a leader election algorithm."""

    def look_for_leader(self):
        raise NotImplementedError

    def shutdown(self):
        raise NotImplementedError
