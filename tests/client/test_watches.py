"""Watches: one-shot data/exist/child watches, removal, and 3.6 persistent (recursive) ones."""

import pytest

from tests.client.conftest import EventLog, Result
from zookeeper_py.create_mode import CreateMode
from zookeeper_py.keeper_exception import Code, NoWatcherException
from zookeeper_py.watcher import AddWatchMode, EventType, KeeperState, Watcher, WatcherType
from zookeeper_py.zoo_defs import Ids

OPEN = Ids.OPEN_ACL_UNSAFE


def typed(event_type, path):
    return lambda e: e.get_type() is event_type and e.get_path() == path


def test_default_watcher_gets_connected_and_one_shot_events(zk, base_path):
    log = zk.log
    assert str(log.events[0]) == "WatchedEvent state:SyncConnected type:None path:null"
    p = base_path + "/w"
    assert zk.exists(p, True) is None
    zk.create(p, b"", OPEN, CreateMode.PERSISTENT)
    log.wait_for(typed(EventType.NodeCreated, p))
    zk.get_data(p, True)
    zk.get_children(base_path, True)
    zk.set_data(p, b"1", -1)
    log.wait_for(typed(EventType.NodeDataChanged, p))
    zk.set_data(p, b"2", -1)  # one-shot: no second NodeDataChanged
    zk.create(base_path + "/x", b"", OPEN, CreateMode.PERSISTENT)
    log.wait_for(typed(EventType.NodeChildrenChanged, base_path))
    zk.sync(base_path)
    kinds = [(e.get_type(), e.get_path()) for e in log.events[1:]]
    assert kinds == [(EventType.NodeCreated, p), (EventType.NodeDataChanged, p),
                     (EventType.NodeChildrenChanged, base_path)]
    assert all(e.get_state() is KeeperState.SyncConnected for e in log.events)


def test_watcher_objects_and_callables(zk, base_path):
    p = base_path + "/n"
    zk.create(p, b"", OPEN, CreateMode.PERSISTENT)

    class W(Watcher):
        def __init__(self):
            self.log = EventLog()

        def process(self, event):
            self.log(event)

    w = W()
    fn_log = EventLog()
    zk.get_data(p, w)
    zk.get_data(p, w)  # the same watcher twice on one path is one watch
    zk.exists(p, fn_log)
    zk.delete(p, -1)
    w.log.wait_for(typed(EventType.NodeDeleted, p))
    fn_log.wait_for(typed(EventType.NodeDeleted, p))
    zk.sync(base_path)
    assert len(w.log.events) == 1 and len(fn_log.events) == 1
    assert len(zk.log.events) == 1  # the default watcher saw only the connect
    assert zk.get_data_watches() == [] and zk.get_exist_watches() == []


def test_watch_events_in_order_with_callbacks(zk, base_path):
    """Callbacks and events come through the one EventThread in the order they happened."""
    p = base_path + "/o"
    zk.create(p, b"", OPEN, CreateMode.PERSISTENT)
    order = []
    done = Result()
    zk.get_data(p, lambda e: order.append("event"))
    zk.set_data(p, b"x", -1, lambda rc, path, ctx, stat: order.append("set"), None)
    zk.get_data(p, False, lambda rc, path, ctx, data, stat: (order.append("get"), done(rc)), None)
    done.wait()
    assert order == ["event", "set", "get"]


def test_remove_watches(zk, base_path):
    p = base_path + "/r"
    zk.create(p, b"", OPEN, CreateMode.PERSISTENT)
    data_log, child_log = EventLog(), EventLog()
    zk.get_data(p, data_log)
    zk.get_children(p, child_log)
    zk.remove_watches(p, data_log, WatcherType.Data, False)
    data_log.wait_for(typed(EventType.DataWatchRemoved, p))
    with pytest.raises(NoWatcherException) as e:
        zk.remove_watches(p, data_log, WatcherType.Data, False)
    assert str(e.value) == "KeeperErrorCode = No such watcher for " + p
    r = Result()
    zk.remove_all_watches(p, WatcherType.Children, False, r, "ctx")
    assert r.wait() == (0, p, "ctx")
    child_log.wait_for(typed(EventType.ChildWatchRemoved, p))
    zk.set_data(p, b"1", -1)
    zk.create(p + "/c", b"", OPEN, CreateMode.PERSISTENT)
    zk.sync(p)
    assert [e.get_type() for e in data_log.events] == [EventType.DataWatchRemoved]
    assert [e.get_type() for e in child_log.events] == [EventType.ChildWatchRemoved]
    r = Result()
    zk.remove_all_watches(p, WatcherType.Any, False, r, None)
    assert r.wait()[0] == Code.NOWATCHER
    # local=True removes on the client whatever the server says.
    local_log = EventLog()
    zk.exists(p + "/none", local_log)
    zk.remove_watches(p + "/none", local_log, WatcherType.Any, True)
    local_log.wait_for(typed(EventType.DataWatchRemoved, p + "/none"))


def test_persistent_watch(zk, base_path):
    p = base_path + "/p"
    log = EventLog()
    zk.add_watch(p, log, AddWatchMode.PERSISTENT)
    assert zk.get_persistent_watches() == [p]
    zk.create(p, b"", OPEN, CreateMode.PERSISTENT)
    zk.set_data(p, b"1", -1)
    zk.set_data(p, b"2", -1)
    zk.create(p + "/c", b"", OPEN, CreateMode.PERSISTENT)
    zk.set_data(p + "/c", b"1", -1)  # not the watched node: no event
    zk.delete(p + "/c", -1)
    zk.delete(p, -1)
    log.wait_for(typed(EventType.NodeDeleted, p))
    assert [(e.get_type(), e.get_path()) for e in log.events] == [
        (EventType.NodeCreated, p), (EventType.NodeDataChanged, p), (EventType.NodeDataChanged, p),
        (EventType.NodeChildrenChanged, p), (EventType.NodeChildrenChanged, p), (EventType.NodeDeleted, p)]
    zk.remove_watches(p, log, WatcherType.Any, False)
    log.wait_for(typed(EventType.PersistentWatchRemoved, p))
    assert zk.get_persistent_watches() == []


def test_persistent_recursive_watch_with_default_watcher_async(zk, base_path):
    p = base_path + "/rec"
    r = Result()
    zk.add_watch(p, AddWatchMode.PERSISTENT_RECURSIVE, r, "c")
    assert r.wait() == (0, p, "c")
    zk.create(p, b"", OPEN, CreateMode.PERSISTENT)
    zk.create(p + "/a", b"", OPEN, CreateMode.PERSISTENT)
    zk.create(p + "/a/b", b"", OPEN, CreateMode.PERSISTENT)
    zk.set_data(p + "/a/b", b"x", -1)
    zk.delete(p + "/a/b", -1)
    zk.create(base_path + "/outside", b"", OPEN, CreateMode.PERSISTENT)
    zk.log.wait_for(typed(EventType.NodeDeleted, p + "/a/b"))
    zk.sync(base_path)
    got = [(e.get_type(), e.get_path()) for e in zk.log.events[1:]]
    # Recursive watches see creates, changes and deletes below, never NodeChildrenChanged.
    assert got == [(EventType.NodeCreated, p), (EventType.NodeCreated, p + "/a"),
                   (EventType.NodeCreated, p + "/a/b"), (EventType.NodeDataChanged, p + "/a/b"),
                   (EventType.NodeDeleted, p + "/a/b")]
    assert zk.get_persistent_recursive_watches() == [p]


def test_watches_under_chroot(clients, zk, base_path):
    c = clients.new(base_path)
    log = EventLog()
    c.exists("/x", log)
    c.add_watch("/", log, AddWatchMode.PERSISTENT_RECURSIVE)
    zk.create(base_path + "/x", b"", OPEN, CreateMode.PERSISTENT)
    log.wait_for(typed(EventType.NodeCreated, "/x"))
    zk.set_data(base_path, b"v", -1)
    log.wait_for(typed(EventType.NodeDataChanged, "/"))


def test_a_callback_or_watcher_raising_system_exit_leaves_the_event_thread_running(zk, base_path):
    # Java's EventThread catches Throwable: one callback that exits does not deafen the handle.
    # Ours caught Exception only, so its EventThread died unsaid and every later event was lost.
    def exits(*args):
        raise SystemExit(3)

    p = base_path + "/n"
    zk.exists(p, exits, exits, None)
    later = Result()
    zk.exists(p, False, later, None)
    assert later.wait()[0] == Code.NONODE.value
    zk.create(p, b"", OPEN, CreateMode.PERSISTENT)  # fires the watcher that exits
    zk.get_data(p, True)
    zk.set_data(p, b"1", -1)
    zk.log.wait_for(typed(EventType.NodeDataChanged, p))
