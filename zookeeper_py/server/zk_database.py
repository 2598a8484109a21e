"""Mirror of org.apache.zookeeper.server.ZKDatabase: the in-memory database and its files.

Holds the DataTree, the session timeouts, the FileTxnSnapLog, and the committed log
(the last ~500 txns as PROPOSAL packets, which a leader uses to sync learners with a
DIFF).
"""

import collections
import logging
import os
import threading
import time

from zookeeper_py.common import java_integer, system_properties
from zookeeper_py.common.cpu_affinity import unpinned
from zookeeper_py.keeper_exception import NoNodeException
from zookeeper_py.server.data_tree import DataTree
from zookeeper_py.server.quorum.proposal import Proposal
from zookeeper_py.server.quorum.quorum_packet import QuorumPacket
from zookeeper_py.server.request import Request
from zookeeper_py.server.server_metrics import ServerMetrics
from zookeeper_py.server.txn_log_proposal_iterator import TxnLogProposalIterator
from zookeeper_py.server.util.serialize_utils import SerializeUtils
from zookeeper_py.zoo_defs import ZooDefs

LOG = logging.getLogger("ZKDatabase")

SNAPSHOT_SIZE_FACTOR = "zookeeper.snapshotSizeFactor"
DEFAULT_SNAPSHOT_SIZE_FACTOR = 0.33
COMMIT_LOG_COUNT = "zookeeper.commitLogCount"  # 3.6+; 3.5.7 had the constant alone
DEFAULT_COMMIT_LOG_COUNT = 500
PROPOSAL = 2  # Leader.PROPOSAL


def _java_double_str(value):
    """Double.toString for the plain values a size factor takes (0.33, 1.0, -1.0)."""
    return repr(float(value))


class ZKDatabase:
    """Mirror of org.apache.zookeeper.server.ZKDatabase."""

    commitLogCount = DEFAULT_COMMIT_LOG_COUNT

    def __init__(self, snap_log):
        self.data_tree = self.create_data_tree()
        self.sessions_with_timeouts = {}  # sessionId -> timeout ms (Java's ConcurrentHashMap)
        self.snap_log = snap_log
        self.min_committed_log = 0
        self.max_committed_log = 0
        self.committed_log = collections.deque()
        # Java's ReentrantReadWriteLock; readers here are few (a leader syncing a learner)
        self.log_lock = threading.RLock()
        self.initialized = False
        self._config_lock = threading.Lock()  # initConfigInZKDatabase is synchronized
        factor = system_properties.get_property(SNAPSHOT_SIZE_FACTOR, _java_double_str(DEFAULT_SNAPSHOT_SIZE_FACTOR))
        try:
            self.snapshot_size_factor = float(factor.strip())
            if self.snapshot_size_factor > 1:
                self.snapshot_size_factor = DEFAULT_SNAPSHOT_SIZE_FACTOR
                LOG.warning("The configured %s is invalid, going to use the default %s",
                            SNAPSHOT_SIZE_FACTOR, DEFAULT_SNAPSHOT_SIZE_FACTOR)
        except ValueError:
            LOG.error("Error parsing %s, using default value %s", SNAPSHOT_SIZE_FACTOR, DEFAULT_SNAPSHOT_SIZE_FACTOR)
            self.snapshot_size_factor = DEFAULT_SNAPSHOT_SIZE_FACTOR
        LOG.info("%s = %s", SNAPSHOT_SIZE_FACTOR, _java_double_str(self.snapshot_size_factor))
        self.commitLogCount = self._read_commit_log_count()

    @staticmethod
    def _read_commit_log_count():
        """zookeeper.commitLogCount as Java 3.6+ reads it: more txns kept for DIFF syncs, never fewer
        than 500."""
        try:
            value = system_properties.get_property(COMMIT_LOG_COUNT, str(DEFAULT_COMMIT_LOG_COUNT))
            count = java_integer.parse_int(value)
            if count < DEFAULT_COMMIT_LOG_COUNT:
                count = DEFAULT_COMMIT_LOG_COUNT
                LOG.warning("The configured commitLogCount %s is less than the recommended %s, going to use the "
                            "recommended one", COMMIT_LOG_COUNT, DEFAULT_COMMIT_LOG_COUNT)
        except ValueError:
            LOG.error("Error parsing %s - use default value %s", COMMIT_LOG_COUNT, DEFAULT_COMMIT_LOG_COUNT)
            count = DEFAULT_COMMIT_LOG_COUNT
        LOG.info("%s=%s", COMMIT_LOG_COUNT, count)
        return count

    def is_initialized(self):
        """True once the database was loaded from disk or from a leader's snapshot."""
        return self.initialized

    def clear(self):
        """Drop everything in memory (not on disk): a new tree, no sessions, no committed log."""
        self.min_committed_log = 0
        self.max_committed_log = 0
        # to be safe we just create a new datatree
        self.data_tree = self.create_data_tree()
        self.sessions_with_timeouts.clear()
        with self.log_lock:
            self.committed_log.clear()
        self.initialized = False

    def get_data_tree(self):
        return self.data_tree

    def get_max_committed_log(self):
        return self.max_committed_log

    def get_min_committed_log(self):
        return self.min_committed_log

    def get_log_lock(self):
        return self.log_lock

    def get_committed_log(self):
        """A copy of the committed log (oldest first)."""
        with self.log_lock:
            return list(self.committed_log)

    def get_data_tree_last_processed_zxid(self):
        return self.data_tree.last_processed_zxid

    def get_sessions(self):
        """Sessions that own ephemerals (DataTree.getSessions)."""
        return self.data_tree.get_sessions()

    def get_session_with_time_outs(self):
        return self.sessions_with_timeouts

    def _on_txn_loaded(self, hdr, txn, digest=None):
        """The playback listener of loadDataBase: every replayed txn joins the committed log."""
        r = Request.from_txn(0, hdr.cxid, hdr.type, hdr, txn, hdr.zxid)
        r.txn_digest = digest
        self.add_committed_proposal(r)

    def load_data_base(self):
        """Restore from the data directory; returns the last zxid on disk."""
        start = time.monotonic()
        with unpinned():  # members starting together on one host load side by side, not on one CPU
            zxid = self.snap_log.restore(self.data_tree, self.sessions_with_timeouts, self._on_txn_loaded)
        self.initialized = True
        ServerMetrics.DB_INIT_TIME.add(int((time.monotonic() - start) * 1000))
        return zxid

    def fast_forward_data_base(self):
        """Apply the txns logged since the tree's lastProcessedZxid; returns the last zxid."""
        zxid = self.snap_log.fast_forward_from_edits(self.data_tree, self.sessions_with_timeouts,
                                                     self._on_txn_loaded)
        self.initialized = True
        return zxid

    def add_committed_proposal(self, request):
        """Keep the request's txn as a PROPOSAL packet in the committed log.

        As in Java, one is dropped only when the log already holds more than
        commitLogCount (500 unless zookeeper.commitLogCount is more), so it holds up to 501.
        """
        with self.log_lock:
            log = self.committed_log
            if len(log) > self.commitLogCount:
                log.popleft()
                self.min_committed_log = log[0].packet.zxid
            if not log:
                self.min_committed_log = request.zxid
                self.max_committed_log = request.zxid
            data = SerializeUtils.serialize_request(request)
            # Only the packet is read back (a learner's DIFF). Java keeps the request too, which
            # would hold its connection and buffers for 500 more txns, for every young-generation
            # collection to copy.
            p = Proposal(QuorumPacket(PROPOSAL, request.zxid, data, None), None)
            log.append(p)
            self.max_committed_log = p.packet.zxid

    def is_txn_log_sync_enabled(self):
        enabled = self.snapshot_size_factor >= 0
        if enabled:
            LOG.info("On disk txn sync enabled with snapshotSizeFactor %s", _java_double_str(self.snapshot_size_factor))
        else:
            LOG.info("On disk txn sync disabled")
        return enabled

    def calculate_txn_log_size_limit(self):
        """How many bytes of txn log a leader may send instead of a snapshot."""
        snap_size = 0
        try:
            snap_file = self.snap_log.find_most_recent_snapshot()
            if snap_file is not None:
                snap_size = os.path.getsize(snap_file)
        except OSError:
            LOG.error("Unable to get size of most recent snapshot")
        return int(snap_size * self.snapshot_size_factor)

    def get_proposals_from_txn_log(self, start_zxid, size_limit):
        """PROPOSALs from the txn log starting exactly at start_zxid, or an empty iterator when
        the logs do not reach back that far or hold more than size_limit bytes."""
        if size_limit < 0:
            LOG.debug("Negative size limit - retrieving proposal via txnlog is disabled")
            return TxnLogProposalIterator.EMPTY_ITERATOR
        itr = None
        try:
            itr = self.snap_log.read_txn_log(start_zxid, False)
            # If we cannot guarantee that this is strictly the starting txn
            # after a given zxid, we should fail.
            if itr.get_header() is not None and itr.get_header().zxid > start_zxid:
                LOG.warning("Unable to find proposals from txnlog for zxid: %d", start_zxid)
                itr.close()
                return TxnLogProposalIterator.EMPTY_ITERATOR
            if size_limit > 0:
                txn_size = itr.get_storage_size()
                if txn_size > size_limit:
                    LOG.info("Txnlog size: %d exceeds sizeLimit: %d", txn_size, size_limit)
                    itr.close()
                    return TxnLogProposalIterator.EMPTY_ITERATOR
        except (OSError, EOFError) as e:
            LOG.error("Unable to read txnlog from disk", exc_info=e)
            if itr is not None:
                try:
                    itr.close()
                except OSError as ioe:
                    LOG.warning("Error closing file iterator", exc_info=ioe)
            return TxnLogProposalIterator.EMPTY_ITERATOR
        return TxnLogProposalIterator(itr)

    # -- DataTree passthroughs --------------------------------------------------

    def acl_for_node(self, n):
        return self.data_tree.get_acl_for_node(n)

    def remove_cnxn(self, cnxn):
        self.data_tree.remove_cnxn(cnxn)

    def kill_session(self, session_id, zxid):
        self.data_tree.kill_session(session_id, zxid)

    def dump_ephemerals(self, pwriter):
        self.data_tree.dump_ephemerals(pwriter)

    def get_ephemerals(self, session_id=None):
        """Java's two overloads: the paths of one session, or (no argument) sessionId -> paths."""
        if session_id is None:
            return self.data_tree.get_ephemerals_map()
        return self.data_tree.get_ephemerals(session_id)

    def get_node_count(self):
        return self.data_tree.get_node_count()

    def set_last_processed_zxid(self, zxid):
        self.data_tree.last_processed_zxid = zxid

    def process_txn(self, hdr, txn):
        return self.data_tree.process_txn(hdr, txn)

    def stat_node(self, path, server_cnxn):
        return self.data_tree.stat_node(path, server_cnxn)

    def get_node(self, path):
        return self.data_tree.get_node(path)

    def get_data(self, path, stat, watcher):
        return self.data_tree.get_data(path, stat, watcher)

    def set_watches(self, relative_zxid, data_watches, exist_watches, child_watches, watcher, *persistent):
        self.data_tree.set_watches(relative_zxid, data_watches, exist_watches, child_watches, watcher, *persistent)

    def add_watch(self, base_path, watcher, mode):
        """3.6+ addWatch (persistent watches)."""
        self.data_tree.add_watch(base_path, watcher, mode)

    def get_acl(self, path, stat):
        return self.data_tree.get_acl(path, stat)

    def get_children(self, path, stat, watcher):
        return self.data_tree.get_children(path, stat, watcher)

    def get_all_children_number(self, path):
        """3.6+ getAllChildrenNumber."""
        return self.data_tree.get_all_children_number(path)

    def is_special_path(self, path):
        return self.data_tree.is_special_path(path)

    def get_acl_size(self):
        return self.data_tree.acl_cache_size()

    def contains_watcher(self, path, watcher_type, watcher):
        return self.data_tree.contains_watcher(path, watcher_type, watcher)

    def remove_watch(self, path, watcher_type, watcher):
        return self.data_tree.remove_watch(path, watcher_type, watcher)

    # -- files -------------------------------------------------------------------

    def truncate_log(self, zxid):
        """Cut the txn log after zxid (TRUNC from a leader) and reload; False if that failed."""
        self.clear()
        # truncate the log
        truncated = self.snap_log.truncate_log(zxid)
        if not truncated:
            return False
        self.load_data_base()
        return True

    def deserialize_snapshot(self, ia):
        """Replace everything with the leader's SNAP stream: sessions, then the tree."""
        self.clear()
        SerializeUtils.deserialize_snapshot(self.get_data_tree(), ia, self.get_session_with_time_outs())
        self.initialized = True

    def serialize_snapshot(self, oa):
        """The SNAP stream for a learner: sessions and tree, no file header or checksum."""
        SerializeUtils.serialize_snapshot(self.get_data_tree(), oa, self.get_session_with_time_outs())

    def append(self, si):
        return self.snap_log.append(si)

    def roll_log(self):
        self.snap_log.roll_log()
        self.snap_log.set_total_log_size(0)  # Java's resetTxnCount

    def get_txn_size(self):
        """The bytes of txn log written since the last roll (file lengths, as Java's)."""
        return self.snap_log.get_total_log_size()

    def commit(self):
        self.snap_log.commit()

    def close(self):
        self.snap_log.close()

    def init_config_in_zk_database(self, qv):
        """Set /zookeeper/config to the QuorumVerifier's text, with mzxid = its version."""
        if qv is None:
            return  # only happens during tests
        with self._config_lock:
            try:
                if self.data_tree.get_node(ZooDefs.CONFIG_NODE) is None:
                    # should only happen during upgrade
                    LOG.warning("configuration znode missing (should only happen during upgrade), creating the node")
                    self.data_tree.add_config_node()
                self.data_tree.set_data(ZooDefs.CONFIG_NODE, str(qv).encode("utf-8"), -1, qv.get_version(),
                                        int(time.time() * 1000))
            except NoNodeException:
                print("configuration node missing - should not happen")

    def set_snapshot_size_factor(self, snapshot_size_factor):
        self.snapshot_size_factor = snapshot_size_factor

    def create_data_tree(self):
        return DataTree()
