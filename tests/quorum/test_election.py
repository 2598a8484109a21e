"""Fast leader election: who wins at start-up (highest epoch, then zxid, then sid), and the threads."""

import os

from tests.quorum.conftest import kazoo
from tests.support.net import wait_until
from tests.support.thread_dump import thread_names


def test_fresh_ensemble_elects_the_highest_sid(make_ensemble):
    ens = make_ensemble().start()
    assert ens.wait_for_quorum() == 3, ens.modes()
    assert ens.modes() == {1: "follower", 2: "follower", 3: "leader"}


def test_highest_epoch_and_zxid_beat_a_higher_sid(make_ensemble):
    ens = make_ensemble().start()
    assert ens.wait_for_quorum() == 3
    with kazoo(ens.connect_string()) as zk:
        zk.create("/epoch1", b"1")
    # Without 3 (stopped with SIGTERM: a clean exit), the others move on to a new epoch and write more.
    assert ens.stop_member(3) == 0
    assert ens.wait_for_quorum([1, 2]) == 2
    with kazoo(ens.connect_string([1, 2])) as zk:
        zk.create("/epoch2", b"2")
    ens.stop_member(1)
    ens.stop_member(2)
    for sid in (1, 2):
        with open(os.path.join(ens.data_dir(sid), "version-2", "currentEpoch")) as f:
            assert f.read() == "2"
    with open(os.path.join(ens.data_dir(3), "version-2", "currentEpoch")) as f:
        assert f.read() == "1"
    # All three again: 2 and 1 have epoch 2 and the same zxid, so 2 (higher sid) beats 3 (older epoch).
    ens.start()
    assert ens.wait_for_quorum() == 2, ens.modes()
    with kazoo(ens.address(3)) as zk:
        zk.sync("/")
        assert zk.get("/epoch2")[0] == b"2"
    # The new epoch is 3 everywhere.
    for sid in (1, 2, 3):
        wait_until(lambda: open(os.path.join(ens.data_dir(sid), "version-2", "currentEpoch")).read() == "3",
                   timeout=10, message="currentEpoch of %d" % sid)


def test_java_thread_names(make_ensemble):
    ens = make_ensemble().start()
    leader = ens.wait_for_quorum()
    follower = 1 if leader != 1 else 2
    with kazoo(ens.address(follower)) as zk:
        zk.create("/t", b"")

    names = thread_names(ens.servers[leader])
    cport = ens.client_ports[leader]
    assert "QuorumPeer[myid=%d](plain=/0.0.0.0:%d)(secure=disabled)" % (leader, cport) in names
    assert "WorkerSender[myid=%d]" % leader in names
    assert "WorkerReceiver[myid=%d]" % leader in names
    assert "/127.0.0.1:%d" % ens.election_ports[leader] in names  # the election Listener
    assert "LearnerCnxAcceptor-/127.0.0.1:%d" % ens.quorum_ports[leader] in names
    assert any(n.startswith("LearnerHandler-/127.0.0.1:") for n in names)
    assert any(n.startswith("Sender-/127.0.0.1:") for n in names)
    assert {"SendWorker:%d" % s for s in ens.servers if s != leader} <= names
    assert {"RecvWorker:%d" % s for s in ens.servers if s != leader} <= names
    assert "ProcessThread(sid:%d cport:-1):" % leader in names
    assert {"SyncThread:%d" % leader, "CommitProcessor:%d" % leader, "SessionTracker"} <= names
    assert "CommitProcWorkThread-1" in names
    names = thread_names(ens.servers[follower])
    assert {"FollowerRequestProcessor:%d" % follower, "CommitProcessor:%d" % follower,
            "SyncThread:%d" % follower} <= names
    assert "SessionTracker" not in names  # learners do not expire global sessions


def test_commit_processor_without_workers_from_zoo_cfg(make_ensemble):
    """commitProcessor.numWorkerThreads=0 in zoo.cfg (conf/zoo_sample.cfg's hint) becomes Java's system
    property: no CommitProcWork threads, and a session's reads, now answered by the CommitProcessor
    thread, still come in order after its writes, on a follower and on the leader."""
    ens = make_ensemble(extra_cfg={"commitProcessor.numWorkerThreads": "0"}).start()
    leader = ens.wait_for_quorum()
    follower = 1 if leader != 1 else 2
    for sid in (follower, leader):
        with kazoo(ens.address(sid)) as zk:
            path = "/order%d" % sid
            zk.create(path, b"0")
            pending = []
            for i in range(1, 101):
                pending.append(zk.set_async(path, b"%d" % i))
                pending.append(zk.get_async(path))
            reads = [p.get(timeout=15) for p in pending[1::2]]
            assert [data for data, _stat in reads] == [b"%d" % i for i in range(1, 101)]
            for p in pending[0::2]:
                p.get(timeout=15)
    for sid in ens.servers:
        assert "Configuring CommitProcessor with no worker threads." in ens.log(sid), sid
        names = thread_names(ens.servers[sid])
        assert "CommitProcessor:%d" % sid in names, names
        assert not any(n.startswith("CommitProcWorkThread-") for n in names), names
