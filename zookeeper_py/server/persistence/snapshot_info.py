"""Mirror of org.apache.zookeeper.server.persistence.SnapshotInfo (3.6+): the last snapshot's zxid and time."""


class SnapshotInfo:
    """Mirror of org.apache.zookeeper.server.persistence.SnapshotInfo.

    zxid of the snapshot, timestamp = its file's modification time in seconds.
    """

    __slots__ = ("zxid", "timestamp")

    def __init__(self, zxid, timestamp):
        self.zxid = zxid
        self.timestamp = timestamp
