"""Mirror of org.apache.zookeeper.server.quorum.Follower."""

import logging
import struct

from zookeeper_py.common.time import Time
from zookeeper_py.server.quorum.learner import Learner, deserialize_txn_keeping_bytes
from zookeeper_py.server.quorum.learner_handler import LearnerHandler
from zookeeper_py.server.quorum.packet_types import (
    COMMIT,
    COMMITANDACTIVATE,
    FOLLOWERINFO,
    PING,
    PROPOSAL,
    REVALIDATE,
    SYNC,
    UPTODATE,
)
from zookeeper_py.server.server_metrics import ServerMetrics
from zookeeper_py.zoo_defs import OpCode

LOG = logging.getLogger("Follower")

_U64 = 0xFFFFFFFFFFFFFFFF
_LONG = struct.Struct(">q")


class Follower(Learner):
    """Mirror of org.apache.zookeeper.server.quorum.Follower: the follower role (on the QuorumPeer thread)."""

    def __init__(self, peer, zk):
        super().__init__()
        self.self = peer
        self.zk = zk
        self.fzk = zk
        self.last_queued = 0

    def __str__(self):
        return "Follower %s lastQueuedZxid:%d pendingRevalidationCount:%d" % (
            self.sock, self.last_queued, len(self.pending_revalidations))

    def follow_leader(self):
        """Connect, register, sync, then process the leader's packets until the connection ends."""
        peer = self.self
        peer.end_fle = Time.current_elapsed_time()
        election_time_taken = peer.end_fle - peer.start_fle
        peer.set_election_time_taken(election_time_taken)
        ServerMetrics.ELECTION_TIME.add(election_time_taken)
        LOG.info("FOLLOWING - LEADER ELECTION TOOK - %d %s", election_time_taken, peer.FLE_TIME_UNIT)
        peer.start_fle = 0
        peer.end_fle = 0
        leader_server = self.find_leader()
        try:
            self.connect_to_leader(leader_server.addr, leader_server.hostname)
            new_epoch_zxid = self.register_with_leader(FOLLOWERINFO)
            if peer.is_reconfig_state_change():
                raise RuntimeError("learned about role change")
            # check to see if the leader zxid is lower than ours this should never happen but is just a safety
            # check
            new_epoch = new_epoch_zxid >> 32
            if new_epoch < peer.get_accepted_epoch():
                LOG.error("Proposed leader epoch %x is less than our accepted epoch %x", new_epoch_zxid & _U64,
                          peer.get_accepted_epoch())
                raise IOError("Error: Epoch of leader is lower")
            start = Time.current_elapsed_time()
            self.sync_with_leader(new_epoch_zxid)
            peer.set_zab_state_broadcast()
            ServerMetrics.FOLLOWER_SYNC_TIME.add(Time.current_elapsed_time() - start)
            while self.is_running():
                self.process_packet(self.read_packet())
        except Exception as e:
            if not self.sock_closed and peer.is_running():
                LOG.warning("Exception when following the leader", exc_info=e)
            else:
                LOG.info("Stopped following the leader: %s", e)
            self.close_socket()
            # clear pending revalidations
            self.pending_revalidations.clear()

    def process_packet(self, qp):
        """One packet from the leader after sync."""
        t = qp.type
        if t == PING:
            self.ping(qp)
        elif t == PROPOSAL:
            hdr, txn, txn_bytes = deserialize_txn_keeping_bytes(qp.data)
            if hdr.zxid != self.last_queued + 1:
                LOG.warning("Got zxid 0x%x expected 0x%x", hdr.zxid & _U64, (self.last_queued + 1) & _U64)
            self.last_queued = hdr.zxid
            if hdr.type == OpCode.reconfig:
                qv = self.self.config_from_string(txn.data.decode("utf-8"))
                self.self.set_last_seen_quorum_verifier(qv, True)
            self.fzk.log_request(hdr, txn, txn_bytes)
            ServerMetrics.log_latency(ServerMetrics.PROPOSAL_LATENCY, hdr)
        elif t == COMMIT:
            self.fzk.commit(qp.zxid)
        elif t == COMMITANDACTIVATE:
            # get the new configuration from the request
            request = self.fzk.pending_txns[0]
            qv = self.self.config_from_string(request.txn.data.decode("utf-8"))
            # get new designated leader from (current) leader's message
            suggested_leader_id, = _LONG.unpack_from(qp.data, 0)
            major_change = self.self.process_reconfig(qv, suggested_leader_id, qp.zxid, True)
            # commit (writes the new config to ZK tree (/zookeeper/config)
            self.fzk.commit(qp.zxid)
            if major_change:
                raise RuntimeError("changes proposed in reconfig")
        elif t == UPTODATE:
            LOG.error("Received an UPTODATE message after Follower started")
        elif t == REVALIDATE:
            self.revalidate(qp)
        elif t == SYNC:
            self.fzk.sync()
        else:
            LOG.warning("Unknown packet type: %s", LearnerHandler.packet_to_string(qp))

    def get_zxid(self):
        """The last zxid of the follower's server (-1 if unknown)."""
        try:
            return self.fzk.get_zxid()
        except AttributeError:
            LOG.warning("error getting zxid")
        return -1

    def get_last_queued(self):
        return self.last_queued

    def shutdown(self):
        LOG.info("shutdown called (shutdown Follower)")
        super().shutdown()
