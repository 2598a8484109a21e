"""Checks shared by the client-port SASL tests (DIGEST-MD5 in test_sasl.py, Kerberos in test_sasl_kerberos.py)."""

import contextlib
import time

import pytest
from kazoo.client import KazooClient
from kazoo.exceptions import AuthFailedError, NoAuthError
from kazoo.handlers.threading import KazooTimeoutError
from kazoo.protocol.states import KazooState
from kazoo.security import ACL, Id as KazooId

from tests.support import java_cli
from tests.support.client_events import Events
from tests.support.net import wait_until
from zookeeper_py.create_mode import CreateMode
from zookeeper_py.data import ACL as OurACL, Id as OurId
from zookeeper_py.keeper_exception import Code, KeeperException
from zookeeper_py.watcher import KeeperState
from zookeeper_py.zookeeper import States, ZooKeeper


def assert_zkcli_creates_a_sasl_node(cli, address, path, principal, jvm_flags):
    """zkCli logs in through the JAAS Client section that `jvm_flags` name ("java": Java 3.8's zkCli, run with
    them; "python": ours, with them as CLIENT_JVMFLAGS), creates `path` (data "data") with the ACL
    sasl:<principal>:cdrwa and reads it and its ACL back; an anonymous kazoo client may not read it."""
    script = "create {0} data sasl:{1}:cdrwa\nget {0}\ngetAcl {0}\nquit\n".format(path, principal)
    if cli == "java":
        result = java_cli.run_zkcli(address, script=script, jvm_flags=jvm_flags)
    else:
        result = java_cli.run_our_zkcli(address, script=script, client_jvmflags=" ".join(jvm_flags))
    out = result.stdout + result.stderr
    assert "Created %s" % path in out and "'sasl,'%s" % principal in out, out
    assert "\ndata\n" in out.replace("\r", ""), out
    anonymous = KazooClient(hosts=address, timeout=15)
    anonymous.start(timeout=15)
    try:
        with pytest.raises(NoAuthError):
            anonymous.get(path)
    finally:
        try:
            anonymous.stop()
        finally:
            anonymous.close()


def kazoo_auth_failed(zk, caplog):
    """Start kazoo client `zk`, whose SASL login the server refuses. kazoo reports CONNECTED before its SASL
    exchange; the server's AUTHFAILED then makes it log "AUTH_FAILED closing" and end the session (LOST).
    When the AUTHFAILED comes before start() returns, start() raises AuthFailedError, or KazooTimeoutError at
    once: start() saw CONNECTED, then found the session already ended. True for the first (checked), False
    for the other two (the time-out checked as that race, not a wait); `zk` is stopped and closed either way."""
    states = []
    zk.add_listener(states.append)
    try:
        with caplog.at_level("WARNING", logger="kazoo.client"):
            started = time.monotonic()
            try:
                zk.start(timeout=15)
            except AuthFailedError:
                return False
            except KazooTimeoutError:
                assert time.monotonic() - started < 10, "kazoo waited out its connect time-out"
                assert KazooState.CONNECTED in states, states
                wait_until(lambda: KazooState.LOST in states, 15, message="session LOST")
                assert any("AUTH_FAILED" in r.getMessage() for r in caplog.records), caplog.text
                return False
            wait_until(lambda: KazooState.LOST in states, 15, message="session LOST")
        assert any("AUTH_FAILED" in r.getMessage() for r in caplog.records), caplog.text
        return True
    finally:
        try:
            zk.stop()
        finally:
            zk.close()


@contextlib.contextmanager
def our_session(address):
    """(ZooKeeper, Events): our client connected to `address` (session timeout 15 s), closed on exit."""
    events = Events()
    zk = ZooKeeper(address, 15000, events)
    try:
        yield zk, events
    finally:
        zk.close()


def assert_sasl_node_round_trip(zk, path, data, principal):
    """Our client `zk` creates path with the ACL sasl:<principal>:cdrwa, reads it back and deletes it."""
    zk.create(path, data, [OurACL(31, OurId("sasl", principal))], CreateMode.PERSISTENT)
    assert zk.get_data(path, False, None) == data
    zk.delete(path, -1)


def assert_our_client_auth_failed(zk, events, timeout, state_timeout):
    """Our client got AuthFailed (within `timeout`) and its state is AUTH_FAILED (within `state_timeout`), never
    SaslAuthenticated; a request fails with AUTHFAILED."""
    events.wait_state(KeeperState.AuthFailed, timeout=timeout)
    wait_until(lambda: zk.get_state() is States.AUTH_FAILED, state_timeout, message="AUTH_FAILED")
    assert KeeperState.SaslAuthenticated not in events.states()
    with pytest.raises(KeeperException) as e:
        zk.get_data("/", False, None)
    assert e.value.code() == Code.AUTHFAILED


def assert_only_the_owner_reads(owner, path, principal, others):
    """kazoo client `owner` (not started; it logs in as `principal`) creates path with the ACL
    sasl:<principal>:cdrwa and reads it and its ACL back; each client that `others` (functions, called once the
    owner is done: a Kerberos client's keytab is an environment variable) make gets NoAuth on it. The owner
    deletes it; every client is stopped and closed."""
    acl = [ACL(31, KazooId("sasl", principal))]
    clients = [owner]
    try:
        owner.start(timeout=15)
        owner.create(path, b"secret", acl=acl)
        assert owner.get(path)[0] == b"secret"
        assert owner.get_acls(path)[0] == acl
        for make in others:
            clients.append(make())
            clients[-1].start(timeout=15)
            with pytest.raises(NoAuthError):
                clients[-1].get(path)
        owner.delete(path)
    finally:
        for client in clients:
            try:
                client.stop()
            finally:
                client.close()
