"""zookeeper_py.client: connect strings, host providers, config files, four-letter words;
and ClientCnxn's timing (pings, session timeout) against a scripted server."""

import os
import subprocess
import sys
import time

import pytest

from tests.client.conftest import EventLog
from tests.client.fake_server import FakeServer
from tests.support.net import free_port, wait_until
from tests.support.servers import REPO
from zookeeper_py.admin.zookeeper_admin import ZooKeeperAdmin
from zookeeper_py.client.connect_string_parser import ConnectStringParser
from zookeeper_py.client.four_letter_word_main import FourLetterWordMain
from zookeeper_py.client.inet_socket_address import InetSocketAddress
from zookeeper_py.client.static_host_provider import StaticHostProvider
from zookeeper_py.client.zk_client_config import ConfigException, ZKClientConfig
from zookeeper_py.keeper_exception import Code, KeeperException
from zookeeper_py.watcher import KeeperState
from zookeeper_py.zoo_defs import OpCode
from zookeeper_py.zookeeper import States, ZooKeeper


def test_the_library_prints_nothing_where_its_application_set_no_logging():
    # Every failed connect logs a warning; Python's last resort would print each to stderr.
    script = ("import time\nfrom zookeeper_py.zookeeper import ZooKeeper\n"
              "zk = ZooKeeper('127.0.0.1:%d,127.0.0.1:%d', 2000, None)\ntime.sleep(3)\nzk.close()\n"
              % (free_port(), free_port()))
    r = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60,
                       env=dict(os.environ, PYTHONPATH=REPO))
    assert r.returncode == 0 and r.stderr == "" and r.stdout == "", r.stderr


def test_connect_string_parser():
    p = ConnectStringParser("h1:2181,h2,h3:3000/app/x")
    assert p.get_chroot_path() == "/app/x"
    assert [(a.get_host_string(), a.get_port()) for a in p.get_server_addresses()] == [
        ("h1", 2181), ("h2", 2181), ("h3", 3000)]
    assert all(a.is_unresolved() for a in p.get_server_addresses())
    assert ConnectStringParser("h:1/").get_chroot_path() is None
    v6 = ConnectStringParser("[::1]:2182,[fe80::1]").get_server_addresses()
    assert [(a.get_host_string(), a.get_port()) for a in v6] == [("::1", 2182), ("fe80::1", 2181)]
    with pytest.raises(ValueError, match="Path must not end with / character"):
        ConnectStringParser("h:1/app/")
    with pytest.raises(ValueError, match="does not have : after"):
        ConnectStringParser("[::1]x")


def test_static_host_provider_shuffles_resolves_and_backs_off():
    addrs = [InetSocketAddress.create_unresolved("localhost", p) for p in (1, 2, 3)]
    a = StaticHostProvider(addrs, randomness_seed=7)
    b = StaticHostProvider(addrs, randomness_seed=7)
    assert [a.next(0).get_port() for _ in range(3)] == [b.next(0).get_port() for _ in range(3)]
    assert sorted(x.get_port() for x in a.server_addresses) == [1, 2, 3]
    first = a.next(0)
    assert first.get_address() in ("127.0.0.1", "::1")  # resolved on every next()
    assert a.size() == 3
    # Once every server has been tried since the last connect, next(spin) sleeps spin ms.
    p = StaticHostProvider(addrs, randomness_seed=1)
    t0 = time.monotonic()
    for _ in range(3):
        p.next(300)
    assert time.monotonic() - t0 < 0.25  # the first cycle does not sleep
    t0 = time.monotonic()
    p.next(300)  # back at the first server: a full cycle without a connection
    assert time.monotonic() - t0 >= 0.29
    p.on_connected()
    t0 = time.monotonic()
    p.next(300)
    assert time.monotonic() - t0 < 0.25
    with pytest.raises(ValueError, match="may not be empty"):
        StaticHostProvider([])
    # An unresolvable name stays unresolved (the connect attempt will fail and move on).
    bad = StaticHostProvider([InetSocketAddress.create_unresolved("no-such-host.invalid", 1)])
    assert bad.next(0).is_unresolved()


def test_zk_client_config_file(tmp_path):
    path = tmp_path / "client.properties"
    path.write_text("# comment\nzookeeper.request.timeout = 1234\njute.maxbuffer=2048\n")
    cfg = ZKClientConfig(str(path))
    assert cfg.get_long(ZKClientConfig.ZOOKEEPER_REQUEST_TIMEOUT, 0) == 1234
    assert cfg.get_int(ZKClientConfig.JUTE_MAXBUFFER, 0) == 2048
    assert cfg.get_boolean(ZKClientConfig.DISABLE_AUTO_WATCH_RESET) is False
    with pytest.raises(ConfigException, match="Error while processing " + str(tmp_path / "none")) as e:
        ZKClientConfig(str(tmp_path / "none"))
    assert "file is missing" in str(e.value.__cause__)


def test_four_letter_word_main(server):
    host, port = server.address.split(":")
    assert FourLetterWordMain.send4_letter_word(host, int(port), "ruok") == "imok\n"
    assert "Mode: standalone" in FourLetterWordMain.send4_letter_word(host, int(port), "srvr")


def test_reconfig_disabled_on_standalone(server):
    admin = ZooKeeperAdmin(server.address, 10000)
    try:
        wait_until(lambda: admin.get_state() is States.CONNECTED, 10)
        with pytest.raises(KeeperException) as e:
            admin.reconfigure("server.5=localhost:1234:1235;1236", None, None, -1)
        assert e.value.code() == Code.RECONFIGDISABLED
        assert str(e.value) == "KeeperErrorCode = Reconfig is disabled"
    finally:
        admin.close()


def test_pings_every_third_of_the_session_timeout():
    """readTimeout = 2/3 of the negotiated timeout; an idle client pings every readTimeout/2."""
    srv = FakeServer()
    zk = ZooKeeper(srv.address, 3000, EventLog())
    try:
        wait_until(lambda: sum(1 for _, op in srv.requests if op == OpCode.ping) >= 3, 10, message="3 pings")
        pings = [t for t, (_, op) in zip(srv.request_times, srv.requests) if op == OpCode.ping]
        gaps = [b - a for a, b in zip(pings, pings[1:])]
        assert all(0.8 < g < 1.5 for g in gaps), gaps
        assert zk.get_state() is States.CONNECTED
    finally:
        zk.close()
        srv.stop()


def test_silent_server_times_the_session_out():
    """No answer to pings: after readTimeout (2 s of a 3 s session) the client drops the
    connection, says Disconnected, and connects again."""
    srv = FakeServer()
    log = EventLog()
    zk = ZooKeeper(srv.address, 3000, log)
    try:
        log.wait_for(lambda e: e.get_state() is KeeperState.SyncConnected)
        srv.answer_pings = False
        t0 = time.monotonic()
        log.wait_for(lambda e: e.get_state() is KeeperState.Disconnected, timeout=10, what="Disconnected")
        assert 1.0 < time.monotonic() - t0 < 5
        srv.answer_pings = True
        wait_until(lambda: len(srv.connects) >= 2, 10, message="reconnect")
        assert srv.connects[1][0].sessionId == 0x1234
    finally:
        zk.close()
        srv.stop()


def test_connect_timeout_moves_to_the_next_server():
    """A server that accepts but never answers the ConnectRequest is given up after
    connectTimeout (sessionTimeout / number of servers), then the next one is tried."""
    import socket

    hang = socket.socket()
    hang.bind(("127.0.0.1", 0))
    hang.listen(5)
    srv = FakeServer()
    log = EventLog()
    zk = ZooKeeper("127.0.0.1:%d,%s" % (hang.getsockname()[1], srv.address), 4000, log)
    try:
        log.wait_for(lambda e: e.get_state() is KeeperState.SyncConnected, timeout=15, what="connected")
    finally:
        zk.close()
        srv.stop()
        hang.close()


def test_zk_util_validate_file_input(tmp_path):
    from zookeeper_py.zk_util import ZKUtil

    f = tmp_path / "f"
    f.write_text("x")
    assert ZKUtil.validate_file_input(str(f)) is None
    assert ZKUtil.validate_file_input(str(tmp_path / "none")) == "File '%s' does not exist." % (tmp_path / "none")
    assert ZKUtil.validate_file_input(str(tmp_path)) == "'%s' is a directory. it must be a file." % tmp_path
    assert ZKUtil.get_perm_string(31) == "cdrwa" and ZKUtil.get_perm_string(5) == "cr"
