"""Sessions across connections: reconnect with watches and auth intact, expiry, timeouts,
read-only servers, and the xid order check."""

import os
import signal
import threading
import time

import pytest

from tests.client.conftest import Clients, EventLog, Result, make_server
from tests.client.fake_server import FakeServer
from tests.client.test_api import digest
from tests.support.net import free_port, wait_until
from zookeeper_py.client.zk_client_config import ZKClientConfig
from zookeeper_py.create_mode import CreateMode
from zookeeper_py.data import ACL, Id
from zookeeper_py.keeper_exception import Code, ConnectionLossException, KeeperException
from zookeeper_py.watcher import AddWatchMode, EventType, KeeperState
from zookeeper_py.zoo_defs import Ids, OpCode, Perms
from zookeeper_py.zookeeper import States, ZooKeeper

OPEN = Ids.OPEN_ACL_UNSAFE


@pytest.fixture(params=["python", "java"])
def own_server(request, tmp_path_factory):
    """A server this test may stop and restart."""
    srv = make_server(request.param, tmp_path_factory)
    srv.start()
    yield srv
    srv.stop()


@pytest.fixture
def own_clients(own_server):
    c = Clients(own_server.address)
    yield c
    c.close_all()


def state_event(state):
    return lambda e: e.get_type() is EventType.None_ and e.get_state() is state


def test_reconnect_after_restart_keeps_session_watches_and_auth(own_server, own_clients):
    """Restart the server on the same port and data dir within the session timeout; the
    connect string also names a dead server, so the client tries both."""
    dead = free_port()
    log = EventLog()
    zk = ZooKeeper("127.0.0.1:%d,%s" % (dead, own_server.address), 30000, log)
    own_clients.all.append(zk)
    log.wait_for(state_event(KeeperState.SyncConnected), 20, what="connected past the dead server")
    session = zk.get_session_id()
    zk.add_auth_info("digest", b"bob:pw")
    zk.create("/secure", b"s", [ACL(Perms.ALL, Id("digest", digest("bob", "pw")))], CreateMode.PERSISTENT)
    eph = zk.create("/eph", b"", OPEN, CreateMode.EPHEMERAL)
    zk.create("/watched", b"", OPEN, CreateMode.PERSISTENT)
    zk.get_data("/watched", True)
    zk.exists("/later", True)
    zk.get_children("/watched", True)
    zk.add_watch("/tree", AddWatchMode.PERSISTENT_RECURSIVE)

    own_server.stop()
    log.wait_for(state_event(KeeperState.Disconnected), what="Disconnected")
    with pytest.raises(ConnectionLossException):
        zk.exists("/")
    r = Result()
    zk.get_data("/watched", False, r, None)
    assert r.wait()[0] == Code.CONNECTIONLOSS
    own_server.start()
    # (The state reads CONNECTED until the next connect attempt starts, as in Java: wait
    # for the event.)
    wait_until(lambda: len([e for e in log.events if e.get_state() is KeeperState.SyncConnected]) == 2, 30,
               message="reconnected")
    assert zk.get_session_id() == session
    assert zk.exists(eph) is not None  # the ephemeral survived: same session
    assert zk.get_data("/secure", False) == b"s"  # auth was replayed on the new connection

    other = own_clients.new()
    other.set_data("/watched", b"1", -1)
    other.create("/later", b"", OPEN, CreateMode.PERSISTENT)
    other.create("/watched/c", b"", OPEN, CreateMode.PERSISTENT)
    other.create("/tree", b"", OPEN, CreateMode.PERSISTENT)
    other.create("/tree/x", b"", OPEN, CreateMode.PERSISTENT)
    for etype, path in ((EventType.NodeDataChanged, "/watched"), (EventType.NodeCreated, "/later"),
                        (EventType.NodeChildrenChanged, "/watched"), (EventType.NodeCreated, "/tree"),
                        (EventType.NodeCreated, "/tree/x")):
        log.wait_for(lambda e, t=etype, p=path: e.get_type() is t and e.get_path() == p,
                     what="%s %s" % (etype, path))
    states = [e.get_state() for e in log.events if e.get_type() is EventType.None_]
    assert states == [KeeperState.SyncConnected, KeeperState.Disconnected, KeeperState.SyncConnected]


def test_watch_set_again_fires_for_change_missed_while_disconnected(own_server, own_clients):
    """SetWatches carries lastZxid: a change made while the client was away fires at once."""
    zk = own_clients.new(timeout=20000)
    other = own_clients.new()
    zk.create("/w", b"", OPEN, CreateMode.PERSISTENT)
    log = EventLog()
    zk.get_data("/w", log)
    changed = threading.Event()
    seen_addresses = []

    def hold_reconnect(addr):
        seen_addresses.append(addr)
        changed.wait(10)

    zk.cnxn.on_connecting = hold_reconnect
    zk.cnxn.send_thread.testable_close_socket()
    wait_until(lambda: seen_addresses, 10, message="client reconnecting")
    other.set_data("/w", b"x", -1)
    changed.set()
    log.wait_for(lambda e: e.get_type() is EventType.NodeDataChanged, what="NodeDataChanged")
    assert zk.get_state() is States.CONNECTED


def test_expired_when_session_closed_elsewhere(own_server, own_clients):
    zk = own_clients.new(timeout=10000)
    log = zk.log
    zk.create("/e", b"", OPEN, CreateMode.EPHEMERAL)
    twin = ZooKeeper(own_server.address, 10000, None, session_id=zk.get_session_id(),
                     session_passwd=zk.get_session_passwd())
    wait_until(lambda: twin.get_state() is States.CONNECTED, 10, message="twin connected")
    assert twin.get_session_id() == zk.get_session_id()
    twin.close()  # closes the shared session
    log.wait_for(state_event(KeeperState.Expired), timeout=20, what="Expired")
    wait_until(lambda: zk.get_state() is States.CLOSED, 5, message="CLOSED after expiry")
    with pytest.raises(KeeperException) as e:
        zk.exists("/")
    assert e.value.code() == Code.SESSIONEXPIRED
    assert own_clients.new().exists("/e") is None


def test_wrong_password_is_expired(own_server):
    log = EventLog()
    zk = ZooKeeper(own_server.address, 10000, log)
    try:
        wait_until(lambda: zk.get_state() is States.CONNECTED, 10)
        bad = ZooKeeper(own_server.address, 10000, log, session_id=zk.get_session_id(), session_passwd=b"x" * 16)
        log.wait_for(state_event(KeeperState.Expired), what="Expired")
        assert bad.get_state() is States.CLOSED
        assert zk.get_state() is States.CONNECTED
    finally:
        zk.close()


def test_request_timeout_resets_connection(own_server):
    """zookeeper.request.timeout: a request unanswered in time fails with REQUESTTIMEOUT and
    the connection is dropped and made again."""
    config = ZKClientConfig()
    config.set_property(ZKClientConfig.ZOOKEEPER_REQUEST_TIMEOUT, "700")
    log = EventLog()
    zk = ZooKeeper(own_server.address, 20000, log, client_config=config)
    try:
        wait_until(lambda: zk.get_state() is States.CONNECTED, 10)
        os.kill(own_server.proc.pid, signal.SIGSTOP)
        try:
            t0 = time.monotonic()
            with pytest.raises(KeeperException) as e:
                zk.exists("/")
            assert e.value.code() == Code.REQUESTTIMEOUT
            assert 0.6 < time.monotonic() - t0 < 5
            log.wait_for(state_event(KeeperState.Disconnected), what="Disconnected")
        finally:
            os.kill(own_server.proc.pid, signal.SIGCONT)
        wait_until(lambda: len([e for e in log.events if e.get_state() is KeeperState.SyncConnected]) == 2, 30,
                   message="reconnected")
        assert zk.exists("/") is not None
    finally:
        zk.close()


def test_close_while_the_server_does_not_answer_says_disconnected_then_closed(own_server):
    """The Java client, closing a session whose server is frozen: the pending request fails with
    CONNECTIONLOSS when the read times out, then Disconnected, then Closed. Ours often lost the
    Disconnected: failing the closeSession woke close(), which set CLOSED before the SendThread
    looked."""
    log = EventLog()
    zk = ZooKeeper(own_server.address, 4000, log)
    try:
        wait_until(lambda: zk.get_state() is States.CONNECTED, 10)
        os.kill(own_server.proc.pid, signal.SIGSTOP)
        try:
            pending = Result()
            zk.exists("/", False, pending, None)
            zk.close()
            assert pending.wait()[0] == Code.CONNECTIONLOSS.value
            log.wait_for(state_event(KeeperState.Closed), what="Closed")
        finally:
            os.kill(own_server.proc.pid, signal.SIGCONT)
        states = [e.get_state() for e in log.events]
        assert states == [KeeperState.SyncConnected, KeeperState.Disconnected, KeeperState.Closed], states
    finally:
        zk.close()


# -- with a scripted server --

@pytest.fixture
def fake():
    servers = []

    def make(**kwargs):
        s = FakeServer(**kwargs)
        servers.append(s)
        return s

    yield make
    for s in servers:
        s.stop()


def test_connect_request_bytes_and_priming_order(fake):
    srv = fake()
    log = EventLog()
    zk = ZooKeeper(srv.address, 6000, log, can_be_read_only=True)
    try:
        log.wait_for(state_event(KeeperState.SyncConnected))
        req, ro = srv.connects[0]
        assert (req.protocolVersion, req.lastZxidSeen, req.timeOut, req.sessionId, req.passwd, ro) == (
            0, 0, 6000, 0, bytes(16), b"\x01")
        zk.add_auth_info("digest", b"a:b")
        zk.exists("/x", True)
        zk.add_watch("/p", AddWatchMode.PERSISTENT)
        wait_until(lambda: len(srv.requests) >= 3, 5)
        srv.requests.clear()
        zk.cnxn.send_thread.testable_close_socket()
        wait_until(lambda: len(srv.connects) == 2 and len(srv.requests) >= 2, 10, message="reprimed")
        assert srv.connects[1][0].sessionId == 0x1234
        # After the ConnectRequest: auth first, then SetWatches2 (a persistent watch exists).
        assert [op for _, op in srv.requests[:2]] == [OpCode.auth, OpCode.setWatches2]
        assert srv.requests[0][0] == -4 and srv.requests[1][0] > 0
    finally:
        zk.close()


def test_xid_out_of_order_is_a_connection_loss(fake):
    srv = fake()

    def bad_reply(conn, xid, op, body):
        srv.send_reply(conn, xid + 100, 1, 0)

    srv.on_request = bad_reply
    log = EventLog()
    zk = ZooKeeper(srv.address, 6000, log)
    try:
        log.wait_for(state_event(KeeperState.SyncConnected))
        with pytest.raises(ConnectionLossException):
            zk.exists("/x")
        log.wait_for(state_event(KeeperState.Disconnected))
    finally:
        zk.close()


def test_read_only_server_then_read_write_one(fake):
    """A canBeReadOnly client accepts a read-only server, then finds an r/w one with isro."""
    ro = fake(read_only=True, isro_answer=b"ro")
    # The r/w server turns sessions away until the client has asked it `isro`.
    rw = fake(read_only=False, isro_answer=b"rw", sessions_after_isro=True)
    log = EventLog()
    zk = ZooKeeper("%s,%s" % (ro.address, rw.address), 6000, log, can_be_read_only=True)
    try:
        log.wait_for(state_event(KeeperState.ConnectedReadOnly), what="ConnectedReadOnly")
        log.wait_for(state_event(KeeperState.SyncConnected), timeout=20, what="SyncConnected on the rw server")
        assert zk.get_state() is States.CONNECTED
        assert rw.isro_count >= 1 and len(rw.connects) == 1
        # A session made on a r/o server is not carried to a r/w one (seenRwServerBefore).
        assert rw.connects[0][0].sessionId == 0
    finally:
        zk.close()
