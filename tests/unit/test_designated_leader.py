"""Leader.getDesignatedLeader: who leads after a reconfig removes the leader. A real Leader (its
learner port bound on loopback, never started) and real Proposals and QuorumVerifiers."""

import socket

import pytest

from zookeeper_py.server.quorum.flexible.quorum_maj import QuorumMaj
from zookeeper_py.server.quorum.leader import Leader
from zookeeper_py.server.quorum.proposal import Proposal
from zookeeper_py.server.quorum.quorum_peer import QuorumPeer


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


LEADER_PORT = _free_port()  # server 1's learner port, bound by the Leader


def _qv(sids, version):
    props = {"server.%d" % sid: "127.0.0.1:%d:%d" % (LEADER_PORT if sid == 1 else 1 + sid, 100 + sid) for sid in sids}
    props["version"] = "%x" % version
    return QuorumMaj(props=props)


@pytest.fixture
def leader():
    peer = QuorumPeer()
    peer.myid = 1
    peer.set_quorum_verifier(_qv((1, 2, 3, 9), 1), False)
    leader = Leader(peer, None)
    yield leader
    leader.ss.close()


def _proposal(old_sids, new_sids, acks):
    p = Proposal()
    p.add_quorum_verifier(_qv(old_sids, 1))
    p.add_quorum_verifier(_qv(new_sids, 2))
    for sid in acks:
        p.add_ack(sid)
    return p


@pytest.mark.parametrize("acks", [(9, 2, 3), (3, 9, 2), (2, 3, 9)])
def test_the_leader_removed_hands_over_to_the_first_of_javas_hash_set_not_the_first_to_ack(leader, acks):
    # Java takes the first of a HashSet<Long> of the voters that acked: for sids below 16 the
    # lowest, whatever order the acks came in. Ours took the first of a Python set: the first to
    # ack on PyPy, and 9 before 2 on CPython (9 & 7 < 2 & 7).
    p = _proposal((1, 2, 3, 9), (2, 3, 9), acks)
    assert leader.get_designated_leader(p, 0x100) == 2


def test_a_candidate_that_acked_the_outstanding_proposals_is_preferred(leader):
    p = _proposal((1, 2, 3, 9), (2, 3, 9), (2, 3, 9))
    leader.outstanding_proposals[0x101] = _proposal((2, 3, 9), (2, 3, 9), (9, 3))
    leader.outstanding_proposals[0x102] = _proposal((2, 3, 9), (2, 3, 9), (9,))
    assert leader.get_designated_leader(p, 0x100) == 9
    leader.outstanding_proposals[0x102] = _proposal((2, 3, 9), (2, 3, 9), ())
    assert leader.get_designated_leader(p, 0x100) == 3  # nobody acked 0x102: the best so far


def test_a_leader_that_stays_a_voter_at_its_address_keeps_leading(leader):
    p = _proposal((1, 2, 3, 9), (1, 2, 3), (2, 3))
    assert leader.get_designated_leader(p, 0x100) == 1
