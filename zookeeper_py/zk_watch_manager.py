"""Mirror of org.apache.zookeeper.ZKWatchManager (3.6+: one-shot and persistent watches).

Watchers are kept as the functions to call: a Watcher object's bound `process` method
or a plain callable taking the WatchedEvent. Bound methods of one object compare equal,
so registering the same Watcher twice on a path keeps one entry, as Java's HashSet does.
"""

import logging
import threading

from zookeeper_py.keeper_exception import Code, KeeperException, NoWatcherException
from zookeeper_py.watcher import EventType, KeeperState, WatcherType

LOG = logging.getLogger("ZKWatchManager")


def as_watcher_function(watcher):
    """The function that receives events for `watcher` (None stays None)."""
    if watcher is None:
        return None
    process = getattr(watcher, "process", None)
    return process if process is not None else watcher


def path_parents(path):
    """PathParentIterator.forAll: path itself, then each parent up to "/"."""
    yield path
    while len(path) > 1:
        path = path[:path.rfind("/")] or "/"
        yield path


class ZKWatchManager:
    """Mirror of org.apache.zookeeper.ZKWatchManager."""

    def __init__(self, disable_auto_watch_reset, default_watcher):
        self.disable_auto_watch_reset = disable_auto_watch_reset
        self.default_watcher = as_watcher_function(default_watcher)
        self.data_watches = {}
        self.exist_watches = {}
        self.child_watches = {}
        self.persistent_watches = {}
        self.persistent_recursive_watches = {}
        self.lock = threading.Lock()

    def set_default_watcher(self, watcher):
        self.default_watcher = as_watcher_function(watcher)

    def get_default_watcher(self):
        return self.default_watcher

    def get_data_watch_list(self):
        with self.lock:
            return list(self.data_watches)

    def get_child_watch_list(self):
        with self.lock:
            return list(self.child_watches)

    def get_exist_watch_list(self):
        with self.lock:
            return list(self.exist_watches)

    def get_persistent_watch_list(self):
        with self.lock:
            return list(self.persistent_watches)

    def get_persistent_recursive_watch_list(self):
        with self.lock:
            return list(self.persistent_recursive_watches)

    def add_watch(self, watches, client_path, watcher):
        """WatchRegistration.register's body: add watcher to watches[client_path]."""
        with self.lock:
            watches.setdefault(client_path, set()).add(watcher)

    # -- removeWatches / checkWatches --

    def remove_watcher(self, client_path, watcher, watcher_type, local, rc):
        """Remove watches locally after the server answered `rc`; returns {EventType: set}."""
        watcher = as_watcher_function(watcher)
        self.contains_watcher(client_path, watcher, watcher_type)
        child_rem, data_rem, persistent_rem = set(), set(), set()
        removed = {
            EventType.ChildWatchRemoved: child_rem,
            EventType.DataWatchRemoved: data_rem,
            EventType.PersistentWatchRemoved: persistent_rem,
        }
        with self.lock:
            if watcher_type is WatcherType.Children:
                ok = self._remove_watches(self.child_watches, watcher, client_path, local, rc, child_rem)
            elif watcher_type is WatcherType.Data:
                ok = self._remove_watches(self.data_watches, watcher, client_path, local, rc, data_rem)
                ok |= self._remove_watches(self.exist_watches, watcher, client_path, local, rc, data_rem)
            else:
                ok = self._remove_watches(self.child_watches, watcher, client_path, local, rc, child_rem)
                ok |= self._remove_watches(self.data_watches, watcher, client_path, local, rc, data_rem)
                ok |= self._remove_watches(self.exist_watches, watcher, client_path, local, rc, data_rem)
                ok |= self._remove_watches(self.persistent_watches, watcher, client_path, local, rc,
                                           persistent_rem)
                ok |= self._remove_watches(self.persistent_recursive_watches, watcher, client_path, local,
                                           rc, persistent_rem)
        if not ok:
            raise NoWatcherException(client_path)
        return removed

    @staticmethod
    def _contains(path, watcher, watches):
        ws = watches.get(path)
        if not ws:
            return False
        return True if watcher is None else watcher in ws

    def contains_watcher(self, path, watcher, watcher_type):
        """Raise NoWatcherException unless a matching watch is registered."""
        watcher = as_watcher_function(watcher)
        with self.lock:
            if watcher_type is WatcherType.Children:
                tables = (self.child_watches, self.persistent_watches, self.persistent_recursive_watches)
            elif watcher_type is WatcherType.Data:
                tables = (self.data_watches, self.exist_watches, self.persistent_watches,
                          self.persistent_recursive_watches)
            else:
                tables = (self.child_watches, self.data_watches, self.exist_watches, self.persistent_watches,
                          self.persistent_recursive_watches)
            found = any(self._contains(path, watcher, t) for t in tables)
        if not found:
            raise NoWatcherException(path)

    @staticmethod
    def _remove_watches(watches, watcher, path, local, rc, removed):
        if not local and rc != Code.OK:
            raise KeeperException.create(rc, path)
        success = False
        if rc == Code.OK or local:
            if watcher is None:
                ws = watches.pop(path, None)
                if ws is not None:
                    removed.update(ws)
                    success = True
            else:
                ws = watches.get(path)
                if ws is not None and watcher in ws:
                    ws.discard(watcher)
                    removed.add(watcher)
                    if not ws:
                        del watches[path]
                    success = True
        return success

    # -- events --

    def materialize(self, state, event_type, client_path):
        """The watchers to notify of this event; one-shot watches are removed."""
        result = set()
        with self.lock:
            if event_type is EventType.None_:
                if self.default_watcher is not None:
                    result.add(self.default_watcher)
                clear = self.disable_auto_watch_reset and state is not KeeperState.SyncConnected
                for table in (self.data_watches, self.exist_watches, self.child_watches):
                    for ws in table.values():
                        result.update(ws)
                    if clear:
                        table.clear()
                for table in (self.persistent_watches, self.persistent_recursive_watches):
                    for ws in table.values():
                        result.update(ws)
                return result
            if event_type is EventType.NodeDataChanged or event_type is EventType.NodeCreated:
                result.update(self.data_watches.pop(client_path, ()))
                result.update(self.exist_watches.pop(client_path, ()))
            elif event_type is EventType.NodeChildrenChanged:
                result.update(self.child_watches.pop(client_path, ()))
            elif event_type is EventType.NodeDeleted:
                result.update(self.data_watches.pop(client_path, ()))
                ws = self.exist_watches.pop(client_path, None)
                if ws:
                    result.update(ws)
                    LOG.warn("We are triggering an exists watch for delete! Shouldn't happen!")
                result.update(self.child_watches.pop(client_path, ()))
            else:
                msg = "Unhandled watch event type %s with state %s on path %s" % (event_type, state, client_path)
                LOG.error(msg)
                raise RuntimeError(msg)
            self._add_persistent_watches(client_path, result)
        return result

    def _add_persistent_watches(self, client_path, result):
        result.update(self.persistent_watches.get(client_path, ()))
        if self.persistent_recursive_watches:
            for path in path_parents(client_path):
                result.update(self.persistent_recursive_watches.get(path, ()))
