"""Mirror of org.apache.zookeeper.WatchDeregistration: the local side of removeWatches."""


class WatchDeregistration:
    """Mirror of org.apache.zookeeper.WatchDeregistration."""

    __slots__ = ("client_path", "watcher", "watcher_type", "local", "zk_manager")

    def __init__(self, client_path, watcher, watcher_type, local, zk_manager):
        self.client_path = client_path
        self.watcher = watcher
        self.watcher_type = watcher_type
        self.local = local
        self.zk_manager = zk_manager

    def unregister(self, rc):
        return self.zk_manager.remove_watcher(self.client_path, self.watcher, self.watcher_type, self.local, rc)

    def get_client_path(self):
        return self.client_path
