"""Mirror of org.apache.zookeeper.server.quorum.QuorumPeer: one server of a replicated ensemble.

QuorumServer, LearnerType and ServerState are inner types of QuorumPeer in Java;
they live in quorum_server.py and are re-exported here.
"""

import logging
import os
import threading

from zookeeper_py.common import system_properties
from zookeeper_py.common.atomic_file_output_stream import read_long_from_file, write_long_to_file
from zookeeper_py.common.java_properties import load_properties
from zookeeper_py.common.net_utils import inet_socket_address_str
from zookeeper_py.common.quorum_x509_util import QuorumX509Util
from zookeeper_py.common.time import Time
from zookeeper_py.server.admin.admin_server import AdminServerException
from zookeeper_py.server.admin.admin_server_factory import AdminServerFactory
from zookeeper_py.server.quorum.auth.null_quorum_auth_learner import NullQuorumAuthLearner
from zookeeper_py.server.quorum.auth.null_quorum_auth_server import NullQuorumAuthServer
from zookeeper_py.server.quorum.auth.quorum_auth import QuorumAuth
from zookeeper_py.server.quorum.auth.sasl_quorum_auth_learner import SaslQuorumAuthLearner
from zookeeper_py.server.quorum.auth.sasl_quorum_auth_server import SaslQuorumAuthServer
from zookeeper_py.server.quorum.fast_leader_election import FastLeaderElection
from zookeeper_py.server.quorum.follower import Follower
from zookeeper_py.server.quorum.follower_zoo_keeper_server import FollowerZooKeeperServer
from zookeeper_py.server.quorum.leader import Leader
from zookeeper_py.server.quorum.leader_zoo_keeper_server import LeaderZooKeeperServer
from zookeeper_py.server.quorum.observer import Observer
from zookeeper_py.server.quorum.observer_zoo_keeper_server import ObserverZooKeeperServer
from zookeeper_py.server.quorum.quorum_cnx_manager import QuorumCnxManager
from zookeeper_py.server.quorum.quorum_peer_config import QuorumPeerConfig
from zookeeper_py.server.quorum.quorum_server import ConfigException, LearnerType, QuorumServer, ServerState
from zookeeper_py.server.quorum.read_only_zoo_keeper_server import ReadOnlyZooKeeperServer
from zookeeper_py.server.quorum.vote import Vote
from zookeeper_py.server.server_metrics import ServerMetrics
from zookeeper_py.server.zoo_keeper_thread import ZooKeeperThread

__all__ = ["QuorumPeer", "QuorumServer", "LearnerType", "ServerState", "QuorumStats"]

LOG = logging.getLogger("QuorumPeer")

_U64 = 0xFFFFFFFFFFFFFFFF


class QuorumStats:
    """The state names of org.apache.zookeeper.server.quorum.QuorumStats.Provider."""

    UNKNOWN_STATE = "unknown"
    LOOKING_STATE = "leaderelection"
    LEADING_STATE = "leading"
    FOLLOWING_STATE = "following"
    OBSERVING_STATE = "observing"


class AddressTuple:
    """Mirror of org.apache.zookeeper.server.quorum.QuorumPeer.AddressTuple: my three addresses."""

    __slots__ = ("quorum_addr", "election_addr", "client_addr")

    def __init__(self, quorum_addr, election_addr, client_addr):
        self.quorum_addr = quorum_addr
        self.election_addr = election_addr
        self.client_addr = client_addr


class QuorumPeer(ZooKeeperThread):
    """Mirror of org.apache.zookeeper.server.quorum.QuorumPeer.

    The thread runs the peer's state machine: LOOKING runs fast leader election;
    then the peer leads (Leader.lead), follows (Follower.followLeader) or observes
    (Observer.observeLeader) until that ends, and looks again. start() loads the
    database, opens the client port (served by whichever server the role sets) and
    starts the election machinery (QuorumCnxManager, FastLeaderElection).
    """

    OBSERVER_ID = (1 << 63) - 1
    FLE_TIME_UNIT = "MS"
    CURRENT_EPOCH_FILENAME = "currentEpoch"
    ACCEPTED_EPOCH_FILENAME = "acceptedEpoch"
    SYNC_ENABLED = "zookeeper.observer.syncEnabled"
    QUORUM_CNXN_THREADS_SIZE_DEFAULT_VALUE = 20

    def __init__(self):
        super().__init__("QuorumPeer")
        self.monitor = threading.RLock()  # Java: synchronized methods of QuorumPeer
        self.qv_lock = threading.Condition(threading.RLock())  # Java: QV_LOCK
        self.qcm = None
        self.zk_db = None
        self.learner_type = LearnerType.PARTICIPANT
        self.config_filename = None
        self.quorum_verifier = None
        self.last_seen_quorum_verifier = None
        self.myid = 0
        self.current_vote = None
        self.running = True
        self._stopped = threading.Event()
        self.tick_time = 0
        self.local_sessions_enabled = False
        self.local_sessions_upgrading_enabled = True
        self.min_session_timeout = -1
        self.max_session_timeout = -1
        self.init_limit = 0
        self.sync_limit = 0
        self.sync_enabled = True
        self.tick = 0  # Java: AtomicInteger; only the leader thread changes it
        self.quorum_listen_on_all_ips = False
        self.election_time_taken = -1
        self.quorum_cnxn_threads_size = self.QUORUM_CNXN_THREADS_SIZE_DEFAULT_VALUE
        self.state = ServerState.LOOKING
        self.reconfig_flag = False  # indicates that a reconfig just committed
        self.my_addrs = None
        self.election_type = 3
        self.election_alg = None
        self.cnxn_factory = None
        self.secure_cnxn_factory = None
        self.log_factory = None
        self.follower = None
        self.leader = None
        self.observer = None
        self.shutting_down_le = False
        self.start_fle = 0
        self.unavailable_start_time = 0  # 3.6+: since LOOKING, for the unavailable_time metric
        self.end_fle = 0
        self.accepted_epoch = -1
        self.current_epoch = -1
        self.initial_config = None
        self.admin_server = AdminServerFactory.create_admin_server()
        # Quorum TLS (sslQuorum, portUnification); Java builds its QuorumX509Util here, we on first use.
        self.ssl_quorum = False
        self.use_port_unification = False
        self.x509_util = None
        self._x509_util_lock = threading.Lock()
        # Quorum SASL (quorum.auth.*); initialize() builds the authenticators, Null ones until then.
        self.quorum_sasl_enable_auth = False
        self.quorum_server_sasl_auth_required = False
        self.quorum_learner_sasl_auth_required = False
        self.quorum_service_principal = QuorumAuth.QUORUM_KERBEROS_SERVICE_PRINCIPAL_DEFAULT_VALUE
        self.quorum_learner_login_context = QuorumAuth.QUORUM_LEARNER_SASL_LOGIN_CONTEXT_DFAULT_VALUE
        self.quorum_server_login_context = QuorumAuth.QUORUM_SERVER_SASL_LOGIN_CONTEXT_DFAULT_VALUE
        self.auth_server = NullQuorumAuthServer()
        self.auth_learner = NullQuorumAuthLearner()

    # -- identity and configuration -------------------------------------------------------

    def get_learner_type(self):
        return self.learner_type

    def set_learner_type(self, p):
        self.learner_type = p

    def set_initial_config(self, initial_config):
        self.initial_config = initial_config

    def get_initial_config(self):
        return self.initial_config

    def set_config_file_name(self, s):
        with self.monitor:
            self.config_filename = s

    def get_quorum_size(self):
        return len(self.get_voting_view())

    def get_id(self):
        return self.myid

    def set_id(self, id_):
        self.myid = id_

    set_myid = set_id

    def get_current_vote(self):
        return self.current_vote

    def set_current_vote(self, v):
        with self.monitor:
            self.current_vote = v

    def set_peer_state(self, new_state):
        with self.monitor:
            self.state = new_state

    def set_zab_state_broadcast(self):
        """What QuorumPeer.setZabState(BROADCAST) of 3.6+ records: this member serves again (a leader
        with a quorum, a learner synced), so the time since it left its last role is its
        unavailable_time (leader_unavailable_time too for a leader)."""
        if self.unavailable_start_time != 0:
            unavailable = Time.current_elapsed_time() - self.unavailable_start_time
            ServerMetrics.UNAVAILABLE_TIME.add(unavailable)
            if self.get_peer_state() is ServerState.LEADING:
                ServerMetrics.LEADER_UNAVAILABLE_TIME.add(unavailable)
            self.unavailable_start_time = 0

    def reconfig_flag_set(self):
        with self.monitor:
            self.reconfig_flag = True

    def reconfig_flag_clear(self):
        with self.monitor:
            self.reconfig_flag = False

    def is_reconfig_state_change(self):
        with self.monitor:
            return self.reconfig_flag

    def get_peer_state(self):
        return self.state

    def recreate_socket_addresses(self, id_):
        """Addresses are (host, port) and resolved when used: nothing to refresh."""

    def _get_addrs(self):
        addrs = self.my_addrs
        if addrs is not None:
            return addrs
        with self.qv_lock:
            while self.my_addrs is None:
                self.qv_lock.wait()
            return self.my_addrs

    def get_quorum_address(self):
        return self._get_addrs().quorum_addr

    def get_election_address(self):
        return self._get_addrs().election_addr

    def get_client_address(self):
        addrs = self.my_addrs
        return None if addrs is None else addrs.client_addr

    def _set_addrs(self, quorum_addr, election_addr, client_addr):
        with self.qv_lock:
            self.my_addrs = AddressTuple(quorum_addr, election_addr, client_addr)
            self.qv_lock.notify_all()

    # -- starting --------------------------------------------------------------------------

    def start(self):
        with self.monitor:
            if self.myid not in self.get_view():
                raise RuntimeError("My id %d not in the peer list" % self.myid)
            self.load_data_base()
            self.start_server_cnxn_factory()
            try:
                self.admin_server.start()
            except AdminServerException as e:
                # A peer runs on without it (the standalone server exits instead).
                LOG.warning("Problem starting AdminServer", exc_info=e)
                print(e.to_java_string(), flush=True)
            self.start_leader_election()
            super().start()

    def load_data_base(self):
        """Load the database and check it against the currentEpoch and acceptedEpoch files."""
        try:
            self.zk_db.load_data_base()
            # load the epochs
            last_processed_zxid = self.zk_db.get_data_tree().last_processed_zxid
            epoch_of_zxid = last_processed_zxid >> 32
            try:
                self.current_epoch = self.read_long_from_file(self.CURRENT_EPOCH_FILENAME)
            except FileNotFoundError:
                # pick a reasonable epoch number; this should only happen once when moving to a new code version
                self.current_epoch = epoch_of_zxid
                LOG.info("%s not found! Creating with a reasonable default of %d. This should only happen when you "
                         "are upgrading your installation", self.CURRENT_EPOCH_FILENAME, self.current_epoch)
                self.write_long_to_file(self.CURRENT_EPOCH_FILENAME, self.current_epoch)
            if epoch_of_zxid > self.current_epoch:
                raise IOError("The current epoch, %x, is older than the last zxid, %d"
                              % (self.current_epoch & _U64, last_processed_zxid))
            try:
                self.accepted_epoch = self.read_long_from_file(self.ACCEPTED_EPOCH_FILENAME)
            except FileNotFoundError:
                # pick a reasonable epoch number; this should only happen once when moving to a new code version
                self.accepted_epoch = epoch_of_zxid
                LOG.info("%s not found! Creating with a reasonable default of %d. This should only happen when you "
                         "are upgrading your installation", self.ACCEPTED_EPOCH_FILENAME, self.accepted_epoch)
                self.write_long_to_file(self.ACCEPTED_EPOCH_FILENAME, self.accepted_epoch)
            if self.accepted_epoch < self.current_epoch:
                raise IOError("The accepted epoch, %x is less than the current epoch, %x"
                              % (self.accepted_epoch & _U64, self.current_epoch & _U64))
        except (IOError, EOFError) as ie:
            LOG.error("Unable to load database on disk", exc_info=ie)
            raise RuntimeError("Unable to run quorum server : %s" % ie) from ie

    def start_leader_election(self):
        with self.monitor:
            if not self.running:  # shut down while a role ended: no new election (its threads would stay)
                return
            if self.get_peer_state() is ServerState.LOOKING:
                self.current_vote = Vote(self.myid, self.get_last_logged_zxid(), peer_epoch=self.get_current_epoch())
            self.election_alg = self.create_election_algorithm(self.election_type)

    @staticmethod
    def count_participants(peers):
        return sum(1 for q in peers.values() if q.type is LearnerType.PARTICIPANT)

    def get_last_logged_zxid(self):
        """The zxid of the last txn of the database (loading it first if needed)."""
        if not self.zk_db.is_initialized():
            self.load_data_base()
        return self.zk_db.get_data_tree_last_processed_zxid()

    def make_follower(self, log_factory):
        return Follower(self, FollowerZooKeeperServer(log_factory, self, self.zk_db))

    def make_leader(self, log_factory):
        return Leader(self, LeaderZooKeeperServer(log_factory, self, self.zk_db))

    def make_observer(self, log_factory):
        return Observer(self, ObserverZooKeeperServer(log_factory, self, self.zk_db))

    def create_election_algorithm(self, election_algorithm):
        if election_algorithm != 3:
            # 0, 1 and 2 are the deprecated UDP algorithms, which QuorumPeerConfig already refuses.
            raise ConfigException("Election Algorithm %d is not supported." % election_algorithm)
        qcm = self.create_cnxn_manager()
        old_qcm, self.qcm = self.qcm, qcm
        if old_qcm is not None:
            LOG.warning("Clobbering already-set QuorumCnxManager (restarting leader election?)")
            old_qcm.halt()
        qcm.listener.start()
        fle = FastLeaderElection(self, qcm)
        fle.start()
        return fle

    def make_le_strategy(self):
        LOG.debug("Initializing leader election protocol...")
        return self.election_alg

    def set_leader(self, new_leader):
        with self.monitor:
            self.leader = new_leader

    def set_follower(self, new_follower):
        with self.monitor:
            self.follower = new_follower

    def set_observer(self, new_observer):
        with self.monitor:
            self.observer = new_observer

    def get_active_server(self):
        with self.monitor:
            if self.leader is not None:
                return self.leader.zk
            if self.follower is not None:
                return self.follower.zk
            if self.observer is not None:
                return self.observer.zk
            return None

    # -- the main loop ---------------------------------------------------------------------------

    def run_thread(self):
        self.update_thread_name()
        LOG.debug("Starting quorum peer")
        try:
            # Main loop
            while self.running:
                if self.unavailable_start_time == 0:
                    self.unavailable_start_time = Time.current_elapsed_time()
                state = self.get_peer_state()
                if state is ServerState.LOOKING:
                    LOG.info("LOOKING")
                    ServerMetrics.LOOKING_COUNT.add(1)
                    if system_properties.get_boolean("readonlymode.enabled"):
                        self._look_read_only()
                    else:
                        try:
                            self.reconfig_flag_clear()
                            if self.shutting_down_le:
                                self.shutting_down_le = False
                                self.start_leader_election()
                            self.set_current_vote(self.make_le_strategy().look_for_leader())
                        except Exception as e:
                            LOG.warning("Unexpected exception", exc_info=e)
                            self.set_peer_state(ServerState.LOOKING)
                elif state is ServerState.OBSERVING:
                    try:
                        LOG.info("OBSERVING")
                        self.set_observer(self.make_observer(self.log_factory))
                        self.observer.observe_leader()
                    except Exception as e:
                        LOG.warning("Unexpected exception", exc_info=e)
                    finally:
                        if self.observer is not None:
                            self.observer.shutdown()
                        self.set_observer(None)
                        self.update_server_state()
                elif state is ServerState.FOLLOWING:
                    try:
                        LOG.info("FOLLOWING")
                        self.set_follower(self.make_follower(self.log_factory))
                        self.follower.follow_leader()
                    except Exception as e:
                        LOG.warning("Unexpected exception", exc_info=e)
                    finally:
                        if self.follower is not None:
                            self.follower.shutdown()
                        self.set_follower(None)
                        self.update_server_state()
                elif state is ServerState.LEADING:
                    LOG.info("LEADING")
                    try:
                        self.set_leader(self.make_leader(self.log_factory))
                        self.leader.lead()
                        self.set_leader(None)
                    except Exception as e:
                        LOG.warning("Unexpected exception", exc_info=e)
                    finally:
                        if self.leader is not None:
                            self.leader.shutdown("Forcing shutdown")
                            self.set_leader(None)
                        self.update_server_state()
                self.start_fle = Time.current_elapsed_time()
        finally:
            LOG.warning("QuorumPeer main thread exited")

    def _look_read_only(self):
        """LOOKING with readonlymode.enabled: serve reads while the election runs (after max(2000, tickTime))."""
        LOG.info("Attempting to start ReadOnlyZooKeeperServer")
        # Create read-only server but don't start it immediately
        ro_zk = ReadOnlyZooKeeperServer(self.log_factory, self, self.zk_db)
        # Instead of starting roZk immediately, wait some grace period before we decide we're partitioned.
        ro_zk_mgr = _ReadOnlyStarter(self, ro_zk)
        try:
            ro_zk_mgr.start()
            self.reconfig_flag_clear()
            if self.shutting_down_le:
                self.shutting_down_le = False
                self.start_leader_election()
            self.set_current_vote(self.make_le_strategy().look_for_leader())
        except Exception as e:
            LOG.warning("Unexpected exception", exc_info=e)
            self.set_peer_state(ServerState.LOOKING)
        finally:
            # If the thread is in the grace period, interrupt to come out of waiting.
            ro_zk_mgr.interrupt()
            ro_zk_mgr.join()
            ro_zk.shutdown()

    def update_server_state(self):
        with self.monitor:
            if not self.reconfig_flag:
                self.set_peer_state(ServerState.LOOKING)
                LOG.warning("PeerState set to LOOKING")
                return
            if self.get_id() == self.get_current_vote().get_id():
                self.set_peer_state(ServerState.LEADING)
                LOG.debug("PeerState set to LEADING")
            elif self.get_learner_type() is LearnerType.PARTICIPANT:
                self.set_peer_state(ServerState.FOLLOWING)
                LOG.debug("PeerState set to FOLLOWING")
            elif self.get_learner_type() is LearnerType.OBSERVER:
                self.set_peer_state(ServerState.OBSERVING)
                LOG.debug("PeerState set to OBSERVER")
            else:  # currently shouldn't happen since there are only 2 learner types
                self.set_peer_state(ServerState.LOOKING)
                LOG.debug("Shouldn't be here")
            self.reconfig_flag = False

    def shutdown(self):
        """Stop the peer: its role, the client port, the election, the database files."""
        self.running = False
        self._stopped.set()
        leader, follower, observer = self.leader, self.follower, self.observer
        if leader is not None:
            leader.shutdown("quorum Peer shutdown")
        if follower is not None:
            follower.shutdown()
            follower.close_socket()
        if observer is not None:
            observer.close_socket()
        self.shutdown_server_cnxn_factory()
        try:
            self.admin_server.shutdown()
        except AdminServerException as e:
            LOG.warning("Problem stopping AdminServer", exc_info=e)
        if self.get_election_alg() is not None:
            self.get_election_alg().shutdown()
        try:
            self.zk_db.close()
        except (IOError, AttributeError) as ie:
            LOG.warning("Error closing logs ", exc_info=ie)
        if self.x509_util is not None:
            self.x509_util.close()

    def request_shutdown(self):
        """SIGTERM: QuorumPeerMain's main thread sees the peer stop and exits."""
        self.shutdown()

    def sleep_while_running(self, seconds):
        """Thread.sleep that ends early when the peer shuts down."""
        self._stopped.wait(seconds)

    # -- views of the configuration ------------------------------------------------------------

    def get_view(self):
        """Every member (voters and observers) of the current config: sid -> QuorumServer."""
        return self.get_quorum_verifier().get_all_members()

    def get_voting_view(self):
        return self.get_quorum_verifier().get_voting_members()

    def get_observing_view(self):
        return self.get_quorum_verifier().get_observing_members()

    def get_current_and_next_config_voters(self):
        with self.monitor:
            voter_ids = set(self.get_quorum_verifier().get_voting_members())
            if self.get_last_seen_quorum_verifier() is not None:
                voter_ids.update(self.get_last_seen_quorum_verifier().get_voting_members())
            return voter_ids

    def view_contains(self, sid):
        return sid in self.get_view()

    def get_quorum_peers(self):
        """Addresses of the connected learners (on a leader, * = synced) or of the leader (on a follower)."""
        out = []
        with self.monitor:
            if self.leader is not None:
                for fh in self.leader.get_learners():
                    s = fh.remote_address.lstrip("/")
                    if self.leader.is_learner_synced(fh):
                        s += "*"
                    out.append(s)
            elif self.follower is not None and self.follower.sock is not None:
                try:
                    host, port = self.follower.sock.getpeername()[:2]
                    out.append("%s:%d" % (host, port))
                except OSError:
                    pass
        return out

    def get_server_state(self):
        state = self.get_peer_state()
        if state is ServerState.LOOKING:
            return QuorumStats.LOOKING_STATE
        if state is ServerState.LEADING:
            return QuorumStats.LEADING_STATE
        if state is ServerState.FOLLOWING:
            return QuorumStats.FOLLOWING_STATE
        if state is ServerState.OBSERVING:
            return QuorumStats.OBSERVING_STATE
        return QuorumStats.UNKNOWN_STATE

    def get_tick_time(self):
        return self.tick_time

    def set_tick_time(self, tick_time):
        LOG.info("tickTime set to %d", tick_time)
        self.tick_time = tick_time

    def get_max_client_cnxns_per_host(self):
        if self.cnxn_factory is not None:
            return self.cnxn_factory.get_max_client_cnxns_per_host()
        if self.secure_cnxn_factory is not None:
            return self.secure_cnxn_factory.get_max_client_cnxns_per_host()
        return -1

    def are_local_sessions_enabled(self):
        return self.local_sessions_enabled

    def enable_local_sessions(self, flag):
        LOG.info("Local sessions %s", "enabled" if flag else "disabled")
        self.local_sessions_enabled = flag

    def is_local_sessions_upgrading_enabled(self):
        return self.local_sessions_upgrading_enabled

    def enable_local_sessions_upgrading(self, flag):
        LOG.info("Local session upgrading %s", "enabled" if flag else "disabled")
        self.local_sessions_upgrading_enabled = flag

    def get_min_session_timeout(self):
        return self.min_session_timeout

    def set_min_session_timeout(self, value):
        LOG.info("minSessionTimeout set to %d", value)
        self.min_session_timeout = value

    def get_max_session_timeout(self):
        return self.max_session_timeout

    def set_max_session_timeout(self, value):
        LOG.info("maxSessionTimeout set to %d", value)
        self.max_session_timeout = value

    def get_init_limit(self):
        return self.init_limit

    def set_init_limit(self, init_limit):
        LOG.info("initLimit set to %d", init_limit)
        self.init_limit = init_limit

    def get_tick(self):
        return self.tick

    def config_from_string(self, s):
        """A QuorumVerifier from config text (server.N=... lines and version=)."""
        props, _ = load_properties(s)
        return QuorumPeerConfig.parse_dynamic_config(props, self.election_type, False, False)

    def get_quorum_verifier(self):
        with self.qv_lock:
            return self.quorum_verifier

    def get_last_seen_quorum_verifier(self):
        with self.qv_lock:
            return self.last_seen_quorum_verifier

    def restart_leader_election(self, qv_old, qv_new):
        with self.monitor:
            if qv_old is None or qv_old != qv_new:
                LOG.warning("Restarting Leader Election")
                self.get_election_alg().shutdown()
                self.shutting_down_le = False
                self.start_leader_election()

    def get_next_dynamic_config_filename(self):
        if self.config_filename is None:
            LOG.warning("configFilename is null! This should only happen in tests.")
            return None
        return self.config_filename + ".dynamic.next"

    def connect_new_peers(self, qcm):
        """Connect to the members of the next config that the current one does not have."""
        if self.quorum_verifier is not None and self.last_seen_quorum_verifier is not None:
            committed_view = self.quorum_verifier.get_all_members()
            for sid in self.last_seen_quorum_verifier.get_all_members():
                if sid != self.get_id() and sid not in committed_view:
                    qcm.connect_one(sid)

    def set_last_seen_quorum_verifier(self, qv, write_to_disk):
        """Remember a proposed config (written to <zoo.cfg>.dynamic.next when write_to_disk).

        As Java 3.6+ (ZOOKEEPER-3829), nothing is remembered with reconfig disabled. 3.5.7 kept the
        first leader's config (ZOOKEEPER-1783 gives it a version), and a later leader that found
        its own address listed otherwise there (0.0.0.0 in its own zoo.cfg, 127.0.0.1 in the first
        leader's) took itself for a leader that must hand over, and never committed again."""
        if not QuorumPeerConfig.is_reconfig_enabled():
            LOG.info("Dynamic reconfig is disabled, we don't store the last seen config.")
            return
        qcm = self.qcm
        outer_lock = qcm._lock if qcm is not None else self.qv_lock
        with outer_lock:
            with self.qv_lock:
                if self.last_seen_quorum_verifier is not None and \
                        self.last_seen_quorum_verifier.get_version() > qv.get_version():
                    LOG.error("setLastSeenQuorumVerifier called with stale config %d. Current version: %d",
                              qv.get_version(), self.quorum_verifier.get_version())
                # assuming that a version uniquely identifies a configuration, so if version is the same, nothing to
                # do here.
                if self.last_seen_quorum_verifier is not None and \
                        self.last_seen_quorum_verifier.get_version() == qv.get_version():
                    return
                self.last_seen_quorum_verifier = qv
                if qcm is not None:
                    self.connect_new_peers(qcm)
                if write_to_disk:
                    try:
                        file_name = self.get_next_dynamic_config_filename()
                        if file_name is not None:
                            QuorumPeerConfig.write_dynamic_config(file_name, qv, True)
                    except (IOError, OSError) as e:
                        LOG.error("Error writing next dynamic config file to disk: %s", e)

    def set_quorum_verifier(self, qv, write_to_disk):
        """Make qv the current config (written to disk when write_to_disk); returns the previous one."""
        with self.qv_lock:
            if self.quorum_verifier is not None and self.quorum_verifier.get_version() >= qv.get_version():
                # this is normal. For example - server found out about new config through FastLeaderElection
                # gossiping and then got the same config in UPTODATE message so its already known
                LOG.debug("%d setQuorumVerifier called with known or old config %d. Current version: %d",
                          self.get_id(), qv.get_version(), self.quorum_verifier.get_version())
                return self.quorum_verifier
            prev_qv = self.quorum_verifier
            self.quorum_verifier = qv
            last_seen = self.last_seen_quorum_verifier
            if last_seen is None or qv.get_version() > last_seen.get_version():
                self.last_seen_quorum_verifier = qv
            if write_to_disk:
                # some tests initialize QuorumPeer without a static config file
                if self.config_filename is not None:
                    try:
                        dynamic_config_filename = self.make_dynamic_config_filename(qv.get_version())
                        QuorumPeerConfig.write_dynamic_config(dynamic_config_filename, qv, False)
                        QuorumPeerConfig.edit_static_config(self.config_filename, dynamic_config_filename,
                                                            self.need_erase_client_info_from_static_config())
                    except (IOError, OSError) as e:
                        LOG.error("Error closing file: %s", e)
                else:
                    LOG.info("writeToDisk == true but configFilename == null")
            if qv.get_version() == self.last_seen_quorum_verifier.get_version():
                QuorumPeerConfig.delete_file(self.get_next_dynamic_config_filename())
            qs = qv.get_all_members().get(self.get_id())
            if qs is not None:
                self._set_addrs(qs.addr, qs.election_addr, qs.client_addr)
            return prev_qv

    def make_dynamic_config_filename(self, version):
        return self.config_filename + ".dynamic." + ("%x" % (version & _U64))

    def need_erase_client_info_from_static_config(self):
        server = self.quorum_verifier.get_all_members().get(self.get_id())
        return server is not None and server.client_addr is not None

    def get_election_alg(self):
        return self.election_alg

    def get_sync_limit(self):
        return self.sync_limit

    def set_sync_limit(self, sync_limit):
        LOG.info("syncLimit set to %d", sync_limit)
        self.sync_limit = sync_limit

    def get_sync_enabled(self):
        """Whether observers log txns: zookeeper.observer.syncEnabled if set, else syncEnabled of zoo.cfg."""
        value = system_properties.get_property(self.SYNC_ENABLED)
        if value is not None:
            enabled = system_properties.get_boolean(self.SYNC_ENABLED)
            LOG.info("%s=%s", self.SYNC_ENABLED, "true" if enabled else "false")
            return enabled
        return self.sync_enabled

    def set_sync_enabled(self, sync_enabled):
        self.sync_enabled = sync_enabled

    def get_election_type(self):
        return self.election_type

    def set_election_type(self, election_type):
        self.election_type = election_type

    def get_quorum_listen_on_all_ips(self):
        return self.quorum_listen_on_all_ips

    def set_quorum_listen_on_all_ips(self, quorum_listen_on_all_ips):
        self.quorum_listen_on_all_ips = quorum_listen_on_all_ips

    def is_ssl_quorum(self):
        return self.ssl_quorum

    def should_use_port_unification(self):
        return self.use_port_unification

    def get_x509_util(self):
        """The QuorumX509Util of the election and quorum ports (zookeeper.ssl.quorum.* properties)."""
        with self._x509_util_lock:
            if self.x509_util is None:
                self.x509_util = QuorumX509Util()
            return self.x509_util

    def set_ssl_quorum(self, ssl_quorum):
        if ssl_quorum:
            LOG.info("Using TLS encrypted quorum communication")
        else:
            LOG.info("Using insecure (non-TLS) quorum communication")
        self.ssl_quorum = ssl_quorum

    def set_use_port_unification(self, should_use_port_unification):
        LOG.info("Port unification %s", "enabled" if should_use_port_unification else "disabled")
        self.use_port_unification = should_use_port_unification

    def set_cnxn_factory(self, cnxn_factory):
        self.cnxn_factory = cnxn_factory

    def set_secure_cnxn_factory(self, secure_cnxn_factory):
        self.secure_cnxn_factory = secure_cnxn_factory

    def start_server_cnxn_factory(self):
        if self.cnxn_factory is not None:
            self.cnxn_factory.start()
        if self.secure_cnxn_factory is not None:
            self.secure_cnxn_factory.start()

    def shutdown_server_cnxn_factory(self):
        if self.cnxn_factory is not None:
            self.cnxn_factory.shutdown()
        if self.secure_cnxn_factory is not None:
            self.secure_cnxn_factory.shutdown()

    def set_zoo_keeper_server(self, zks):
        """The server the client port hands requests to (None while LOOKING)."""
        if self.cnxn_factory is not None:
            self.cnxn_factory.set_zoo_keeper_server(zks)
        if self.secure_cnxn_factory is not None:
            self.secure_cnxn_factory.set_zoo_keeper_server(zks)

    def close_all_connections(self):
        if self.cnxn_factory is not None:
            self.cnxn_factory.close_all()
        if self.secure_cnxn_factory is not None:
            self.secure_cnxn_factory.close_all()

    def get_client_port(self):
        if self.cnxn_factory is not None:
            return self.cnxn_factory.get_local_port()
        return -1

    def set_txn_factory(self, factory):
        self.log_factory = factory

    def get_txn_factory(self):
        return self.log_factory

    def set_zk_database(self, database):
        self.zk_db = database

    def get_zk_db(self):
        return self.zk_db

    def init_config_in_zk_database(self):
        with self.monitor:
            if self.zk_db is not None:
                self.zk_db.init_config_in_zk_database(self.get_quorum_verifier())

    def is_running(self):
        return self.running

    def get_quorum_cnx_manager(self):
        return self.qcm

    # -- epochs ---------------------------------------------------------------------------------

    def read_long_from_file(self, name):
        return read_long_from_file(os.path.join(self.log_factory.get_snap_dir(), name))

    def write_long_to_file(self, name, value):
        write_long_to_file(os.path.join(self.log_factory.get_snap_dir(), name), value)

    def get_current_epoch(self):
        if self.current_epoch == -1:
            self.current_epoch = self.read_long_from_file(self.CURRENT_EPOCH_FILENAME)
        return self.current_epoch

    def get_accepted_epoch(self):
        if self.accepted_epoch == -1:
            self.accepted_epoch = self.read_long_from_file(self.ACCEPTED_EPOCH_FILENAME)
        return self.accepted_epoch

    # The file first, as Java 3.8 (3.5.7 set the field first): a write that fails (a full disk)
    # leaves the old epoch in memory, so the next attempt writes the file again, and a restart
    # never finds acceptedEpoch behind currentEpoch.
    def set_current_epoch(self, e):
        self.write_long_to_file(self.CURRENT_EPOCH_FILENAME, e)
        self.current_epoch = e

    def set_accepted_epoch(self, e):
        self.write_long_to_file(self.ACCEPTED_EPOCH_FILENAME, e)
        self.accepted_epoch = e

    # -- reconfig ----------------------------------------------------------------------------------

    def process_reconfig(self, qv, suggested_leader_id, zxid, restart_le):
        """Adopt a committed reconfig (only with reconfigEnabled); True if my role or my leader changes."""
        if not QuorumPeerConfig.is_reconfig_enabled():
            LOG.debug("Reconfig feature is disabled, skip reconfig processing.")
            return False
        old_client_addr = self.get_client_address()
        # update last committed quorum verifier, write the new config to disk and restart leader election if
        # config changed.
        prev_qv = self.set_quorum_verifier(qv, True)
        # There is no log record for the initial config, thus after syncing with leader /zookeeper/config is
        # empty! it is also possible that last committed config is propagated during leader election without
        # the propagation the corresponding log records. so we should explicitly do this (this is not necessary
        # when we're already a Follower/Observer, only for Learner):
        self.init_config_in_zk_database()
        if prev_qv.get_version() < qv.get_version() and prev_qv != qv:
            new_members = qv.get_all_members()
            if restart_le:
                self.restart_leader_election(prev_qv, qv)
            my_new_qs = new_members.get(self.get_id())
            if my_new_qs is not None and my_new_qs.client_addr is not None \
                    and my_new_qs.client_addr != old_client_addr:
                if self.cnxn_factory is not None:
                    self.cnxn_factory.reconfigure(my_new_qs.client_addr)
                self.update_thread_name()
            role_change = self.update_learner_type(qv)
            if suggested_leader_id is not None:
                # zxid should be non-null too
                leader_change = self.update_vote(suggested_leader_id, zxid)
            else:
                current_leader_id = self.get_current_vote().get_id()
                myleader_in_cur_qv = prev_qv.get_voting_members().get(current_leader_id)
                myleader_in_new_qv = qv.get_voting_members().get(current_leader_id)
                leader_change = (myleader_in_cur_qv is None or myleader_in_cur_qv.addr is None
                                 or myleader_in_new_qv is None
                                 or myleader_in_cur_qv.addr != myleader_in_new_qv.addr)
                # we don't have a designated leader - need to go into leader election
                self.reconfig_flag_clear()
            if role_change or leader_change:
                return True
        return False

    def update_learner_type(self, new_qv):
        # check if I'm an observer in new config
        if self.get_id() in new_qv.get_observing_members():
            if self.get_learner_type() is not LearnerType.OBSERVER:
                self.set_learner_type(LearnerType.OBSERVER)
                LOG.info("Becoming an observer")
                self.reconfig_flag_set()
                return True
            return False
        if self.get_id() in new_qv.get_voting_members():
            if self.get_learner_type() is not LearnerType.PARTICIPANT:
                self.set_learner_type(LearnerType.PARTICIPANT)
                LOG.info("Becoming a voting participant")
                self.reconfig_flag_set()
                return True
            return False
        # I'm not in the view
        if self.get_learner_type() is not LearnerType.PARTICIPANT:
            self.set_learner_type(LearnerType.PARTICIPANT)
            LOG.info("Becoming a non-voting participant")
            self.reconfig_flag_set()
            return True
        return False

    def update_vote(self, designated_leader, zxid):
        current_vote = self.get_current_vote()
        if current_vote is not None and designated_leader != current_vote.get_id():
            self.set_current_vote(Vote(designated_leader, zxid))
            self.reconfig_flag_set()
            LOG.warning("Suggested leader: %d", designated_leader)
            return True
        return False

    def update_election_vote(self, new_epoch):
        """Put the new epoch into the current vote, for peers that ask who leads."""
        current_vote = self.get_current_vote()
        if current_vote is not None:
            self.set_current_vote(Vote(current_vote.get_id(), current_vote.get_zxid(),
                                       current_vote.get_election_epoch(), new_epoch, current_vote.get_state()))

    def update_thread_name(self):
        plain = "disabled"
        if self.cnxn_factory is not None and self.cnxn_factory.get_local_address() is not None:
            plain = inet_socket_address_str(self.cnxn_factory.get_local_address())
        secure = "disabled"
        if self.secure_cnxn_factory is not None and self.secure_cnxn_factory.get_local_address() is not None:
            secure = inet_socket_address_str(self.secure_cnxn_factory.get_local_address())
        self.name = "QuorumPeer[myid=%d](plain=%s)(secure=%s)" % (self.get_id(), plain, secure)

    def set_election_time_taken(self, election_time_taken):
        self.election_time_taken = election_time_taken

    def get_election_time_taken(self):
        return self.election_time_taken

    def set_quorum_cnxn_threads_size(self, q_cnxn_threads_size):
        if q_cnxn_threads_size > self.QUORUM_CNXN_THREADS_SIZE_DEFAULT_VALUE:
            self.quorum_cnxn_threads_size = q_cnxn_threads_size
        LOG.info("quorum.cnxn.threads.size set to %d", self.quorum_cnxn_threads_size)

    def initialize(self):
        """Java's initialize(): the quorum authenticators, SASL ones (logged in with their JAAS sections
        now, so a bad section stops the server at startup) when quorum.auth.enableSasl is true."""
        if self.is_quorum_sasl_auth_enabled():
            authz_hosts = {qs.hostname for qs in self.get_view().values() if qs.hostname}
            self.auth_server = SaslQuorumAuthServer(self.is_quorum_server_sasl_auth_required(),
                                                    self.quorum_server_login_context, authz_hosts)
            self.auth_learner = SaslQuorumAuthLearner(self.is_quorum_learner_sasl_auth_required(),
                                                      self.quorum_service_principal,
                                                      self.quorum_learner_login_context)
        else:
            self.auth_server = NullQuorumAuthServer()
            self.auth_learner = NullQuorumAuthLearner()

    def set_quorum_server_sasl_required(self, server_sasl_required):
        self.quorum_server_sasl_auth_required = server_sasl_required
        LOG.info("%s set to %s", QuorumAuth.QUORUM_SERVER_SASL_AUTH_REQUIRED, str(server_sasl_required).lower())

    def set_quorum_learner_sasl_required(self, learner_sasl_required):
        self.quorum_learner_sasl_auth_required = learner_sasl_required
        LOG.info("%s set to %s", QuorumAuth.QUORUM_LEARNER_SASL_AUTH_REQUIRED, str(learner_sasl_required).lower())

    def set_quorum_sasl_enabled(self, enable_auth):
        self.quorum_sasl_enable_auth = enable_auth
        if not enable_auth:
            LOG.info("QuorumPeer communication is not secured! (SASL auth disabled)")
        else:
            LOG.info("%s set to %s", QuorumAuth.QUORUM_SASL_AUTH_ENABLED, str(enable_auth).lower())

    def set_quorum_service_principal(self, service_principal):
        self.quorum_service_principal = service_principal
        LOG.info("%s set to %s", QuorumAuth.QUORUM_KERBEROS_SERVICE_PRINCIPAL, service_principal)

    def set_quorum_learner_login_context(self, learner_context):
        self.quorum_learner_login_context = learner_context
        LOG.info("%s set to %s", QuorumAuth.QUORUM_LEARNER_SASL_LOGIN_CONTEXT, learner_context)

    def set_quorum_server_login_context(self, server_context):
        self.quorum_server_login_context = server_context
        LOG.info("%s set to %s", QuorumAuth.QUORUM_SERVER_SASL_LOGIN_CONTEXT, server_context)

    def is_quorum_sasl_auth_enabled(self):
        return self.quorum_sasl_enable_auth

    def is_quorum_server_sasl_auth_required(self):
        return self.quorum_server_sasl_auth_required

    def is_quorum_learner_sasl_auth_required(self):
        return self.quorum_learner_sasl_auth_required

    def create_cnxn_manager(self):
        return QuorumCnxManager(self, self.get_id(), self.get_view(), self.tick_time * self.sync_limit,
                                self.get_quorum_listen_on_all_ips(), self.quorum_cnxn_threads_size,
                                self.auth_server, self.auth_learner, self.is_quorum_sasl_auth_enabled())

    def is_leader(self, id_):
        vote = self.get_current_vote()
        return vote is not None and id_ == vote.get_id()


class _ReadOnlyStarter(threading.Thread):
    """The anonymous thread of QuorumPeer.run that starts the read-only server after a grace period."""

    def __init__(self, peer, ro_zk):
        super().__init__(daemon=True)
        self.peer = peer
        self.ro_zk = ro_zk
        self._interrupted = threading.Event()

    def run(self):
        try:
            if self._interrupted.wait(max(2000, self.peer.tick_time) / 1000.0):
                LOG.info("Interrupted while attempting to start ReadOnlyZooKeeperServer, not started")
                return
            if self.peer.get_peer_state() is ServerState.LOOKING:
                self.ro_zk.startup()
        except Exception as e:
            LOG.error("FAILED to start ReadOnlyZooKeeperServer", exc_info=e)

    def interrupt(self):
        self._interrupted.set()
