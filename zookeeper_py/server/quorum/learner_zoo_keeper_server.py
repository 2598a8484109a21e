"""Mirror of org.apache.zookeeper.server.quorum.LearnerZooKeeperServer."""

import logging

from zookeeper_py.server.quorum.learner_session_tracker import LearnerSessionTracker
from zookeeper_py.server.quorum.quorum_zoo_keeper_server import QuorumZooKeeperServer

LOG = logging.getLogger("LearnerZooKeeperServer")


class LearnerZooKeeperServer(QuorumZooKeeperServer):
    """Mirror of org.apache.zookeeper.server.quorum.LearnerZooKeeperServer: the base of follower and observer."""

    def __init__(self, log_factory, tick_time, min_session_timeout, max_session_timeout, zk_db, peer):
        super().__init__(log_factory, tick_time, min_session_timeout, max_session_timeout, zk_db, peer)
        # Subclasses set these in setup_request_processors.
        self.commit_processor = None
        self.sync_processor = None

    def get_learner(self):
        raise NotImplementedError

    def get_touch_snapshot(self):
        """The sessions touched since the last PING, for the PING reply."""
        if self.session_tracker is not None:
            return self.session_tracker.snapshot()
        return {}

    def get_server_id(self):
        return self.self.get_id()

    def create_session_tracker(self):
        self.session_tracker = LearnerSessionTracker(
            self, self.get_zk_database().get_session_with_time_outs(), self.tick_time, self.self.get_id(),
            self.self.are_local_sessions_enabled(), self.get_zoo_keeper_server_listener())

    def revalidate_session(self, cnxn, session_id, session_timeout):
        # A global session is validated by the leader (REVALIDATE); the reply finishes the connect.
        if self.upgradeable_session_tracker.is_local_session(session_id):
            super().revalidate_session(cnxn, session_id, session_timeout)
        else:
            self.get_learner().validate_session(cnxn, session_id, session_timeout)

    def shutdown_components(self):
        # The sync processor first: what it drains to the txn log must be there before the
        # fast-forward that follows (ZOOKEEPER-4712).
        try:
            if self.sync_processor is not None:
                self.sync_processor.shutdown()
        except Exception:
            LOG.warning("Ignoring unexpected exception in syncprocessor shutdown", exc_info=True)
        try:
            super().shutdown_components()
        except Exception:
            LOG.warning("Ignoring unexpected exception during shutdown", exc_info=True)
