"""Mirror of org.apache.zookeeper.server.quorum.ReadOnlyZooKeeperServer."""

import logging

from zookeeper_py.server.final_request_processor import FinalRequestProcessor
from zookeeper_py.server.prep_request_processor import PrepRequestProcessor
from zookeeper_py.server.quorum.learner_session_tracker import LearnerSessionTracker
from zookeeper_py.server.quorum.read_only_request_processor import ReadOnlyRequestProcessor
from zookeeper_py.server.server_cnxn import CloseRequestException
from zookeeper_py.server.zoo_keeper_server import ZooKeeperServer
from zookeeper_py.zoo_defs import OpCode

LOG = logging.getLogger("ReadOnlyZooKeeperServer")

_U64 = 0xFFFFFFFFFFFFFFFF


class ReadOnlyZooKeeperServer(ZooKeeperServer):
    """Mirror of org.apache.zookeeper.server.quorum.ReadOnlyZooKeeperServer.

    Serves reads (to clients that asked for read-only mode) while the peer is
    partitioned and LOOKING. Chain: ReadOnlyRequestProcessor -> PrepRequestProcessor ->
    FinalRequestProcessor.

    Sessions are 3.6.2+'s (ZOOKEEPER-3863), not 3.5.7's: 3.5.7 tracked global sessions here
    under server id 1, so its session ids could be server 1's, and creating or expiring one was
    a session txn that the rest of the ensemble never had. Now a global session is not re-established here, and the
    sessions made here are local, with this server's id. Unlike Java, they are local even without
    localSessionsEnabled: Java then refuses every new client (a bare NOTREADONLY header where the
    ConnectResponse belongs), which leaves read-only mode serving no one.
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

    def create_session_tracker(self):
        self.session_tracker = LearnerSessionTracker(
            self, self.get_zk_database().get_session_with_time_outs(), self.tick_time, self.self.get_id(), True,
            self.get_zoo_keeper_server_listener())

    def set_local_session_flag(self, si):
        if si.type == OpCode.createSession:
            si.local_session = True
        elif si.type == OpCode.closeSession:
            if self.session_tracker.is_local_session(si.session_id):
                si.local_session = True
            else:
                LOG.warning("Submitting global closeSession request for session 0x%x in ReadOnly mode",
                            si.session_id & _U64)

    def validate_session(self, cnxn, session_id):
        if self.session_tracker.is_global_session(session_id):
            msg = "Refusing global session reconnection in RO mode %s" % (cnxn.get_remote_address_string(),)
            LOG.info(msg)
            raise CloseRequestException(msg)

    def is_read_only(self):
        return True

    def get_state(self):
        return "read-only"

    def get_server_id(self):
        return self.self.get_id()

    def shutdown_components(self):
        self._shutdown = True
        # set peer's server to null
        self.self.set_zoo_keeper_server(None)
        # clear all the connections
        self.self.close_all_connections()
        self.self.admin_server.set_zoo_keeper_server(None)
        super().shutdown_components()

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
