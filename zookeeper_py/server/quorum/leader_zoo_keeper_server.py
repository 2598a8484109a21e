"""Mirror of org.apache.zookeeper.server.quorum.LeaderZooKeeperServer."""

import logging

from zookeeper_py.common import system_properties
from zookeeper_py.common.java_properties import load_properties
from zookeeper_py.common.string_utils import StringUtils
from zookeeper_py.keeper_exception import (
    BadArgumentsException,
    BadVersionException,
    NewConfigNoQuorum,
    ReconfigInProgress,
    SessionExpiredException,
)
from zookeeper_py.server.container_manager import ContainerManager
from zookeeper_py.server.final_request_processor import FinalRequestProcessor
from zookeeper_py.server.prep_request_processor import PrepRequestProcessor, check_acl
from zookeeper_py.server.quorum.commit_processor import CommitProcessor
from zookeeper_py.server.quorum.flexible.quorum_maj import QuorumMaj
from zookeeper_py.server.quorum.leader import ToBeAppliedRequestProcessor
from zookeeper_py.server.quorum.leader_request_processor import LeaderRequestProcessor
from zookeeper_py.server.quorum.leader_session_tracker import LeaderSessionTracker
from zookeeper_py.server.quorum.proposal_request_processor import ProposalRequestProcessor
from zookeeper_py.server.quorum.quorum_peer_config import QuorumPeerConfig
from zookeeper_py.server.quorum.quorum_server import ConfigException, QuorumServer
from zookeeper_py.server.quorum.quorum_zoo_keeper_server import QuorumZooKeeperServer
from zookeeper_py.server.server_cnxn import ServerCnxn
from zookeeper_py.txn import SetDataTxn
from zookeeper_py.zoo_defs import Perms, ZooDefs

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
        self.commit_processor = CommitProcessor(to_be_applied_processor, str(self.get_server_id()), False,
                                                self.get_zoo_keeper_server_listener())
        self.commit_processor.start()
        proposal_processor = ProposalRequestProcessor(self, self.commit_processor)
        proposal_processor.initialize()
        self.prep_request_processor = PrepRequestProcessor(self, proposal_processor)
        self.prep_request_processor.start()
        self.first_processor = LeaderRequestProcessor(self, self.prep_request_processor)
        self.setup_container_manager()

    def setup_container_manager(self):
        self.container_manager = ContainerManager(
            self.get_zk_database(), self.prep_request_processor,
            system_properties.get_integer("znode.container.checkIntervalMs", 60000),
            system_properties.get_integer("znode.container.maxPerMinute", 10000))

    def startup(self):
        with self.state_lock:
            super().startup()
            if self.container_manager is not None:
                self.container_manager.start()

    def shutdown(self, fully_shut_down=False):
        with self.state_lock:
            if self.container_manager is not None:
                self.container_manager.stop()
            super().shutdown(fully_shut_down)

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

    # -- reconfig (PrepRequestProcessor's reconfig branch of pRequest2Txn) -------------------------

    def prepare_reconfig(self, prep, request, record):
        """The reconfig branch of PrepRequestProcessor.pRequest2Txn (after its enabled/ACL/session checks):
        build the new QuorumVerifier into request.qv and the SetDataTxn of /zookeeper/config."""
        peer = self.self
        last_seen_qv = peer.get_last_seen_quorum_verifier()
        # check that there's no reconfig in progress
        if last_seen_qv.get_version() != peer.get_quorum_verifier().get_version():
            raise ReconfigInProgress()
        config_id = record.curConfigId
        if config_id != -1 and config_id != last_seen_qv.get_version():
            raise BadVersionException("Reconfiguration from version %d failed -- last seen version is %d"
                                      % (config_id, last_seen_qv.get_version()))
        new_members = record.newMembers
        if new_members is not None:  # non-incremental membership change
            LOG.info("Non-incremental reconfig")
            # Input may be delimited by either commas or newlines so convert to common newline separated format
            new_members = new_members.replace(",", "\n")
            try:
                props, _ = load_properties(new_members)
                request.qv = QuorumPeerConfig.parse_dynamic_config(props, peer.get_election_type(), True, False)
                request.qv.set_version(request.hdr.zxid)
            except (IOError, ConfigException, ValueError) as e:
                raise BadArgumentsException(str(e)) from None
        else:  # incremental change - must be a majority quorum system
            LOG.info("Incremental reconfig")
            joining_servers = StringUtils.split(record.joiningServers, ",") if record.joiningServers else None
            leaving_servers = StringUtils.split(record.leavingServers, ",") if record.leavingServers else None
            if not isinstance(last_seen_qv, QuorumMaj):
                msg = ("Incremental reconfiguration requested but last configuration seen has a non-majority quorum "
                       "system")
                LOG.warning(msg)
                raise BadArgumentsException(msg)
            next_servers = dict(last_seen_qv.get_all_members())
            try:
                for leaving in leaving_servers or ():
                    next_servers.pop(int(leaving), None)
                for joiner in joining_servers or ():
                    # joiner should have the following format: server.x = server_spec;client_spec
                    parts = [p for p in joiner.split("=") if p]
                    if len(parts) != 2:
                        raise BadArgumentsException("Wrong format of server string")
                    # extract server id x from first part of joiner: server.x
                    sid = int(parts[0][parts[0].rfind(".") + 1:].strip())
                    qs = QuorumServer(sid, parts[1].strip())
                    if qs.client_addr is None or qs.election_addr is None or qs.addr is None:
                        raise BadArgumentsException(
                            "Wrong format of server string - each server should have 3 ports specified")
                    # check duplication of addresses and ports
                    for nqs in next_servers.values():
                        if qs.id != nqs.id:
                            qs.check_address_duplicate(nqs)
                    next_servers.pop(qs.id, None)
                    next_servers[qs.id] = qs
            except (ConfigException, ValueError):
                raise BadArgumentsException("Reconfiguration failed") from None
            request.qv = QuorumMaj(members=next_servers)
            request.qv.set_version(request.hdr.zxid)
        if QuorumPeerConfig.is_standalone_enabled() and len(request.qv.get_voting_members()) < 2:
            msg = "Reconfig failed - new configuration must include at least 2 followers"
            LOG.warning(msg)
            raise BadArgumentsException(msg)
        if len(request.qv.get_voting_members()) < 1:
            msg = "Reconfig failed - new configuration must include at least 1 follower"
            LOG.warning(msg)
            raise BadArgumentsException(msg)
        if not self.get_leader().is_quorum_synced(request.qv):
            msg2 = "Reconfig failed - there must be a connected and synced quorum in new configuration"
            LOG.warning(msg2)
            raise NewConfigNoQuorum()
        node_record = prep.get_record_for_path(ZooDefs.CONFIG_NODE)
        check_acl(self, node_record.acl, Perms.WRITE, request.authInfo)
        request.txn = SetDataTxn(ZooDefs.CONFIG_NODE, str(request.qv).encode("utf-8"), -1)
        node_record = node_record.duplicate(request.hdr.zxid)
        node_record.stat.version = -1
        prep.add_change_record(node_record)
