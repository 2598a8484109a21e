"""Fixtures of the client suite: servers shared per module, clients that always close.

Every module runs once against our server and once against Java ZooKeeper 3.8 (same
expectations).
"""

import threading

import pytest

from tests.support.net import wait_until
from tests.support.servers import JavaServer, PythonServer
from zookeeper_py.zookeeper import States, ZooKeeper

KINDS = {"python": PythonServer, "java": JavaServer}
# TTL nodes need extended types: zoo.cfg's unknown keys become zookeeper.* system properties.
EXTRA_CFG = {"extendedTypesEnabled": "true"}
FLAGS = ["-Dzookeeper.extendedTypesEnabled=true"]


def make_server(kind, tmp_path_factory, **kwargs):
    kwargs.setdefault("extra_cfg", dict(EXTRA_CFG))
    kwargs.setdefault("flags", list(FLAGS))
    base = tmp_path_factory.mktemp(kind + "-server")
    return KINDS[kind](str(base), **kwargs)


@pytest.fixture(scope="module", params=["python", "java"])
def server(request, tmp_path_factory):
    """One standalone server for the whole module, of each kind in turn."""
    srv = make_server(request.param, tmp_path_factory)
    srv.start()
    yield srv
    srv.stop()


class EventLog:
    """A watcher that records events and lets tests wait for them."""

    def __init__(self):
        self.events = []
        self.cond = threading.Condition()

    def process(self, event):
        with self.cond:
            self.events.append(event)
            self.cond.notify_all()

    __call__ = process

    def wait_for(self, predicate, timeout=10, what="event"):
        with self.cond:
            if not self.cond.wait_for(lambda: any(predicate(e) for e in self.events), timeout):
                raise AssertionError("no %s within %ss; got %s" % (what, timeout, self.events))
            return next(e for e in self.events if predicate(e))

    def texts(self):
        with self.cond:
            return [str(e) for e in self.events]


class Clients:
    """Makes connected clients and closes them at the end of the test."""

    def __init__(self, address):
        self.address = address
        self.all = []

    def new(self, suffix="", timeout=10000, watcher=None, wait=True, **kwargs):
        log = watcher if watcher is not None else EventLog()
        zk = ZooKeeper(self.address + suffix, timeout, log, **kwargs)
        zk.log = log
        self.all.append(zk)
        if wait:
            wait_until(lambda: zk.get_state() is States.CONNECTED, 15, message="client connected")
        return zk

    def close_all(self):
        for zk in self.all:
            try:
                zk.close()
            except Exception:
                pass


@pytest.fixture
def clients(server):
    c = Clients(server.address)
    yield c
    c.close_all()


@pytest.fixture
def zk(clients):
    return clients.new()


class Result:
    """Collects an async callback's arguments; wait() returns them."""

    def __init__(self):
        self.args = None
        self.thread = None
        self.event = threading.Event()

    def __call__(self, *args):
        self.args = args
        self.thread = threading.current_thread().name
        self.event.set()

    def wait(self, timeout=10):
        assert self.event.wait(timeout), "callback not called within %ss" % timeout
        return self.args


@pytest.fixture
def base_path(request, zk):
    """A fresh node for the test, deleted afterwards, so tests share a server."""
    from zookeeper_py.create_mode import CreateMode
    from zookeeper_py.zk_util import ZKUtil
    from zookeeper_py.zoo_defs import Ids

    path = "/" + request.node.name.replace("[", "_").replace("]", "").replace("-", "_")
    if zk.exists(path):
        ZKUtil.delete_recursive(zk, path)
    zk.create(path, b"", Ids.OPEN_ACL_UNSAFE, CreateMode.PERSISTENT)
    yield path
    if zk.get_state().is_alive():
        ZKUtil.delete_recursive(zk, path)
