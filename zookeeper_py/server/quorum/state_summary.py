"""Mirror of org.apache.zookeeper.server.quorum.StateSummary."""


class StateSummary:
    """Mirror of org.apache.zookeeper.server.quorum.StateSummary: (currentEpoch, lastZxid) of a peer."""

    __slots__ = ("current_epoch", "last_zxid")

    def __init__(self, current_epoch, last_zxid):
        self.current_epoch = current_epoch
        self.last_zxid = last_zxid

    def get_current_epoch(self):
        return self.current_epoch

    def get_last_zxid(self):
        return self.last_zxid

    def is_more_recent_than(self, ss):
        return (self.current_epoch > ss.current_epoch
                or (self.current_epoch == ss.current_epoch and self.last_zxid > ss.last_zxid))

    def __eq__(self, other):
        return (isinstance(other, StateSummary) and self.current_epoch == other.current_epoch
                and self.last_zxid == other.last_zxid)

    def __hash__(self):
        return hash((self.current_epoch, self.last_zxid))
