"""Mirror of org.apache.zookeeper.server.DataTree: the in-memory tree of znodes."""

import logging
import struct
import threading
import time

from zookeeper_py.common.java_hash_order import java_hash_order, long_hash_code, string_hash_code
from zookeeper_py.data import Stat, StatPersisted
from zookeeper_py.jute import BinaryOutputArchive, JuteEOFError, JuteIOError, max_length
from zookeeper_py.jute.utils import decode_string, encode_string
from zookeeper_py.keeper_exception import Code, KeeperException, NodeExistsException, NoNodeException
from zookeeper_py.quotas import Quotas
from zookeeper_py.server.data_node import CHILDREN_ARE_DICT, NEW_CHILDREN, DataNode
from zookeeper_py.server.ephemeral_type import CONTAINER_EPHEMERAL_OWNER, EphemeralType
from zookeeper_py.server.reference_counted_acl_cache import ReferenceCountedACLCache
from zookeeper_py.server.watch_manager import WatchManager
from zookeeper_py.server.watcher_mode import WatcherMode
from zookeeper_py.stats_track import StatsTrack
from zookeeper_py.txn import (
    CheckVersionTxn,
    CreateContainerTxn,
    CreateTTLTxn,
    CreateTxn,
    DeleteTxn,
    ErrorTxn,
    SetDataTxn,
    TxnHeader,
)
from zookeeper_py.watched_event import WatchedEvent
from zookeeper_py.watcher import EventType, KeeperState, WatcherType
from zookeeper_py.zoo_defs import Ids, OpCode, ZooDefs

LOG = logging.getLogger("DataTree")

ROOT_ZOOKEEPER = "/"
PROC_ZOOKEEPER = Quotas.procZookeeper
QUOTA_ZOOKEEPER = Quotas.quotaZookeeper
CONFIG_ZOOKEEPER = ZooDefs.CONFIG_NODE

_INT = struct.Struct(">i")
_NULL = _INT.pack(-1)
# What follows a node's path and data in a snapshot: long acl + StatPersisted.
_NODE_TAIL = struct.Struct(">qqqqqiiiqq")
# Nodes packed per hold of the tree lock in a snapshot walk (the hold: bench_persistence.py).
_SNAPSHOT_LOCK_BATCH = 128

# Sub-txn records of a multi, by type.
_MULTI_SUB_TXNS = {
    OpCode.create: CreateTxn,
    OpCode.createTTL: CreateTTLTxn,
    OpCode.createContainer: CreateContainerTxn,
    OpCode.delete: DeleteTxn,
    OpCode.deleteContainer: DeleteTxn,
    OpCode.setData: SetDataTxn,
    OpCode.error: ErrorTxn,
    OpCode.check: CheckVersionTxn,
}


class EphemeralPaths(dict):
    """One session's ephemeral paths: Java's HashSet<String> in DataTree.ephemerals. Kept in
    insertion order with the most it ever held (a HashSet's table grows but never shrinks), so
    they can be listed in the HashSet's order, as Java lists them, the same on every run (a
    Python set's order of strings changes with each process's hash seed)."""

    __slots__ = ("peak",)

    def __init__(self):
        super().__init__()
        self.peak = 0

    def add(self, path):
        self[path] = None
        if len(self) > self.peak:
            self.peak = len(self)

    def discard(self, path):
        self.pop(path, None)

    def copy(self):
        """HashSet.clone's paths, with this table's history."""
        clone = EphemeralPaths()
        clone.update(self)
        clone.peak = self.peak
        return clone

    def in_java_order(self, hash_code=string_hash_code):
        """The HashSet's own order: its table grown from 16 for the most it held."""
        table = 16
        while self.peak > table * 3 // 4:
            table <<= 1
        return java_hash_order(self, hash_code, table)

    def in_clone_order(self):
        """The order of a clone (DataTree.getEphemerals in 3.6+, what closeSession deletes and
        getEphemerals answers): HashMap.clone sizes a new table for the size alone (the next power
        of two of size / 0.75 + 1) and puts the paths in it in the original's order."""
        table = 1
        while table < int(len(self) / 0.75 + 1):
            table <<= 1
        hash_code = {path: string_hash_code(path) for path in self}.__getitem__  # each path hashed once
        return java_hash_order(self.in_java_order(hash_code), hash_code, table)


class ProcessTxnResult:
    """Mirror of org.apache.zookeeper.server.DataTree.ProcessTxnResult."""

    __slots__ = ("client_id", "cxid", "zxid", "err", "type", "path", "stat", "multi_result")

    def __init__(self):
        self.client_id = 0
        self.cxid = 0
        self.zxid = 0
        self.err = 0
        self.type = 0
        self.path = None
        self.stat = None
        self.multi_result = None

    def __eq__(self, other):
        return isinstance(other, ProcessTxnResult) and other.client_id == self.client_id and other.cxid == self.cxid

    def __hash__(self):
        return hash((self.client_id, self.cxid))


def _copy_fields(paths, nodes):
    """A snapshot batch as (path, data, (acl, stat fields...)) tuples."""
    return [(path, node.data, (node.acl, node.czxid, node.mzxid, node.ctime, node.mtime, node.version,
                               node.cversion, node.aversion, node.ephemeralOwner, node.pzxid))
            for path, node in zip(paths, nodes)]


def _pack_nodes(chunk, paths, nodes):
    """A snapshot batch packed straight onto chunk as the binary archive writes a path and a
    DataNode, with no tuple per node: PyPy wrote 1M nodes in 1.2-1.4 s through tuples,
    0.7-1.0 s this way."""
    pack_int = _INT.pack
    pack_tail = _NODE_TAIL.pack
    for path, node in zip(paths, nodes):
        pb = path.encode("ascii") if path.isascii() else encode_string(path)
        chunk += pack_int(len(pb))
        chunk += pb
        data = node.data
        if data is None:
            chunk += _NULL
        else:
            chunk += pack_int(len(data))
            chunk += data
        chunk += pack_tail(node.acl, node.czxid, node.mzxid, node.ctime, node.mtime, node.version,
                           node.cversion, node.aversion, node.ephemeralOwner, node.pzxid)


def _pack_batch(paths, nodes):
    batch = bytearray()
    _pack_nodes(batch, paths, nodes)
    return batch


def _split_path(path):
    i = path.rfind("/")
    return path[:i], path[i + 1:]


class DataTree:
    """Mirror of org.apache.zookeeper.server.DataTree.

    `nodes` maps every path to its DataNode ("" and "/" both map to the root).
    Writes are applied by one thread at a time (the commit order); `lock` keeps a
    node's fields consistent for readers, 4lw dumps and the fuzzy snapshot thread,
    as Java's per-node synchronized blocks do.
    """

    def __init__(self):
        self.lock = threading.Lock()
        self.nodes = {}
        self.data_watches = WatchManager()
        self.child_watches = WatchManager()
        self.ephemerals = {}  # sessionId -> EphemeralPaths
        self.containers = set()
        self.ttls = set()
        self.acl_cache = ReferenceCountedACLCache()
        self.quota_paths = set()  # Java's PathTrie of paths with a quota
        self.last_processed_zxid = 0
        self.root = DataNode(b"", -1, StatPersisted())
        self.proc_data_node = DataNode(b"", -1, StatPersisted())
        self.quota_data_node = DataNode(b"", -1, StatPersisted())
        self.nodes[""] = self.root
        self.nodes[ROOT_ZOOKEEPER] = self.root
        self.root.add_child(PROC_ZOOKEEPER)
        self.nodes[PROC_ZOOKEEPER] = self.proc_data_node
        self.proc_data_node.add_child(QUOTA_ZOOKEEPER)
        self.nodes[QUOTA_ZOOKEEPER] = self.quota_data_node
        self.add_config_node()

    # -- simple accessors -------------------------------------------------

    def get_ephemerals(self, session_id):
        """A copy of the session's EphemeralPaths (an empty one for none)."""
        with self.lock:
            paths = self.ephemerals.get(session_id)
            return paths.copy() if paths is not None else EphemeralPaths()

    def get_ephemerals_map(self):
        """DataTree.getEphemerals(): a copy of sessionId -> paths."""
        with self.lock:
            return {sid: set(paths) for sid, paths in self.ephemerals.items()}

    def get_containers(self):
        with self.lock:
            return set(self.containers)

    def get_ttls(self):
        with self.lock:
            return set(self.ttls)

    def get_sessions(self):
        return list(self.ephemerals.keys())

    def get_node(self, path):
        return self.nodes.get(path)

    def get_node_count(self):
        return len(self.nodes)

    def get_watch_count(self):
        return self.data_watches.size() + self.child_watches.size()

    def get_ephemerals_count(self):
        with self.lock:
            return sum(len(s) for s in self.ephemerals.values())

    def approximate_data_size(self):
        with self.lock:
            return sum(len(path) + (0 if n.data is None else len(n.data)) for path, n in self.nodes.items())

    def add_config_node(self):
        zookeeper_znode = self.nodes.get(PROC_ZOOKEEPER)
        zookeeper_znode.add_child(CONFIG_ZOOKEEPER)
        self.nodes[CONFIG_ZOOKEEPER] = DataNode(b"", -1, StatPersisted())
        self.set_acl(CONFIG_ZOOKEEPER, list(Ids.READ_ACL_UNSAFE), -1)

    def is_special_path(self, path):
        return path in (ROOT_ZOOKEEPER, PROC_ZOOKEEPER, QUOTA_ZOOKEEPER, CONFIG_ZOOKEEPER)

    @staticmethod
    def copy_stat_persisted(frm, to):
        to.copy_from(frm)

    @staticmethod
    def copy_stat(frm, to):
        to.copy_from(frm)

    # -- quotas ------------------------------------------------------------

    def _update_stat_node(self, last_prefix, field, diff):
        """updateCount/updateBytes: add diff to the usage node, warn past the limit."""
        stat_node = self.nodes.get(Quotas.stat_path(last_prefix))
        if stat_node is None:
            LOG.error("Missing count node for stat %s", Quotas.stat_path(last_prefix))
            return
        with self.lock:
            updated = StatsTrack(stat_node.data)
            if field == "count":
                updated.set_count(updated.get_count() + diff)
            else:
                updated.set_bytes(updated.get_bytes() + diff)
            stat_node.data = updated.get_stats_bytes()
        quota_node = self.nodes.get(Quotas.quota_path(last_prefix))
        if quota_node is None:
            LOG.error("Missing count node for quota %s", Quotas.quota_path(last_prefix))
            return
        limits = StatsTrack(quota_node.data)
        if field == "count":
            limit, used = limits.get_count(), updated.get_count()
        else:
            limit, used = limits.get_bytes(), updated.get_bytes()
        if -1 < limit < used:
            LOG.warning("Quota exceeded: %s %s=%d limit=%d", last_prefix, field, used, limit)

    def update_count(self, last_prefix, diff):
        self._update_stat_node(last_prefix, "count", diff)

    def update_bytes(self, last_prefix, diff):
        self._update_stat_node(last_prefix, "bytes", diff)

    def get_max_prefix_with_quota(self, path):
        """The deepest ancestor-or-self of path that has a quota, or None. (The writes call it
        only when some path has a quota: a call less per write in the usual tree.)"""
        quota_paths = self.quota_paths
        if not quota_paths:
            return None
        p = path
        while p and p != "/":
            if p in quota_paths:
                return p
            p = p[: p.rfind("/")]
        return None

    # -- writes ------------------------------------------------------------

    def create_node(self, path, data, acl, ephemeral_owner, parent_cversion, zxid, time, output_stat=None):
        parent_name, child_name = _split_path(path)
        parent = self.nodes.get(parent_name)
        if parent is None:
            raise NoNodeException()
        with self.lock:
            if parent.children is not None and path in parent.children:
                raise NodeExistsException()
            if parent_cversion == -1:
                parent_cversion = parent.cversion + 1
            parent.cversion = parent_cversion
            parent.pzxid = zxid
            child = DataNode.created(data, self.acl_cache.convert_acls(acl), zxid, time, ephemeral_owner)
            parent.add_child(path)
            self.nodes[path] = child
            if ephemeral_owner != 0:
                etype = EphemeralType.get(ephemeral_owner)
                if etype is EphemeralType.CONTAINER:
                    self.containers.add(path)
                elif etype is EphemeralType.TTL:
                    self.ttls.add(path)
                else:
                    paths = self.ephemerals.get(ephemeral_owner)
                    if paths is None:
                        paths = self.ephemerals[ephemeral_owner] = EphemeralPaths()
                    paths.add(path)
            if output_stat is not None:
                child.copy_stat(output_stat)
        if parent_name.startswith(QUOTA_ZOOKEEPER):
            if child_name == Quotas.limitNode:
                self.quota_paths.add(parent_name[len(QUOTA_ZOOKEEPER):])
            if child_name == Quotas.statNode:
                self.update_quota_for_path(parent_name[len(QUOTA_ZOOKEEPER):])
        last_prefix = self.get_max_prefix_with_quota(path) if self.quota_paths else None
        if last_prefix is not None:
            self.update_count(last_prefix, 1)
            self.update_bytes(last_prefix, 0 if data is None else len(data))
        convert_long = self.acl_cache.convert_long
        self.data_watches.trigger_watch(path, EventType.NodeCreated, convert_long(child.acl))
        self.child_watches.trigger_watch(parent_name or "/", EventType.NodeChildrenChanged, convert_long(parent.acl))

    def delete_node(self, path, zxid):
        parent_name, child_name = _split_path(path)
        parent = self.nodes.get(parent_name)
        if parent is None:
            raise NoNodeException()
        with self.lock:
            parent.remove_child(path)
            if zxid > parent.pzxid:
                parent.pzxid = zxid
            node = self.nodes.pop(path, None)
            if node is None:
                raise NoNodeException()
            acl = self.acl_cache.convert_long(node.acl)  # before its last usage may take it from the cache
            self.acl_cache.remove_usage(node.acl)
            owner = node.ephemeralOwner
            if owner != 0:
                etype = EphemeralType.get(owner)
                if etype is EphemeralType.CONTAINER:
                    self.containers.discard(path)
                elif etype is EphemeralType.TTL:
                    self.ttls.discard(path)
                else:
                    paths = self.ephemerals.get(owner)
                    if paths is not None:
                        paths.discard(path)
        if parent_name.startswith(PROC_ZOOKEEPER) and child_name == Quotas.limitNode:
            self.quota_paths.discard(parent_name[len(QUOTA_ZOOKEEPER):])
        last_prefix = self.get_max_prefix_with_quota(path) if self.quota_paths else None
        if last_prefix is not None:
            self.update_count(last_prefix, -1)
            self.update_bytes(last_prefix, -(0 if node.data is None else len(node.data)))
        processed = self.data_watches.trigger_watch(path, EventType.NodeDeleted, acl)
        self.child_watches.trigger_watch(path, EventType.NodeDeleted, acl, processed)
        self.child_watches.trigger_watch(parent_name or "/", EventType.NodeChildrenChanged,
                                         self.acl_cache.convert_long(parent.acl))

    def set_data(self, path, data, version, zxid, time):
        node = self.nodes.get(path)
        if node is None:
            raise NoNodeException()
        with self.lock:
            last_data = node.data
            node.data = data
            node.mtime = time
            node.mzxid = zxid
            node.version = version
            stat = node.copy_stat()
            acl = self.acl_cache.convert_long(node.acl)
        last_prefix = self.get_max_prefix_with_quota(path) if self.quota_paths else None
        if last_prefix is not None:
            self.update_bytes(last_prefix,
                              (0 if data is None else len(data)) - (0 if last_data is None else len(last_data)))
        self.data_watches.trigger_watch(path, EventType.NodeDataChanged, acl)
        return stat

    def set_acl(self, path, acl, version):
        node = self.nodes.get(path)
        if node is None:
            raise NoNodeException()
        with self.lock:
            self.acl_cache.remove_usage(node.acl)
            node.aversion = version
            node.acl = self.acl_cache.convert_acls(acl)
            return node.copy_stat()

    def set_cversion_pzxid(self, path, new_cversion, zxid):
        if path.endswith("/"):
            path = path[:-1]
        node = self.nodes.get(path)
        if node is None:
            raise NoNodeException(path)
        with self.lock:
            if new_cversion == -1:
                new_cversion = node.cversion + 1
            if new_cversion > node.cversion:
                node.cversion = new_cversion
                node.pzxid = zxid

    def kill_session(self, session, zxid, paths_in_txn=None):
        """Delete the session's ephemerals. A 3.6+ closeSession txn names them (paths_in_txn, from its
        CloseSessionTxn): those go first, as in 3.8, so that replaying the txn over a fuzzy snapshot
        that already lacks one still moves its parent's pzxid (ZOOKEEPER-3145)."""
        with self.lock:
            paths = self.ephemerals.pop(session, None)
        paths = paths.in_clone_order() if paths else []  # as 3.6+ lists them in the txn
        if paths_in_txn is not None:
            self._delete_ephemerals(session, zxid, paths_in_txn)
            named = set(paths_in_txn)
            paths = [p for p in paths if p not in named]
            if paths:
                LOG.warning("Unexpected extra paths under session %s which are not in txn 0x%x",
                            sorted(paths), zxid)
        self._delete_ephemerals(session, zxid, paths)

    def _delete_ephemerals(self, session, zxid, paths):
        for path in paths:
            try:
                self.delete_node(path, zxid)
                LOG.debug("Deleting ephemeral node %s for session 0x%x", path, session)
            except NoNodeException:
                LOG.warning(
                    "Ignoring NoNodeException for path %s while removing ephemeral for dead session 0x%x",
                    path, session,
                )

    # -- reads -------------------------------------------------------------

    def get_data(self, path, stat, watcher):
        node = self.nodes.get(path)
        if node is None:
            raise NoNodeException()
        with self.lock:
            node.copy_stat(stat)
            data = node.data
        if watcher is not None:
            self.data_watches.add_watch(path, watcher)
        return data

    def stat_node(self, path, watcher):
        if watcher is not None:
            self.data_watches.add_watch(path, watcher)
        node = self.nodes.get(path)
        if node is None:
            raise NoNodeException()
        with self.lock:
            return node.copy_stat()

    def get_children(self, path, stat, watcher):
        node = self.nodes.get(path)
        if node is None:
            raise NoNodeException()
        with self.lock:
            if stat is not None:
                node.copy_stat(stat)
            if node.children:
                start = 1 if path == "/" else len(path) + 1  # a child's path is ours + "/" + its name
                children = [child[start:] for child in node.children]
            else:
                children = []
        if watcher is not None:
            self.child_watches.add_watch(path, watcher)
        return children

    def get_all_children_number(self, path):
        if path == "/":
            return len(self.nodes) - 2  # "" and "/" are the same root
        prefix = path + "/"
        return sum(1 for p in list(self.nodes) if p.startswith(prefix))

    def add_watch(self, base_path, watcher, mode):
        watcher_mode = WatcherMode.from_zoo_def(mode)
        self.data_watches.add_watch(base_path, watcher, watcher_mode)
        self.child_watches.add_watch(base_path, watcher, watcher_mode)

    def get_acl(self, path, stat):
        node = self.nodes.get(path)
        if node is None:
            raise NoNodeException()
        with self.lock:
            node.copy_stat(stat)
            return list(self.acl_cache.convert_long(node.acl))

    def get_acl_for_node(self, node):
        """DataTree.getACL(DataNode)."""
        return self.acl_cache.convert_long(node.acl)

    def acl_cache_size(self):
        return self.acl_cache.size()

    # -- transactions --------------------------------------------------------

    def process_txn(self, header, txn, is_sub_txn=False):
        rc = ProcessTxnResult()
        rc.client_id = header.clientId
        rc.cxid = header.cxid
        rc.zxid = header.zxid
        rc.type = op = header.type
        try:
            if op == OpCode.create or op == OpCode.create2:
                rc.path = txn.path
                stat = None
                if op == OpCode.create2:
                    stat = rc.stat = Stat()
                self.create_node(
                    txn.path, txn.data, txn.acl, header.clientId if txn.ephemeral else 0,
                    txn.parentCVersion, header.zxid, header.time, stat,
                )
            elif op == OpCode.createTTL:
                rc.path = txn.path
                rc.stat = self._create_with_stat(header, txn, EphemeralType.TTL.to_ephemeral_owner(txn.ttl))
            elif op == OpCode.createContainer:
                rc.path = txn.path
                rc.stat = self._create_with_stat(header, txn, CONTAINER_EPHEMERAL_OWNER)
            elif op == OpCode.delete or op == OpCode.deleteContainer:
                rc.path = txn.path
                self.delete_node(txn.path, header.zxid)
            elif op == OpCode.setData or op == OpCode.reconfig:
                rc.path = txn.path
                rc.stat = self.set_data(txn.path, txn.data, txn.version, header.zxid, header.time)
            elif op == OpCode.setACL:
                rc.path = txn.path
                rc.stat = self.set_acl(txn.path, txn.acl, txn.version)
            elif op == OpCode.closeSession:
                self.kill_session(header.clientId, header.zxid, txn.paths2Delete if txn is not None else None)
            elif op == OpCode.error:
                rc.err = txn.err
            elif op == OpCode.check:
                rc.path = txn.path
            elif op == OpCode.multi:
                self._process_multi(header, txn, rc)
        except KeeperException as e:
            LOG.debug("Failed: %s:%s", header, txn)
            rc.err = int(e.code())
        except (JuteIOError, ValueError) as e:
            LOG.debug("Failed: %s:%s: %s", header, txn, e)

        # A snapshot is fuzzy: replaying a txn whose effect it already holds must be
        # harmless, and lastProcessedZxid only moves forward.
        if not is_sub_txn and rc.zxid > self.last_processed_zxid:
            self.last_processed_zxid = rc.zxid

        # A create replayed over a fuzzy snapshot fails with NODEEXISTS, but the parent's
        # cversion and pzxid must still move as the original create moved them.
        if op == OpCode.create and rc.err == Code.NODEEXISTS:
            LOG.debug("Adjusting parent cversion for Txn: %s path:%s err: %s", op, rc.path, rc.err)
            parent_name = rc.path[: rc.path.rfind("/")]
            try:
                self.set_cversion_pzxid(parent_name, txn.parentCVersion, header.zxid)
            except NoNodeException:
                LOG.error("Failed to set parent cversion for: %s", parent_name)
                rc.err = int(Code.NONODE)
        elif rc.err != 0:
            LOG.debug("Ignoring processTxn failure hdr: %s : error: %s", op, rc.err)
        return rc

    def _create_with_stat(self, header, txn, owner):
        stat = Stat()
        self.create_node(txn.path, txn.data, txn.acl, owner, txn.parentCVersion, header.zxid, header.time, stat)
        return stat

    def _process_multi(self, header, txn, rc):
        txns = txn.txns or []
        rc.multi_result = []
        failed = any(sub.type == OpCode.error for sub in txns)
        post_failed = False
        for sub in txns:
            cls = _MULTI_SUB_TXNS.get(sub.type)
            if cls is None:
                raise JuteIOError("Invalid type of op: %d" % sub.type)
            record = cls.from_bytes(sub.data)
            sub_type = sub.type
            if sub_type == OpCode.error:
                post_failed = True
            if failed and sub_type != OpCode.error:
                sub_type = OpCode.error
                record = ErrorTxn(int(Code.RUNTIMEINCONSISTENCY) if post_failed else 0)
            sub_hdr = TxnHeader(header.clientId, header.cxid, header.zxid, header.time, sub_type)
            sub_rc = self.process_txn(sub_hdr, record, True)
            rc.multi_result.append(sub_rc)
            if sub_rc.err != 0 and rc.err == 0:
                rc.err = sub_rc.err

    # -- quota bookkeeping at load ------------------------------------------

    def _get_counts(self, path):
        count = 0
        nbytes = 0
        stack = [path]
        while stack:
            p = stack.pop()
            node = self.nodes.get(p)
            if node is None:
                continue
            with self.lock:
                if node.children:
                    stack.extend(node.children)
                n = 0 if node.data is None else len(node.data)
            count += 1
            nbytes += n
        return count, nbytes

    def update_quota_for_path(self, path):
        count, nbytes = self._get_counts(path)
        strack = StatsTrack()
        strack.set_count(count)
        strack.set_bytes(nbytes)
        node = self.nodes.get(Quotas.stat_path(path))
        if node is None:
            LOG.warning("Missing quota stat node %s", Quotas.stat_path(path))
            return
        with self.lock:
            node.data = strack.get_stats_bytes()

    def setup_quota(self):
        """After a load: find every quota under /zookeeper/quota and recount its usage.

        Java's traverseNode: only the quota subtree is walked (not every path of the tree),
        and a zookeeper_limits node counts where it is a leaf."""
        suffix = "/" + Quotas.limitNode
        stack = [QUOTA_ZOOKEEPER] if QUOTA_ZOOKEEPER in self.nodes else []
        while stack:
            path = stack.pop()
            children = self.nodes[path].children
            if children:
                stack.extend(children)
            elif path.endswith(suffix):
                real_path = path[len(QUOTA_ZOOKEEPER):path.index(suffix)]
                self.update_quota_for_path(real_path)
                self.quota_paths.add(real_path)

    # -- snapshots -----------------------------------------------------------

    def serialize(self, oa, tag=None):
        """Write the ACL cache, every node in pre-order (root as ""), then "/".

        Fuzzy, as Java's: writes go on while the walk runs; each node is copied under
        the lock, a batch of nodes at a time."""
        self.acl_cache.serialize(oa)
        if isinstance(oa, BinaryOutputArchive):
            self._serialize_nodes_binary(oa)
        else:
            self._serialize_nodes_generic(oa)
        oa.write_string("/", "path")

    def _walk_copies(self, copy=_copy_fields):
        """Yield copy(paths, nodes) for each batch of nodes, parents before children, copy called
        under the lock (writers change a node's stat in place); by default a list of
        (path, data, (acl, stat fields...)).

        The order is `nodes`' own: a node is inserted after its parent, so insertion order has
        every parent before its children, which is all a snapshot reader needs (Java writes
        pre-order; Java and we read either). The paths are listed once under the lock and looked
        up again. A pre-order walk that built each child's path made and hashed a new string per
        node (1M-node snapshots 2.2 s on CPython, 1.2 s this way); a breadth-first one over the
        children sets, which hold the paths, makes none but visits the nodes out of the order
        they lie in memory (1.9 s against 1.0, where loading its file was 0.26 s faster).

        Fuzzy, as Java's: a node deleted since the listing is left out and one created since
        is not listed (the txn log replays both); so is a node whose parent was missing at its
        turn (both deleted and made again during the walk), so that every node written has its
        parent before it.

        A thread that has a `pace(seconds)` method (SnapshotThread) is called with each
        batch's wall time once the batch is written, so that it can yield to requests."""
        nodes = self.nodes
        lock = self.lock
        with lock:
            paths = list(nodes)
        missing = set()
        pace = getattr(threading.current_thread(), "pace", None)
        for start in range(0, len(paths), _SNAPSHOT_LOCK_BATCH):
            began = time.perf_counter()
            batch_paths = []
            batch_nodes = []
            with lock:
                for path in paths[start:start + _SNAPSHOT_LOCK_BATCH]:
                    node = nodes.get(path)
                    if node is None or (missing and path[:path.rfind("/")] in missing):
                        missing.add(path)
                        continue
                    if path == "/":
                        continue  # the root's second key; the root is written once, as ""
                    batch_paths.append(path)
                    batch_nodes.append(node)
                copied = copy(batch_paths, batch_nodes)
            yield copied
            if pace is not None:
                pace(time.perf_counter() - began)

    def _serialize_nodes_binary(self, oa):
        # Each batch is packed onto a bytearray of its own and handed on at once. On PyPy a
        # bytearray grows by copying into a new block, and a batch alive at a minor collection
        # is copied out of the nursery to a block that only a major collection frees. One
        # bytearray grown to 1 MiB left ~10 bytes of such garbage per byte written; ~1 MiB of
        # batches kept to be joined, ~1.8 (a 150k-znode snapshot paced beside a thread that
        # allocates: 50 MB of it); a batch handed on at once dies young.
        out = oa._out
        for batch in self._walk_copies(_pack_batch):
            out(batch)

    def _serialize_nodes_generic(self, oa):
        for batch in self._walk_copies():
            for path, data, (acl, *stat) in batch:
                oa.write_string(path, "path")
                DataNode(data, acl, StatPersisted(*stat)).serialize(oa, "node")

    def deserialize(self, ia, tag=None):
        """Read what serialize wrote; rebuild children, ephemerals, containers, TTLs, quotas."""
        self.acl_cache.deserialize(ia)
        with self.lock:
            self.nodes.clear()
            self.quota_paths.clear()
            self.ephemerals.clear()
            self.containers.clear()
            self.ttls.clear()
        usage = self._deserialize_nodes(ia)
        self.nodes["/"] = self.root
        for acl, count in usage.items():
            if acl in self.acl_cache.long_key_map:
                self.acl_cache.reference_counter[acl] = self.acl_cache.reference_counter.get(acl, 0) + count
            elif acl != -1:
                LOG.info("Ignoring acl %d as it does not exist in the cache", acl)
        self.setup_quota()
        self.acl_cache.purge_unused()

    def _deserialize_nodes(self, ia):
        """Read nodes up to the "/" terminator into the tree, each linked to its parent (read
        before it); returns how many nodes use each ACL.

        This loop is most of a snapshot load or a SNAP sync (1M nodes), so it is one loop
        that makes no Python call for a plain node (no owner). It decodes straight from the
        archive's buffer, kept in locals; when the buffer runs short, it refills from the
        stream and the node is decoded again."""
        nodes = self.nodes
        unpack_int = _INT.unpack_from
        unpack_tail = _NODE_TAIL.unpack_from
        tail_size = _NODE_TAIL.size
        limit = max_length()
        usage = {}
        run_acl = run = 0  # neighbours mostly share an ACL: count in runs
        parent_path = parent_children = None  # and a parent: look it up once per run
        last_ctime = None
        children_are_dict = CHILDREN_ARE_DICT
        new = object.__new__
        buf = ia.buf
        pos = ia.pos
        buf_len = len(buf)
        while True:
            start = pos
            try:
                n, = unpack_int(buf, pos)
                pos += 4
                if n < 0 or n > limit:
                    raise JuteIOError("Unreasonable length = %d" % n)
                end = pos + n
                if end > buf_len:
                    raise JuteEOFError(needed=end)
                try:
                    path = buf[pos:end].decode()
                except UnicodeDecodeError:
                    # CESU-8 surrogate pairs or malformed bytes: decode_string reads them as Java does.
                    path = decode_string(buf[pos:end])
                pos = end
                if path == "/":
                    ia.pos = pos
                    break
                n, = unpack_int(buf, pos)
                pos += 4
                if n < 0:
                    if n != -1:
                        raise JuteIOError("Unreasonable length = %d" % n)
                    data = None
                else:
                    if n > limit:
                        raise JuteIOError("Unreasonable length = %d" % n)
                    end = pos + n
                    if end > buf_len:
                        raise JuteEOFError(needed=end)
                    data = buf[pos:end]
                    if type(data) is not bytes:
                        data = bytes(data)
                    pos = end
                acl, czxid, mzxid, ctime, mtime, version, cversion, aversion, owner, pzxid = unpack_tail(buf, pos)
                pos += tail_size
            except (JuteEOFError, struct.error) as e:
                # One byte more than the buffer holds when the exact need is unknown: a guess
                # beyond that could wait on a stream for bytes the sender never sends.
                needed = getattr(e, "needed", None) or buf_len + 1
                ia.pos = start
                ia._fill(needed)
                buf = ia.buf
                pos = ia.pos
                buf_len = len(buf)
                continue
            # Filled in place, not through __init__: 0.14 s less for 1M nodes. Equal stat
            # fields share one int: a node never changed has czxid == mzxid == pzxid and
            # ctime == mtime, and nodes created together share a ctime. 96 bytes a node less.
            node = new(DataNode)
            node.data = data
            node.acl = acl
            node.children = None
            node.czxid = czxid
            node.mzxid = czxid if mzxid == czxid else mzxid
            node.pzxid = czxid if pzxid == czxid else pzxid
            if ctime == last_ctime:
                ctime = last_ctime
            else:
                last_ctime = ctime
            node.ctime = ctime
            node.mtime = ctime if mtime == ctime else mtime
            node.version = version
            node.cversion = cversion
            node.aversion = aversion
            node.ephemeralOwner = owner
            nodes[path] = node
            if acl != run_acl:
                if run:
                    usage[run_acl] = usage.get(run_acl, 0) + run
                run_acl, run = acl, 0
            run += 1
            last_slash = path.rfind("/")
            if last_slash == -1:
                self.root = node
                continue
            if path[:last_slash] != parent_path:
                parent_path = path[:last_slash]
                parent = nodes.get(parent_path)
                if parent is None:
                    raise JuteIOError("Invalid Datatree, unable to find parent %s of path %s" % (parent_path, path))
                if parent.children is None:
                    parent.children = NEW_CHILDREN()
                parent_children = parent.children
            if children_are_dict:
                parent_children[path] = None
            else:
                parent_children.add(path)
            if owner != 0:
                etype = EphemeralType.get(owner)
                if etype is EphemeralType.CONTAINER:
                    self.containers.add(path)
                elif etype is EphemeralType.TTL:
                    self.ttls.add(path)
                else:
                    paths = self.ephemerals.get(owner)
                    if paths is None:
                        paths = self.ephemerals[owner] = EphemeralPaths()
                    paths.add(path)
        if run:
            usage[run_acl] = usage.get(run_acl, 0) + run
        return usage

    # -- watches and dumps ---------------------------------------------------

    def dump_watches_summary(self, pwriter):
        pwriter.write(str(self.data_watches))

    def dump_watches(self, pwriter, by_path):
        self.data_watches.dump_watches(pwriter, by_path)

    def get_watches(self):
        return self.data_watches.get_watches()

    def get_watches_by_path(self):
        return self.data_watches.get_watches_by_path()

    def get_watches_summary(self):
        return self.data_watches.get_watches_summary()

    def dump_ephemerals(self, pwriter):
        # Java iterates ConcurrentHashMap<Long, HashSet<String>>: sessions in Long hash order,
        # each session's paths in String hash order.

        with self.lock:
            items = [(sid, self.ephemerals[sid].in_java_order())
                     for sid in java_hash_order(self.ephemerals, long_hash_code)]
        pwriter.write("Sessions with Ephemerals (%d):\n" % len(items))
        for sid, paths in items:
            pwriter.write("0x%x:\n" % (sid & 0xFFFFFFFFFFFFFFFF))
            for path in paths:
                pwriter.write("\t%s\n" % path)

    def remove_cnxn(self, watcher):
        self.data_watches.remove_watcher(watcher)
        self.child_watches.remove_watcher(watcher)

    def set_watches(self, relative_zxid, data_watches, exist_watches, child_watches, watcher,
                    persistent_watches=(), persistent_recursive_watches=()):
        """Re-arm a reconnecting client's watches, firing those whose change it missed."""
        for path in data_watches or ():
            node = self.get_node(path)
            if node is None:
                watcher.process(WatchedEvent(EventType.NodeDeleted, KeeperState.SyncConnected, path))
            elif node.mzxid > relative_zxid:
                watcher.process(WatchedEvent(EventType.NodeDataChanged, KeeperState.SyncConnected, path))
            else:
                self.data_watches.add_watch(path, watcher)
        for path in exist_watches or ():
            if self.get_node(path) is not None:
                watcher.process(WatchedEvent(EventType.NodeCreated, KeeperState.SyncConnected, path))
            else:
                self.data_watches.add_watch(path, watcher)
        for path in child_watches or ():
            node = self.get_node(path)
            if node is None:
                watcher.process(WatchedEvent(EventType.NodeDeleted, KeeperState.SyncConnected, path))
            elif node.pzxid > relative_zxid:
                watcher.process(WatchedEvent(EventType.NodeChildrenChanged, KeeperState.SyncConnected, path))
            else:
                self.child_watches.add_watch(path, watcher)
        for path in persistent_watches or ():
            self.child_watches.add_watch(path, watcher, WatcherMode.PERSISTENT)
            self.data_watches.add_watch(path, watcher, WatcherMode.PERSISTENT)
        for path in persistent_recursive_watches or ():
            self.child_watches.add_watch(path, watcher, WatcherMode.PERSISTENT_RECURSIVE)
            self.data_watches.add_watch(path, watcher, WatcherMode.PERSISTENT_RECURSIVE)

    def contains_watcher(self, path, watcher_type, watcher):
        if watcher_type is WatcherType.Children:
            return self.child_watches.contains_watcher(path, watcher)
        if watcher_type is WatcherType.Data:
            return self.data_watches.contains_watcher(path, watcher)
        in_child = self.child_watches.contains_watcher(path, watcher)
        in_data = self.data_watches.contains_watcher(path, watcher)
        return in_child or in_data

    def remove_watch(self, path, watcher_type, watcher):
        if watcher_type is WatcherType.Children:
            return self.child_watches.remove_watcher_from_path(path, watcher)
        if watcher_type is WatcherType.Data:
            return self.data_watches.remove_watcher_from_path(path, watcher)
        removed_child = self.child_watches.remove_watcher_from_path(path, watcher)
        removed_data = self.data_watches.remove_watcher_from_path(path, watcher)
        return removed_child or removed_data

    def get_reference_counted_acl_cache(self):
        return self.acl_cache

