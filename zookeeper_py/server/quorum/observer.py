"""Mirror of org.apache.zookeeper.server.quorum.Observer."""

import logging
import struct

from zookeeper_py.server.quorum.learner import Learner, deserialize_txn, deserialize_txn_keeping_bytes
from zookeeper_py.server.quorum.learner_handler import LearnerHandler
from zookeeper_py.server.quorum.packet_types import (
    COMMIT,
    INFORM,
    INFORMANDACTIVATE,
    OBSERVERINFO,
    PING,
    PROPOSAL,
    REVALIDATE,
    SYNC,
    UPTODATE,
)
from zookeeper_py.server.request import Request
from zookeeper_py.server.server_metrics import ServerMetrics

LOG = logging.getLogger("Observer")

_LONG = struct.Struct(">q")


class Observer(Learner):
    """Mirror of org.apache.zookeeper.server.quorum.Observer: a learner that does not vote.

    It ignores PROPOSAL and COMMIT and applies the txns the leader INFORMs it of.
    """

    def __init__(self, peer, observer_zoo_keeper_server):
        super().__init__()
        self.self = peer
        self.zk = observer_zoo_keeper_server

    def __str__(self):
        return "Observer %s pendingRevalidationCount:%d" % (self.sock, len(self.pending_revalidations))

    def observe_leader(self):
        """Connect, register, sync, then apply INFORMs until the connection ends."""
        leader_server = self.find_leader()
        LOG.info("Observing %s", leader_server.addr)
        try:
            self.connect_to_leader(leader_server.addr, leader_server.hostname)
            new_leader_zxid = self.register_with_leader(OBSERVERINFO)
            if self.self.is_reconfig_state_change():
                raise RuntimeError("learned about role change")
            self.sync_with_leader(new_leader_zxid)
            self.self.set_zab_state_broadcast()
            while self.is_running():
                self.process_packet(self.read_packet())
        except Exception as e:
            if not self.sock_closed and self.self.is_running():
                LOG.warning("Exception when observing the leader", exc_info=e)
            else:
                LOG.info("Stopped observing the leader: %s", e)
            self.close_socket()
            # clear pending revalidations
            self.pending_revalidations.clear()

    def process_packet(self, qp):
        t = qp.type
        if t == PING:
            self.ping(qp)
        elif t == PROPOSAL:
            LOG.warning("Ignoring proposal")
        elif t == COMMIT:
            LOG.warning("Ignoring commit")
        elif t == UPTODATE:
            LOG.error("Received an UPTODATE message after Observer started")
        elif t == REVALIDATE:
            self.revalidate(qp)
        elif t == SYNC:
            self.zk.sync()
        elif t == INFORM:
            hdr, txn, txn_bytes = deserialize_txn_keeping_bytes(qp.data)
            request = Request.from_txn(hdr.clientId, hdr.cxid, hdr.type, hdr, txn, 0)
            request.txn_bytes = txn_bytes
            ServerMetrics.log_latency(ServerMetrics.COMMIT_PROPAGATION_LATENCY, hdr)
            self.zk.commit_request(request)
        elif t == INFORMANDACTIVATE:
            suggested_leader_id, = _LONG.unpack_from(qp.data, 0)
            hdr, txn = deserialize_txn(qp.data[8:])
            qv = self.self.config_from_string(txn.data.decode("utf-8"))
            request = Request.from_txn(hdr.clientId, hdr.cxid, hdr.type, hdr, txn, 0)
            major_change = self.self.process_reconfig(qv, suggested_leader_id, qp.zxid, True)
            self.zk.commit_request(request)
            if major_change:
                raise RuntimeError("changes proposed in reconfig")
        else:
            LOG.warning("Unknown packet type: %s", LearnerHandler.packet_to_string(qp))

    def shutdown(self):
        LOG.info("shutdown called (shutdown Observer)")
        super().shutdown()
