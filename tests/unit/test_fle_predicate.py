"""FastLeaderElection's vote order and quorum test, as Java's FLEPredicateTest: a QuorumPeer that
is never started, its config set in memory, and an election whose worker threads are never started."""

import pytest

from zookeeper_py.server.quorum.fast_leader_election import FastLeaderElection
from zookeeper_py.server.quorum.flexible.quorum_hierarchical import QuorumHierarchical
from zookeeper_py.server.quorum.flexible.quorum_maj import QuorumMaj
from zookeeper_py.server.quorum.quorum_peer import QuorumPeer, ServerState
from zookeeper_py.server.quorum.quorum_peer_config import QuorumPeerConfig
from zookeeper_py.server.quorum.vote import Vote


def _servers(n, observers=()):
    return {"server.%d" % i: "127.0.0.1:%d:%d%s" % (2000 + i, 3000 + i, ":observer" if i in observers else "")
            for i in range(1, n + 1)}


def _election(qv, last_seen=None, myid=1):
    peer = QuorumPeer()
    peer.myid = myid
    peer.set_quorum_verifier(qv, False)
    if last_seen is not None:
        peer.set_last_seen_quorum_verifier(last_seen, False)
    return FastLeaderElection(peer, None)


@pytest.fixture
def fle():
    return _election(QuorumMaj(props=_servers(3)))


@pytest.mark.parametrize("new, cur, better", [
    # (sid, zxid, peer epoch) of the new vote and of the current one
    ((4, 0, 0), (3, 0, 0), True),       # same epoch and zxid: the higher sid wins
    ((3, 0, 0), (4, 0, 0), False),
    ((3, 0, 0), (3, 0, 0), False),      # the same vote is not better
    ((1, 2, 0), (3, 1, 0), True),       # a higher zxid beats a higher sid
    ((3, 1, 0), (1, 2, 0), False),
    ((1, 0, 2), (3, 9, 1), True),       # a higher epoch beats a higher zxid
    ((3, 9, 1), (1, 0, 2), False),
    ((1, 0x100000000, 1), (2, 0xFFFFFFFF, 1), True),  # zxids compare as numbers, epoch bits included
])
def test_total_order_predicate(fle, new, cur, better):
    assert fle.total_order_predicate(*new, *cur) is better


def test_total_order_predicate_never_picks_a_weight_zero_server():
    props = _servers(3)
    props.update({"group.1": "1:2:3", "weight.1": "1", "weight.2": "1", "weight.3": "0"})
    fle = _election(QuorumHierarchical(props))
    assert fle.total_order_predicate(3, 5, 5, 1, 0, 0) is False
    assert fle.total_order_predicate(2, 5, 5, 1, 0, 0) is True


def _votes(*pairs):
    return {sid: Vote(leader, 0x100, 1, 1, ServerState.LOOKING) for sid, leader in pairs}


def test_term_predicate_needs_a_majority_of_voters():
    fle = _election(QuorumMaj(props=_servers(5, observers=(5,))))  # 4 voters: a quorum is 3
    vote = Vote(2, 0x100, 1, 1, ServerState.LOOKING)
    assert fle.term_predicate(_votes((1, 2), (2, 2)), vote) is False
    assert fle.term_predicate(_votes((1, 2), (2, 2), (3, 1), (4, 1)), vote) is False
    assert fle.term_predicate(_votes((1, 2), (2, 2), (3, 2)), vote) is True
    # An observer's vote does not count.
    assert fle.term_predicate(_votes((1, 2), (2, 2), (5, 2)), vote) is False
    # A vote for the same leader from another round is another vote.
    other_round = {1: Vote(2, 0x100, 1, 1), 2: Vote(2, 0x100, 1, 1), 3: Vote(2, 0x200, 1, 1)}
    assert fle.term_predicate(other_round, vote) is False


def test_term_predicate_needs_both_quorums_during_a_reconfig(monkeypatch):
    # The last seen config (version 2: servers 3..5) is newer than the committed one (1..3):
    # the votes must be a quorum of both. (Only with reconfig enabled is one kept.)
    monkeypatch.setattr(QuorumPeerConfig, "reconfig_enabled", True)
    old = QuorumMaj(props={**_servers(3), "version": "1"})
    new = QuorumMaj(props={**{"server.%d" % i: "127.0.0.1:%d:%d" % (2000 + i, 3000 + i) for i in (3, 4, 5)},
                           "version": "2"})
    fle = _election(old, last_seen=new)
    vote = Vote(3, 0x100, 1, 1, ServerState.LOOKING)
    assert fle.term_predicate(_votes((1, 3), (2, 3)), vote) is False     # old quorum only
    assert fle.term_predicate(_votes((4, 3), (5, 3)), vote) is False     # new quorum only
    assert fle.term_predicate(_votes((1, 3), (3, 3), (4, 3)), vote) is True


def test_check_leader():
    fle = _election(QuorumMaj(props=_servers(3)), myid=1)
    fle.logicalclock = 4
    leading = {2: Vote(2, 0, 4, 1, ServerState.LEADING)}
    following = {2: Vote(2, 0, 4, 1, ServerState.FOLLOWING)}
    assert fle.check_leader(leading, 2, 4) is True
    assert fle.check_leader(following, 2, 4) is False     # the leader must say LEADING itself
    assert fle.check_leader({}, 2, 4) is False
    assert fle.check_leader({}, 1, 4) is True              # me, in this round
    assert fle.check_leader({}, 1, 3) is False             # me, in an older round
