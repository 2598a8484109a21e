"""Mirror of org.apache.zookeeper.server.ZooKeeperServer."""

import collections
import enum
import logging
import os
import struct
import threading

from zookeeper_py.common import jit_tuning, system_properties
from zookeeper_py.common.java_random import JavaRandom
from zookeeper_py.common.sasl_digest_md5 import SaslException
from zookeeper_py.common.time import Time
from zookeeper_py.data import Id, StatPersisted
from zookeeper_py.jute.record import JuteEOFError
from zookeeper_py.keeper_exception import Code, QuotaExceededException
from zookeeper_py.proto import AuthPacket, ConnectRequest, ConnectResponse, GetSASLRequest, ReplyHeader, SetSASLResponse
from zookeeper_py.quotas import Quotas
from zookeeper_py.server.auth.provider_registry import ProviderRegistry
from zookeeper_py.server.authentication_helper import AuthenticationHelper
from zookeeper_py.server.data_tree import ProcessTxnResult
from zookeeper_py.server.exit_code import ExitCode
from zookeeper_py.server.request import Request
from zookeeper_py.server.server_cnxn import CloseRequestException, ServerCnxn
from zookeeper_py.server.server_cnxn_factory import CLOSE_CONN
from zookeeper_py.server.server_metrics import ServerMetrics
from zookeeper_py.server.server_stats import ServerStats
from zookeeper_py.server.session_tracker import SessionExpirer
from zookeeper_py.server.session_tracker_impl import SessionTrackerImpl
from zookeeper_py.server.sync_request_processor import SyncRequestProcessor
from zookeeper_py.server.unimplemented_request_processor import UnimplementedRequestProcessor
from zookeeper_py.server.zk_database import ZKDatabase
from zookeeper_py.server.zoo_keeper_sasl_server import ZooKeeperSaslServer
from zookeeper_py.server.zoo_keeper_server_conf import ZooKeeperServerConf
from zookeeper_py.server.zoo_keeper_server_listener import ZooKeeperServerListenerImpl
from zookeeper_py.stats_track import StatsTrack
from zookeeper_py.txn import CreateSessionTxn
from zookeeper_py.zoo_defs import OpCode

LOG = logging.getLogger("ZooKeeperServer")

ENFORCE_QUOTA = "zookeeper.enforceQuota"

DEFAULT_TICK_TIME = 3000
SUPER_SECRET = 0xB3415C00
_U64 = 0xFFFFFFFFFFFFFFFF
SASL_SUPER_USER = "zookeeper.superUser"
ALLOW_SASL_FAILED_CLIENTS = "zookeeper.allowSaslFailedClients"
_HEADER = struct.Struct(">ii")
_INT = struct.Struct(">i")
_CONNECT_LEN_PREFIX = struct.Struct(">i")


class State(enum.Enum):
    """Mirror of org.apache.zookeeper.server.ZooKeeperServer.State."""

    INITIAL = 0
    RUNNING = 1
    SHUTDOWN = 2
    ERROR = 3


class MissingSessionException(IOError):
    """Mirror of org.apache.zookeeper.server.ZooKeeperServer.MissingSessionException."""


class ChangeRecord:
    """Mirror of org.apache.zookeeper.server.ZooKeeperServer.ChangeRecord.

    What a write already queued will have done to a path, so PrepRequestProcessor
    validates the next write against it rather than against the (older) tree.
    `stat` is None for a path that will be deleted. Never mutated: duplicate() first.
    """

    __slots__ = ("zxid", "path", "stat", "child_count", "acl")

    def __init__(self, zxid, path, stat, child_count, acl):
        self.zxid = zxid
        self.path = path
        self.stat = stat
        self.child_count = child_count
        self.acl = acl

    def duplicate(self, zxid):
        stat = self.stat.copy() if self.stat is not None else StatPersisted()
        return ChangeRecord(zxid, self.path, stat, self.child_count, list(self.acl) if self.acl else [])


def generate_passwd(session_id):
    """The session password: 16 bytes of java.util.Random(sessionId ^ superSecret)."""
    return JavaRandom(session_id ^ SUPER_SECRET).next_bytes(16)


class SubmitBatch:
    """The requests one selector round read, handed to the first processor together at its end (not in Java).

    Submitted one by one, each request wakes the processor thread, which then takes the
    GIL from the selector thread between two sockets: a context switch per request.
    Queued until the round ends, they go in one burst, in the order they were read.

    A SelectorThread owns one and passes it to NIOServerCnxn.do_io when it runs a
    connection's I/O itself (no NIO worker threads); it goes down as an argument
    (process_input -> process_packet or read_connect_request -> process_connect_request ->
    create_session) to submit_request, which adds the request here instead of handing it
    on. The selector thread calls flush() at the end of each round. Without a batch
    (None, every other caller) submit_request hands the request on at once. One thread
    uses a batch: no lock.
    """

    __slots__ = ("requests",)

    def __init__(self):
        self.requests = []  # (processor, request); bound: FRAMES_PER_ROUND per connection served this round

    def add(self, processor, request):
        self.requests.append((processor, request))

    def flush(self):
        pending = self.requests
        if pending:
            self.requests = []
            for processor, request in pending:
                processor.process_request(request)


class ZooKeeperServer(SessionExpirer):
    """Mirror of org.apache.zookeeper.server.ZooKeeperServer: the standalone server and the base of every role.

    Requests enter at process_packet (from a connection's I/O thread), are submitted to
    the first processor of the chain that setup_request_processors builds, and end in
    FinalRequestProcessor, which applies them and replies.
    """

    # Whether FinalRequestProcessor keeps each committed write in ZKDatabase's committed log,
    # the txns a leader sends a learner as a DIFF. Java fills it in standalone too, where no
    # learner ever reads it; here only a quorum member does (it is loaded from the txn log
    # again when a server starts).
    keeps_committed_log = False

    def __init__(self, txn_log_factory=None, tick_time=DEFAULT_TICK_TIME, min_session_timeout=-1,
                 max_session_timeout=-1, zk_db=None):
        self.tick_time = tick_time
        self.min_session_timeout = -1
        self.max_session_timeout = -1
        self.session_tracker = None
        self.txn_log_factory = txn_log_factory
        self.zk_db = zk_db
        self.hzxid = 0
        self.hzxid_lock = threading.Lock()
        self.first_processor = None
        self.state = State.INITIAL
        self.state_lock = threading.Condition()
        self.requests_in_process = 0
        self.in_process_lock = threading.Lock()
        self.outstanding_changes = collections.deque()
        self.outstanding_changes_for_path = {}
        self.outstanding_changes_lock = threading.RLock()
        self.server_cnxn_factory = None
        self.secure_server_cnxn_factory = None
        self._server_stats = ServerStats(self)
        self.listener = ZooKeeperServerListenerImpl(self)
        self.zk_shutdown_handler = None
        self.create_session_tracker_server_id = 1
        self.initial_config = None
        self.auth_helper = AuthenticationHelper()
        # 3.7+: writes past a quota's countHardLimit / byteHardLimit are refused (QUOTAEXCEEDED)
        self.enforce_quota = system_properties.get_boolean(ENFORCE_QUOTA)
        if self.enforce_quota:
            LOG.info("%s = true, Quota Enforce enables", ENFORCE_QUOTA)
        elif system_properties.parse_true_or_false(system_properties.get_property(ENFORCE_QUOTA, "false")) is None:
            # Java's Boolean.getBoolean reads it as false too; say so, a limit is not kept.
            LOG.warning("%s=%s is neither true nor false: read as false, hard quotas are not enforced",
                        ENFORCE_QUOTA, system_properties.get_property(ENFORCE_QUOTA))
        if txn_log_factory is not None:
            txn_log_factory.set_server_stats(self._server_stats)
            if self.zk_db is None:
                self.zk_db = ZKDatabase(txn_log_factory)
            self.set_min_session_timeout(min_session_timeout)
            self.set_max_session_timeout(max_session_timeout)
            LOG.info(
                "Created server with tickTime %d minSessionTimeout %d maxSessionTimeout %d datadir %s snapdir %s",
                tick_time, self.min_session_timeout, self.max_session_timeout,
                txn_log_factory.get_data_dir(), txn_log_factory.get_snap_dir())

    def server_stats(self):
        return self._server_stats

    def check_quota(self, path, last_data, data, op):
        """With zookeeper.enforceQuota: raise QuotaExceededException when a create (op create) or
        a setData from last_data to data would take the nearest quota above `path` past its hard
        count or byte limit. A soft limit only warns, when the write is applied (DataTree)."""
        if not self.enforce_quota:
            return
        tree = self.zk_db.data_tree
        prefix = tree.get_max_prefix_with_quota(path)
        if prefix is None:
            return
        data_bytes = len(data) if data is not None else 0
        if op == OpCode.create:
            bytes_diff, count_diff = data_bytes, 1
        else:
            bytes_diff, count_diff = data_bytes - (len(last_data) if last_data is not None else 0), 0
        limit_node = tree.get_node(Quotas.quota_path(prefix))
        stat_node = tree.get_node(Quotas.stat_path(prefix))
        if limit_node is None or stat_node is None:
            LOG.error("Missing limit or stat node for quota %s", prefix)
            return
        limits = StatsTrack(limit_node.data)
        current = StatsTrack(stat_node.data)
        hard_count = limits.get_count_hard_limit()
        if count_diff and hard_count > -1 and current.get_count() + count_diff > hard_count:
            LOG.warning("Quota exceeded: %s [current count=%d, hardCountLimit=%d]",
                        prefix, current.get_count() + count_diff, hard_count)
            raise QuotaExceededException(prefix)
        hard_bytes = limits.get_byte_hard_limit()
        if bytes_diff and hard_bytes > -1 and current.get_bytes() + bytes_diff > hard_bytes:
            LOG.warning("Quota exceeded: %s [current bytes=%d, hardByteLimit=%d]",
                        prefix, current.get_bytes() + bytes_diff, hard_bytes)
            raise QuotaExceededException(prefix)

    def dump_conf(self, pwriter):
        conf = self.get_conf()
        lines = [
            "clientPort=%d" % conf.get_client_port(),
            "secureClientPort=%d" % self.get_secure_client_port(),
            "dataDir=%s" % conf.get_data_dir(),
            "dataDirSize=%d" % self.get_data_dir_size(),
            "dataLogDir=%s" % conf.get_data_log_dir(),
            "dataLogSize=%d" % self.get_log_dir_size(),
            "tickTime=%d" % conf.get_tick_time(),
            "maxClientCnxns=%d" % conf.get_max_client_cnxns_per_host(),
            "minSessionTimeout=%d" % conf.get_min_session_timeout(),
            "maxSessionTimeout=%d" % conf.get_max_session_timeout(),
            "serverId=%d" % conf.get_server_id(),
        ]
        pwriter.write("\n".join(lines) + "\n")

    def get_conf(self):
        """The values of `conf` for the AdminServer (dump_conf prints the same ones)."""
        return ZooKeeperServerConf(
            self.get_client_port(),
            os.path.abspath(self.zk_db.snap_log.get_snap_dir()),
            os.path.abspath(self.zk_db.snap_log.get_data_dir()),
            self.get_tick_time(),
            self.get_max_client_cnxns_per_host(),
            self.get_min_session_timeout(),
            self.get_max_session_timeout(),
            self.get_server_id())

    def get_initial_config(self):
        """3.6+: the text of the config file the server started from (AdminServer `icfg`)."""
        return self.initial_config

    def get_zk_database(self):
        return self.zk_db

    def set_zk_database(self, zk_db):
        self.zk_db = zk_db

    # -- loading and snapshots -------------------------------------------------

    def load_data(self, snapshot=True):
        """Load the database (unless already loaded), drop sessions that died while down, snapshot
        (unless the caller takes the snapshot itself: snapshot=False)."""
        if self.zk_db.is_initialized():
            self.set_zxid(self.zk_db.get_data_tree_last_processed_zxid())
        else:
            self.set_zxid(self.zk_db.load_data_base())
        with_timeouts = self.zk_db.get_session_with_time_outs()
        for session in [s for s in self.zk_db.get_sessions() if s not in with_timeouts]:
            self.kill_session(session, self.zk_db.get_data_tree_last_processed_zxid())
        if snapshot:
            self.take_snapshot()

    def should_force_write_initial_snapshot_after_leader_election(self):
        return self.txn_log_factory.should_force_write_initial_snapshot_after_leader_election()

    def take_snapshot(self, sync_snap=False, received=None, in_child=False):
        """Snapshot the tree; or, given a learner's ReceivedSnapshot of it, seal that instead.
        in_child: written by a forked copy of the process (FileSnap.serialize)."""
        start = Time.current_elapsed_time()
        try:
            if received is not None:
                self.txn_log_factory.save_received(received, sync_snap)
            else:
                self.txn_log_factory.save(self.zk_db.get_data_tree(), self.zk_db.get_session_with_time_outs(),
                                          sync_snap, in_child)
        except (IOError, OSError):
            LOG.error("Severe unrecoverable error, exiting", exc_info=True)
            # As Java's System.exit(10): without a snapshot the log cannot be trusted.
            os._exit(ExitCode.TXNLOG_ERROR_TAKING_SNAPSHOT.get_value())
        elapsed = Time.current_elapsed_time() - start
        LOG.info("Snapshot taken in %d ms", elapsed)
        ServerMetrics.SNAPSHOT_TIME.add(elapsed)

    def get_data_dir_size(self):
        if self.zk_db is None:
            return 0
        return _dir_size(self.zk_db.snap_log.get_data_dir())

    def get_log_dir_size(self):
        if self.zk_db is None:
            return 0
        return _dir_size(self.zk_db.snap_log.get_snap_dir())

    def get_zxid(self):
        return self.hzxid

    def get_session_tracker(self):
        return self.session_tracker

    def get_next_zxid(self):
        with self.hzxid_lock:
            self.hzxid += 1
            return self.hzxid

    def set_zxid(self, zxid):
        with self.hzxid_lock:
            self.hzxid = zxid

    # -- sessions ---------------------------------------------------------------------

    def _close(self, session_id):
        si = Request(None, session_id, 0, OpCode.closeSession)
        self.set_local_session_flag(si)
        self.submit_request(si)

    def close_session(self, session_id):
        LOG.info("Closing session 0x%x", session_id & _U64)
        self._close(session_id)

    def kill_session(self, session_id, zxid):
        self.zk_db.kill_session(session_id, zxid)
        if self.session_tracker is not None:
            self.session_tracker.remove_session(session_id)

    def expire(self, session):
        LOG.info("Expiring session 0x%x, timeout of %dms exceeded", session.get_session_id() & _U64,
                 session.get_timeout())
        self._close(session.get_session_id())

    def touch(self, cnxn):
        if cnxn is None:
            return
        sid = cnxn.session_id  # the getters' fields: every request passes here
        if not self.session_tracker.touch_session(sid, cnxn.session_timeout):
            raise MissingSessionException(
                "No session with sessionid 0x%x exists, probably expired and removed" % (sid & _U64))

    def startdata(self):
        if self.zk_db is None:
            self.zk_db = ZKDatabase(self.txn_log_factory)
        if not self.zk_db.is_initialized():
            self.load_data()

    def startup(self):
        with self.state_lock:
            if self.session_tracker is None:
                self.create_session_tracker()
            self.start_session_tracker()
            self.setup_request_processors()
            self.set_state(State.RUNNING)
            self.state_lock.notify_all()
        jit_tuning.server_serving(in_quorum=self.get_state() != "standalone")

    def setup_request_processors(self):
        # cycle: zoo_keeper_server -> prep_request_processor (and final_request_processor -> prep) -> zoo_keeper_server
        from zookeeper_py.server.final_request_processor import FinalRequestProcessor
        from zookeeper_py.server.prep_request_processor import PrepRequestProcessor

        final_processor = FinalRequestProcessor(self)
        sync_processor = SyncRequestProcessor(self, final_processor)
        sync_processor.start()
        self.first_processor = PrepRequestProcessor(self, sync_processor)
        self.first_processor.start()

    def get_zoo_keeper_server_listener(self):
        return self.listener

    def set_create_session_tracker_server_id(self, new_id):
        self.create_session_tracker_server_id = new_id

    def create_session_tracker(self):
        self.session_tracker = SessionTrackerImpl(
            self, self.zk_db.get_session_with_time_outs(), self.tick_time,
            self.create_session_tracker_server_id, self.get_zoo_keeper_server_listener())

    def start_session_tracker(self):
        self.session_tracker.start()

    def set_state(self, state):
        self.state = state
        if self.zk_shutdown_handler is not None:
            self.zk_shutdown_handler.handle(state)
        else:
            LOG.debug("ZKShutdownHandler is not registered, so ZooKeeper server won't take any action on "
                      "ERROR or SHUTDOWN server state changes")

    def can_shutdown(self):
        return self.state in (State.RUNNING, State.ERROR)

    def is_running(self):
        return self.state is State.RUNNING

    def shutdown(self, fully_shut_down=False):
        """Stop the components, then fast-forward the database to the txn log (or clear it on a full
        shutdown), in 3.9.3's order (ZOOKEEPER-4712): a learner's sync processor is stopped with the
        components, so what it drains to the log is in memory too. 3.5.7, and ours before, stopped it
        after the fast-forward, leaving memory behind the disk for the next election and sync. A
        server never started (a learner still syncing) still drops its database on a full shutdown,
        as 3.7+ (ZOOKEEPER-3642)."""
        with self.state_lock:
            if self.can_shutdown():
                LOG.info("shutting down")
                self.set_state(State.SHUTDOWN)
                self.shutdown_components()
                if self.zk_db is not None and not fully_shut_down:
                    try:
                        self.zk_db.fast_forward_data_base()
                    except (IOError, OSError):
                        LOG.error("Error updating DB", exc_info=True)
                        fully_shut_down = True
            else:
                LOG.debug("ZooKeeper server is not running, so not proceeding to shutdown!")
            if self.zk_db is not None and fully_shut_down:
                self.zk_db.clear()

    def shutdown_components(self):
        """What this server owns and stops; a subclass stops its own, then calls this."""
        if self.session_tracker is not None:
            self.session_tracker.shutdown()
        if self.first_processor is not None:
            self.first_processor.shutdown()

    def inc_in_process(self):
        with self.in_process_lock:
            self.requests_in_process += 1

    def dec_in_process(self):
        with self.in_process_lock:
            self.requests_in_process -= 1

    def get_in_process(self):
        return self.requests_in_process

    def generate_passwd(self, session_id):
        return generate_passwd(session_id)

    def check_passwd(self, session_id, passwd):
        return session_id != 0 and passwd == generate_passwd(session_id)

    def create_session(self, cnxn, passwd, timeout, batch=None):
        session_id = self.session_tracker.create_session(timeout)
        cnxn.set_session_id(session_id)
        si = Request(cnxn, session_id, 0, OpCode.createSession, _INT.pack(timeout))
        self.set_local_session_flag(si)
        self.submit_request(si, batch)
        return session_id

    def set_owner(self, session_id, owner):
        self.session_tracker.set_owner(session_id, owner)

    def revalidate_session(self, cnxn, session_id, session_timeout):
        rc = self.session_tracker.touch_session(session_id, session_timeout)
        LOG.debug("Session 0x%x is valid: %s", session_id & _U64, rc)
        self.finish_session_init(cnxn, rc)

    def reopen_session(self, cnxn, session_id, passwd, session_timeout):
        if self.check_passwd(session_id, passwd):
            self.revalidate_session(cnxn, session_id, session_timeout)
        else:
            LOG.warning("Incorrect password from %s for session 0x%x", cnxn.get_remote_address_string(),
                        session_id & _U64)
            self.finish_session_init(cnxn, False)

    def finish_session_init(self, cnxn, valid):
        try:
            if valid:
                rsp = ConnectResponse(0, cnxn.get_session_timeout(), cnxn.get_session_id(),
                                      generate_passwd(cnxn.get_session_id()))
            else:
                rsp = ConnectResponse(0, 0, 0, bytes(16))
            out = bytearray(b"\0\0\0\0")
            rsp._encode(out)
            if not cnxn.is_old_client:
                out += b"\1" if self.is_read_only() else b"\0"
            _CONNECT_LEN_PREFIX.pack_into(out, 0, len(out) - 4)
            cnxn.send_buffer(bytes(out))
            if valid:
                LOG.debug("Established session 0x%x with negotiated timeout %d for client %s",
                          cnxn.get_session_id() & _U64, cnxn.get_session_timeout(), cnxn.get_remote_address_string())
                cnxn.enable_recv()
            else:
                LOG.info("Invalid session 0x%x for client %s, probably expired",
                         cnxn.get_session_id() & _U64, cnxn.get_remote_address_string())
                cnxn.send_buffer(CLOSE_CONN)
        except Exception:
            LOG.warning("Exception while establishing session, closing", exc_info=True)
            cnxn.close()

    def is_read_only(self):
        return False

    def get_server_id(self):
        return 0

    def set_local_session_flag(self, si):
        pass

    def submit_request(self, si, batch=None):
        """Hand a request to the first processor, or add it to `batch` (a SubmitBatch) when given."""
        if self.first_processor is None:
            with self.state_lock:
                while self.state is State.INITIAL:
                    self.state_lock.wait(1.0)
                if self.first_processor is None or self.state is not State.RUNNING:
                    raise RuntimeError("Not started")
        try:
            self.touch(si.cnxn)
            if Request.is_valid(si.type):
                if batch is not None:
                    batch.add(self.first_processor, si)
                else:
                    self.first_processor.process_request(si)
                if si.cnxn is not None:
                    self.inc_in_process()
            else:
                LOG.warning("Received packet at server of unknown type %d", si.type)

                UnimplementedRequestProcessor().process_request(si)
        except MissingSessionException as e:
            LOG.debug("Dropping request: %s", e)

    @staticmethod
    def get_snap_count():
        value = system_properties.get_property("zookeeper.snapCount")
        try:
            snap_count = int(value)
        except (TypeError, ValueError):
            return 100000
        if snap_count < 2:
            LOG.warning("SnapCount should be 2 or more. Now, snapCount is reset to 2")
            snap_count = 2
        return snap_count

    @staticmethod
    def get_snap_size_in_bytes():
        """zookeeper.snapSizeLimitInKb (3.6+, 4 GB by default): a snapshot also comes once about
        half to all of it has gone to the txn log; 0 or less turns that off."""
        size = system_properties.get_long("zookeeper.snapSizeLimitInKb", 4194304)
        if size <= 0:
            LOG.info("zookeeper.snapSizeLimitInKb set to a non-positive value %d; disabling feature", size)
        return size * 1024

    def get_global_outstanding_limit(self):
        value = system_properties.get_property("zookeeper.globalOutstandingLimit")
        if value is None:  # (the usual case: no exception raised per request)
            return 1000
        try:
            return int(value)
        except ValueError:
            return 1000

    def set_server_cnxn_factory(self, factory):
        self.server_cnxn_factory = factory

    def get_server_cnxn_factory(self):
        return self.server_cnxn_factory

    def set_secure_server_cnxn_factory(self, factory):
        self.secure_server_cnxn_factory = factory

    def get_secure_server_cnxn_factory(self):
        return self.secure_server_cnxn_factory

    def get_last_processed_zxid(self):
        return self.zk_db.get_data_tree_last_processed_zxid()

    def get_outstanding_requests(self):
        return self.get_in_process()

    def get_num_alive_connections(self):
        n = 0
        for f in (self.server_cnxn_factory, self.secure_server_cnxn_factory):
            if f is not None:
                n += f.get_num_alive_connections()
        return n

    def truncate_log(self, zxid):
        self.zk_db.truncate_log(zxid)

    def get_tick_time(self):
        return self.tick_time

    def set_tick_time(self, tick_time):
        LOG.info("tickTime set to %d", tick_time)
        self.tick_time = tick_time

    def get_min_session_timeout(self):
        return self.min_session_timeout

    def set_min_session_timeout(self, value):
        self.min_session_timeout = self.tick_time * 2 if value == -1 else value
        LOG.info("minSessionTimeout set to %d", self.min_session_timeout)

    def get_max_session_timeout(self):
        return self.max_session_timeout

    def set_max_session_timeout(self, value):
        self.max_session_timeout = self.tick_time * 20 if value == -1 else value
        LOG.info("maxSessionTimeout set to %d", self.max_session_timeout)

    def get_client_port(self):
        return self.server_cnxn_factory.get_local_port() if self.server_cnxn_factory is not None else -1

    def get_secure_client_port(self):
        return self.secure_server_cnxn_factory.get_local_port() if self.secure_server_cnxn_factory is not None else -1

    def get_max_client_cnxns_per_host(self):
        for f in (self.server_cnxn_factory, self.secure_server_cnxn_factory):
            if f is not None:
                return f.get_max_client_cnxns_per_host()
        return -1

    def set_txn_log_factory(self, txn_log):
        self.txn_log_factory = txn_log

    def get_txn_log_factory(self):
        return self.txn_log_factory

    def get_state(self):
        return "standalone"

    def dump_ephemerals(self, pwriter):
        self.zk_db.dump_ephemerals(pwriter)

    def get_ephemerals(self):
        return self.zk_db.get_ephemerals()

    def remove_cnxn(self, cnxn):
        self.zk_db.remove_cnxn(cnxn)

    # -- the request path ---------------------------------------------------------------

    def process_connect_request(self, cnxn, frame, batch=None):
        """The first frame of a connection: a ConnectRequest (and the readOnly byte of newer clients).
        `batch`: the SubmitBatch of the connection's I/O round, or None."""
        conn_req, pos = ConnectRequest.decode(frame, 0)
        LOG.debug("Session establishment request from client %s client's lastZxid is 0x%x",
                  cnxn.get_remote_address_string(), conn_req.lastZxidSeen & _U64)
        read_only = False
        if pos < len(frame):
            read_only = frame[pos] != 0
            cnxn.is_old_client = False
        else:
            LOG.warning("Connection request from old client %s; will be dropped if server is in r-o mode",
                        cnxn.get_remote_address_string())
        if not read_only and self.is_read_only():
            msg = "Refusing session request for not-read-only client %s" % (cnxn.get_remote_address_string(),)
            LOG.info(msg)
            raise CloseRequestException(msg)
        last_zxid = self.zk_db.get_data_tree_last_processed_zxid()
        if conn_req.lastZxidSeen > last_zxid:
            msg = ("Refusing session request for client %s as it has seen zxid 0x%x our last zxid is 0x%x "
                   "client must try another server" % (cnxn.get_remote_address_string(),
                                                       conn_req.lastZxidSeen & _U64, last_zxid & _U64))
            LOG.info(msg)
            raise CloseRequestException(msg)
        session_timeout = max(conn_req.timeOut, self.get_min_session_timeout())
        session_timeout = min(session_timeout, self.get_max_session_timeout())
        cnxn.set_session_timeout(session_timeout)
        # Requests wait until the session exists (finish_session_init enables them again).
        cnxn.disable_recv()
        session_id = conn_req.sessionId
        if session_id == 0:
            sid = self.create_session(cnxn, conn_req.passwd, session_timeout, batch)
            LOG.debug("Client attempting to establish new session: session = 0x%x, zxid = 0x%x, timeout = %d, "
                      "address = %s", sid & _U64, conn_req.lastZxidSeen & _U64, conn_req.timeOut,
                      cnxn.get_remote_address_string())
        else:
            self.validate_session(cnxn, session_id)
            LOG.debug("Client attempting to renew session: session = 0x%x, zxid = 0x%x, timeout = %d, address = %s",
                      session_id & _U64, conn_req.lastZxidSeen & _U64, conn_req.timeOut,
                      cnxn.get_remote_address_string())
            for factory in (self.server_cnxn_factory, self.secure_server_cnxn_factory):
                if factory is not None:
                    factory.close_session(session_id)
            cnxn.set_session_id(session_id)
            self.reopen_session(cnxn, session_id, conn_req.passwd, session_timeout)

    def validate_session(self, cnxn, session_id):
        """3.6.2+ (ZOOKEEPER-3863): may this session be re-established here? A server that
        cannot refuses by raising CloseRequestException (the read-only server does)."""

    def should_throttle(self, outstanding_count):
        if self.get_global_outstanding_limit() < self.get_in_process():
            return outstanding_count > 0
        return False

    def process_packet(self, cnxn, frame, batch=None):
        """A request frame: RequestHeader + body. Auth and SASL are answered here; the rest is submitted
        (into `batch`, the SubmitBatch of the connection's I/O round, when given)."""
        if len(frame) < 8:
            # Java's byteBuffer2Record(RequestHeader) throws EOFException: the connection closes.
            raise JuteEOFError("a %d-byte frame cannot hold a RequestHeader" % len(frame))
        xid, op = _HEADER.unpack_from(frame, 0)
        body = frame[8:]
        if op == OpCode.auth:
            LOG.info("got auth packet %s", cnxn.get_remote_address_string())
            auth_packet = AuthPacket.from_bytes(body)
            scheme = auth_packet.scheme
            ap = ProviderRegistry.get_provider(scheme)
            auth_return = Code.AUTHFAILED
            if ap is not None:
                try:
                    auth_return = ap.handle_authentication(cnxn, auth_packet.auth or b"")
                except Exception as e:
                    LOG.warning("Caught runtime exception from AuthenticationProvider: %s due to %s", scheme, e)
                    auth_return = Code.AUTHFAILED
            if auth_return == Code.OK:
                LOG.info("auth success %s", cnxn.get_remote_address_string())
                cnxn.send_response(ReplyHeader(xid, 0, 0), None)
            else:
                if ap is None:
                    LOG.warning("No authentication provider for scheme: %s has %s", scheme,
                                ProviderRegistry.list_providers())
                else:
                    LOG.warning("Authentication failed for scheme: %s", scheme)
                cnxn.send_response(ReplyHeader(xid, 0, int(Code.AUTHFAILED)), None)
                cnxn.send_buffer(CLOSE_CONN)
                cnxn.disable_recv()
            return
        if op == OpCode.sasl:
            self.process_sasl(body, cnxn, xid)
            return
        auth_helper = self.auth_helper
        if auth_helper.enforce_auth_enabled and not auth_helper.enforce_authentication(cnxn, xid):
            return  # the client was told and its connection closes
        si = Request(cnxn, cnxn.session_id, xid, op, body, cnxn.auth_info)
        si.owner = ServerCnxn.me
        self.set_local_session_flag(si)
        self.submit_request(si, batch)
        cnxn.incr_outstanding_requests(xid)

    @staticmethod
    def is_sasl_super_user(id_):
        """3.8: zookeeper.superUser, or any zookeeper.superUser.<suffix>, names id_ (3.5.7 reads the first only)."""
        if not id_:
            return False
        for key, value in system_properties.snapshot().items():
            if key.startswith(SASL_SUPER_USER) and (len(key) == len(SASL_SUPER_USER)
                                                    or key[len(SASL_SUPER_USER)] == "."):
                if value == id_:
                    return True
        return False

    @staticmethod
    def should_allow_sasl_failed_clients_connect():
        return system_properties.get_boolean(ALLOW_SASL_FAILED_CLIENTS)

    def process_sasl(self, body, cnxn, xid):
        """Java's processSasl: one SASL token of the client, answered with the server's next token.

        On success the connection gets Id("sasl", authorizationID) (and Id("super", "") for
        zookeeper.superUser). On failure, as 3.7+ does: unless zookeeper.allowSaslFailedClients
        (and SASL is not required), the reply carries AUTHFAILED (SESSIONCLOSEDREQUIRESASLAUTH
        when zookeeper.sessionRequireClientSASLAuth / enforce.auth.schemes require sasl) and
        the connection closes. Without a JAAS Server section there is no SASL server: Java's
        NullPointerException path, an empty token with OK (the client finds out from it)."""
        LOG.debug("Responding to client SASL token.")
        client_token = GetSASLRequest.from_bytes(body).token or b""
        LOG.debug("Size of client SASL token: %d", len(client_token))
        response_token = None
        sasl_server = cnxn.zoo_keeper_sasl_server
        login = None
        if sasl_server is None:
            factory = getattr(cnxn, "factory", None)
            login = getattr(factory, "login", None)
        if sasl_server is None and login is None:
            LOG.error("cnxn.saslServer is null: cnxn object did not initialize its saslServer properly. (There is "
                      "no JAAS '%s' section: client %s asked for SASL.)", "Server", cnxn.get_remote_address_string())
        else:
            try:
                if sasl_server is None:
                    # Java makes it with the connection; a GSSAPI one that cannot be made fails this client.
                    sasl_server = cnxn.zoo_keeper_sasl_server = ZooKeeperSaslServer(login)
                # The first token of DIGEST-MD5 is empty; GSSAPI's is the client's Kerberos AP-REQ.
                response_token = sasl_server.evaluate_response(client_token)
                if sasl_server.is_complete():
                    authorization_id = sasl_server.get_authorization_id()
                    LOG.info("Session 0x%x: adding SASL authorization for authorizationID: %s",
                             cnxn.get_session_id() & _U64, authorization_id)
                    cnxn.add_auth_info(Id("sasl", authorization_id))
                    if self.is_sasl_super_user(authorization_id):
                        cnxn.add_auth_info(Id("super", ""))
                        LOG.info("Session 0x%x: Authenticated Id '%s' as super user",
                                 cnxn.get_session_id() & _U64, authorization_id)
            except SaslException as e:
                LOG.warning("Client %s failed to SASL authenticate: %s", cnxn.get_remote_address_string(), e)
                required = self.auth_helper.is_sasl_auth_required()
                if self.should_allow_sasl_failed_clients_connect() and not required:
                    LOG.warning("Maintaining client connection despite SASL authentication failure.")
                else:
                    if required:
                        LOG.warning("Closing client connection due to server requires client SASL authenticaiton,"
                                    "but client SASL authentication has failed, or client is not configured with "
                                    "SASL authentication.")
                        error = Code.SESSIONCLOSEDREQUIRESASLAUTH
                    else:
                        LOG.warning("Closing client connection due to SASL authentication failure.")
                        error = Code.AUTHFAILED
                    cnxn.send_response(ReplyHeader(xid, 0, int(error)), SetSASLResponse(None))
                    cnxn.send_close_session()
                    cnxn.disable_recv()
                    return
        if response_token is not None:
            LOG.debug("Size of server SASL response: %d", len(response_token))
        cnxn.send_response(ReplyHeader(xid, 0, 0), SetSASLResponse(response_token))

    def process_txn(self, request=None, hdr=None, txn=None):
        """Apply a txn: processTxn(hdr, txn) or processTxn(request); also tracks session create/close."""
        if request is not None:
            hdr, txn = request.hdr, request.txn
            op = request.type
            session_id = request.session_id
        else:
            op = hdr.type
            session_id = hdr.clientId
        rc = self.zk_db.process_txn(hdr, txn) if hdr is not None else ProcessTxnResult()
        if op == OpCode.createSession:
            if hdr is not None and isinstance(txn, CreateSessionTxn):
                self.session_tracker.add_global_session(session_id, txn.timeOut)
            elif request is not None and request.local_session:
                timeout, = _INT.unpack_from(request.request, 0)
                self.session_tracker.add_session(request.session_id, timeout)
            else:
                LOG.warning("*****>>>>> Got %s %s", type(txn).__name__, txn)
        elif op == OpCode.closeSession:
            self.session_tracker.remove_session(session_id)
        return rc

    def get_session_expiry_map(self):
        return self.session_tracker.get_session_expiry_map()

    def register_server_shutdown_handler(self, handler):
        self.zk_shutdown_handler = handler


def _dir_size(path):
    total = 0
    for root, _dirs, files in os.walk(path):
        for name in files:
            try:
                total += os.path.getsize(os.path.join(root, name))
            except OSError:
                pass
    return total
