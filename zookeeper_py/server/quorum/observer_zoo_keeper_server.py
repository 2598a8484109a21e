"""Mirror of org.apache.zookeeper.server.quorum.ObserverZooKeeperServer."""

import collections
import logging
import threading

from zookeeper_py.server.final_request_processor import FinalRequestProcessor
from zookeeper_py.server.quorum.commit_processor import CommitProcessor
from zookeeper_py.server.quorum.learner_zoo_keeper_server import LearnerZooKeeperServer
from zookeeper_py.server.quorum.observer_request_processor import ObserverRequestProcessor
from zookeeper_py.server.sync_request_processor import SyncRequestProcessor

LOG = logging.getLogger("ObserverZooKeeperServer")


class ObserverZooKeeperServer(LearnerZooKeeperServer):
    """Mirror of org.apache.zookeeper.server.quorum.ObserverZooKeeperServer.

    Client chain: ObserverRequestProcessor -> CommitProcessor -> FinalRequestProcessor.
    INFORMed txns are logged (if syncEnabled, with no ACK: observers do not vote) and
    committed at once.
    """

    def __init__(self, log_factory, peer, zk_db):
        super().__init__(log_factory, peer.tick_time, peer.min_session_timeout, peer.max_session_timeout, zk_db,
                         peer)
        # Enable since request processor for writing txnlog to disk and take periodic snapshot.
        self.sync_request_processor_enabled = peer.get_sync_enabled()
        self.pending_syncs = collections.deque()  # Java: ConcurrentLinkedQueue
        self._sync_lock = threading.Lock()
        LOG.info("syncEnabled =%s", "true" if self.sync_request_processor_enabled else "false")

    def get_observer(self):
        return self.self.observer

    def get_learner(self):
        return self.self.observer

    def commit_request(self, request):
        """An INFORMed txn: log it (if syncEnabled), then commit it."""
        if self.sync_request_processor_enabled:
            # Write to txnlog and take periodic snapshot
            self.sync_processor.process_request(request)
        self.commit_processor.commit(request)

    def setup_request_processors(self):
        # We might consider changing the processor behaviour of Observers to, for example, remove the disk sync
        # requirements. Currently, they behave almost exactly the same as followers.
        final_processor = FinalRequestProcessor(self)
        self.commit_processor = CommitProcessor(final_processor, str(self.get_server_id()), True,
                                                self.get_zoo_keeper_server_listener())
        self.commit_processor.start()
        self.first_processor = ObserverRequestProcessor(self, self.commit_processor)
        self.first_processor.start()
        # Observers are not voting members so they do not need to ACK: the sync processor has no next stage.
        if self.sync_request_processor_enabled:
            self.sync_processor = SyncRequestProcessor(self, None)
            self.sync_processor.start()

    def sync(self):
        with self._sync_lock:
            if not self.pending_syncs:
                LOG.warning("Not expecting a sync.")
                return
            r = self.pending_syncs.popleft()
            self.commit_processor.commit(r)

    def get_state(self):
        return "observer"
