"""Corners of 3.5.7's quorum found missing or untested (issue 13, item 5), ours and Java 3.8 alike.

- localSessionsEnabled=true with localSessionsUpgradingEnabled=false: sessions stay local (no txn for
  them), and an ephemeral create on one fails with EphemeralOnLocalSession (-120), on a follower and on
  the leader, with kazoo and with our client; plain creates work. A multi holding an ephemeral create
  fails whole: -120 on the leader, SESSIONEXPIRED from a follower (which forwards it), as Java 3.8.
- An observer with syncEnabled=false (ObserverZooKeeperServer.syncRequestProcessorEnabled) serves reads
  and writes but logs no txn: no log.* file in its dataDir, while the voters (and an observer with the
  default true) have one.
"""

import os

import pytest
from kazoo.exceptions import EphemeralOnLocalSessionError

from tests.quorum.conftest import kazoo
from tests.support.net import wait_until
from zookeeper_py.create_mode import CreateMode
from zookeeper_py.keeper_exception import EphemeralOnLocalSessionException, SessionExpiredException
from zookeeper_py.op import Op
from zookeeper_py.zoo_defs import Ids
from zookeeper_py.zookeeper import States, ZooKeeper

pytestmark = pytest.mark.timeout(300)

ENSEMBLES = {"python": ("python", "python", "python"), "java": ("java", "java", "java")}


@pytest.mark.parametrize("kind", ["python", "java"])
def test_ephemeral_on_local_session_without_upgrading(make_ensemble, kind):
    ens = make_ensemble(kinds=ENSEMBLES[kind], extra_cfg={"localSessionsEnabled": "true",
                                                          "localSessionsUpgradingEnabled": "false"}).start()
    leader = ens.wait_for_quorum(timeout=120)
    follower = 1 if leader != 1 else 2
    for sid in (follower, leader):
        zxid_before = ens.zxid(leader)
        with kazoo(ens.address(sid)) as zk:
            assert ens.zxid(leader) == zxid_before, "a local session is no txn"
            with pytest.raises(EphemeralOnLocalSessionError):
                zk.create("/eph%d" % sid, b"", ephemeral=True)
            zk.create("/plain%d" % sid, b"")
            assert zk.exists("/eph%d" % sid) is None
        ours = ZooKeeper(ens.address(sid), 10000)
        try:
            wait_until(lambda: ours.get_state() is States.CONNECTED, 15, message="our client connected")
            with pytest.raises(EphemeralOnLocalSessionException) as e:
                ours.create("/ours%d" % sid, b"", Ids.OPEN_ACL_UNSAFE, CreateMode.EPHEMERAL_SEQUENTIAL)
            assert int(e.value.code()) == -120
            # A multi with an ephemeral create fails whole. On the leader with -120; a follower forwards it
            # anyway (only the error is noted) and the leader, which does not know the follower's local
            # session, answers SESSIONEXPIRED (-112) while the session stays connected: Java 3.8 does both.
            with pytest.raises(SessionExpiredException if sid == follower else EphemeralOnLocalSessionException):
                ours.multi([Op.create("/multi%d" % sid, b"", Ids.OPEN_ACL_UNSAFE, CreateMode.PERSISTENT),
                            Op.create("/multi%d/e" % sid, b"", Ids.OPEN_ACL_UNSAFE, CreateMode.EPHEMERAL)])
            assert ours.get_state() is States.CONNECTED
            assert ours.exists("/multi%d" % sid, False) is None
            assert ours.exists("/plain%d" % sid, False) is not None
        finally:
            ours.close()


def _txn_logs(ens, sid):
    version2 = os.path.join(ens.data_dir(sid), "version-2")
    return sorted(f for f in os.listdir(version2) if f.startswith("log.")) if os.path.isdir(version2) else []


@pytest.mark.parametrize("sync_enabled", ["false", "true"])
@pytest.mark.parametrize("kind", ["python", "java"])
def test_observer_sync_enabled(make_ensemble, kind, sync_enabled):
    ens = make_ensemble(kinds=ENSEMBLES[kind], observers=(3,), extra_cfg={"syncEnabled": sync_enabled}).start()
    leader = ens.wait_for_quorum(timeout=120)
    assert ens.mode(3) == "observer"
    with kazoo(ens.address(3)) as zk:
        zk.create("/obs", b"x")
        for i in range(20):
            zk.create("/obs/n%d" % i, b"%d" % i)
        zk.sync("/")
        assert len(zk.get_children("/obs")) == 20 and zk.get("/obs/n7")[0] == b"7"
    with kazoo(ens.address(leader)) as zk:
        zk.sync("/")
        assert len(zk.get_children("/obs")) == 20
    assert _txn_logs(ens, leader), "the leader logged no txn"
    if sync_enabled == "false":
        assert _txn_logs(ens, 3) == [], "the observer with syncEnabled=false wrote a txn log"
    else:
        wait_until(lambda: _txn_logs(ens, 3), 10, message="a txn log on the observer with syncEnabled=true")
