"""Mirror of org.apache.zookeeper.server.quorum.ReadOnlyZooKeeperServer."""

import logging

from zookeeper_py.server.final_request_processor import FinalRequestProcessor
from zookeeper_py.server.prep_request_processor import PrepRequestProcessor
from zookeeper_py.server.quorum.read_only_request_processor import ReadOnlyRequestProcessor
from zookeeper_py.server.zoo_keeper_server import ZooKeeperServer

LOG = logging.getLogger("ReadOnlyZooKeeperServer")


class ReadOnlyZooKeeperServer(ZooKeeperServer):
    """Mirror of org.apache.zookeeper.server.quorum.ReadOnlyZooKeeperServer.

    Serves reads (to clients that asked for read-only mode) while the peer is
    partitioned and LOOKING. Chain: ReadOnlyRequestProcessor -> PrepRequestProcessor ->
    FinalRequestProcessor.
    """

    def __init__(self, log_factory, peer, zk_db):
        super().__init__(log_factory, peer.tick_time, peer.min_session_timeout, peer.max_session_timeout, zk_db)
        self.self = peer
        self.initial_config = peer.get_initial_config()
        self._shutdown = False

    def setup_request_processors(self):
        final_processor = FinalRequestProcessor(self)
        prep_processor = PrepRequestProcessor(self, final_processor)
        prep_processor.start()
        self.first_processor = ReadOnlyRequestProcessor(self, prep_processor)
        self.first_processor.start()

    def startup(self):
        with self.state_lock:
            # check to avoid startup follows shutdown
            if self._shutdown:
                LOG.warning("Not starting Read-only server as startup follows shutdown!")
                return
            super().startup()
            self.self.set_zoo_keeper_server(self)
            self.self.admin_server.set_zoo_keeper_server(self)
            LOG.info("Read-only server started")

    def is_read_only(self):
        return True

    def get_state(self):
        return "read-only"

    def get_server_id(self):
        return self.self.get_id()

    def shutdown(self, fully_shut_down=False):
        with self.state_lock:
            if not self.can_shutdown():
                LOG.debug("ZooKeeper server is not running, so not proceeding to shutdown!")
                return
            self._shutdown = True
            # set peer's server to null
            self.self.set_zoo_keeper_server(None)
            # clear all the connections
            self.self.close_all_connections()
            self.self.admin_server.set_zoo_keeper_server(None)
            # shutdown the server itself
            super().shutdown(fully_shut_down)

    def mark_shutdown(self):
        """Java sets `shutdown` even when never started (startup then becomes a no-op)."""
        with self.state_lock:
            self._shutdown = True

    def dump_conf(self, pwriter):
        super().dump_conf(pwriter)
        peer = self.self
        pwriter.write("initLimit=%d\n" % peer.get_init_limit())
        pwriter.write("syncLimit=%d\n" % peer.get_sync_limit())
        pwriter.write("electionAlg=%d\n" % peer.get_election_type())
        pwriter.write("electionPort=%d\n" % peer.get_election_address()[1])
        pwriter.write("quorumPort=%d\n" % peer.get_quorum_address()[1])
        pwriter.write("peerType=%d\n" % peer.get_learner_type().value)

    def set_state(self, state):
        self.state = state
