"""zoo.cfg errors, unknown keys as zookeeper.<key> properties, -Dname=value and SERVER_JVMFLAGS/JVMFLAGS.

A bad config must end the server with exit code 2 (as Java's QuorumPeerMain) and a message
on stderr that names the file and the key. Java 3.8 runs the same configs to confirm the
exit code.
"""

import base64
import glob
import hashlib
import os
import subprocess
import sys

import pytest
from kazoo.client import KazooClient
from kazoo.exceptions import NoAuthError
from kazoo.handlers.threading import KazooTimeoutError
from kazoo.security import make_acl, make_digest_acl

from tests.support import java_zk
from tests.support.net import four_letter_word, free_port, wait_until
from tests.support.servers import REPO, PythonServer

pytestmark = pytest.mark.timeout(120)

SERVERS = "initLimit=5\nsyncLimit=2\nserver.1=127.0.0.1:{p1}:{p2}\nserver.2=127.0.0.1:{p3}:{p4}\n"

# (id, zoo.cfg lines after tickTime/dataDir, myid file content or None, words the message must contain)
BAD_CONFIGS = [
    ("clientPort-abc", "clientPort=abc\n", None, ["clientPort", "abc"]),
    ("tickTime-0", "clientPort={port}\ntickTime=0\n", None, ["tickTime"]),
    ("no-dataDir", "clientPort={port}\n", None, ["dataDir"]),
    ("peerType-bogus", "clientPort={port}\npeerType=bogus\n", None, ["peer", "bogus"]),
    ("electionAlg-1", "clientPort={port}\nelectionAlg=1\n" + SERVERS, "1", ["electionAlg"]),
    ("myid-missing", "clientPort={port}\n" + SERVERS, None, ["myid"]),
    ("myid-not-a-number", "clientPort={port}\n" + SERVERS, "abc\n", ["myid", "abc"]),
    ("initLimit-missing", "clientPort={port}\nsyncLimit=2\nserver.1=127.0.0.1:{p1}:{p2}\n"
     "server.2=127.0.0.1:{p3}:{p4}\n", "1", ["initLimit"]),
    ("session-timeouts", "clientPort={port}\nminSessionTimeout=5000\nmaxSessionTimeout=1000\n", None,
     ["minSessionTimeout", "maxSessionTimeout"]),
    ("maxClientCnxns-x", "clientPort={port}\nmaxClientCnxns=x\n", None, ["maxClientCnxns"]),
    ("clientPortAddress-alone", "clientPortAddress=127.0.0.1\n", None, ["clientPortAddress", "clientPort"]),
    ("server-line", "clientPort={port}\ninitLimit=5\nsyncLimit=2\nserver.1=127.0.0.1\n"
     "server.2=127.0.0.1:{p3}:{p4}\n", "1", ["127.0.0.1"]),
    ("clientPort-99999", "clientPort=99999\n", None, ["clientPort", "99999", "out of range"]),
    ("clientPort-negative", "clientPort=-5\n", None, ["clientPort", "-5", "out of range"]),
    ("secureClientPort-70000", "clientPort={port}\nsecureClientPort=70000\n", None,
     ["secureClientPort", "70000", "out of range"]),
    ("clientPort-underscore", "clientPort=2_181\n", None, ["clientPort", "2_181"]),
    ("server-port-99999", "clientPort={port}\ninitLimit=5\nsyncLimit=2\nserver.1=127.0.0.1:99999:{p2}\n"
     "server.2=127.0.0.1:{p3}:{p4}\n", "1", ["server.1", "99999", "out of range"]),
    # 3.8 refuses a boolean key that is neither true nor false; ours took it as false, as 3.5.7.
    ("syncEnabled-maybe", "clientPort={port}\nsyncEnabled=maybe\n", None, ["syncEnabled=maybe", "true or false"]),
    ("localSessionsEnabled-maybe", "clientPort={port}\nlocalSessionsEnabled=maybe\n", None,
     ["localSessionsEnabled=maybe"]),
    ("quorumListenOnAllIPs-1", "clientPort={port}\nquorumListenOnAllIPs=1\n", None, ["quorumListenOnAllIPs=1"]),
    ("multiAddress.enabled-maybe", "clientPort={port}\nmultiAddress.enabled=maybe\n", None,
     ["multiAddress.enabled=maybe"]),
    # 3.6+ keys ours ignored: a value that is no number is refused as in Java.
    ("clientPortListenBacklog-abc", "clientPort={port}\nclientPortListenBacklog=abc\n", None,
     ["clientPortListenBacklog", "abc"]),
    ("observerMasterPort-abc", "clientPort={port}\nobserverMasterPort=abc\n", None, ["observerMasterPort"]),
    ("clientPortAddress-unresolvable", "clientPort={port}\nclientPortAddress=no.such.host.invalid\n", None,
     ["clientPortAddress=no.such.host.invalid", "cannot be resolved"]),
]


def _write_bad_config(tmp_path, body, myid, with_data_dir=True):
    data = tmp_path / "data"
    data.mkdir()
    if myid is not None:
        (data / "myid").write_text(myid)
    port, p1, p2, p3, p4 = (free_port() for _ in range(5))
    # Should a bad config ever start a server, it must not take the AdminServer's port 8080.
    text = "tickTime=2000\nadmin.enableServer=false\n"
    if with_data_dir:
        text += "dataDir=%s\n" % data
    text += body.format(port=port, p1=p1, p2=p2, p3=p3, p4=p4)
    cfg = tmp_path / "zoo.cfg"
    cfg.write_text(text)
    return str(cfg)


@pytest.mark.parametrize("case_id,body,myid,words", BAD_CONFIGS, ids=[c[0] for c in BAD_CONFIGS])
def test_bad_config_exits_2_naming_key_and_file(tmp_path, case_id, body, myid, words):
    cfg = _write_bad_config(tmp_path, body, myid, with_data_dir=case_id != "no-dataDir")
    env = dict(os.environ, PYTHONPATH=REPO)
    r = subprocess.run([sys.executable, "-m", "zookeeper_py.server.quorum.quorum_peer_main", cfg],
                       capture_output=True, text=True, timeout=60, env=env, cwd=str(tmp_path))
    assert r.returncode == 2, "exit %s, want 2\nstdout:\n%s\nstderr:\n%s" % (r.returncode, r.stdout, r.stderr)
    assert "Invalid config, exiting abnormally" in r.stderr, r.stderr
    assert cfg in r.stderr, "the message does not name %s:\n%s" % (cfg, r.stderr)
    for word in words:
        assert word in r.stderr, "the message does not name %r:\n%s" % (word, r.stderr)
    if java_zk.missing_reason() is None:
        j = subprocess.run([java_zk.java_executable(), "-cp", java_zk.classpath(),
                            "-Dlog4j.configuration=file:/dev/null",
                            "org.apache.zookeeper.server.quorum.QuorumPeerMain", cfg],
                           capture_output=True, text=True, timeout=60)
        assert j.returncode == 2, "Java exits %s on this config:\n%s" % (j.returncode, j.stdout + j.stderr)


@pytest.mark.parametrize("line", ["sslQuorum=yes", "portUnification=1", "quorum.auth.enableSasl=ture"])
def test_a_security_switch_neither_true_nor_false_stops_the_start(tmp_path, line):
    """Java reads any value but true as false, so a typo leaves a quorum in plaintext or without
    SASL, unsaid; ours stops with exit 2 naming the key, its line and the file."""
    cfg = _write_bad_config(tmp_path, "clientPort={port}\n" + line + "\n" + SERVERS, "1")
    env = dict(os.environ, PYTHONPATH=REPO)
    r = subprocess.run([sys.executable, "-m", "zookeeper_py.server.quorum.quorum_peer_main", cfg],
                       capture_output=True, text=True, timeout=60, env=env, cwd=str(tmp_path))
    assert r.returncode == 2, r.stdout + r.stderr
    assert "Error processing %s: %s (line 5) is not true or false" % (cfg, line) in r.stderr, r.stderr


def test_an_empty_data_dir_stops_the_start(tmp_path):
    """dataDir= would put the data in the working directory (Java fails on it with a
    StringIndexOutOfBoundsException, exit 1); ours stops with exit 2, naming the key."""
    for key in ("dataDir", "dataLogDir"):
        cfg = tmp_path / ("%s.cfg" % key)
        dirs = "dataDir=\n" if key == "dataDir" else "dataDir=%s\ndataLogDir=\n" % (tmp_path / "data")
        cfg.write_text("tickTime=2000\nadmin.enableServer=false\nclientPort=%d\n%s" % (free_port(), dirs))
        r = subprocess.run([sys.executable, "-m", "zookeeper_py.server.quorum.quorum_peer_main", str(cfg)],
                           capture_output=True, text=True, timeout=60, env=dict(os.environ, PYTHONPATH=REPO),
                           cwd=str(tmp_path))
        assert r.returncode == 2, r.stdout + r.stderr
        line = 4 if key == "dataDir" else 5
        assert "%s= (line %d) is empty" % (key, line) in r.stderr and str(cfg) in r.stderr, r.stderr
        assert not (tmp_path / "version-2").exists()


def test_three_six_features_this_server_lacks_are_said_to_do_nothing(tmp_path):
    """observerMasterPort, connectToLearnerMasterLimit and multiAddress.enabled (3.6+) were
    dropped unsaid; clientPortListenBacklog is honoured."""
    port = free_port()
    server = PythonServer(str(tmp_path), client_port=port, extra_cfg={
        "observerMasterPort": str(free_port()), "multiAddress.enabled": "true", "clientPortListenBacklog": "3"})
    server.start()
    try:
        out = server.all_output()
        assert "observerMasterPort=" in out and "multiAddress.enabled=true has no effect" in out, out[-3000:]
        # ss shows a listening socket's backlog as its Send-Q.
        listen = subprocess.run(["ss", "-Hltn", "sport = :%d" % port], capture_output=True, text=True).stdout
        assert listen.split()[:3] == ["LISTEN", "0", "3"], listen
    finally:
        server.stop()


def test_max_cnxns_limits_the_connections_of_all_clients(tmp_path):
    """zookeeper.maxCnxns (zoo.cfg maxCnxns, 3.6+): connections past it are closed at accept, as
    Java's; ours took every one."""
    server = PythonServer(str(tmp_path), extra_cfg={"maxCnxns": "2", "maxClientCnxns": "0"})
    server.start()
    clients = []
    try:
        for _ in range(2):
            zk = KazooClient(hosts=server.address, timeout=10)
            zk.start(timeout=10)
            clients.append(zk)
        third = KazooClient(hosts=server.address, timeout=2, connection_retry={"max_tries": 0})
        with pytest.raises(KazooTimeoutError):
            third.start(timeout=3)
        third.stop()
        third.close()
        assert "Too many connections max allowed is 2" in server.all_output()
        clients.pop().stop()
        again = KazooClient(hosts=server.address, timeout=10)  # retries until the closed one is gone
        again.start(timeout=10)
        again.stop()
        again.close()
    finally:
        for zk in clients:
            zk.stop()
            zk.close()
        server.stop()


@pytest.mark.parametrize("log_dir", ["{data}//", "{parent}//data"])
def test_a_data_log_dir_spelled_with_extra_slashes_is_the_data_dir(tmp_path, log_dir):
    """Java compares dataDir and dataLogDir as java.io.File keeps them (repeated and trailing slashes
    dropped), so "dir//" is dir: one directory holding logs and snapshots. Ours compared the strings,
    took them for two, and refused the restart: "Log directory has snapshot files" (found by the
    data-dir tester)."""
    data = str(tmp_path / "data")
    server = PythonServer(str(tmp_path), extra_cfg={"dataLogDir": log_dir.format(data=data, parent=tmp_path)})
    server.start()
    zk = KazooClient(hosts=server.address, timeout=10)
    try:
        zk.start(timeout=10)
        zk.create("/kept", b"v")
        zk.stop()
        server.stop()
        server.start()
        zk.start(timeout=10)
        assert zk.get("/kept")[0] == b"v"
    finally:
        zk.stop()
        zk.close()
        server.stop()
    assert sorted(os.listdir(tmp_path / "data")) == ["version-2"], server.all_output()


def test_missing_config_file(tmp_path):
    cfg = str(tmp_path / "nope.cfg")
    r = subprocess.run([sys.executable, "-m", "zookeeper_py.server.quorum.quorum_peer_main", cfg],
                       capture_output=True, text=True, timeout=60, env=dict(os.environ, PYTHONPATH=REPO))
    assert r.returncode == 2, r.stderr
    assert cfg + " file is missing" in r.stderr, r.stderr


# -- properties -------------------------------------------------------------------------


def _super_digest(user, password):
    raw = hashlib.sha1(("%s:%s" % (user, password)).encode()).digest()
    return "%s:%s" % (user, base64.b64encode(raw).decode())


def _snapshots(data_dir):
    return glob.glob(os.path.join(data_dir, "version-2", "snapshot.*"))


def _kazoo(address, auth=None):
    zk = KazooClient(hosts=address, auth_data=auth)
    zk.start(timeout=15)
    return zk


def _write_many(address, n=20):
    zk = _kazoo(address)
    try:
        zk.ensure_path("/load")
        for i in range(n):
            zk.create("/load/n", b"%d" % i, sequence=True)
    finally:
        zk.stop()
        zk.close()


def _assert_super_works(address):
    """A node only bob may read: super (from the superDigest property) reads it, others get NoAuth."""
    owner = _kazoo(address, auth=[("digest", "bob:bobpw")])
    try:
        owner.create("/secret", b"s", acl=[make_digest_acl("bob", "bobpw", all=True)])
    finally:
        owner.stop()
        owner.close()
    anon = _kazoo(address)
    try:
        with pytest.raises(NoAuthError):
            anon.get("/secret")
    finally:
        anon.stop()
        anon.close()
    root = _kazoo(address, auth=[("digest", "super:supersecret")])
    try:
        assert root.get("/secret")[0] == b"s"
        root.set("/secret", b"changed by super")
    finally:
        root.stop()
        root.close()


def _assert_many_snapshots(data_dir):
    # snapCount=2: a snapshot every 2 txns (minus any skipped while one is still being written)
    try:
        wait_until(lambda: len(_snapshots(data_dir)) >= 4, timeout=10, message="snapshots")
    except TimeoutError:
        pytest.fail("snapCount=2 not in effect: snapshots %s" % sorted(_snapshots(data_dir)))


def test_default_snap_count_takes_one_snapshot(py_server):
    """The control for the snapCount tests: without it, 20 writes leave the startup snapshot only."""
    _write_many(py_server.address)
    assert len(_snapshots(py_server.data_dir)) == 1, _snapshots(py_server.data_dir)


def test_unknown_cfg_keys_become_zookeeper_properties(tmp_path):
    """skipACL, snapCount and 4lw.commands.whitelist are not QuorumPeerConfig keys: zookeeper.<key>."""
    server = PythonServer(str(tmp_path), extra_cfg={"skipACL": "yes", "snapCount": "2",
                                                    "4lw.commands.whitelist": "ruok"})
    try:
        server.start()
        zk = _kazoo(server.address)
        try:
            zk.create("/ro", b"x", acl=[make_acl("world", "anyone", read=True)])
            zk.set("/ro", b"written despite world:r")  # zookeeper.skipACL=yes
            assert zk.get("/ro")[0] == b"written despite world:r"
        finally:
            zk.stop()
            zk.close()
        _write_many(server.address)
        _assert_many_snapshots(server.data_dir)
        assert four_letter_word("127.0.0.1", server.client_port, "ruok") == "imok"
        assert four_letter_word("127.0.0.1", server.client_port, "stat") == \
            "stat is not executed because it is not in the whitelist.\n"
    finally:
        server.stop()


def test_require_client_auth_scheme_is_said_to_do_nothing(tmp_path):
    """requireClientAuthScheme=sasl (from old guides) makes no client log in, in Java as in ours:
    ours says so at start, naming the setting that does."""
    server = PythonServer(str(tmp_path), extra_cfg={"requireClientAuthScheme": "sasl"})
    try:
        server.start()
        assert ("requireClientAuthScheme=sasl has no effect in ZooKeeper; sessionRequireClientSASLAuth=true "
                "makes clients authenticate with SASL") in server.all_output()
    finally:
        server.stop()


def test_dash_d_flags_reach_the_server(tmp_path):
    server = PythonServer(str(tmp_path), flags=[
        "-Dzookeeper.DigestAuthenticationProvider.superDigest=" + _super_digest("super", "supersecret"),
        "-Dzookeeper.snapCount=2",
    ])
    try:
        server.start()
        _assert_super_works(server.address)
        _write_many(server.address)
        _assert_many_snapshots(server.data_dir)
    finally:
        server.stop()


def test_server_jvmflags_and_jvmflags_through_zkserver_sh(tmp_path):
    conf = tmp_path / "conf"
    conf.mkdir()
    data = tmp_path / "data"
    port = free_port()
    (conf / "zoo.cfg").write_text("tickTime=2000\ndataDir=%s\nclientPort=%d\nadmin.enableServer=false\n"
                                  % (data, port))
    env = dict(os.environ, PYTHON=sys.executable, ZOOCFGDIR=str(conf), ZOO_LOG_DIR=str(tmp_path / "logs"),
               SERVER_JVMFLAGS="-Xmx512m -Dzookeeper.DigestAuthenticationProvider.superDigest="
               + _super_digest("super", "supersecret"),
               JVMFLAGS="-Dzookeeper.snapCount=2")
    env.pop("ZOOPIDFILE", None)
    script = os.path.join(REPO, "bin", "zkServer.sh")
    pidfile = data / "zookeeper_server.pid"
    try:
        r = subprocess.run(["bash", script, "start"], capture_output=True, text=True, env=env, timeout=60)
        assert r.returncode == 0, r.stdout + r.stderr
        wait_until(lambda: "Mode: standalone" in subprocess.run(
            ["bash", script, "status"], capture_output=True, text=True, env=env, timeout=30).stdout,
            timeout=30, message="server up")
        _assert_super_works("127.0.0.1:%d" % port)
        _write_many("127.0.0.1:%d" % port)
        _assert_many_snapshots(str(data))
    finally:
        pid = None
        try:
            pid = int(pidfile.read_text())
        except (OSError, ValueError):
            pass
        subprocess.run(["bash", script, "stop"], capture_output=True, text=True, env=env, timeout=60)
        if pid:
            try:
                os.kill(pid, 9)
            except OSError:
                pass
