"""Mirror of org.apache.zookeeper.server.persistence.FileTxnSnapLog: the data directory.

Snapshots live in <snapDir>/version-2, txn logs in <dataLogDir>/version-2 (the same
directory unless dataLogDir is set). restore() loads the newest good snapshot and
replays the logs after it.
"""

import logging
import os
import re

from zookeeper_py.common import system_properties
from zookeeper_py.keeper_exception import Code, NoNodeException
from zookeeper_py.server.persistence.file_snap import FileSnap, remove_leftover_tmp_files
from zookeeper_py.server.persistence.file_txn_log import FileTxnLog
from zookeeper_py.server.persistence.util import Util, list_files
from zookeeper_py.server.util.serialize_utils import SerializeUtils
from zookeeper_py.zoo_defs import OpCode

LOG = logging.getLogger("FileTxnSnapLog")

VERSION = 2
version = "version-"

ZOOKEEPER_DATADIR_AUTOCREATE = "zookeeper.datadir.autocreate"
ZOOKEEPER_DATADIR_AUTOCREATE_DEFAULT = "true"
ZOOKEEPER_SNAPSHOT_TRUST_EMPTY = "zookeeper.snapshot.trust.empty"
EMPTY_SNAPSHOT_WARNING = "No snapshot found, but there are log entries. "


class DatadirException(IOError):
    """Mirror of org.apache.zookeeper.server.persistence.FileTxnSnapLog.DatadirException."""


class LogDirContentCheckException(DatadirException):
    """Mirror of org.apache.zookeeper.server.persistence.FileTxnSnapLog.LogDirContentCheckException."""


class SnapDirContentCheckException(DatadirException):
    """Mirror of org.apache.zookeeper.server.persistence.FileTxnSnapLog.SnapDirContentCheckException."""


class PlayBackListener:
    """Mirror of org.apache.zookeeper.server.persistence.FileTxnSnapLog.PlayBackListener.

    Told of every txn replayed from the logs. restore() also takes a plain callable
    f(hdr, txn, digest).
    """

    def on_txn_loaded(self, hdr, rec, digest=None):
        raise NotImplementedError


def _notify(listener, hdr, txn, digest):
    if listener is None:
        return
    if callable(listener) and not hasattr(listener, "on_txn_loaded"):
        listener(hdr, txn, digest)
    else:
        listener.on_txn_loaded(hdr, txn, digest)


def java_file_path(path):
    """The path as java.io.File keeps it: repeated slashes as one, no trailing slash ("." and ".." stay).
    Java compares dataDir and dataLogDir in this form, so "dir//" and "dir" are one directory."""
    path = re.sub("/+", "/", str(path))
    return path[:-1] if len(path) > 1 and path.endswith("/") else path


class FileTxnSnapLog:
    """Mirror of org.apache.zookeeper.server.persistence.FileTxnSnapLog.

    As in Java, the first argument is the txn log directory (dataLogDir) and the
    second the snapshot directory (dataDir); `data_dir` below is the log one.
    """

    VERSION = VERSION
    version = version

    def __init__(self, data_dir, snap_dir):
        LOG.debug("Opening datadir:%s snapDir:%s", data_dir, snap_dir)
        self.data_dir = os.path.join(java_file_path(data_dir), version + str(VERSION))
        self.snap_dir = os.path.join(java_file_path(snap_dir), version + str(VERSION))

        # by default create snap/log dirs, but otherwise complain instead (ZOOKEEPER-1161)
        enable_autocreate = system_properties.get_property(
            ZOOKEEPER_DATADIR_AUTOCREATE, ZOOKEEPER_DATADIR_AUTOCREATE_DEFAULT).strip().lower() == "true"
        self.trust_empty_snapshot = system_properties.get_boolean(ZOOKEEPER_SNAPSHOT_TRUST_EMPTY)
        LOG.info("%s : %s", ZOOKEEPER_SNAPSHOT_TRUST_EMPTY, "true" if self.trust_empty_snapshot else "false")

        for d, what in ((self.data_dir, "data"), (self.snap_dir, "snap")):
            if not os.path.exists(d):
                if not enable_autocreate:
                    raise DatadirException(
                        "Missing %s directory %s, automatic data directory creation is disabled (%s is false). "
                        "Please create this directory manually." % (what, d, ZOOKEEPER_DATADIR_AUTOCREATE))
                try:
                    os.makedirs(d, exist_ok=True)
                except OSError:
                    if not os.path.exists(d):
                        raise DatadirException("Unable to create %s directory %s" % (what, d)) from None
            if not os.access(d, os.W_OK):
                raise DatadirException("Cannot write to %s directory %s" % (what, d))

        # check content of transaction log and snapshot dirs if they are two different directories
        # (ZOOKEEPER-2967)
        if self.data_dir != self.snap_dir:
            self.check_log_dir()
            self.check_snap_dir()

        self.txn_log = FileTxnLog(self.data_dir)
        self.snap_log = FileSnap(self.snap_dir)

    def set_server_stats(self, server_stats):
        self.txn_log.set_server_stats(server_stats)

    def check_log_dir(self):
        names = os.listdir(self.data_dir) if os.path.isdir(self.data_dir) else []
        if any(Util.is_snapshot_file_name(n) for n in names):
            raise LogDirContentCheckException(
                "Log directory has snapshot files. Check if dataLogDir and dataDir configuration is correct.")

    def check_snap_dir(self):
        names = os.listdir(self.snap_dir) if os.path.isdir(self.snap_dir) else []
        if any(Util.is_log_file_name(n) for n in names):
            raise SnapDirContentCheckException(
                "Snapshot directory has log files. Check if dataLogDir and dataDir configuration is correct.")

    def get_data_dir(self):
        """The txn log directory (…/version-2)."""
        return self.data_dir

    def get_snap_dir(self):
        return self.snap_dir

    def restore(self, dt, sessions, listener=None):
        """Load the newest valid snapshot into dt/sessions and replay the logs after it.

        Returns the highest zxid seen. With no snapshot and no logs, the empty tree is
        saved as snapshot.0 at once; with logs but no snapshot this refuses (IOError)
        unless zookeeper.snapshot.trust.empty=true.
        """
        for name in remove_leftover_tmp_files(self.snap_dir):
            LOG.info("Removed %s, a snapshot left half-written when the server last stopped", name)
        deserialize_result = self.snap_log.deserialize(dt, sessions)
        txn_log = FileTxnLog(self.data_dir)
        if deserialize_result == -1:
            # no snapshot: a new server, or one upgraded from before 3.5.3
            if txn_log.get_last_logged_zxid() != -1:
                # ZOOKEEPER-3056: an escape hatch for users upgrading from 3.4.x
                if not self.trust_empty_snapshot:
                    raise IOError(EMPTY_SNAPSHOT_WARNING + "Something is broken!")
                LOG.warning("%sThis should only be allowed during upgrading.", EMPTY_SNAPSHOT_WARNING)
                return self.fast_forward_from_edits(dt, sessions, listener)
            self.save(dt, sessions)
            # return a zxid of zero, since we the database is empty
            return 0
        return self.fast_forward_from_edits(dt, sessions, listener)

    def fast_forward_from_edits(self, dt, sessions, listener=None):
        """Apply every logged txn after dt.last_processed_zxid; the highest zxid seen."""
        itr = self.txn_log.read(dt.last_processed_zxid + 1)
        highest_zxid = dt.last_processed_zxid
        try:
            while True:
                # iterator points to the first valid txn when initialized
                hdr = itr.get_header()
                if hdr is None:
                    # empty logs
                    return dt.last_processed_zxid
                if hdr.zxid < highest_zxid and highest_zxid != 0:
                    LOG.error("%d(highestZxid) > %d(next log) for type %d", highest_zxid, hdr.zxid, hdr.type)
                else:
                    highest_zxid = hdr.zxid
                txn = itr.get_txn()
                try:
                    self.process_transaction(hdr, dt, sessions, txn)
                except NoNodeException as e:
                    raise IOError("Failed to process transaction type: %d error: %s" % (hdr.type, e)) from e
                _notify(listener, hdr, txn, itr.get_digest())
                if not itr.next():
                    break
        finally:
            itr.close()
        return highest_zxid

    def read_txn_log(self, zxid, fast_forward=True):
        return FileTxnLog(self.data_dir).read(zxid, fast_forward)

    def process_transaction(self, hdr, dt, sessions, txn):
        """Apply one txn to dt, keeping the session map in step."""
        op = hdr.type
        if op == OpCode.createSession:
            sessions[hdr.clientId] = txn.timeOut
            if LOG.isEnabledFor(5):
                LOG.log(5, "playLog --- create session in log: 0x%x with timeout: %d", hdr.clientId, txn.timeOut)
        elif op == OpCode.closeSession:
            sessions.pop(hdr.clientId, None)
            if LOG.isEnabledFor(5):
                LOG.log(5, "playLog --- close session in log: 0x%x", hdr.clientId)
        # (for the session ops too, so the tree syncs its lastProcessedZxid)
        rc = dt.process_txn(hdr, txn)
        if rc.err != Code.OK:
            LOG.debug("Ignoring processTxn failure hdr: %d, error: %d, path: %s", op, rc.err, rc.path)

    def get_last_logged_zxid(self):
        return FileTxnLog(self.data_dir).get_last_logged_zxid()

    def save(self, data_tree, sessions_with_timeouts, sync_snap=False, in_child=False):
        """Snapshot the tree as snapshot.<its lastProcessedZxid>; in_child: see FileSnap.serialize."""
        last_zxid = data_tree.last_processed_zxid
        snapshot_file = os.path.join(self.snap_dir, Util.make_snapshot_name(last_zxid))
        LOG.info("Snapshotting: 0x%x to %s", last_zxid & 0xFFFFFFFFFFFFFFFF, snapshot_file)
        try:
            self.snap_log.serialize(data_tree, sessions_with_timeouts, snapshot_file, sync_snap, in_child)
        except (IOError, OSError):
            # 3.6+: a full disk leaves an empty file, which would count as the newest
            # snapshot when old ones are purged; a partial one is skipped on restart
            # (it does not end with the "/" seal), so it stays for inspection.
            try:
                empty = os.path.getsize(snapshot_file) == 0
            except OSError:
                empty = False
            if empty:
                try:
                    os.remove(snapshot_file)
                    LOG.info("Deleted empty snapshot file: %s", os.path.abspath(snapshot_file))
                except OSError:
                    LOG.warning("Could not delete empty snapshot file: %s", os.path.abspath(snapshot_file))
            raise

    def begin_received_snapshot(self, zxid):
        """A learner's snapshot.<zxid> made of the leader's SNAP stream (FileSnap.ReceivedSnapshot)."""
        received = self.snap_log.begin_received_snapshot(zxid)
        LOG.info("Writing the leader's snapshot stream 0x%x to %s as it arrives", zxid & 0xFFFFFFFFFFFFFFFF,
                 received.tmp_path)
        return received

    def save_received(self, received, sync_snap=False):
        """Seal a ReceivedSnapshot (the learner's tree is still the stream's), as save() would the tree."""
        LOG.info("Snapshotting: 0x%x to %s (the leader's stream, as received)", received.zxid & 0xFFFFFFFFFFFFFFFF,
                 received.path)
        received.seal(sync_snap)

    def truncate_log(self, zxid):
        """Drop every logged txn after zxid (TRUNC from a leader); False if that failed."""
        try:
            # close the existing txnLog and snapLog
            self.close()
            trunc_log = FileTxnLog(self.data_dir)
            try:
                truncated = trunc_log.truncate(zxid)
                # re-open the txnLog and snapLog
                self.txn_log = FileTxnLog(self.data_dir)
                self.snap_log = FileSnap(self.snap_dir)
                return truncated
            finally:
                trunc_log.close()
        except (OSError, EOFError) as e:
            LOG.error("Unable to truncate Txn log", exc_info=e)
            return False

    def get_last_snapshot_info(self):
        """3.6+: SnapshotInfo of the snapshot last loaded or saved, or None."""
        return self.snap_log.get_last_snapshot_info()

    def should_force_write_initial_snapshot_after_leader_election(self):
        """A dir started under zookeeper.snapshot.trust.empty with no snapshot (an upgrade from 3.4)
        gets one at its first sync, even a DIFF, so the next start needs the flag no more (3.5.8+,
        ZOOKEEPER-3781)."""
        return self.trust_empty_snapshot and self.get_last_snapshot_info() is None

    def find_most_recent_snapshot(self):
        return FileSnap(self.snap_dir).find_most_recent_snapshot()

    def find_n_recent_snapshots(self, n):
        return FileSnap(self.snap_dir).find_n_recent_snapshots(n)

    def find_n_valid_snapshots(self, n):
        return FileSnap(self.snap_dir).find_n_valid_snapshots(n)

    def get_snapshot_logs(self, zxid):
        """The log files needed after a snapshot at zxid."""
        return FileTxnLog.get_log_files(list_files(self.data_dir), zxid)

    def append(self, si):
        """Log the txn of request si."""
        if si.hdr is None:
            return False
        return self.txn_log.append(si.hdr, si.txn, si.txn_digest, SerializeUtils.serialize_request(si))

    def commit(self):
        self.txn_log.commit()

    def get_txn_log_elapsed_sync_time(self):
        return self.txn_log.get_txn_log_sync_elapsed_time()

    def roll_log(self):
        self.txn_log.roll_log()

    def get_total_log_size(self):
        return self.txn_log.get_total_log_size()

    def set_total_log_size(self, size):
        self.txn_log.set_total_log_size(size)

    def close(self):
        if self.txn_log is not None:
            self.txn_log.close()
            self.txn_log = None
        if self.snap_log is not None:
            self.snap_log.close()
            self.snap_log = None
