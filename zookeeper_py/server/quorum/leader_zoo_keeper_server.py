"""Mirror of org.apache.zookeeper.server.quorum.LeaderZooKeeperServer."""

import logging

from zookeeper_py.keeper_exception import SessionExpiredException
from zookeeper_py.server.container_manager import ContainerManager
from zookeeper_py.server.final_request_processor import FinalRequestProcessor
from zookeeper_py.server.prep_request_processor import PrepRequestProcessor
from zookeeper_py.server.quorum.commit_processor import CommitProcessor
from zookeeper_py.server.quorum.leader import ToBeAppliedRequestProcessor
from zookeeper_py.server.quorum.leader_request_processor import LeaderRequestProcessor
from zookeeper_py.server.quorum.leader_session_tracker import LeaderSessionTracker
from zookeeper_py.server.quorum.proposal_request_processor import ProposalRequestProcessor
from zookeeper_py.server.quorum.quorum_zoo_keeper_server import QuorumZooKeeperServer
from zookeeper_py.server.server_cnxn import ServerCnxn

LOG = logging.getLogger("LeaderZooKeeperServer")


class LeaderZooKeeperServer(QuorumZooKeeperServer):
    """Mirror of org.apache.zookeeper.server.quorum.LeaderZooKeeperServer.

    Chain: LeaderRequestProcessor -> PrepRequestProcessor -> ProposalRequestProcessor
    (-> SyncRequestProcessor -> AckRequestProcessor) -> CommitProcessor ->
    Leader.ToBeAppliedRequestProcessor -> FinalRequestProcessor.
    """

    def __init__(self, log_factory, peer, zk_db):
        super().__init__(log_factory, peer.tick_time, peer.min_session_timeout, peer.max_session_timeout, zk_db, peer)
        self.container_manager = None
        self.commit_processor = None
        self.prep_request_processor = None

    def get_leader(self):
        return self.self.leader

    def setup_request_processors(self):
        final_processor = FinalRequestProcessor(self)
        to_be_applied_processor = ToBeAppliedRequestProcessor(final_processor, self.get_leader())
        # zookeeper_py: a sync of the leader's own clients waits for its commit, as a learner's does
        # (match_syncs; Leader.process_sync). Java's leader answers it at once, so a read after it
        # could miss a write a follower had already acknowledged.
        self.commit_processor = CommitProcessor(to_be_applied_processor, str(self.get_server_id()), True,
                                                self.get_zoo_keeper_server_listener())
        self.commit_processor.start()
        proposal_processor = ProposalRequestProcessor(self, self.commit_processor)
        proposal_processor.initialize()
        self.prep_request_processor = PrepRequestProcessor(self, proposal_processor)
        self.prep_request_processor.start()
        self.first_processor = LeaderRequestProcessor(self, self.prep_request_processor)
        self.setup_container_manager()

    def setup_container_manager(self):
        self.container_manager = ContainerManager.from_system_properties(
            self.get_zk_database(), self.prep_request_processor)

    def startup(self):
        with self.state_lock:
            super().startup()
            if self.container_manager is not None:
                self.container_manager.start()

    def shutdown_components(self):
        if self.container_manager is not None:
            self.container_manager.stop()
        super().shutdown_components()

    def get_global_outstanding_limit(self):
        divisor = self.self.get_quorum_size() - 1 if self.self.get_quorum_size() > 2 else 1
        return super().get_global_outstanding_limit() // divisor

    def create_session_tracker(self):
        self.session_tracker = LeaderSessionTracker(
            self, self.get_zk_database().get_session_with_time_outs(), self.tick_time, self.self.get_id(),
            self.self.are_local_sessions_enabled(), self.get_zoo_keeper_server_listener())

    def touch(self, cnxn_or_session, to=None):
        """touch(ServerCnxn) of ZooKeeperServer, or the leader's touch(sessionId, timeout) for PING data."""
        if to is None:
            return super().touch(cnxn_or_session)
        return self.session_tracker.touch_session(cnxn_or_session, to)

    def check_if_valid_global_session(self, sess, to):
        if self.self.are_local_sessions_enabled() and not self.upgradeable_session_tracker.is_global_session(sess):
            return False
        return self.session_tracker.touch_session(sess, to)

    def submit_learner_request(self, request):
        """A request forwarded by a learner: straight to PrepRequestProcessor (learners upgrade sessions
        themselves)."""
        self.prep_request_processor.process_request(request)

    def get_state(self):
        return "leader"

    def get_server_id(self):
        return self.self.get_id()

    def revalidate_session(self, cnxn, session_id, session_timeout):
        super().revalidate_session(cnxn, session_id, session_timeout)
        try:
            # setowner as the leader itself, unless updated via the follower handlers
            self.set_owner(session_id, ServerCnxn.me)
        except SessionExpiredException:
            # this is ok, it just means that the session revalidation failed.
            pass
