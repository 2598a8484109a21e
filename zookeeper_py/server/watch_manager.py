"""Mirror of org.apache.zookeeper.server.WatchManager, with the persistent and recursive
watches of 3.6's org.apache.zookeeper.server.watch.WatchManager."""

import logging
import threading

from zookeeper_py.common.java_hash_order import java_hash_order, string_hash_code
from zookeeper_py.server.server_cnxn import ServerCnxn
from zookeeper_py.server.watcher_mode import WatcherMode
from zookeeper_py.watched_event import WatchedEvent
from zookeeper_py.watcher import EventType, KeeperState

LOG = logging.getLogger("WatchManager")

_STANDARD = WatcherMode.STANDARD


def path_parents(path, with_parents):
    """PathParentIterator: the path, then (if asked) each ancestor up to "/".

    Yields (path, at_parent_path)."""
    yield path, False
    if not with_parents:
        return
    while path != "/":
        path = path[: path.rindex("/")] or "/"
        yield path, True


class WatchManager:
    """Mirror of org.apache.zookeeper.server.WatchManager.

    watchTable maps a path to the watchers (ServerCnxn objects) on it, watch2Paths the
    reverse. Watches are one-shot unless registered PERSISTENT or PERSISTENT_RECURSIVE;
    those modes are kept per (watcher, path), as WatcherModeManager does.
    """

    def __init__(self):
        self.lock = threading.Lock()
        self.watch_table = {}
        self.watch2_paths = {}
        self.watcher_modes = {}  # (watcher, path) -> WatcherMode, only for non-standard modes
        self.recursive_count = 0

    def size(self):
        with self.lock:
            return sum(len(w) for w in self.watch_table.values())

    @staticmethod
    def _is_dead_watcher(watcher):
        return isinstance(watcher, ServerCnxn) and watcher.is_stale()

    def add_watch(self, path, watcher, mode=_STANDARD):
        if self._is_dead_watcher(watcher):
            LOG.debug("Ignoring addWatch with closed cnxn")
            return False
        with self.lock:
            watchers = self.watch_table.get(path)
            if watchers is None:
                watchers = self.watch_table[path] = set()
            watchers.add(watcher)
            paths = self.watch2_paths.get(watcher)
            if paths is None:
                paths = self.watch2_paths[watcher] = set()
            self._set_watcher_mode(watcher, path, mode)
            if path in paths:
                return False
            paths.add(path)
            return True

    def _set_watcher_mode(self, watcher, path, mode):
        key = (watcher, path)
        old = self.watcher_modes.pop(key, _STANDARD)
        if old.is_recursive():
            self.recursive_count -= 1
        if mode is not _STANDARD:
            self.watcher_modes[key] = mode
            if mode.is_recursive():
                self.recursive_count += 1

    def _remove_watcher_mode(self, watcher, path):
        mode = self.watcher_modes.pop((watcher, path), _STANDARD)
        if mode.is_recursive():
            self.recursive_count -= 1

    def remove_watcher(self, watcher):
        """Drop every watch of a connection (it closed)."""
        if watcher not in self.watch2_paths:
            # None to drop (a four-letter word's connection): no wait for the lock, which a
            # wchp over many watches holds for as long as it takes.
            return
        with self.lock:
            paths = self.watch2_paths.pop(watcher, None)
            if not paths:
                return
            for p in paths:
                watchers = self.watch_table.get(p)
                if watchers is not None:
                    watchers.discard(watcher)
                    if not watchers:
                        del self.watch_table[p]
                self._remove_watcher_mode(watcher, p)

    def trigger_watch(self, path, event_type, acl, supress=None):
        """Fire the watches of `path` (and recursive watches of its ancestors).

        One-shot watches are removed before they fire. `acl` is the ACL of the node the event
        is about: a watcher whose session may not READ it is not told (the fix of CVE-2024-23944
        in Java 3.8.4 and 3.9.2, without which a recursive watch names the children of nodes it
        cannot read). Returns the set of watchers notified (or None), so a second trigger can
        suppress them."""
        if not self.watch_table:
            return None
        watchers = set()
        with self.lock:
            for local_path, at_parent in path_parents(path, self.recursive_count > 0):
                these = self.watch_table.get(local_path)
                if not these:
                    continue
                modes = self.watcher_modes
                for watcher in list(these):
                    mode = modes.get((watcher, local_path), _STANDARD) if modes else _STANDARD
                    if mode.is_recursive():
                        if event_type is not EventType.NodeChildrenChanged:
                            watchers.add(watcher)
                    elif not at_parent:
                        watchers.add(watcher)
                        if not mode.is_persistent():
                            these.discard(watcher)
                            paths = self.watch2_paths.get(watcher)
                            if paths is not None:
                                paths.discard(local_path)
                if not these:
                    del self.watch_table[local_path]
        if not watchers:
            return None
        event = WatchedEvent(event_type, KeeperState.SyncConnected, path)
        for watcher in watchers:
            if supress is not None and watcher in supress:
                continue
            watcher.process(event, acl)
        return watchers

    def __str__(self):
        with self.lock:
            total = sum(len(p) for p in self.watch2_paths.values())
            return "%d connections watching %d paths\nTotal watches:%d" % (
                len(self.watch2_paths), len(self.watch_table), total)

    def dump_watches(self, pwriter, by_path):
        # Java iterates a HashMap<String, ...> and HashSet<String>s: paths come in String hash
        # order. Its watchers (connections) hash by identity, so their order is arbitrary there too.

        with self.lock:
            if by_path:
                for path in java_hash_order(self.watch_table, string_hash_code):
                    pwriter.write(path + "\n")
                    for w in self.watch_table[path]:
                        pwriter.write("\t0x%x\n" % (w.get_session_id() & 0xFFFFFFFFFFFFFFFF))
            else:
                for w, paths in self.watch2_paths.items():
                    pwriter.write("0x%x\n" % (w.get_session_id() & 0xFFFFFFFFFFFFFFFF))
                    for path in java_hash_order(paths, string_hash_code):
                        pwriter.write("\t" + path + "\n")

    def contains_watcher(self, path, watcher):
        with self.lock:
            mode = self.watcher_modes.get((watcher, path), _STANDARD)
            for local_path, at_parent in path_parents(path, self.recursive_count > 0):
                watchers = self.watch_table.get(local_path)
                if not at_parent and watchers is not None:
                    return True
                if mode.is_recursive():
                    return True
            return False

    def remove_watcher_from_path(self, path, watcher):
        """WatchManager.removeWatcher(path, watcher): remove one watch; True if it existed."""
        with self.lock:
            paths = self.watch2_paths.get(watcher)
            if not paths or path not in paths:
                return False
            paths.discard(path)
            watchers = self.watch_table.get(path)
            if watchers is None or watcher not in watchers:
                return False
            watchers.discard(watcher)
            if not watchers:
                del self.watch_table[path]
            self._remove_watcher_mode(watcher, path)
            return True

    def get_watches(self):
        """sessionId -> set of paths (wchc)."""
        with self.lock:
            return {w.get_session_id(): set(paths) for w, paths in self.watch2_paths.items()}

    def get_watches_by_path(self):
        """path -> set of sessionIds (wchp)."""
        with self.lock:
            return {p: {w.get_session_id() for w in ws} for p, ws in self.watch_table.items()}

    def get_watches_summary(self):
        with self.lock:
            total = sum(len(p) for p in self.watch2_paths.values())
            return len(self.watch2_paths), len(self.watch_table), total

    def get_recursive_watch_qty(self):
        return self.recursive_count
