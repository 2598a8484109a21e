"""Zab broadcast: writes through any member reach every member; leader failure; no quorum, no writes."""

import os
import threading
import time

import pytest
from kazoo.exceptions import KazooException
from kazoo.handlers.threading import KazooTimeoutError

from tests.quorum.conftest import kazoo
from tests.quorum.scenarios import survive_leader_kill
from tests.support.net import four_letter_word, wait_until


def test_writes_through_every_member_are_visible_on_every_member_5_nodes(make_ensemble):
    ens = make_ensemble(kinds=["python"] * 5).start()
    assert ens.wait_for_quorum() == 5
    for sid in ens.servers:
        with kazoo(ens.address(sid)) as zk:
            zk.create("/from%d" % sid, b"v%d" % sid)
            zk.set("/from%d" % sid, b"w%d" % sid)
    expected = {"from%d" % sid for sid in ens.servers}
    zxids = set()
    for sid in ens.servers:
        with kazoo(ens.address(sid)) as zk:
            zk.sync("/")
            assert expected <= set(zk.get_children("/"))
            for other in ens.servers:
                data, stat = zk.get("/from%d" % other)
                assert data == b"w%d" % other
            zxids.add(zk.get("/from5")[1].mzxid)
    assert len(zxids) == 1
    wait_until(lambda: len({ens.zxid(sid) for sid in ens.servers}) == 1, timeout=10, message="same zxid")
    # Five members survive two failures, the leader's included: 4 leads 1, 2 and 3.
    ens.kill(5)
    ens.kill(1)
    assert ens.wait_for_quorum([2, 3, 4], timeout=30) == 4
    with kazoo(ens.connect_string([2, 3, 4])) as zk:
        zk.create("/two-down", b"")
    for sid in (2, 3, 4):
        with kazoo(ens.address(sid)) as zk:
            zk.sync("/")
            assert expected | {"two-down"} <= set(zk.get_children("/"))


def _wait_writable(connect_string, deadline_s):
    """Seconds until a create succeeds through connect_string."""
    start = time.time()
    while True:
        try:
            with kazoo(connect_string, timeout=5) as zk:
                zk.create("/probe-", b"", sequence=True)
                return time.time() - start
        except (KazooException, KazooTimeoutError):
            if time.time() - start > deadline_s:
                raise


def test_leader_kill_new_leader_and_service_again(make_ensemble, record_property):
    ens = make_ensemble().start()
    old = ens.wait_for_quorum()
    with kazoo(ens.connect_string()) as zk:
        zk.create("/before", b"1")
    t0 = time.time()
    ens.kill(old)
    new = ens.wait_for_quorum([s for s in ens.servers if s != old], timeout=30)
    elected = time.time() - t0
    writable = _wait_writable(ens.connect_string([s for s in ens.servers if s != old]), 30) + elected
    record_property("reelection_seconds", round(elected, 3))
    print("leader %d killed: new leader %d after %.2fs, writable after %.2fs" % (old, new, elected, writable))
    assert new != old
    with kazoo(ens.connect_string([s for s in ens.servers if s != old])) as zk:
        assert zk.get("/before")[0] == b"1"


@pytest.mark.parametrize("kinds", [("python",) * 3, ("java", "python", "python"), ("java",) * 3],
                         ids=["python", "1java-2python", "java"])
def test_members_listing_themselves_as_0_0_0_0_fail_over_and_commit(make_ensemble, kinds):
    """Each member names itself 0.0.0.0 in its server.N line (listen everywhere: a common
    container setup) and the others 127.0.0.1, with reconfig disabled: after the leader's kill
    -9 the new leader commits writes, twice over. 3.5.7 kept the first leader's view of the
    config as the last seen one, and a later leader whose address differs there never committed
    again (ZOOKEEPER-3829)."""
    ens = make_ensemble(kinds=list(kinds), own_host="0.0.0.0")
    ens.start()
    leader = ens.wait_for_quorum()
    for round_ in range(2):
        leader = survive_leader_kill(ens, leader, "own-0.0.0.0-%d" % round_)
    for sid in ens.servers:
        assert not os.path.exists(ens.servers[sid].cfg_path + ".dynamic.next")


def test_no_acknowledged_write_is_lost_over_repeated_leader_kills(make_ensemble):
    ens = make_ensemble().start()
    ens.wait_for_quorum()
    acked = set()
    stop = threading.Event()
    errors = []

    def writer():
        i = 0
        with kazoo(ens.connect_string(), timeout=10) as zk:
            while not stop.is_set():
                path = "/w%06d" % i
                try:
                    zk.create(path, b"x")
                    acked.add(path)
                except KazooException as e:
                    # Not acknowledged (or the retry found it): it may or may not exist.
                    errors.append(type(e).__name__)
                except KazooTimeoutError:
                    errors.append("timeout")
                i += 1

    thread = threading.Thread(target=writer, daemon=True)
    thread.start()
    try:
        for _ in range(3):
            wait_until(lambda: len(acked) > 20, timeout=30, message="writes going")
            before = len(acked)
            leader = ens.wait_for_quorum()
            ens.kill(leader)
            ens.wait_for_quorum([s for s in ens.servers if s != leader], timeout=30)
            wait_until(lambda: len(acked) > before + 20, timeout=30, message="writes after re-election")
            ens.start_member(leader)
            ens.wait_for_quorum(timeout=30)
    finally:
        stop.set()
        thread.join(30)
    assert len(acked) > 100
    for sid in ens.servers:
        with kazoo(ens.address(sid)) as zk:
            zk.sync("/")
            children = set("/" + c for c in zk.get_children("/"))
            missing = acked - children
            assert not missing, "server %d lost %d acknowledged writes: %s" % (sid, len(missing), sorted(missing)[:5])


def test_no_writes_are_accepted_without_a_quorum(make_ensemble):
    ens = make_ensemble(tick_time=300).start()
    leader = ens.wait_for_quorum()
    others = [s for s in ens.servers if s != leader]
    ens.kill(others[0])
    ens.kill(others[1])
    # The leader gives up within syncLimit ticks and stops serving.
    wait_until(lambda: "not currently serving" in four_letter_word("127.0.0.1", ens.client_ports[leader], "srvr"),
               timeout=15, message="leader stops serving")
    assert ens.mode(leader) is None
    with pytest.raises((KazooException, KazooTimeoutError)):
        with kazoo(ens.address(leader), timeout=3) as zk:
            zk.create("/lonely", b"")
    # Back to a quorum: the write never happened.
    ens.start_member(others[0])
    ens.wait_for_quorum([leader, others[0]], timeout=30)
    with kazoo(ens.connect_string([leader, others[0]])) as zk:
        zk.sync("/")
        assert zk.exists("/lonely") is None


def test_a_sync_on_the_leader_waits_for_the_writes_proposed_before_it(make_ensemble):
    """zookeeper_py: a sync from a client of the leader waits for the commit of every write proposed
    before it, as a learner's sync does, so sync then read sees every write acknowledged before the
    sync began. Java's leader answers such a sync at once: the fault suite once saw a client of a
    Java leader read version 28 after another client's write of version 29 had been acknowledged
    through a follower (the leader had sent the COMMIT but not yet applied it).

    Both followers are paused, so a write of the leader's client is proposed but cannot commit; a
    sync of another client of the leader must wait for it."""
    ens = make_ensemble(kinds=["python"] * 3).start()
    leader = ens.wait_for_quorum()
    followers = [sid for sid in (1, 2, 3) if sid != leader]

    def mntr(key):
        """The leader's mntr value for key; None once it no longer leads (the paused followers are
        dropped after syncLimit)."""
        lines = four_letter_word("127.0.0.1", ens.client_ports[leader], "mntr").splitlines()
        return dict(line.split("\t", 1) for line in lines if "\t" in line).get(key)

    with kazoo(ens.address(leader), timeout=30) as writer, kazoo(ens.address(leader), timeout=30) as reader:
        writer.create("/s", b"0")
        for sid in followers:
            ens.pause(sid)
        try:
            write = writer.set_async("/s", b"1")
            # Submitted: the PrepRequestProcessor thread proposes it before it takes the sync.
            wait_until(lambda: int(mntr("zk_outstanding_requests")) >= 1, timeout=10, message="the write submitted")
            sync = reader.sync_async("/s")
            wait_until(lambda: mntr("zk_pending_syncs") == "1", timeout=10, message="the sync waiting for the write")
            assert not sync.ready() and not write.ready()
        finally:
            for sid in followers:
                ens.resume(sid)
        assert write.get(timeout=30).version == 1
        sync.get(timeout=30)
        assert reader.get("/s")[0] == b"1"
