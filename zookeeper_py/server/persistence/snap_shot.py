"""Mirror of org.apache.zookeeper.server.persistence.SnapShot: the interface of snapshot storage."""


class SnapShot:
    """Mirror of org.apache.zookeeper.server.persistence.SnapShot."""

    def deserialize(self, dt, sessions):
        """Load the newest valid snapshot into `dt` and `sessions`; its zxid, or -1 if none."""
        raise NotImplementedError

    def serialize(self, dt, sessions, name):
        """Write `dt` and `sessions` to the file `name`."""
        raise NotImplementedError

    def find_most_recent_snapshot(self):
        raise NotImplementedError

    def close(self):
        raise NotImplementedError
