"""Dynamic reconfiguration (issue 13): non-incremental reconfig (-members, -file), -v and BadVersion,
role changes, a member leaving and joining again, growing from one server, the recovery of a
reconfig that was proposed but not committed (zoo.cfg.dynamic.next), ZooKeeperAdmin and zkCli.

Each runs on an all-Python ensemble and on mixed ones with Java 3.8 members; reconfig needs
reconfigEnabled=true and, on Java 3.8, the superuser or skipACL (skipACL here, for both kinds)."""

import os
import re
import threading
import time

import pytest

from tests.quorum.conftest import kazoo
from tests.support import java_cli, java_zk
from tests.support.ensemble import KINDS
from tests.support.net import wait_until
from zookeeper_py.admin.zookeeper_admin import ZooKeeperAdmin
from zookeeper_py.data import Stat
from zookeeper_py.keeper_exception import BadArgumentsException, BadVersionException, MarshallingErrorException
from zookeeper_py.zookeeper import States

RECONFIG_CFG = {"reconfigEnabled": "true", "skipACL": "yes"}


def _kinds_param(*kinds, id):
    marks = []
    if "java" in kinds and java_zk.missing_reason():
        marks.append(pytest.mark.skip(reason=java_zk.missing_reason()))
    return pytest.param(list(kinds), id=id, marks=marks)


def spec(ens, sid, role="participant", client_port=None):
    return "server.%d=127.0.0.1:%d:%d:%s;127.0.0.1:%d" % (
        sid, ens.quorum_ports[sid], ens.election_ports[sid], role,
        client_port if client_port is not None else ens.client_ports[sid])


def config_version(text):
    return int(re.search(r"^version=([0-9a-f]+)$", text, re.M).group(1), 16)


def start_with_leader(ens, leader, timeout=90):
    """Start `leader` first so it wins (it has the highest sid of those started), then the rest."""
    ens.start_first([leader])
    got = ens.wait_for_quorum(timeout=timeout)
    assert got == leader, (got, ens.modes())
    return got


def wait_mode(ens, sid, mode, timeout=60):
    try:
        wait_until(lambda: ens.mode(sid) == mode, timeout=timeout, message="member %d %s" % (sid, mode))
    except TimeoutError as e:
        raise TimeoutError("%s (modes %r)\n%s" % (e, ens.modes(), ens.tails())) from None


def admin(address, timeout=15):
    zk = ZooKeeperAdmin(address, 10000)
    wait_until(lambda: zk.get_state() is States.CONNECTED, timeout, message="ZooKeeperAdmin connected")
    return zk


def same_config_everywhere(ens, sids, text):
    for sid in sids:
        with kazoo(ens.address(sid)) as zk:
            zk.sync("/")
            assert zk.get("/zookeeper/config")[0].decode() == text, (sid, ens.tails())


# -- leaving, joining, role changes ------------------------------------------------------------

@pytest.mark.parametrize("kinds", [
    _kinds_param("python", "python", "python", id="python"),
    _kinds_param("java", "python", "java", id="java-leader-python-member"),
    _kinds_param("python", "java", "python", id="python-leader-java-member"),
])
def test_member_leaves_rejoins_and_changes_role(make_ensemble, kinds):
    """The leader (3) reconfigures member 2 out (it stays a non-voting follower) and back in, then
    makes it an observer and a participant again (-add with :observer / :participant); 2 follows
    each change in its mode."""
    ens = make_ensemble(kinds=kinds, tick_time=200, extra_cfg=RECONFIG_CFG)
    start_with_leader(ens, 3)
    with kazoo(ens.address(1)) as zk:
        data, _ = zk.reconfig(joining=None, leaving="2", new_members=None)
        assert "server.2=" not in data.decode()
        zk.create("/while-out", b"1")
    # Removed, 2 is not shut down: it stays a non-voting follower (the reconfig docs), serving reads.
    with kazoo(ens.address(2)) as zk:
        zk.sync("/")
        assert zk.get("/while-out")[0] == b"1"
        assert zk.get("/zookeeper/config")[0] == data
    assert ens.mode(2) == "follower"
    with kazoo(ens.address(1)) as zk:
        # -add is read with Java's StringUtils.split: items trimmed, empty ones dropped.
        data, _ = zk.reconfig(joining=" %s , ," % spec(ens, 2), leaving=None, new_members=None)
        assert spec(ens, 2) in data.decode()
    wait_mode(ens, 2, "follower")
    with kazoo(ens.address(2)) as zk:
        zk.sync("/")
        assert zk.get("/while-out")[0] == b"1"
    for role, mode in (("observer", "observer"), ("participant", "follower")):
        with kazoo(ens.address(1)) as zk:
            data, _ = zk.reconfig(joining=spec(ens, 2, role), leaving=None, new_members=None)
            assert spec(ens, 2, role) in data.decode()
        wait_mode(ens, 2, mode)
        assert ens.mode(3) == "leader"
    same_config_everywhere(ens, (1, 2, 3), data.decode())


@pytest.mark.parametrize("kinds", [
    _kinds_param("python", "python", "python", id="python"),
    _kinds_param("python", "python", "java", id="java-leader"),
    _kinds_param("java", "java", "python", id="python-leader"),
])
def test_leader_reconfigured_out_hands_over(make_ensemble, kinds):
    """Removing the leader (3): the reconfig commits, 1 and 2 go on under a leader of the new
    config (Leader.getDesignatedLeader), and 3, still running, is no longer a voter."""
    from kazoo.exceptions import ConnectionLoss

    ens = make_ensemble(kinds=kinds, tick_time=200, extra_cfg=RECONFIG_CFG)
    start_with_leader(ens, 3)
    with kazoo(ens.address(1)) as zk:
        zk.create("/before", b"1")
        try:
            zk.reconfig(joining=None, leaving="3", new_members=None)
        except ConnectionLoss:
            pass  # 1 may leave its old leader before the reply reaches this client, as Java's does
    leader = ens.wait_for_quorum(sids=[1, 2], timeout=60)
    assert leader in (1, 2)
    with kazoo(ens.connect_string([1, 2])) as zk:
        zk.sync("/")
        text = zk.get("/zookeeper/config")[0].decode()
        assert "server.3=" not in text and "server.1=" in text and "server.2=" in text
        assert zk.get("/before")[0] == b"1"
        zk.create("/after", b"2")
    assert ens.is_running(3)


# -- non-incremental reconfig, versions, ZooKeeperAdmin, zkCli ----------------------------------

@pytest.mark.parametrize("kinds", [
    _kinds_param("python", "python", "python", id="python"),
    _kinds_param("java", "java", "python", id="python-leader"),
    _kinds_param("python", "python", "java", id="java-leader"),
])
def test_non_incremental_reconfig_versions_and_admin(make_ensemble, tmp_path, kinds):
    """ZooKeeperAdmin.reconfigure: -v with a wrong version is BadVersion and changes nothing; a
    non-incremental member list (sync) and an incremental -add (async) commit; zkCli -members with
    Java's list parsing (items trimmed, empty ones dropped) and -file; every member agrees."""
    ens = make_ensemble(kinds=kinds, tick_time=200, extra_cfg=RECONFIG_CFG)
    start_with_leader(ens, 3)
    zk = admin(ens.address(1))
    try:
        stat = Stat()
        current = zk.get_config(False, stat).decode()
        version = config_version(current)
        assert stat.mzxid == version or version == 0x100000000
        with pytest.raises(BadVersionException):
            zk.reconfigure(None, None, [spec(ens, 1), spec(ens, 3)], version + 1)
        # A sid that is no number is Java's NumberFormatException, MARSHALLINGERROR (ours said
        # BADARGUMENTS); a joiner with no "=" is BADARGUMENTS on both.
        for joining, leaving in (("server.x=" + spec(ens, 2).split("=", 1)[1], None), (None, "x"),
                                 ("foo=bar", None)):
            with pytest.raises(MarshallingErrorException):
                zk.reconfigure(joining, leaving, None, -1)
        with pytest.raises(BadArgumentsException):
            zk.reconfigure("server.4", None, None, -1)
        assert zk.get_config(False, None).decode() == current
        # Non-incremental, sync, with the right version: member 2 leaves.
        stat = Stat()
        new = zk.reconfigure(None, None, [spec(ens, 1), spec(ens, 3)], version, stat).decode()
        assert "server.2=" not in new and spec(ens, 1) in new and spec(ens, 3) in new
        assert config_version(new) == stat.mzxid > version
        # Incremental, async: member 2 joins again.
        results = []
        done = threading.Event()

        def cb(rc, path, ctx, data, stat):
            results.append((rc, path, ctx, data, stat))
            done.set()

        assert zk.reconfigure(spec(ens, 2), None, None, -1, cb, "ctx") is None
        assert done.wait(30)
        rc, path, ctx, data, stat = results[0]
        assert (rc, path, ctx) == (0, "/zookeeper/config", "ctx")
        assert spec(ens, 2) in data.decode() and config_version(data.decode()) == stat.mzxid
    finally:
        zk.close()
    wait_mode(ens, 2, "follower")
    # zkCli -members with -v of the current version. The list is read as Properties lines (commas
    # made newlines): blank items and leading blanks go, a trailing blank would stay in the value.
    version = config_version(data.decode())
    bad = java_cli.run_our_zkcli(ens.address(1), ["reconfig", "-members", "%s ,%s" % (spec(ens, 1), spec(ens, 3))])
    assert bad.stderr == "Arguments are not valid : \n", bad  # a port "2181 " is no number for Java
    members = ",, %s,%s,\t%s," % (spec(ens, 1), spec(ens, 2, "observer"), spec(ens, 3))
    out = java_cli.run_our_zkcli(ens.address(1), ["reconfig", "-v", "%x" % version, "-members", members])
    assert "Committed new configuration:" in out.stdout, out.stdout + out.stderr
    assert spec(ens, 2, "observer") in out.stdout and spec(ens, 3) in out.stdout
    wait_mode(ens, 2, "observer")
    # -file: a config file in zoo.cfg syntax; 2 a participant again.
    path = tmp_path / "members.cfg"
    path.write_text("\n".join([spec(ens, 1), spec(ens, 2), spec(ens, 3)]) + "\n")
    out = java_cli.run_our_zkcli(ens.address(1), ["reconfig", "-file", str(path)])
    assert "Committed new configuration:" in out.stdout, out.stdout + out.stderr
    text = out.stdout.split("Committed new configuration:\n", 1)[1].strip()
    assert spec(ens, 2) in text
    wait_mode(ens, 2, "follower")
    assert ens.mode(3) == "leader"
    same_config_everywhere(ens, (1, 2, 3), text)


@pytest.mark.skipif(java_zk.missing_reason() is not None, reason=str(java_zk.missing_reason()))
def test_zkcli_config_and_reconfig_output_equal_to_javas(make_ensemble):
    """On one mixed ensemble, our zkCli and Java's print the same for `config`, `config -c -s`, a
    committed `reconfig -s` (the version and zxids masked) and a `reconfig -v` that is BadVersion."""
    ens = make_ensemble(kinds=["python", "java", "python"], tick_time=200, extra_cfg=RECONFIG_CFG)
    start_with_leader(ens, 3)

    def both(args):
        ours = java_cli.run_our_zkcli(ens.address(1), args)
        java = java_cli.run_zkcli(ens.address(1), args)
        return ours, java

    # The SyncConnected event is printed by the event thread, before or after the command's own
    # output depending on timing (Java's zkCli as well as ours): the text and the events are
    # compared apart (split_events).
    split_events = java_cli.split_events

    def norm(text):
        text, _ = split_events(text)
        text = re.sub(r"version=[0-9a-f]+", "version=<v>", text)
        text = re.sub(r"^[0-9a-f]+ 127", "<v> 127", text, flags=re.M)
        return java_cli.mask(text)

    for args in (["config"], ["config", "-c", "-s"]):
        ours, java = both(args)
        assert split_events(ours.stdout) == split_events(java.stdout) and ours.returncode == java.returncode, (
            args, ours, java)
    ours, java = both(["reconfig", "-s", "-add", spec(ens, 2)])
    assert "Committed new configuration:" in ours.stdout
    assert norm(ours.stdout) == norm(java.stdout), (ours.stdout, java.stdout)
    assert split_events(ours.stdout)[1] == split_events(java.stdout)[1], (ours.stdout, java.stdout)
    ours, java = both(["reconfig", "-v", "1", "-remove", "2"])
    assert (split_events(ours.stdout), ours.stderr) == (split_events(java.stdout), java.stderr), (ours, java)
    assert ours.stderr == "version No is not valid : \n"  # ZooKeeperMain's words for BadVersion


# -- growing from one server -------------------------------------------------------------------

def _only_members(server, sids, ens, with_client=True):
    """Rewrite server's zoo.cfg so its server.N lines are `sids` (a joiner's or a seed's config)."""
    for key in [k for k in server.cfg if k.startswith("server.")]:
        del server.cfg[key]
    for sid in sids:
        server.cfg["server.%d" % sid] = spec(ens, sid).split("=", 1)[1]
    server.write_cfg()


@pytest.mark.parametrize("kinds", [
    _kinds_param("python", "python", "python", id="python"),
    _kinds_param("java", "python", "java", id="java-seed"),
])
def test_grow_from_one_server_with_standalone_disabled(make_ensemble, kinds):
    """standaloneEnabled=false: server 1 alone is a leader of one; 2 and 3 start with the joiner
    config of the ZooKeeper reconfig docs (the current members and themselves), follow without a
    vote, and reconfig -add makes them voting members of a three-server ensemble."""
    ens = make_ensemble(kinds=kinds, tick_time=200, extra_cfg=dict(RECONFIG_CFG, standaloneEnabled="false"))
    _only_members(ens.servers[1], [1], ens)
    _only_members(ens.servers[2], [1, 2], ens)
    _only_members(ens.servers[3], [1, 2, 3], ens)
    ens.start([1])
    assert ens.wait_for_quorum(timeout=60) == 1
    with kazoo(ens.address(1)) as zk:
        zk.create("/seed", b"1")
    for sid in (2, 3):
        ens.start_member(sid)
        wait_mode(ens, sid, "follower", timeout=90)
        with kazoo(ens.address(1)) as zk:
            data, _ = zk.reconfig(joining=spec(ens, sid), leaving=None, new_members=None)
            assert spec(ens, sid) in data.decode()
    text = data.decode()
    assert [line.split("=")[0] for line in text.splitlines()] == ["server.1", "server.2", "server.3", "version"]
    same_config_everywhere(ens, (1, 2, 3), text)
    # Three voters now: losing the seed leaves a quorum of two.
    ens.kill(1)
    leader = ens.wait_for_quorum(sids=[2, 3], timeout=60)
    assert leader in (2, 3)
    with kazoo(ens.address(2)) as zk:
        zk.sync("/")
        assert zk.get("/seed")[0] == b"1"


# -- a reconfig proposed but not committed ------------------------------------------------------

@pytest.mark.parametrize("kinds", [
    _kinds_param("python", "python", "python", "python", id="python"),
    _kinds_param("java", "python", "python", "java", id="mixed"),
])
def test_proposed_reconfig_is_completed_after_a_crash(make_ensemble, kinds):
    """Members 2 and 4 (a joiner following without a vote) are frozen (SIGSTOP) before the leader
    proposes adding 4: the proposal is logged and written to zoo.cfg.dynamic.next on 1 and 3, but
    the new config has no quorum of acks (2 of 4), so it never commits. Everything is killed; on
    restart 1 and 3 alone make no progress, and 1, 2 and 3 (3 of the 4 new voters) complete it,
    as Java's QuorumPeerConfig.parse (lastSeenQuorumVerifier from .next) and Leader.lead
    (NEWLEADER acked by both configs) do."""
    ens = make_ensemble(kinds=kinds, tick_time=200, sync_limit=25, extra_cfg=RECONFIG_CFG)
    for sid in (1, 2, 3):
        _only_members(ens.servers[sid], [1, 2, 3], ens)
    _only_members(ens.servers[4], [1, 2, 3, 4], ens)
    ens.start([3])  # first, so that it leads (start_first would start 4 too)
    wait_until(lambda: ens.srvr(3, timeout=1) != "", timeout=60, message="member 3 listening")
    ens.start([1, 2])
    assert ens.wait_for_quorum(sids=[1, 2, 3], timeout=90) == 3
    ens.start_member(4)
    wait_mode(ens, 4, "follower", timeout=90)
    for sid in (2, 4):
        ens.pause(sid)
    with kazoo(ens.address(1)) as zk:
        pending = zk.reconfig_async(spec(ens, 4), None, None, -1)

        def next_files():
            paths = [ens.servers[sid].cfg_path + ".dynamic.next" for sid in (1, 3)]
            return all(os.path.exists(p) and "server.4=" in open(p).read() for p in paths)

        try:
            wait_until(next_files, timeout=30, message="zoo.cfg.dynamic.next with server.4 on 1 and 3")
        except TimeoutError as e:
            raise TimeoutError("%s (reconfig: %r)\n%s" % (
                e, pending.exception if pending.ready() else "pending", ens.tails())) from None
        proposed = config_version(open(ens.servers[3].cfg_path + ".dynamic.next").read())
        for sid in (1, 3):  # proposed, not committed
            assert not os.path.exists(ens.servers[sid].cfg_path + ".dynamic.%x" % proposed)
    for sid in (1, 2, 3, 4):
        ens.kill(sid)  # SIGKILL also ends a stopped process
    # 1 and 3 are a quorum of the old config but not of the proposed one (2 of 4): no progress
    # (Java's ReconfigRecoveryTest.testNextConfigUnreachable), for 25 ticks.
    ens.start([3, 1])
    deadline = time.time() + 5
    while time.time() < deadline:
        assert ens.mode(1) is None and ens.mode(3) is None, (ens.modes(), ens.tails())
        time.sleep(0.2)  # the sampling period, not a synchronisation
    ens.start([2])
    ens.wait_for_quorum(sids=[1, 2, 3], timeout=90)

    def committed():
        with kazoo(ens.address(1)) as zk:
            zk.sync("/")
            return zk.get("/zookeeper/config")[0].decode()

    text = committed()
    assert "server.4=" in text and config_version(text) == proposed, (text, ens.tails())
    for sid in (1, 3):
        cfg_dir = os.path.dirname(ens.servers[sid].cfg_path)
        wait_until(lambda: os.path.exists(os.path.join(cfg_dir, "zoo.cfg.dynamic.%x" % proposed)), timeout=30,
                   message="zoo.cfg.dynamic.%x on %d" % (proposed, sid))
        assert not os.path.exists(ens.servers[sid].cfg_path + ".dynamic.next")
    same_config_everywhere(ens, (1, 2, 3), text)


# -- standalone ------------------------------------------------------------------------------

@pytest.mark.parametrize("kind", ["python", pytest.param("java", marks=pytest.mark.skipif(
    java_zk.missing_reason() is not None, reason=str(java_zk.missing_reason())))])
def test_reconfig_on_a_standalone_server_is_unimplemented(tmp_path, kind):
    """PrepRequestProcessor: a server that is not a quorum leader (standalone here) answers a
    reconfig with Unimplemented even when reconfigEnabled=true, as Java's does."""
    from zookeeper_py.keeper_exception import UnimplementedException

    server = KINDS[kind](str(tmp_path), extra_cfg=RECONFIG_CFG).start(timeout=60)
    try:
        zk = admin(server.address)
        try:
            with pytest.raises(UnimplementedException):
                zk.reconfigure("server.5=127.0.0.1:1234:1235;1236", None, None, -1)
        finally:
            zk.close()
    finally:
        server.stop(kill=True)


# -- the secure client port ----------------------------------------------------------------------

@pytest.fixture(scope="module")
def tls(tmp_path_factory):
    from tests.support.tls import session_tls_material

    return session_tls_material(tmp_path_factory)


@pytest.mark.parametrize("kind", ["python", pytest.param("java", marks=pytest.mark.skipif(
    java_zk.tls_missing_reason() is not None, reason=str(java_zk.tls_missing_reason())))])
def test_reconfig_moves_the_plain_listener_and_keeps_the_secure_one(make_ensemble, tls, kind):
    """A server line has one client address (host:port after ';'), the plain one: a committed reconfig
    that changes it moves member 2's plain listener, and its secureClientPort listener keeps serving
    TLS where it was, as Java's QuorumPeer.processReconfig (cnxnFactory.reconfigure only) does."""
    from kazoo.client import KazooClient

    from tests.support.net import four_letter_word, free_port

    ens = make_ensemble(kinds=["python", kind, "python"], tick_time=200, extra_cfg=RECONFIG_CFG)
    member = ens.servers[2]
    secure_port = free_port()
    member.cfg.update(tls.zoo_cfg_keys("pkcs12"), secureClientPort=str(secure_port))
    if kind == "java":
        member.cfg["serverCnxnFactory"] = java_zk.NETTY_SERVER_CNXN_FACTORY
    member.write_cfg()
    start_with_leader(ens, 3)

    def tls_get(path):
        cert, key, ca = tls.client_pem("client")
        zk = KazooClient(hosts="127.0.0.1:%d" % secure_port, use_ssl=True, certfile=cert, keyfile=key, ca=ca,
                         verify_certs=True, timeout=15)
        zk.start(timeout=15)
        try:
            zk.sync(path)
            return zk.get(path)[0]
        finally:
            zk.stop()
            zk.close()

    with kazoo(ens.address(1)) as zk:
        zk.create("/secure", b"1")
    assert tls_get("/secure") == b"1"
    new_port = free_port()
    with kazoo(ens.address(1)) as zk:
        data, _ = zk.reconfig(joining=spec(ens, 2, client_port=new_port), leaving=None, new_members=None)
        assert ";127.0.0.1:%d" % new_port in data.decode()
        zk.set("/secure", b"2")

    def serves(port):
        try:
            return "imok" in four_letter_word("127.0.0.1", port, "ruok", timeout=2)
        except OSError:
            return False

    wait_until(lambda: serves(new_port), timeout=30, message="member 2 on its new client port")
    assert not serves(ens.client_ports[2])
    assert tls_get("/secure") == b"2"
