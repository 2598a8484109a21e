"""Mirror of org.apache.zookeeper.WatchedEvent."""

from zookeeper_py.proto import WatcherEvent
from zookeeper_py.watcher import EventType, KeeperState


class WatchedEvent:
    """Mirror of org.apache.zookeeper.WatchedEvent."""

    __slots__ = ("keeper_state", "event_type", "path")

    def __init__(self, event_type, keeper_state, path):
        self.keeper_state = keeper_state
        self.event_type = event_type
        self.path = path

    @staticmethod
    def from_wrapper(event):
        """WatchedEvent(WatcherEvent)."""
        return WatchedEvent(EventType.from_int(event.type), KeeperState.from_int(event.state), event.path)

    def get_state(self):
        return self.keeper_state

    def get_type(self):
        return self.event_type

    def get_path(self):
        return self.path

    def get_wrapper(self):
        return WatcherEvent(self.event_type.value, self.keeper_state.value, self.path)

    def __eq__(self, other):
        return (
            isinstance(other, WatchedEvent)
            and self.keeper_state == other.keeper_state
            and self.event_type == other.event_type
            and self.path == other.path
        )

    def __hash__(self):
        return hash((self.keeper_state, self.event_type, self.path))

    def __str__(self):
        # Java prints a null path as "null".
        path = self.path if self.path is not None else "null"
        return "WatchedEvent state:%s type:%s path:%s" % (self.keeper_state, self.event_type, path)

    __repr__ = __str__
