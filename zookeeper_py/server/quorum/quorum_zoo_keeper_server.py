"""Mirror of org.apache.zookeeper.server.quorum.QuorumZooKeeperServer."""

import logging
import struct

from zookeeper_py.create_mode import CreateMode
from zookeeper_py.keeper_exception import EphemeralOnLocalSessionException
from zookeeper_py.multi_transaction_record import MultiTransactionRecord
from zookeeper_py.proto import CreateRequest
from zookeeper_py.server.request import Request
from zookeeper_py.server.zoo_keeper_server import ZooKeeperServer
from zookeeper_py.zoo_defs import OpCode

LOG = logging.getLogger("QuorumZooKeeperServer")

_INT = struct.Struct(">i")
_U64 = 0xFFFFFFFFFFFFFFFF


class QuorumZooKeeperServer(ZooKeeperServer):
    """Mirror of org.apache.zookeeper.server.quorum.QuorumZooKeeperServer: what leader and learners share."""

    keeps_committed_log = True  # a leader's DIFF to a learner, or this member's once it leads

    def __init__(self, log_factory, tick_time, min_session_timeout, max_session_timeout, zk_db, peer):
        super().__init__(log_factory, tick_time, min_session_timeout, max_session_timeout, zk_db)
        self.self = peer
        self.initial_config = peer.get_initial_config()
        self.upgradeable_session_tracker = None

    def start_session_tracker(self):
        self.upgradeable_session_tracker = self.session_tracker
        self.upgradeable_session_tracker.start()

    def check_upgrade_session(self, request):
        """An upgrade (createSession) request when an ephemeral create comes on a local session, else None."""
        # If this is a request for a local session and it is to create an ephemeral node, then upgrade the session
        # and return a new session request for the leader.
        if (request.type not in (OpCode.create, OpCode.create2, OpCode.multi)
                or not self.upgradeable_session_tracker.is_local_session(request.session_id)):
            return None
        if request.type == OpCode.multi:
            contains_ephemeral_create = False
            for op in MultiTransactionRecord.from_bytes(request.request):
                if op.get_type() in (OpCode.create, OpCode.create2):
                    if CreateMode.from_flag(op.to_request_record().flags).is_ephemeral():
                        contains_ephemeral_create = True
                        break
            if not contains_ephemeral_create:
                return None
        else:
            create_request = CreateRequest.from_bytes(request.request)
            if not CreateMode.from_flag(create_request.flags).is_ephemeral():
                return None
        # Uh oh.  We need to upgrade before we can proceed.
        if not self.self.is_local_sessions_upgrading_enabled():
            raise EphemeralOnLocalSessionException()
        return self.make_upgrade_request(request.session_id)

    def make_upgrade_request(self, session_id):
        # Local session tracker may already have been upgraded by the time we get here.
        tracker = self.upgradeable_session_tracker
        with tracker.lock:
            if tracker.is_local_session(session_id):
                timeout = tracker.upgrade_session(session_id)
                return Request(None, session_id, 0, OpCode.createSession, _INT.pack(timeout), None)
        return None

    def upgrade(self, session_id):
        """Upgrade a local session to a global one."""
        request = self.make_upgrade_request(session_id)
        if request is not None:
            LOG.info("Upgrading session 0x%x", session_id & _U64)
            # This must be a global request
            self.submit_request(request)

    def set_local_session_flag(self, si):
        # We need to set isLocalSession to true when the request is for a local session.
        if si.type == OpCode.createSession:
            if self.self.are_local_sessions_enabled():
                # All new sessions local by default.
                si.local_session = True
        elif si.type == OpCode.closeSession:
            req_type = "global"
            if self.upgradeable_session_tracker.is_local_session(si.session_id):
                si.local_session = True
                req_type = "local"
            LOG.info("Submitting %s closeSession request for session 0x%x", req_type, si.session_id & _U64)

    def dump_conf(self, pwriter):
        super().dump_conf(pwriter)
        peer = self.self
        pwriter.write("initLimit=%d\n" % peer.get_init_limit())
        pwriter.write("syncLimit=%d\n" % peer.get_sync_limit())
        pwriter.write("electionAlg=%d\n" % peer.get_election_type())
        pwriter.write("electionPort=%d\n" % peer.get_election_address()[1])
        pwriter.write("quorumPort=%d\n" % peer.get_quorum_address()[1])
        pwriter.write("peerType=%d\n" % peer.get_learner_type().value)
        pwriter.write("membership: \n")
        pwriter.write(str(peer.get_quorum_verifier()))

    def set_state(self, state):
        # A quorum server does not shut itself down on ERROR: the QuorumPeer notices and moves on.
        self.state = state
