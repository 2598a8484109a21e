"""Observers: they serve reads, forward writes, get INFORMs, and do not vote."""

from tests.quorum.conftest import kazoo, log_offset, log_since
from tests.support.net import four_letter_word, wait_until


def test_observer_serves_reads_forwards_writes_and_does_not_vote(make_ensemble):
    # 3 voters and 1 observer (sid 4, the highest: it would win a vote if it had one). The leader
    # is 3 when all start together; on a busy machine, 2 when 3 starts later than finalizeWait.
    ens = make_ensemble(kinds=["python"] * 4, observers=[4]).start()
    leader = ens.wait_for_quorum()
    assert leader in (1, 2, 3), ens.modes()
    assert ens.mode(4) == "observer"
    assert "peerType=1" in four_letter_word("127.0.0.1", ens.client_ports[4], "conf")
    with kazoo(ens.address(4)) as zk:
        zk.create("/via-observer", b"o")
        assert zk.get("/via-observer")[0] == b"o"
    with kazoo(ens.address(1)) as zk:
        zk.sync("/")
        assert zk.get("/via-observer")[0] == b"o"
        zk.create("/via-follower", b"f")
    with kazoo(ens.address(4)) as zk:
        zk.sync("/")
        assert zk.get("/via-follower")[0] == b"f"
    mntr = four_letter_word("127.0.0.1", ens.client_ports[leader], "mntr")
    assert "zk_followers\t3" in mntr  # every learner, the observer included
    assert "zk_synced_followers\t2" in mntr  # only voters are forwarded proposals
    # 3.6+ names, as Java 3.8's mntr has them
    assert "zk_learners\t3" in mntr
    assert "zk_synced_observers\t1" in mntr
    assert "zk_synced_non_voting_followers\t0" in mntr
    # The observer does not count towards a quorum: with one voter left (plus the observer) nothing serves.
    ens.kill(leader)
    ens.kill(2)
    wait_until(lambda: ens.mode(1) is None and ens.mode(4) is None, timeout=20,
               message="no quorum with one voter and an observer")
    # Two voters again: a new leader among the voters; the observer observes it.
    off = log_offset(ens, 4)
    ens.start_member(2)
    new_leader = ens.wait_for_quorum([1, 2, 4], timeout=30)
    assert new_leader == 2
    assert ens.mode(4) == "observer"
    assert "OBSERVING" in log_since(ens, 4, off)
    with kazoo(ens.address(4)) as zk:
        zk.sync("/")
        assert zk.get("/via-follower")[0] == b"f"
