"""Mirror of org.apache.zookeeper.server.quorum.FollowerZooKeeperServer."""

import collections
import logging
import os
import threading

from zookeeper_py.server.exit_code import ExitCode
from zookeeper_py.server.final_request_processor import FinalRequestProcessor
from zookeeper_py.server.quorum.commit_processor import CommitProcessor
from zookeeper_py.server.quorum.follower_request_processor import FollowerRequestProcessor
from zookeeper_py.server.quorum.learner_zoo_keeper_server import LearnerZooKeeperServer
from zookeeper_py.server.quorum.send_ack_request_processor import SendAckRequestProcessor
from zookeeper_py.server.request import Request
from zookeeper_py.server.server_metrics import ServerMetrics
from zookeeper_py.server.sync_request_processor import SyncRequestProcessor

LOG = logging.getLogger("FollowerZooKeeperServer")

_U64 = 0xFFFFFFFFFFFFFFFF


class FollowerZooKeeperServer(LearnerZooKeeperServer):
    """Mirror of org.apache.zookeeper.server.quorum.FollowerZooKeeperServer.

    Client chain: FollowerRequestProcessor -> CommitProcessor -> FinalRequestProcessor.
    PROPOSALs from the leader are logged by SyncRequestProcessor -> SendAckRequestProcessor
    and wait in pendingTxns for their COMMIT.
    """

    def __init__(self, log_factory, peer, zk_db):
        super().__init__(log_factory, peer.tick_time, peer.min_session_timeout, peer.max_session_timeout, zk_db,
                         peer)
        # Pending sync requests (Java: ConcurrentLinkedQueue)
        self.pending_syncs = collections.deque()
        # Txns proposed by the leader and not yet committed (Java: LinkedBlockingQueue)
        self.pending_txns = collections.deque()
        self._sync_lock = threading.Lock()  # Java: synchronized sync()

    def get_follower(self):
        return self.self.follower

    def setup_request_processors(self):
        final_processor = FinalRequestProcessor(self)
        self.commit_processor = CommitProcessor(final_processor, str(self.get_server_id()), True,
                                                self.get_zoo_keeper_server_listener())
        self.commit_processor.start()
        self.first_processor = FollowerRequestProcessor(self, self.commit_processor)
        self.first_processor.start()
        self.sync_processor = SyncRequestProcessor(self, SendAckRequestProcessor(self.get_follower()))
        self.sync_processor.start()

    def log_request(self, hdr, txn, txn_bytes=None):
        """txn_bytes (ours): the PROPOSAL's bytes of hdr and txn, logged and kept as they came."""
        request = Request.from_txn(hdr.clientId, hdr.cxid, hdr.type, hdr, txn, hdr.zxid)
        request.txn_bytes = txn_bytes
        if (request.zxid & 0xFFFFFFFF) != 0:
            self.pending_txns.append(request)
        self.sync_processor.process_request(request)

    def commit(self, zxid):
        """The leader committed zxid: it must be the oldest pending txn."""
        if not self.pending_txns:
            LOG.warning("Committing %x without seeing txn", zxid & _U64)
            return
        first_element_zxid = self.pending_txns[0].zxid
        if first_element_zxid != zxid:
            LOG.error("Committing zxid 0x%x but next pending txn 0x%x", zxid & _U64, first_element_zxid & _U64)
            logging.shutdown()
            os._exit(ExitCode.UNMATCHED_TXN_COMMIT.get_value())
        request = self.pending_txns.popleft()
        ServerMetrics.log_latency(ServerMetrics.COMMIT_PROPAGATION_LATENCY, request.hdr)
        self.commit_processor.commit(request)

    def sync(self):
        with self._sync_lock:
            if not self.pending_syncs:
                LOG.warning("Not expecting a sync.")
                return
            r = self.pending_syncs.popleft()
            self.commit_processor.commit(r)

    def get_global_outstanding_limit(self):
        divisor = self.self.get_quorum_size() - 1 if self.self.get_quorum_size() > 2 else 1
        return super().get_global_outstanding_limit() // divisor

    def get_state(self):
        return "follower"

    def get_learner(self):
        return self.get_follower()
