"""Mirror of org.apache.zookeeper.server.PrepRequestProcessor."""

import logging
import queue
import struct

from zookeeper_py.common import system_properties
from zookeeper_py.common.java_hash_order import id_hash_code, java_hash_order
from zookeeper_py.common.java_integer import parse_long
from zookeeper_py.common.java_properties import load_properties
from zookeeper_py.common.linked_blocking_queue import LinkedBlockingQueue
from zookeeper_py.common.path_utils import validate_path as _validate_path
from zookeeper_py.common.string_utils import StringUtils
from zookeeper_py.common.time import Time
from zookeeper_py.create_mode import CreateMode
from zookeeper_py.data import ACL, StatPersisted
from zookeeper_py.jute import JuteIOError
from zookeeper_py.keeper_exception import (
    BadArgumentsException,
    BadVersionException,
    Code,
    InvalidACLException,
    KeeperException,
    NewConfigNoQuorum,
    NoAuthException,
    NoChildrenForEphemeralsException,
    NodeExistsException,
    NoNodeException,
    NotEmptyException,
    ReconfigDisabledException,
    ReconfigInProgress,
    UnimplementedException,
)
from zookeeper_py.multi_transaction_record import MultiTransactionRecord
from zookeeper_py.proto import (
    CheckVersionRequest,
    CreateRequest,
    CreateTTLRequest,
    DeleteRequest,
    ReconfigRequest,
    SetACLRequest,
    SetDataRequest,
)
from zookeeper_py.server.auth.provider_registry import ProviderRegistry
from zookeeper_py.server.ephemeral_type import EphemeralType
from zookeeper_py.server.quorum.flexible.quorum_maj import QuorumMaj
from zookeeper_py.server.quorum.quorum_peer_config import QuorumPeerConfig
from zookeeper_py.server.quorum.quorum_server import ConfigException, QuorumServer
from zookeeper_py.server.request import Request
from zookeeper_py.server.request_processor import RequestProcessor
from zookeeper_py.server.zoo_keeper_server import ChangeRecord
from zookeeper_py.server.zoo_keeper_thread import ZooKeeperCriticalThread
from zookeeper_py.txn import (
    CheckVersionTxn,
    CreateContainerTxn,
    CreateSessionTxn,
    CreateTTLTxn,
    CreateTxn,
    DeleteTxn,
    ErrorTxn,
    MultiTxn,
    SetACLTxn,
    SetDataTxn,
    Txn,
    TxnHeader,
)
from zookeeper_py.zoo_defs import OpCode, Perms, ZooDefs

LOG = logging.getLogger("PrepRequestProcessor")

_U64 = 0xFFFFFFFFFFFFFFFF
_INT = struct.Struct(">i")

# Requests that only need their session checked here (reads and watch management).
_SESSION_CHECK_ONLY = frozenset((
    OpCode.sync, OpCode.exists, OpCode.getData, OpCode.getACL, OpCode.getChildren,
    OpCode.getChildren2, OpCode.ping, OpCode.setWatches, OpCode.setWatches2,
    OpCode.checkWatches, OpCode.removeWatches, OpCode.getEphemerals, OpCode.multiRead,
    OpCode.addWatch, OpCode.whoAmI, OpCode.getAllChildrenNumber,
))

_CREATE_OPS = frozenset((OpCode.create, OpCode.create2, OpCode.createTTL, OpCode.createContainer))

# The request record of each write opcode, decoded from the client packet.
_REQUEST_RECORDS = {
    OpCode.create: CreateRequest,
    OpCode.create2: CreateRequest,
    OpCode.createContainer: CreateRequest,
    OpCode.createTTL: CreateTTLRequest,
    OpCode.delete: DeleteRequest,
    OpCode.setData: SetDataRequest,
    OpCode.reconfig: ReconfigRequest,
    OpCode.setACL: SetACLRequest,
    OpCode.check: CheckVersionRequest,
}


def skip_acl():
    return system_properties.get_property("zookeeper.skipACL", "no") == "yes"


def check_acl(zks, acl, perm, ids):
    """PrepRequestProcessor.checkACL: raise NoAuthException unless one of `ids` grants `perm`.

    zookeeper.skipACL is asked last, only when the ACL refuses: every way out but the last
    allows, so the order does not change the answer, and most ACLs allow at once."""
    if not acl:
        return
    first = acl[0].id
    if acl[0].perms & perm and first.scheme == "world" and first.id == "anyone":
        return  # the open ACL, most nodes', allowed before the loops (each a new frame on PyPy)
    for auth_id in ids:
        if auth_id.scheme == "super":
            return
    for a in acl:
        id_ = a.id
        if a.perms & perm:
            if id_.scheme == "world" and id_.id == "anyone":
                return
            ap = ProviderRegistry.get_provider(id_.scheme)
            if ap is not None:
                for auth_id in ids:
                    if auth_id.scheme == id_.scheme and ap.matches(auth_id.id, id_.id):
                        return
    if skip_acl():
        return
    raise NoAuthException()


def check_and_inc_version(current_version, expected_version, path):
    if expected_version != -1 and expected_version != current_version:
        raise BadVersionException(path)
    return current_version + 1


class PrepRequestProcessor(ZooKeeperCriticalThread, RequestProcessor):
    """Mirror of org.apache.zookeeper.server.PrepRequestProcessor: the first stage of every write.

    Its thread validates each request against the tree plus the ChangeRecords of the
    writes ahead of it, checks ACLs and versions, and turns a write into a TxnHeader +
    txn with the next zxid. A write that fails still takes its zxid, as an error txn.
    """

    def __init__(self, zks, next_processor):
        super().__init__("ProcessThread(sid:%d cport:%d):" % (zks.get_server_id(), zks.get_client_port()),
                         zks.get_zoo_keeper_server_listener())
        # Java: unbounded LinkedBlockingQueue. Bound: globalOutstandingLimit + one per connection, per
        # member feeding this chain (clients are throttled past the limit); see util/queue_census.
        # Not queue.Queue(maxsize): that costs this hot path a lock and a condition per hop.
        self.submitted_requests = LinkedBlockingQueue()
        self.next_processor = next_processor
        self.zks = zks
        if skip_acl():
            LOG.info('zookeeper.skipACL=="yes", ACL checks will be skipped')

    def run_thread(self):
        death = Request.requestOfDeath
        poll = self.submitted_requests.poll
        take = self.submitted_requests.get
        next_processor = self.next_processor
        while True:
            request = poll()
            if request is None:
                # Before waiting: in read-only mode the next processor is FinalRequestProcessor,
                # whose replies wait for a flush (a no-op for the others).
                next_processor.flush()
                request = take()
            if request is death:
                break
            self.p_request(request)
        LOG.info("PrepRequestProcessor exited loop!")

    # -- ChangeRecords ------------------------------------------------------------

    def get_record_for_path(self, path):
        last_change = self.find_record_for_path(path)
        if last_change is None:
            raise NoNodeException(path)
        return last_change

    def find_record_for_path(self, path):
        """getRecordForPath without the exception: None where the node does not exist."""
        zks = self.zks
        with zks.outstanding_changes_lock:
            last_change = zks.outstanding_changes_for_path.get(path)
            if last_change is None:
                db = zks.get_zk_database()
                node = db.get_node(path)
                if node is not None:
                    with db.get_data_tree().lock:
                        count = len(node.children) if node.children else 0
                        stat = node.stat
                    last_change = ChangeRecord(-1, path, stat, count, db.acl_for_node(node))
        if last_change is None or last_change.stat is None:
            return None
        return last_change

    def get_outstanding_change(self, path):
        with self.zks.outstanding_changes_lock:
            return self.zks.outstanding_changes_for_path.get(path)

    def add_change_record(self, c):
        with self.zks.outstanding_changes_lock:
            self.zks.outstanding_changes.append(c)
            self.zks.outstanding_changes_for_path[c.path] = c

    def get_pending_changes(self, multi_request):
        """The ChangeRecords a multi may disturb: each op's path and its parent."""
        pending = {}
        for op in multi_request:
            path = op.get_path()
            if path is None:
                continue  # a null path (Java: NullPointerException); the op itself fails with BadArguments
            cr = self.get_outstanding_change(path)
            if cr is not None:
                pending[path] = cr
            last_slash = path.rfind("/")
            if last_slash == -1 or "\0" in path:
                continue
            parent_path = path[:last_slash]
            parent_cr = self.get_outstanding_change(parent_path)
            if parent_cr is not None:
                pending[parent_path] = parent_cr
        return pending

    def rollback_pending_changes(self, zxid, pending_change_records):
        """Undo the ChangeRecords a failed multi added, restoring what was pending before it."""
        zks = self.zks
        with zks.outstanding_changes_lock:
            changes = zks.outstanding_changes
            while changes and changes[-1].zxid == zxid:
                c = changes.pop()
                zks.outstanding_changes_for_path.pop(c.path, None)
            if not changes:
                return
            first_zxid = changes[0].zxid
            for c in pending_change_records.values():
                if c.zxid < first_zxid:
                    continue
                zks.outstanding_changes_for_path[c.path] = c

    # -- validation -------------------------------------------------------------------

    def validate_path_for_create(self, path, session_id):
        last_slash = path.rfind("/")
        if last_slash == -1 or "\0" in path:
            LOG.info("Invalid path %s with session 0x%x", path, session_id & _U64)
            raise BadArgumentsException(path)
        return path[:last_slash]

    def validate_path(self, path, session_id):
        try:
            _validate_path(path)
        except ValueError as e:
            LOG.info("Invalid path %s with session 0x%x, reason: %s", path, session_id & _U64, e)
            raise BadArgumentsException(path) from None

    def get_parent_path_and_validate(self, path):
        last_slash = path.rfind("/")
        if last_slash == -1 or "\0" in path or self.zks.get_zk_database().is_special_path(path):
            raise BadArgumentsException(path)
        return path[:last_slash]

    def validate_create_request(self, path, create_mode, request, ttl):
        if create_mode.is_ttl() and not EphemeralType.extended_ephemeral_types_enabled():
            raise UnimplementedException()
        try:
            EphemeralType.validate_ttl(create_mode, ttl)
        except ValueError:
            raise BadArgumentsException(path) from None
        tracker = self.zks.session_tracker
        if create_mode.is_ephemeral():
            if request.e is not None:
                raise request.e
            tracker.check_global_session(request.session_id, request.owner)
        else:
            tracker.check_session(request.session_id, request.owner)

    @staticmethod
    def remove_duplicates(acl):
        # Java's is a scan per entry; an ACL list of 40,000 entries (1 MB) held the server a minute.
        return list(dict.fromkeys(acl))

    def fixup_acl(self, path, auth_info, acls):
        """Expand "auth" ids into the caller's authenticated ids; reject ACLs no provider accepts."""
        if not acls:
            raise InvalidACLException(path)
        rv = []
        for a in self.remove_duplicates(acls):
            if a is None or a.id is None or a.id.scheme is None:
                raise InvalidACLException(path)
            id_ = a.id
            if id_.scheme == "world" and id_.id == "anyone":
                rv.append(a)
            elif id_.scheme == "auth":
                auth_id_valid = False
                # Java walks the connection's ids in their ConcurrentHashMap key set's order (as whoAmI lists them)
                for cid in java_hash_order(auth_info, id_hash_code):
                    ap = ProviderRegistry.get_provider(cid.scheme)
                    if ap is None:
                        LOG.error("Missing AuthenticationProvider for %s", cid.scheme)
                    elif ap.is_authenticated():
                        auth_id_valid = True
                        rv.append(ACL(a.perms, cid))
                if not auth_id_valid:
                    raise InvalidACLException(path)
            else:
                ap = ProviderRegistry.get_provider(id_.scheme)
                if ap is None or id_.id is None or not ap.is_valid(id_.id):
                    raise InvalidACLException(path)
                rv.append(a)
        return rv

    # -- building txns -------------------------------------------------------------------

    def p_request2_txn(self, op_type, zxid, request, record):
        """Validate one write and set request.hdr/request.txn (raises KeeperException on failure)."""
        request.hdr = TxnHeader(request.session_id, request.cxid, zxid, Time.current_wall_time(), op_type)
        if record is None and op_type in _REQUEST_RECORDS:
            # Decoded after the header is set, so a malformed body still becomes an error txn.
            record = _REQUEST_RECORDS[op_type].from_bytes(request.request)
        zks = self.zks
        tracker = zks.session_tracker
        if op_type in _CREATE_OPS:
            self.p_request2_txn_create(op_type, request, record)
        elif op_type == OpCode.deleteContainer:
            path = bytes(request.request).decode("utf-8", "replace")
            if request.session_id != 0:
                # Only the ContainerManager's own requests (session 0) delete. Java reads a client's
                # path from the whole packet, its header first, so it is never valid there
                # (BADARGUMENTS): no client deletes a container or TTL node past its ACL this way.
                LOG.info("Invalid path %s with session 0x%x", path, request.session_id & 0xFFFFFFFFFFFFFFFF)
                raise BadArgumentsException(path)
            parent_path = self.get_parent_path_and_validate(path)
            parent_record = self.get_record_for_path(parent_path)
            node_record = self.get_record_for_path(path)
            if node_record.child_count > 0:
                raise NotEmptyException(path)
            if EphemeralType.get(node_record.stat.ephemeralOwner) is EphemeralType.NORMAL:
                raise BadVersionException(path)
            self.add_delete_txn(request, path, parent_record)
        elif op_type == OpCode.delete:
            tracker.check_session(request.session_id, request.owner)
            path = record.path
            parent_path = self.get_parent_path_and_validate(path)
            parent_record = self.get_record_for_path(parent_path)
            # The ACL before the node, as 3.6+: NOAUTH does not say whether the node exists.
            check_acl(zks, parent_record.acl, Perms.DELETE, request.auth_info)
            node_record = self.get_record_for_path(path)
            check_and_inc_version(node_record.stat.version, record.version, path)
            if node_record.child_count > 0:
                raise NotEmptyException(path)
            self.add_delete_txn(request, path, parent_record)
        elif op_type == OpCode.setData:
            tracker.check_session(request.session_id, request.owner)
            path = record.path
            self.validate_path(path, request.session_id)
            node_record = self.get_record_for_path(path)
            check_acl(zks, node_record.acl, Perms.WRITE, request.auth_info)
            if zks.enforce_quota:
                node = zks.get_zk_database().get_node(path)
                zks.check_quota(path, node.data if node is not None else None, record.data, OpCode.setData)
            new_version = check_and_inc_version(node_record.stat.version, record.version, path)
            request.txn = SetDataTxn(path, record.data, new_version)
            node_record = node_record.duplicate(request.hdr.zxid)
            node_record.stat.version = new_version
            self.add_change_record(node_record)
        elif op_type == OpCode.reconfig:
            if not QuorumPeerConfig.is_reconfig_enabled():
                LOG.error("Reconfig operation requested but reconfig feature is disabled.")
                raise ReconfigDisabledException()
            if skip_acl():
                LOG.warning("skipACL is set, reconfig operation will skip ACL checks!")
            tracker.check_session(request.session_id, request.owner)
            # cycle: leader_zoo_keeper_server -> prep_request_processor -> leader_zoo_keeper_server
            from zookeeper_py.server.quorum.leader_zoo_keeper_server import LeaderZooKeeperServer

            if not isinstance(zks, LeaderZooKeeperServer):
                # standalone mode - reconfiguration currently not supported
                raise UnimplementedException()
            lzks = zks
            last_seen_qv = lzks.self.get_last_seen_quorum_verifier()
            # check that there's no reconfig in progress
            if last_seen_qv.get_version() != lzks.self.get_quorum_verifier().get_version():
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
                    request.qv = QuorumPeerConfig.parse_dynamic_config(props, lzks.self.get_election_type(), True,
                                                                       False)
                    request.qv.set_version(request.hdr.zxid)
                except (IOError, ConfigException, ValueError) as e:
                    raise BadArgumentsException(str(e)) from None
            else:  # incremental change - must be a majority quorum system
                LOG.info("Incremental reconfig")
                joining_servers = StringUtils.split(record.joiningServers, ",") if record.joiningServers else None
                leaving_servers = StringUtils.split(record.leavingServers, ",") if record.leavingServers else None
                if not isinstance(last_seen_qv, QuorumMaj):
                    msg = ("Incremental reconfiguration requested but last configuration seen has a non-majority "
                           "quorum system")
                    LOG.warning(msg)
                    raise BadArgumentsException(msg)
                next_servers = dict(last_seen_qv.get_all_members())
                try:
                    # A sid that is not a number escapes, as Java's NumberFormatException does:
                    # MARSHALLINGERROR, not BADARGUMENTS.
                    for leaving in leaving_servers or ():
                        next_servers.pop(parse_long(leaving), None)
                    for joiner in joining_servers or ():
                        # joiner should have the following format: server.x = server_spec;client_spec
                        parts = StringUtils.split(joiner, "=")
                        if len(parts) != 2:
                            raise BadArgumentsException("Wrong format of server string")
                        # extract server id x from first part of joiner: server.x
                        sid = parse_long(parts[0][parts[0].rfind(".") + 1:])
                        qs = QuorumServer(sid, parts[1])
                        if qs.client_addr is None or qs.election_addr is None or qs.addr is None:
                            raise BadArgumentsException(
                                "Wrong format of server string - each server should have 3 ports specified")
                        # check duplication of addresses and ports
                        for nqs in next_servers.values():
                            if qs.id != nqs.id:
                                qs.check_address_duplicate(nqs)
                        next_servers.pop(qs.id, None)
                        next_servers[qs.id] = qs
                except ConfigException:
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
            if not lzks.get_leader().is_quorum_synced(request.qv):
                msg2 = "Reconfig failed - there must be a connected and synced quorum in new configuration"
                LOG.warning(msg2)
                raise NewConfigNoQuorum()
            node_record = self.get_record_for_path(ZooDefs.CONFIG_NODE)
            check_acl(zks, node_record.acl, Perms.WRITE, request.auth_info)
            request.txn = SetDataTxn(ZooDefs.CONFIG_NODE, str(request.qv).encode("utf-8"), -1)
            node_record = node_record.duplicate(request.hdr.zxid)
            node_record.stat.version = -1
            self.add_change_record(node_record)
        elif op_type == OpCode.setACL:
            tracker.check_session(request.session_id, request.owner)
            path = record.path
            self.validate_path(path, request.session_id)
            list_acl = self.fixup_acl(path, request.auth_info, record.acl)
            node_record = self.get_record_for_path(path)
            check_acl(zks, node_record.acl, Perms.ADMIN, request.auth_info)
            new_version = check_and_inc_version(node_record.stat.aversion, record.version, path)
            request.txn = SetACLTxn(path, list_acl, new_version)
            node_record = node_record.duplicate(request.hdr.zxid)
            node_record.stat.aversion = new_version
            self.add_change_record(node_record)
        elif op_type == OpCode.createSession:
            # Java's getInt(): a body shorter than 4 bytes fails (MARSHALLINGERROR), never reads as 0.
            timeout, = _INT.unpack_from(request.request, 0)
            request.txn = CreateSessionTxn(timeout)
            if request.local_session:
                tracker.add_session(request.session_id, timeout)
            else:
                tracker.add_global_session(request.session_id, timeout)
            zks.set_owner(request.session_id, request.owner)
        elif op_type == OpCode.closeSession:
            # The ephemerals to delete: those in the tree plus those a pending write creates.
            es = zks.get_zk_database().get_ephemerals(request.session_id)
            with zks.outstanding_changes_lock:
                for c in zks.outstanding_changes:
                    if c.stat is None:
                        es.discard(c.path)
                    elif c.stat.ephemeralOwner == request.session_id:
                        es.add(c.path)
                for path in es:
                    self.add_change_record(ChangeRecord(request.hdr.zxid, path, None, 0, None))
                tracker.set_session_closing(request.session_id)
        elif op_type == OpCode.check:
            tracker.check_session(request.session_id, request.owner)
            path = record.path
            self.validate_path(path, request.session_id)
            node_record = self.get_record_for_path(path)
            check_acl(zks, node_record.acl, Perms.READ, request.auth_info)
            request.txn = CheckVersionTxn(path, check_and_inc_version(node_record.stat.version, record.version, path))
        else:
            LOG.warning("unknown type %d", op_type)

    def add_delete_txn(self, request, path, parent_record):
        request.txn = DeleteTxn(path)
        parent_record = parent_record.duplicate(request.hdr.zxid)
        parent_record.child_count -= 1
        self.add_change_record(parent_record)
        self.add_change_record(ChangeRecord(request.hdr.zxid, path, None, -1, None))

    def p_request2_txn_create(self, op_type, request, record):
        flags = record.flags
        path = record.path
        acl = record.acl
        data = record.data
        ttl = record.ttl if op_type == OpCode.createTTL else -1
        create_mode = CreateMode.from_flag(flags)
        self.validate_create_request(path, create_mode, request, ttl)
        if op_type == OpCode.createTTL and not create_mode.is_ttl():
            # Java lets a negative ttl through here, and its DataTree cannot make the node
            raise BadArgumentsException(path)
        parent_path = self.validate_path_for_create(path, request.session_id)
        list_acl = self.fixup_acl(path, request.auth_info, acl)
        parent_record = self.get_record_for_path(parent_path)
        check_acl(self.zks, parent_record.acl, Perms.CREATE, request.auth_info)
        parent_cversion = parent_record.stat.cversion
        ephemeral = create_mode.is_ephemeral()
        if create_mode.is_sequential():
            path = path + "%010d" % parent_cversion
        self.validate_path(path, request.session_id)
        # Java: getRecordForPath in a try, its NoNodeException ignored; raising and catching
        # one per create was 6% of a CPython server's CPU under creates.
        if self.find_record_for_path(path) is not None:
            raise NodeExistsException(path)
        if EphemeralType.get(parent_record.stat.ephemeralOwner) is EphemeralType.NORMAL:
            raise NoChildrenForEphemeralsException(path)
        self.zks.check_quota(path, None, data, OpCode.create)
        new_cversion = parent_record.stat.cversion + 1
        if op_type == OpCode.createContainer:
            request.txn = CreateContainerTxn(path, data, list_acl, new_cversion)
        elif op_type == OpCode.createTTL:
            request.txn = CreateTTLTxn(path, data, list_acl, new_cversion, ttl)
        else:
            request.txn = CreateTxn(path, data, list_acl, ephemeral, new_cversion)
        s = StatPersisted()
        if ephemeral:
            s.ephemeralOwner = request.session_id
        parent_record = parent_record.duplicate(request.hdr.zxid)
        parent_record.child_count += 1
        parent_record.stat.cversion = new_cversion
        self.add_change_record(parent_record)
        self.add_change_record(ChangeRecord(request.hdr.zxid, path, s, 0, list_acl))

    # -- the main step -----------------------------------------------------------------------

    def p_request(self, request):
        request.hdr = None
        request.txn = None
        zks = self.zks
        op = request.type
        try:
            if op in _REQUEST_RECORDS or op == OpCode.deleteContainer:
                self.p_request2_txn(op, zks.get_next_zxid(), request, None)
            elif op == OpCode.multi:
                self.p_request_multi(request)
            elif op in (OpCode.createSession, OpCode.closeSession):
                if not request.local_session:
                    self.p_request2_txn(op, zks.get_next_zxid(), request, None)
            elif op in _SESSION_CHECK_ONLY:
                zks.session_tracker.check_session(request.session_id, request.owner)
            else:
                LOG.warning("unknown type %d", op)
        except KeeperException as e:
            if request.hdr is not None:
                request.hdr.type = OpCode.error
                request.txn = ErrorTxn(int(e.code()))
            if int(e.code()) > int(Code.APIERROR):
                LOG.info("Got user-level KeeperException when processing %s Error Path:%s Error:%s",
                         request, e.path, e.get_message())
            request.e = e
        except Exception:
            LOG.error("Failed to process %s", request, exc_info=True)
            body = request.request
            LOG.error("Dumping request buffer: 0x%s",
                      bytes(body).hex() if body is not None else "request buffer is null")
            if request.hdr is None and (op in _REQUEST_RECORDS or op in (OpCode.multi, OpCode.deleteContainer)):
                # A write must leave here with a txn (an error one), or the commit it waits for never comes
                # and its session stalls; Java leaves the header null.
                request.hdr = TxnHeader(request.session_id, request.cxid, zks.get_next_zxid(),
                                        Time.current_wall_time(), op)
            if request.hdr is not None:
                request.hdr.type = OpCode.error
                request.txn = ErrorTxn(int(Code.MARSHALLINGERROR))
        request.zxid = zks.hzxid  # get_zxid(): every request passes here
        self.next_processor.process_request(request)

    def p_request_multi(self, request):
        zks = self.zks
        try:
            multi_request = MultiTransactionRecord.from_bytes(request.request)
        except (JuteIOError, ValueError, KeyError):
            request.hdr = TxnHeader(request.session_id, request.cxid, zks.get_next_zxid(),
                                    Time.current_wall_time(), OpCode.multi)
            raise
        txns = []
        zxid = zks.get_next_zxid()
        ke = None
        pending_changes = self.get_pending_changes(multi_request)
        for op in multi_request:
            if ke is not None:
                # An op already failed: the rest only report that.
                op_type = OpCode.error
                txn = ErrorTxn(int(Code.RUNTIMEINCONSISTENCY))
            else:
                try:
                    self.p_request2_txn(op.get_type(), zxid, request, op.to_request_record())
                    op_type = request.hdr.type
                    txn = request.txn
                except KeeperException as e:
                    ke = e
                    op_type = OpCode.error
                    txn = ErrorTxn(int(e.code()))
                    if int(e.code()) > int(Code.APIERROR):
                        LOG.info("Got user-level KeeperException when processing %s aborting remaining multi ops."
                                 " Error Path:%s Error:%s", request, e.path, e.get_message())
                    request.e = e
                    self.rollback_pending_changes(zxid, pending_changes)
            txns.append(Txn(op_type, txn.to_bytes()))
        request.hdr = TxnHeader(request.session_id, request.cxid, zxid, Time.current_wall_time(), request.type)
        request.txn = MultiTxn(txns)

    def process_request(self, request):
        self.submitted_requests.put(request)

    def shutdown(self):
        LOG.info("Shutting down")
        while True:
            try:
                self.submitted_requests.get_nowait()
            except queue.Empty:
                break
        self.submitted_requests.put(Request.requestOfDeath)
        self.next_processor.shutdown()
