"""Mirror of org.apache.zookeeper.server.watch.WatcherMode (3.6+)."""

import enum

from zookeeper_py.zoo_defs import ZooDefs


class WatcherMode(enum.Enum):
    """Mirror of org.apache.zookeeper.server.watch.WatcherMode. Value = (persistent, recursive)."""

    STANDARD = (False, False)
    PERSISTENT = (True, False)
    PERSISTENT_RECURSIVE = (True, True)

    def is_persistent(self):
        return self.value[0]

    def is_recursive(self):
        return self.value[1]

    @staticmethod
    def from_zoo_def(mode):
        if mode == ZooDefs.AddWatchModes.persistent:
            return WatcherMode.PERSISTENT
        if mode == ZooDefs.AddWatchModes.persistentRecursive:
            return WatcherMode.PERSISTENT_RECURSIVE
        raise ValueError("Unsupported mode: %s" % mode)


WatcherMode.DEFAULT_WATCHER_MODE = WatcherMode.STANDARD
