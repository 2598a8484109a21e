"""Mirror of org.apache.zookeeper.Watcher and its nested enums."""

import enum


class KeeperState(enum.Enum):
    """Mirror of org.apache.zookeeper.Watcher.Event.KeeperState."""

    Unknown = -1
    Disconnected = 0
    NoSyncConnected = 1
    SyncConnected = 3
    AuthFailed = 4
    ConnectedReadOnly = 5
    SaslAuthenticated = 6
    Expired = -112
    Closed = 7

    def get_int_value(self):
        return self.value

    @staticmethod
    def from_int(value):
        try:
            return KeeperState(value)
        except ValueError:
            raise RuntimeError("Invalid integer value for conversion to KeeperState") from None

    def __str__(self):
        return self.name


class EventType(enum.Enum):
    """Mirror of org.apache.zookeeper.Watcher.Event.EventType."""

    None_ = -1
    NodeCreated = 1
    NodeDeleted = 2
    NodeDataChanged = 3
    NodeChildrenChanged = 4
    DataWatchRemoved = 5
    ChildWatchRemoved = 6
    PersistentWatchRemoved = 7

    def get_int_value(self):
        return self.value

    @staticmethod
    def from_int(value):
        try:
            return EventType(value)
        except ValueError:
            raise RuntimeError("Invalid integer value for conversion to EventType") from None

    def __str__(self):
        # Java's name is "None", which Python reserves.
        return "None" if self is EventType.None_ else self.name


class WatcherType(enum.Enum):
    """Mirror of org.apache.zookeeper.Watcher.WatcherType."""

    Children = 1
    Data = 2
    Any = 3

    def get_int_value(self):
        return self.value

    @staticmethod
    def from_int(value):
        try:
            return WatcherType(value)
        except ValueError:
            raise RuntimeError("Invalid integer value for conversion to WatcherType") from None


class AddWatchMode(enum.Enum):
    """Mirror of org.apache.zookeeper.AddWatchMode (3.6+)."""

    PERSISTENT = 0
    PERSISTENT_RECURSIVE = 1

    def get_mode(self):
        return self.value


class Watcher:
    """Mirror of org.apache.zookeeper.Watcher: anything with process(WatchedEvent)."""

    class Event:
        """Mirror of org.apache.zookeeper.Watcher.Event."""

        KeeperState = KeeperState
        EventType = EventType

    WatcherType = WatcherType

    def process(self, event):
        raise NotImplementedError
