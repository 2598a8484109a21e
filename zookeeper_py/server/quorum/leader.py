"""Mirror of org.apache.zookeeper.server.quorum.Leader."""

import collections
import errno
import functools
import logging
import socket
import threading
import time

from zookeeper_py.common import system_properties
from zookeeper_py.common.java_hash_order import java_hash_order, long_hash_code
from zookeeper_py.common.net_utils import (
    TRANSIENT_ACCEPT_ERRORS,
    close_socket,
    inet_socket_address_str,
    server_socket,
)
from zookeeper_py.common.time import Time
from zookeeper_py.server.final_request_processor import FinalRequestProcessor
from zookeeper_py.server.quorum import packet_types
from zookeeper_py.server.quorum.buffer_stats import BufferStats
from zookeeper_py.server.quorum.learner_handler import LearnerHandler
from zookeeper_py.server.quorum.learner_snapshot_throttler import LearnerSnapshotThrottler
from zookeeper_py.server.quorum.learner_sync_request import LearnerSyncRequest
from zookeeper_py.server.quorum.proposal import Proposal
from zookeeper_py.server.quorum.quorum_packet import QuorumPacket
from zookeeper_py.server.quorum.quorum_server import LearnerType
from zookeeper_py.server.quorum.state_summary import StateSummary
from zookeeper_py.server.quorum.synced_learner_tracker import SyncedLearnerTracker
from zookeeper_py.server.quorum.unified_server_socket import UnifiedServerSocket
from zookeeper_py.server.request_processor import RequestProcessor
from zookeeper_py.server.server_metrics import ServerMetrics
from zookeeper_py.server.sync_request_processor import SnapshotThread
from zookeeper_py.server.util.serialize_utils import SerializeUtils
from zookeeper_py.server.util.zxid_utils import ZxidUtils
from zookeeper_py.server.zoo_keeper_thread import ZooKeeperCriticalThread
from zookeeper_py.zoo_defs import OpCode

LOG = logging.getLogger("Leader")

_U64 = 0xFFFFFFFFFFFFFFFF

nodelay = system_properties.get_property("leader.nodelay", "true") == "true"


class InterruptedException(Exception):
    """Java's InterruptedException, as thrown by the leader's waits when initLimit runs out."""


class XidRolloverException(Exception):
    """Mirror of org.apache.zookeeper.server.quorum.Leader.XidRolloverException."""


class Leader:
    """Mirror of org.apache.zookeeper.server.quorum.Leader: the leader role (lead() runs on the QuorumPeer thread).

    Discovery and sync: learners connect (LearnerCnxAcceptor, one LearnerHandler
    each), the new epoch is max(acceptedEpoch)+1 over a quorum, each learner is
    synced (DIFF, TRUNC or SNAP) and acks NEWLEADER; with a quorum of acks the
    server starts. Broadcast: propose() sends a PROPOSAL to every follower, a quorum
    of ACKs commits it (COMMIT to followers, INFORM to observers). Every tickTime/2
    the leader pings the learners and gives up when a quorum has not been heard from
    within syncLimit ticks.
    """

    MAX_CONCURRENT_SNAPSHOTS = "zookeeper.leader.maxConcurrentSnapshots"
    MAX_CONCURRENT_SNAPSHOT_TIMEOUT = "zookeeper.leader.maxConcurrentSnapshotTimeout"

    def __init__(self, peer, zk):
        self.self = peer
        self.proposal_stats = BufferStats()
        make_socket = None
        if peer.should_use_port_unification() or peer.is_ssl_quorum():
            # Accepted learners are detected as TLS or plaintext on their LearnerHandler thread.
            make_socket = functools.partial(UnifiedServerSocket, peer.get_x509_util(),
                                            peer.should_use_port_unification())
        host, port = peer.get_quorum_address()[:2]
        self.ss, bind_host = server_socket("0.0.0.0" if peer.get_quorum_listen_on_all_ips() else host, make_socket)
        try:
            self.ss.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            self.ss.bind((bind_host, port))
            self.ss.listen(50)
        except OSError as e:
            if peer.get_quorum_listen_on_all_ips():
                LOG.error("Couldn't bind to port %d", peer.get_quorum_address()[1], exc_info=e)
            else:
                LOG.error("Couldn't bind to %s", inet_socket_address_str(peer.get_quorum_address()), exc_info=e)
            self.ss.close()
            raise
        self.zk = zk
        max_snapshots = system_properties.get_integer(self.MAX_CONCURRENT_SNAPSHOTS, 10)
        max_snapshot_timeout = system_properties.get_integer(self.MAX_CONCURRENT_SNAPSHOT_TIMEOUT, 5)
        self.learner_snapshot_throttler = LearnerSnapshotThrottler(max_snapshots, max_snapshot_timeout)
        self.quorum_formed = False
        self.cnx_acceptor = None
        # Java: HashSets guarded by synchronized(set); one lock for the three here.
        self.learners_lock = threading.RLock()
        self.learners = set()
        self.forwarding_followers = set()
        self.observing_learners = set()
        self.pending_syncs = {}  # zxid -> [LearnerSyncRequest]
        self.follower_counter = -1
        self.outstanding_proposals = {}  # zxid -> Proposal (Java: ConcurrentHashMap)
        self.to_be_applied = collections.deque()  # Java: ConcurrentLinkedQueue
        self.new_leader_proposal = Proposal()
        # synchronized(this): propose, processAck, tryToCommit, processSync, startForwarding, lastProposed;
        # also the monitor the tick loop waits on.
        self._lock = threading.RLock()
        self._cv = threading.Condition(self._lock)
        self.leader_state_summary = None
        self.epoch = -1
        self.waiting_for_new_epoch = True
        self.allowed_to_commit = True
        self.connecting_followers = set()
        self._connecting_cv = threading.Condition()
        self.electing_followers = set()
        self.election_finished = False
        self._electing_cv = threading.Condition()
        self._new_leader_cv = threading.Condition()
        self.last_committed = -1
        self.last_proposed = 0
        self.is_shutdown = False

    def get_proposal_stats(self):
        return self.proposal_stats

    def get_learners(self):
        with self.learners_lock:
            return list(self.learners)

    def get_forwarding_followers(self):
        with self.learners_lock:
            return list(self.forwarding_followers)

    def get_non_voting_followers(self):
        """Synced followers that do not vote in the current config (being added by a reconfig)."""
        return [lh for lh in self.get_forwarding_followers() if not self.is_participant(lh.get_sid())]

    def add_forwarding_follower(self, lh):
        with self.learners_lock:
            self.forwarding_followers.add(lh)

    def get_observing_learners(self):
        with self.learners_lock:
            return list(self.observing_learners)

    def add_observer_learner_handler(self, lh):
        with self.learners_lock:
            self.observing_learners.add(lh)

    def get_num_pending_syncs(self):
        with self._lock:
            return len(self.pending_syncs)

    def next_follower_counter(self):
        with self.learners_lock:
            value = self.follower_counter
            self.follower_counter -= 1
            return value

    def add_learner_handler(self, learner):
        with self.learners_lock:
            self.learners.add(learner)

    def remove_learner_handler(self, peer):
        with self.learners_lock:
            self.forwarding_followers.discard(peer)
            self.learners.discard(peer)
            self.observing_learners.discard(peer)

    def is_learner_synced(self, peer):
        with self.learners_lock:
            return peer in self.forwarding_followers

    def is_quorum_synced(self, qv):
        """Do the synced voters of qv (and I, if I vote in it) form a quorum of qv?"""
        ids = set()
        if self.self.get_id() in qv.get_voting_members():
            ids.add(self.self.get_id())
        with self.learners_lock:
            for learner_handler in self.forwarding_followers:
                if learner_handler.synced() and learner_handler.get_sid() in qv.get_voting_members():
                    ids.add(learner_handler.get_sid())
        return qv.contains_quorum(ids)

    # -- leading -------------------------------------------------------------------------

    def lead(self):
        """Discovery, sync, then ping the learners until a quorum is lost or the peer shuts down."""
        peer = self.self
        peer.end_fle = Time.current_elapsed_time()
        election_time_taken = peer.end_fle - peer.start_fle
        peer.set_election_time_taken(election_time_taken)
        ServerMetrics.ELECTION_TIME.add(election_time_taken)
        LOG.info("LEADING - LEADER ELECTION TOOK - %d %s", election_time_taken, peer.FLE_TIME_UNIT)
        peer.start_fle = 0
        peer.end_fle = 0
        zk = self.zk
        peer.tick = 0
        # Not in Java, which snapshots here before it accepts any follower: the snapshot is a
        # fuzzy one like any other (the log holds every txn in it), so it is taken by a
        # Snapshot Thread while the followers connect and sync. On the tree bench_matrix
        # leaves (~140k znodes) that was 0.1-0.17 s of each re-election.
        zk.load_data(snapshot=False)
        SnapshotThread(zk).start()
        self.leader_state_summary = StateSummary(peer.get_current_epoch(), zk.get_last_processed_zxid())
        # Start thread that waits for connection requests from new followers.
        self.cnx_acceptor = LearnerCnxAcceptor(self)
        self.cnx_acceptor.start()
        epoch = self.get_epoch_to_propose(peer.get_id(), peer.get_accepted_epoch())
        zk.set_zxid(ZxidUtils.make_zxid(epoch, 0))
        with self._lock:
            self.last_proposed = zk.get_zxid()
        self.new_leader_proposal.packet = QuorumPacket(self.NEWLEADER, zk.get_zxid(), None, None)
        if (self.new_leader_proposal.packet.zxid & 0xFFFFFFFF) != 0:
            LOG.info("NEWLEADER proposal has Zxid of %x", self.new_leader_proposal.packet.zxid & _U64)
        last_seen_qv = peer.get_last_seen_quorum_verifier()
        cur_qv = peer.get_quorum_verifier()
        if cur_qv.get_version() == 0 and cur_qv.get_version() == last_seen_qv.get_version():
            # This was added in ZOOKEEPER-1783. The initial config has version 0 (not explicitly specified by
            # the user; the version is set to the zxid of the NEWLEADER) so that later configs are newer.
            new_qv = peer.config_from_string(str(cur_qv))
            new_qv.set_version(zk.get_zxid())
            peer.set_last_seen_quorum_verifier(new_qv, True)
        self.new_leader_proposal.add_quorum_verifier(peer.get_quorum_verifier())
        if peer.get_last_seen_quorum_verifier().get_version() > peer.get_quorum_verifier().get_version():
            self.new_leader_proposal.add_quorum_verifier(peer.get_last_seen_quorum_verifier())
        # We have to get at least a majority of servers in sync with us. We do this by waiting for the NEWLEADER
        # packet to get acknowledged
        self.wait_for_epoch_ack(peer.get_id(), self.leader_state_summary)
        peer.set_current_epoch(epoch)
        try:
            self.wait_for_new_leader_ack(peer.get_id(), zk.get_zxid())
        except InterruptedException:
            self.shutdown("Waiting for a quorum of followers, only synced with sids: [ %s ]"
                          % self.new_leader_proposal.ack_sets_to_string())
            follower_set = set()
            for f in self.get_learners():
                if f.get_sid() in peer.get_quorum_verifier().get_voting_members():
                    follower_set.add(f.get_sid())
            if all(qv.contains_quorum(follower_set) for qv, _ in self.new_leader_proposal.qv_ackset_pairs):
                LOG.warning("Enough followers present. Perhaps the initTicks need to be increased.")
            return
        self.start_zk_server()
        # Testing only: jump the zxid counter (for the rollover test).
        initial_zxid = system_properties.get_property("zookeeper.testingonly.initialZxid")
        if initial_zxid is not None:
            zk.set_zxid((zk.get_zxid() & 0xFFFFFFFF00000000) | int(initial_zxid))
        if system_properties.get_property("zookeeper.leaderServes", "yes") != "no":
            peer.set_zoo_keeper_server(zk)
        peer.set_zab_state_broadcast()
        peer.admin_server.set_zoo_keeper_server(zk)
        # Every tickTime/2: check (every other time) that a quorum is still synced, then ping the learners.
        tick_skip = True
        shutdown_message = None
        while True:
            with self._cv:
                start = Time.current_elapsed_time()
                cur = start
                end = start + peer.tick_time // 2
                while cur < end:
                    self._cv.wait((end - cur) / 1000.0)
                    cur = Time.current_elapsed_time()
                if not tick_skip:
                    peer.tick += 1
                # We use an instance of SyncedLearnerTracker to track synced learners to make sure we still have a
                # quorum of current (and potentially next pending) view.
                synced_ack_set = SyncedLearnerTracker()
                synced_ack_set.add_quorum_verifier(peer.get_quorum_verifier())
                last_seen = peer.get_last_seen_quorum_verifier()
                if last_seen is not None and last_seen.get_version() > peer.get_quorum_verifier().get_version():
                    synced_ack_set.add_quorum_verifier(last_seen)
                synced_ack_set.add_ack(peer.get_id())
                for f in self.get_learners():
                    if f.synced():
                        synced_ack_set.add_ack(f.get_sid())
                # check leader running status
                if not self.is_running():
                    # set shutdown flag
                    shutdown_message = "Unexpected internal error"
                    break
                if not tick_skip and not synced_ack_set.has_all_quorums():
                    # Lost quorum of last committed and/or last proposed config, set shutdown flag
                    shutdown_message = ("Not sufficient followers synced, only synced with sids: [ %s ]"
                                        % synced_ack_set.ack_sets_to_string())
                    break
                tick_skip = not tick_skip
            for f in self.get_learners():
                f.ping()
        if shutdown_message is not None:
            self.shutdown(shutdown_message)
            # leader goes in looking state

    def shutdown(self, reason):
        """Close the quorum port and every learner, and shut the server down."""
        LOG.info("Shutting down")
        if self.is_shutdown:
            return
        LOG.info("Shutdown called. shutdown Leader! reason: %s", reason)
        if self.cnx_acceptor is not None:
            self.cnx_acceptor.halt()
        # NIO should not accept connections
        self.self.set_zoo_keeper_server(None)
        self.self.admin_server.set_zoo_keeper_server(None)
        close_socket(self.ss)
        self.self.close_all_connections()
        # shutdown the previous zk
        if self.zk is not None:
            self.zk.shutdown()
        with self.learners_lock:
            handlers = list(self.learners)
            self.learners.clear()
        for f in handlers:
            f.shutdown()
        self.is_shutdown = True

    # -- commit --------------------------------------------------------------------------

    def get_designated_leader(self, reconfig_proposal, zxid):
        """Who leads after a reconfig: me if I stay a voter at the same address, else a synced voter."""
        new_qv, new_ackset = reconfig_proposal.qv_ackset_pairs[-1]
        my_qs = new_qv.get_voting_members().get(self.self.get_id())
        if my_qs is not None and my_qs.addr == self.self.get_quorum_address():
            return self.self.get_id()
        # Java copies the ackset into a HashSet<Long> and takes its first: the lowest sid for
        # small sids. A Python set's first is the first to ack on PyPy, so the hash order is kept
        # in a list; retainAll keeps that order.
        acked = [sid for sid in new_ackset if sid != self.self.get_id()]
        candidates = java_hash_order(acked, long_hash_code, max(int(len(new_ackset) / 0.75) + 1, 16))
        cur_candidate = candidates[0]
        cur_zxid = zxid + 1
        p = self.outstanding_proposals.get(cur_zxid)
        while p is not None and candidates:
            for _, ackset in p.qv_ackset_pairs:
                candidates = [sid for sid in candidates if sid in ackset]
                if not candidates:
                    return cur_candidate
                cur_candidate = candidates[0]
                if len(candidates) == 1:
                    return cur_candidate
            cur_zxid += 1
            p = self.outstanding_proposals.get(cur_zxid)
        return cur_candidate

    def try_to_commit(self, p, zxid, follower_addr):
        """Commit p if it has a quorum of acks and no older proposal is outstanding."""
        with self._lock:
            # make sure that ops are committed in order
            if (zxid - 1) in self.outstanding_proposals:
                return False
            if not p.has_all_quorums():
                return False
            # commit proposals in order
            if zxid != self.last_committed + 1:
                LOG.warning("Commiting zxid 0x%x from %s not first!", zxid & _U64, follower_addr)
                LOG.warning("First is %x", (self.last_committed + 1) & _U64)
            self.outstanding_proposals.pop(zxid, None)
            if p.request is not None:
                self.to_be_applied.append(p)
            if p.request is None:
                LOG.warning("Going to commmit null: %s", p)
            elif p.request.hdr.type == OpCode.reconfig:
                LOG.debug("Committing a reconfiguration! %d", len(self.outstanding_proposals))
                designated_leader = self.get_designated_leader(p, zxid)
                new_qv = p.qv_ackset_pairs[-1][0]
                self.self.process_reconfig(new_qv, designated_leader, self.zk.get_zxid(), True)
                if designated_leader != self.self.get_id():
                    self.allowed_to_commit = False
                # we're sending the designated leader, and if the leader is changing the followers are responsible
                # for closing the connection - this way we are sure that at least a majority of followers received
                # the commit
                self.commit_and_activate(zxid, designated_leader)
                self.inform_and_activate(p, designated_leader)
            else:
                ServerMetrics.log_latency(ServerMetrics.QUORUM_ACK_LATENCY, p.request.hdr)
                self.commit(zxid)
                self.inform(p)
            self.zk.commit_processor.commit(p.request)
            syncs = self.pending_syncs.pop(zxid, None)
            if syncs:
                for r in syncs:
                    self.send_sync(r)
            return True

    def process_ack(self, sid, zxid, follower_addr):
        """An ACK of zxid from sid (myself included): commit what now has a quorum."""
        with self._lock:
            if not self.allowed_to_commit:
                return  # last op committed was a leader change - from now on the new leader should commit
            if (zxid & 0xFFFFFFFF) == 0:
                # We no longer process NEWLEADER ack with this method. However, the learner sends an ack back to
                # the leader after it gets UPTODATE, so we just ignore the message.
                return
            if not self.outstanding_proposals:
                LOG.debug("outstanding is 0")
                return
            if self.last_committed >= zxid:
                LOG.debug("proposal has already been committed, pzxid: 0x%x zxid: 0x%x", self.last_committed & _U64,
                          zxid & _U64)
                # The proposal has already been committed
                return
            p = self.outstanding_proposals.get(zxid)
            if p is None:
                LOG.warning("Trying to commit future proposal: zxid 0x%x from %s", zxid & _U64, follower_addr)
                return
            p.add_ack(sid)
            has_committed = self.try_to_commit(p, zxid, follower_addr)
            # If p is a reconfiguration, multiple other operations may be ready to be committed, since operations
            # wait for different sets of acks.
            if has_committed and p.request is not None and p.request.hdr.type == OpCode.reconfig:
                cur_zxid = zxid
                while self.allowed_to_commit and has_committed and p is not None:
                    cur_zxid += 1
                    p = self.outstanding_proposals.get(cur_zxid)
                    if p is not None:
                        has_committed = self.try_to_commit(p, cur_zxid, None)

    def send_packet(self, qp):
        """Queue qp to every follower that is synced (forwarding)."""
        with self.learners_lock:
            for f in self.forwarding_followers:
                f.queue_packet(qp)

    def send_observer_packet(self, qp):
        for f in self.get_observing_learners():
            f.queue_packet(qp)

    def commit(self, zxid):
        with self._lock:
            self.last_committed = zxid
        self.send_packet(QuorumPacket(self.COMMIT, zxid, None, None))
        ServerMetrics.COMMIT_COUNT.add(1)

    def commit_and_activate(self, zxid, designated_leader):
        with self._lock:
            self.last_committed = zxid
        self.send_packet(QuorumPacket(self.COMMITANDACTIVATE, zxid, designated_leader.to_bytes(8, "big", signed=True),
                                      None))

    def inform(self, proposal):
        """Observers get the whole txn at commit time (they saw no PROPOSAL)."""
        self.send_observer_packet(QuorumPacket(self.INFORM, proposal.request.zxid, proposal.packet.data, None))

    def inform_and_activate(self, proposal, designated_leader):
        data = designated_leader.to_bytes(8, "big", signed=True) + proposal.packet.data
        self.send_observer_packet(QuorumPacket(self.INFORMANDACTIVATE, proposal.request.zxid, data, None))

    def get_epoch(self):
        return self.last_proposed >> 32

    def propose(self, request):
        """Create a PROPOSAL for the txn of request and send it to every forwarding follower."""
        # Address the rollover issue. All lower 32bits set indicate a new leader election. Force a re-election
        # instead. See ZOOKEEPER-1277
        if (request.zxid & 0xFFFFFFFF) == 0xFFFFFFFF:
            msg = "zxid lower 32 bits have rolled over, forcing re-election, and therefore new epoch start"
            self.shutdown(msg)
            raise XidRolloverException(msg)
        data = SerializeUtils.serialize_request(request)
        self.proposal_stats.set_last_buffer_size(len(data))
        pp = QuorumPacket(self.PROPOSAL, request.zxid, data, None)
        p = Proposal(pp, request)
        peer = self.self
        with self._lock:
            p.add_quorum_verifier(peer.get_quorum_verifier())
            if request.hdr.type == OpCode.reconfig:
                peer.set_last_seen_quorum_verifier(request.qv, True)
            if peer.get_quorum_verifier().get_version() < peer.get_last_seen_quorum_verifier().get_version():
                p.add_quorum_verifier(peer.get_last_seen_quorum_verifier())
            LOG.debug("Proposing:: %s", request)
            self.last_proposed = pp.zxid
            self.outstanding_proposals[self.last_proposed] = p
            self.send_packet(pp)
        ServerMetrics.PROPOSAL_COUNT.add(1)
        return p

    def get_learner_snapshot_throttler(self):
        return self.learner_snapshot_throttler

    def process_sync(self, r):
        """A sync (a learner's, or one of this server's clients'): answer at once if nothing is
        outstanding, else after the last proposal commits."""
        with self._lock:
            if not self.outstanding_proposals:
                self.send_sync(r)
            else:
                self.pending_syncs.setdefault(self.last_proposed, []).append(r)

    def send_sync(self, r):
        if isinstance(r, LearnerSyncRequest):
            r.fh.queue_packet(QuorumPacket(self.SYNC, 0, None, None))
        else:
            # A local sync: its commit follows, in the CommitProcessor, every commit passed before it.
            self.zk.commit_processor.commit(r)

    def start_forwarding(self, handler, last_seen_zxid):
        """Queue what the learner misses beyond last_seen_zxid and add it to the forwarding set."""
        with self._lock:
            # Queue up any outstanding requests enabling the receipt of new requests
            if self.last_proposed > last_seen_zxid:
                for p in list(self.to_be_applied):
                    if p.packet.zxid <= last_seen_zxid:
                        continue
                    handler.queue_packet(p.packet)
                    # Since the proposal has been committed we need to send the commit message also
                    handler.queue_packet(QuorumPacket(self.COMMIT, p.packet.zxid, None, None))
                # Only participant need to get outstanding proposals
                if handler.get_learner_type() is LearnerType.PARTICIPANT:
                    for zxid in sorted(self.outstanding_proposals):
                        if zxid <= last_seen_zxid:
                            continue
                        handler.queue_packet(self.outstanding_proposals[zxid].packet)
            if handler.get_learner_type() is LearnerType.PARTICIPANT:
                self.add_forwarding_follower(handler)
            else:
                self.add_observer_learner_handler(handler)
            return self.last_proposed

    # -- discovery ----------------------------------------------------------------------

    def get_epoch_to_propose(self, sid, last_accepted_epoch):
        """Wait until a quorum (me included) reported its acceptedEpoch; the new epoch is the max + 1."""
        peer = self.self
        with self._connecting_cv:
            if not self.waiting_for_new_epoch:
                return self.epoch
            if last_accepted_epoch >= self.epoch:
                self.epoch = last_accepted_epoch + 1
            if self.is_participant(sid):
                self.connecting_followers.add(sid)
            verifier = peer.get_quorum_verifier()
            if peer.get_id() in self.connecting_followers and verifier.contains_quorum(self.connecting_followers):
                self.waiting_for_new_epoch = False
                peer.set_accepted_epoch(self.epoch)
                self._connecting_cv.notify_all()
            else:
                self._wait_for(self._connecting_cv, lambda: not self.waiting_for_new_epoch)
                if self.waiting_for_new_epoch:
                    raise InterruptedException("Timeout while waiting for epoch from quorum")
            return self.epoch

    def wait_for_epoch_ack(self, id_, ss):
        """Wait until a quorum acked the new epoch (ACKEPOCH); a learner ahead of me is refused."""
        with self._electing_cv:
            if self.election_finished:
                return
            if ss.get_current_epoch() != -1:
                if ss.is_more_recent_than(self.leader_state_summary):
                    raise IOError("Follower is ahead of the leader, leader summary: %d (current epoch), %d (last zxid)"
                                  % (self.leader_state_summary.get_current_epoch(),
                                     self.leader_state_summary.get_last_zxid()))
                if self.is_participant(id_):
                    self.electing_followers.add(id_)
            verifier = self.self.get_quorum_verifier()
            if self.self.get_id() in self.electing_followers and verifier.contains_quorum(self.electing_followers):
                self.election_finished = True
                self._electing_cv.notify_all()
            else:
                self._wait_for(self._electing_cv, lambda: self.election_finished)
                if not self.election_finished:
                    raise InterruptedException("Timeout while waiting for epoch to be acked by quorum")

    def _wait_for(self, cv, done):
        """Wait on cv (held) until done() or initLimit ticks have passed."""
        start = Time.current_elapsed_time()
        cur = start
        end = start + self.self.get_init_limit() * self.self.get_tick_time()
        while not done() and cur < end:
            cv.wait((end - cur) / 1000.0)
            cur = Time.current_elapsed_time()

    def start_zk_server(self):
        """A quorum acked NEWLEADER: start serving, from the zxid of the new epoch."""
        with self._lock:
            zk = self.zk
            # Update lastCommitted and Db's zxid to a value representing the new epoch
            self.last_committed = zk.get_zxid()
            LOG.info("Have quorum of supporters, sids: [ %s ]; starting up and setting last processed zxid: 0x%x",
                     self.new_leader_proposal.ack_sets_to_string(), zk.get_zxid() & _U64)
            # ZOOKEEPER-1324. the leader sends the new config it must complete to others inside a NEWLEADER
            # message (see LearnerHandler where the NEWLEADER message is constructed)
            new_qv = self.self.get_last_seen_quorum_verifier()
            designated_leader = self.get_designated_leader(self.new_leader_proposal, zk.get_zxid())
            self.self.process_reconfig(new_qv, designated_leader, zk.get_zxid(), True)
            if designated_leader != self.self.get_id():
                self.allowed_to_commit = False
            zk.startup()
            # Update the current vote's peerEpoch so that a peer of an old election that asks about the leader
            # gets the right epoch.
            self.self.update_election_vote(self.get_epoch())
            zk.get_zk_database().set_last_processed_zxid(zk.get_zxid())

    def wait_for_new_leader_ack(self, sid, zxid):
        """Count an ACK of NEWLEADER; wait until a quorum (me included) acked it."""
        with self._new_leader_cv:
            if self.quorum_formed:
                return
            current_zxid = self.new_leader_proposal.packet.zxid
            if zxid != current_zxid:
                LOG.error("NEWLEADER ACK from sid: %d is from a different epoch - current 0x%x receieved 0x%x", sid,
                          current_zxid & _U64, zxid & _U64)
                return
            # Note that addAck already checks that the learner is a PARTICIPANT.
            self.new_leader_proposal.add_ack(sid)
            if self.new_leader_proposal.has_all_quorums():
                self.quorum_formed = True
                self._new_leader_cv.notify_all()
            else:
                self._wait_for(self._new_leader_cv, lambda: self.quorum_formed)
                if not self.quorum_formed:
                    raise InterruptedException("Timeout while waiting for NEWLEADER to be acked by quorum")

    @staticmethod
    def get_packet_type(packet_type):
        return packet_types.NAMES.get(packet_type, "UNKNOWN")

    def is_running(self):
        return self.self.is_running() and self.zk.is_running()

    def is_participant(self, sid):
        return sid in self.self.get_quorum_verifier().get_voting_members()


# The packet types (Leader.REQUEST .. Leader.INFORMANDACTIVATE in Java) are defined once in packet_types.
for _type, _name in packet_types.NAMES.items():
    setattr(Leader, _name, _type)


class LearnerCnxAcceptor(ZooKeeperCriticalThread):
    """Mirror of org.apache.zookeeper.server.quorum.Leader.LearnerCnxAcceptor: one LearnerHandler per learner."""

    def __init__(self, leader):
        super().__init__("LearnerCnxAcceptor-" + inet_socket_address_str(leader.ss.getsockname()),
                         leader.zk.get_zoo_keeper_server_listener())
        self.leader = leader
        self.stop = False

    def run_thread(self):
        leader = self.leader
        peer = leader.self
        try:
            while not self.stop:
                try:
                    s, _ = leader.ss.accept()
                except OSError as e:
                    if self.stop:
                        LOG.info("exception while shutting down acceptor: %s", e)
                        # When Leader.shutdown() calls ss.close(), the call to accept throws an exception. We catch
                        # and set stop to true.
                        self.stop = True
                    elif e.errno in TRANSIENT_ACCEPT_ERRORS:
                        # A learner (or a port scanner) that gave up before we took it: not a reason to stop leading.
                        LOG.warning("Ignoring error accepting a learner connection: %s", e)
                        if e.errno in (errno.EMFILE, errno.ENFILE, errno.ENOBUFS, errno.ENOMEM):
                            time.sleep(0.1)
                    else:
                        raise
                    continue
                try:
                    # start with the initLimit, once the ack is processed in LearnerHandler switch to the syncLimit
                    s.settimeout(peer.tick_time * peer.init_limit / 1000.0)
                    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1 if nodelay else 0)
                    fh = LearnerHandler(s, leader)
                    fh.start()
                except OSError as e:
                    # The peer reset the connection before we looked at it: it costs only that connection.
                    LOG.info("Learner connection closed before its handshake: %s", e)
                    close_socket(s)
        except Exception as e:
            LOG.warning("Exception while accepting follower %s", e)
            self.handle_exception(self.name, e)

    def halt(self):
        self.stop = True


class ToBeAppliedRequestProcessor(RequestProcessor):
    """Mirror of org.apache.zookeeper.server.quorum.Leader.ToBeAppliedRequestProcessor.

    Runs FinalRequestProcessor, then drops the request's proposal from the head of
    toBeApplied (kept until applied so that a learner joining meanwhile gets it).
    """

    def __init__(self, next_processor, leader):
        if not isinstance(next_processor, FinalRequestProcessor):
            raise RuntimeError("ToBeAppliedRequestProcessor must be connected to FinalRequestProcessor not %s"
                               % type(next_processor).__name__)
        self.leader = leader
        self.next = next_processor

    def process_request(self, request):
        self.next.process_request(request)
        # The only requests that should be on toBeApplied are write requests, for which we will have a hdr. We
        # can't simply use request.zxid here because that is set on read requests to equal the zxid of the last
        # write op.
        if request.hdr is not None:
            zxid = request.hdr.zxid
            to_be_applied = self.leader.to_be_applied
            try:
                p = to_be_applied[0]
            except IndexError:
                p = None
            if p is not None and p.request is not None and p.request.zxid == zxid:
                to_be_applied.popleft()
                return
            LOG.error("Committed request not found on toBeApplied: %s", request)

    def flush(self):
        """FinalRequestProcessor holds its replies until flushed (not in 3.5.7)."""
        self.next.flush()

    def shutdown(self):
        LOG.info("Shutting down")
        self.next.shutdown()
