"""Sessions are global: their ephemerals survive a leader change and a move to another member."""

import subprocess
import sys

from kazoo.client import KazooClient
from kazoo.protocol.states import KazooState

from tests.quorum.conftest import kazoo
from tests.support.net import wait_until


def test_session_and_ephemerals_survive_leader_change(make_ensemble):
    ens = make_ensemble().start()
    leader = ens.wait_for_quorum()
    follower = 1 if leader != 1 else 2
    states = []
    zk = KazooClient(hosts=ens.address(follower), timeout=10)
    zk.add_listener(states.append)
    zk.start(timeout=10)
    try:
        zk.create("/eph", b"mine", ephemeral=True)
        session_id = zk.client_id[0]
        ens.kill(leader)
        ens.wait_for_quorum([s for s in ens.servers if s != leader], timeout=30)
        wait_until(lambda: zk.state == KazooState.CONNECTED and KazooState.SUSPENDED in states, timeout=30,
                   message="client reconnected")
        assert zk.client_id[0] == session_id
        assert KazooState.LOST not in states
        data, stat = zk.get("/eph")
        assert data == b"mine" and stat.ephemeralOwner == session_id
        # Seen by the other members too.
        other = [s for s in ens.servers if s not in (leader, follower)][0]
        with kazoo(ens.address(other)) as zk2:
            zk2.sync("/")
            assert zk2.get("/eph")[1].ephemeralOwner == session_id
    finally:
        zk.stop()
        zk.close()
    # Closing the session removes its ephemerals everywhere.
    for sid in ens.running():
        with kazoo(ens.address(sid)) as zk3:
            zk3.sync("/")
            assert zk3.exists("/eph") is None


_CLIENT_SCRIPT = """
import sys, time
from kazoo.client import KazooClient
if len(sys.argv) == 3:
    zk = KazooClient(hosts=sys.argv[1], timeout=float(sys.argv[2]))
    zk.start(timeout=10)
    zk.create("/dies", b"", ephemeral=True)
    owner = zk.client_id[0]
elif len(sys.argv) > 3:
    zk = KazooClient(hosts=sys.argv[1], timeout=10, client_id=(int(sys.argv[2]), bytes.fromhex(sys.argv[3])))
    zk.start(timeout=10)
    owner = zk.get("/moving")[1].ephemeralOwner
    zk.set("/moving", b"y")
else:
    zk = KazooClient(hosts=sys.argv[1], timeout=10)
    zk.start(timeout=10)
    zk.create("/moving", b"x", ephemeral=True)
    owner = zk.client_id[0]
sid, pwd = zk.client_id
print("%d %s %d" % (sid, pwd.hex(), owner), flush=True)
time.sleep(600)
"""


def _client_that_dies(*args):
    """Run _CLIENT_SCRIPT in a process, read its line, then kill -9 it (its session is not closed)."""
    proc = subprocess.Popen([sys.executable, "-c", _CLIENT_SCRIPT] + [str(a) for a in args],
                            stdout=subprocess.PIPE, text=True)
    try:
        line = proc.stdout.readline().split()
    finally:
        proc.kill()
        proc.wait()
    assert len(line) == 3, "client process failed"
    return int(line[0]), line[1], int(line[2])


def test_session_moves_to_another_member(make_ensemble):
    ens = make_ensemble().start()
    leader = ens.wait_for_quorum()
    a, b = [s for s in ens.servers if s != leader]
    # A client creates an ephemeral through member a, then dies without closing its session.
    session_id, password, owner = _client_that_dies(ens.address(a))
    assert owner == session_id
    # The session comes back through member b (which asks the leader to revalidate it) ...
    moved_id, _, owner = _client_that_dies(ens.address(b), session_id, password)
    assert moved_id == session_id and owner == session_id
    assert "Revalidating client: 0x%x" % session_id in ens.log(b)
    # ... and then through the leader itself.
    again = KazooClient(hosts=ens.address(leader), timeout=10, client_id=(session_id, bytes.fromhex(password)))
    again.start(timeout=10)
    try:
        assert again.client_id[0] == session_id
        assert again.get("/moving")[0] == b"y"
    finally:
        again.stop()
        again.close()
    with kazoo(ens.address(a)) as zk:
        zk.sync("/")
        assert zk.exists("/moving") is None


def test_local_session_upgraded_by_an_ephemeral(make_ensemble):
    ens = make_ensemble(extra_cfg={"localSessionsEnabled": "true", "localSessionsUpgradingEnabled": "true"}).start()
    leader = ens.wait_for_quorum()
    follower = 1 if leader != 1 else 2
    zxid_before = ens.zxid(leader)
    with kazoo(ens.address(follower)) as zk:
        session_id = zk.client_id[0]
        # A local session is no txn: nothing was proposed for it.
        assert ens.zxid(leader) == zxid_before
        zk.create("/plain", b"")
        zk.create("/eph", b"", ephemeral=True)
        assert "Upgrading session 0x%x" % session_id in ens.log(follower)
        with kazoo(ens.address(leader)) as other:
            other.sync("/")
            assert other.get("/eph")[1].ephemeralOwner == session_id
    with kazoo(ens.address(leader)) as other:
        other.sync("/")
        assert other.exists("/eph") is None and other.exists("/plain") is not None


def test_leader_expires_sessions_learners_keep_alive(make_ensemble):
    ens = make_ensemble(tick_time=500).start()
    leader = ens.wait_for_quorum()
    follower = 1 if leader != 1 else 2
    # A client of the follower that stays idle longer than its timeout: its pings reach the follower, whose
    # PING replies carry the session to the leader, which keeps it.
    with kazoo(ens.address(follower), timeout=2) as alive:
        alive.create("/alive", b"", ephemeral=True)
        # A client that dies without closing: the leader expires its session after its timeout.
        dead_id, _, _ = _client_that_dies(ens.address(follower), 2)
        with kazoo(ens.address(leader)) as watcher:
            assert watcher.exists("/dies").ephemeralOwner == dead_id
            wait_until(lambda: watcher.exists("/dies") is None, timeout=15, message="dead session expired")
            assert "Expiring session 0x%x, timeout of " % dead_id in ens.log(leader)
            assert alive.exists("/alive") is not None
            assert watcher.exists("/alive").ephemeralOwner == alive.client_id[0]
