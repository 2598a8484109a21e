"""Mirror of org.apache.zookeeper.server.persistence.FileSnap: snapshot files snapshot.<zxid>.

On disk:

    FileHeader  int magic "ZKSN", int version 2, long dbid -1
    sessions    int count, count x (long id, int timeout)
    tree        DataTree.serialize: ACL cache, nodes in pre-order, ustring "/"
    seal        long Adler32 of every byte above, ustring "/"
    3.6+ only   ZxidDigest (long zxid, int version, long digest), long Adler32 of
                every byte before it, ustring "/"

A snapshot is read whole and checked with one zlib.adler32 over the bytes the tree
took; writing streams through a buffer that is checksummed and written in 1 MiB
chunks. 3.6+ may compress the file (snapshot.<zxid>.gz / .snappy, SnapStream); the
seal is over the uncompressed bytes.
"""

import logging
import os
import threading
import zlib

from zookeeper_py.common import child_process
from zookeeper_py.common.gc_tuning import collect_after_load
from zookeeper_py.jute import BinaryInputArchive, BinaryOutputArchive, JuteEOFError
from zookeeper_py.server.persistence.file_header import FileHeader
from zookeeper_py.server.persistence.snap_shot import SnapShot
from zookeeper_py.server.persistence.snap_stream import SnapStream
from zookeeper_py.server.persistence.snapshot_info import SnapshotInfo
from zookeeper_py.server.persistence.util import SNAPSHOT_FILE_PREFIX, Util, list_files
from zookeeper_py.server.util.serialize_utils import SerializeUtils

LOG = logging.getLogger("FileSnap")

SNAP_MAGIC = 0x5A4B534E  # "ZKSN"
VERSION = 2
DB_ID = -1

_CHUNK = 1 << 20
# Bytes written as they come rather than copied into the buffer: DataTree's batches of nodes.
_DIRECT = 4096
# What one zlib.adler32 call sums at most. PyPy copies the part of a buffer it is given; a copy
# this small dies in the nursery, where parts of 8 MiB were kept until a major collection (a
# 1M-znode load's peak held 188 MB of them) and were slower to sum (0.17 s for 188 MB against 0.08).
_ADLER_PIECE = 64 << 10
_fdatasync = getattr(os, "fdatasync", os.fsync)
# A snapshot being written: no reader of a data directory (ours, Java's, zkCleanup) takes
# tmp-snapshot.* for a snapshot, since its name does not start with "snapshot.".
TMP_PREFIX = "tmp-"
# The tmp files this process is writing: a pid alone cannot tell, since a new process may have a
# dead one's pid (a container's server is pid 1 at every start).
_writing = set()


def _tmp_path(path):
    """tmp-<name>.<pid>.<random> beside `path`, which this process now writes: the pid tells
    another process's leftover from a file being written."""
    name = "%s%s.%d.%s" % (TMP_PREFIX, os.path.basename(path), os.getpid(), os.urandom(4).hex())
    _writing.add(name)
    return os.path.join(os.path.dirname(path), name)


def _seal_tmp(tmp, path):
    """Give the written tmp file its name."""
    os.replace(tmp, path)
    _writing.discard(os.path.basename(tmp))


def _drop_tmp(tmp):
    _remove_quietly(tmp)
    _writing.discard(os.path.basename(tmp))


def _remove_quietly(path):
    try:
        os.remove(path)
    except FileNotFoundError:
        pass


def _writer_alive(name):
    """Whether the process named in a tmp-snapshot name still runs (an unparsable name: no)."""
    parts = name.split(".")
    try:
        pid = int(parts[-2])
    except (ValueError, IndexError):
        return False
    if pid == os.getpid():
        return name in _writing
    if os.name != "posix":  # elsewhere os.kill(pid, 0) would end the process
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # alive, another user's
    return True


def remove_leftover_tmp_files(snap_dir):
    """Remove the tmp-snapshot.* files in `snap_dir` whose writer has ended (a server stopped
    while writing a snapshot); the names of the files removed."""
    removed = []
    for path in list_files(snap_dir) or ():
        name = os.path.basename(path)
        if name.startswith(TMP_PREFIX + SNAPSHOT_FILE_PREFIX + ".") and not _writer_alive(name):
            _remove_quietly(path)
            removed.append(name)
    return removed


class ZxidDigest:
    """The 3.6+ trailer of a snapshot (DataTree.ZxidDigest): read, never written."""

    __slots__ = ("zxid", "digest_version", "digest")

    def __init__(self, zxid=0, digest_version=0, digest=0):
        self.zxid = zxid
        self.digest_version = digest_version
        self.digest = digest

    @staticmethod
    def read(ia):
        zxid = ia.read_long("zxid")
        version = ia.read_int("digestVersion")
        # the old version is using hex string as the digest
        if version < 2:
            d = ia.read_string("digest")
            digest = int(d, 16) if d is not None else 0
        else:
            digest = ia.read_long("digest")
        return ZxidDigest(zxid, version, digest)

    def __repr__(self):
        return "ZxidDigest(zxid=0x%x, version=%d, digest=%d)" % (self.zxid, self.digest_version, self.digest)


class _CheckedFileArchive(BinaryOutputArchive):
    """A BinaryOutputArchive over a file with an Adler32 of everything written
    (Java's BufferedOutputStream + CheckedOutputStream). Records are encoded into
    `buf`, which goes to the file in chunks."""

    def __init__(self, f):
        super().__init__(None)
        self._f = f
        self._adler = 1

    def _drain(self):
        buf = self.buf
        if buf:
            self._adler = zlib.adler32(buf, self._adler)
            self._f.write(buf)
            self.buf = bytearray()

    def _out(self, b):
        if len(b) >= _DIRECT:  # a batch of DataTree's nodes: not copied into buf first
            self.write_raw(b)
            return
        buf = self.buf
        buf += b
        if len(buf) >= _CHUNK:
            self._drain()

    def write_record(self, record, tag=None):
        record._encode(self.buf)
        if len(self.buf) >= _CHUNK:
            self._drain()

    def write_raw(self, data):
        """Bytes already in jute form (a leader's SNAP stream, in 64 KiB reads): checksummed and
        written as they are, not copied into the buffer first."""
        self._drain()
        self._adler = zlib.adler32(data, self._adler)
        self._f.write(data)

    def get_checksum(self):
        """The Adler32 of every byte written so far."""
        return zlib.adler32(self.buf, self._adler)

    def flush(self):
        self._drain()
        self._f.flush()


class _RunningChecksum:
    """The Adler32 of every byte a stream's archive has consumed (Java's CheckedInputStream
    under the archive): the archive hands each part on as it refills (tee_to)."""

    def __init__(self, ia):
        self._ia = ia
        self._adler = 1
        ia.tee_to(self._add)

    def _add(self, part):
        adler = self._adler
        for at in range(0, len(part), _ADLER_PIECE):
            with part[at:at + _ADLER_PIECE] as piece:
                adler = zlib.adler32(piece, adler)
        self._adler = adler

    def value(self):
        """The checksum of the bytes before the archive's position."""
        self._ia.end_tee()
        self._ia.tee_to(self._add)
        return self._adler


def _mtime_seconds(path):
    """File.lastModified() / 1000 (0 when the file is gone, as Java's lastModified)."""
    try:
        return int(os.path.getmtime(path))
    except OSError:
        return 0


class FileSnap(SnapShot):
    """Mirror of org.apache.zookeeper.server.persistence.FileSnap."""

    SNAP_MAGIC = SNAP_MAGIC
    VERSION = VERSION
    SNAPSHOT_FILE_PREFIX = SNAPSHOT_FILE_PREFIX

    def __init__(self, snap_dir):
        self.snap_dir = snap_dir
        self.closed = False
        self.digest_from_loaded_snapshot = None  # ZxidDigest of the last snapshot read, 3.6+ files only
        self.last_snapshot_info = None  # 3.6+: the snapshot last read or written (AdminServer `lsnp`)
        self._lock = threading.RLock()

    def deserialize(self, dt, sessions):
        """Load the newest snapshot that reads back whole; returns its zxid, or -1 if there is none.

        Up to 100 of the newest snapshots that look valid are tried in turn.
        """
        snap_list = self.find_n_valid_snapshots(100)
        if not snap_list:
            return -1
        snap = None
        found_valid = False
        for i, snap in enumerate(snap_list):
            if i > 0:
                # Java keeps what a broken snapshot put in the map; we start the next one clean.
                sessions.clear()
            LOG.info("Reading snapshot %s", snap)
            try:
                self.digest_from_loaded_snapshot = self.read_snapshot_file(dt, sessions, snap)
                found_valid = True
                break
            except Exception as e:  # Java catches IOException; a damaged file can fail in more ways here
                LOG.warning("problem reading snap file %s", snap, exc_info=e)
        if not found_valid:
            raise IOError("Not able to find valid snapshots in %s" % self.snap_dir)
        collect_after_load()  # PyPy: the file's buffer and the load's garbage, before the server serves
        dt.last_processed_zxid = Util.get_zxid_from_name(os.path.basename(snap), SNAPSHOT_FILE_PREFIX)
        self.last_snapshot_info = SnapshotInfo(dt.last_processed_zxid, _mtime_seconds(snap))
        return dt.last_processed_zxid

    def get_last_snapshot_info(self):
        return self.last_snapshot_info

    def read_snapshot_file(self, dt, sessions, snap):
        """Read one snapshot file into dt/sessions and check its seal(s); the 3.6+ digest or None."""
        with SnapStream.get_input_stream(snap) as stream:
            ia = BinaryInputArchive.get_archive(stream)
            checksum = _RunningChecksum(ia)
            self.deserialize_archive(dt, sessions, ia)
            check_sum = checksum.value()
            val = ia.read_long("val")
            if val != check_sum:
                raise IOError("CRC corruption in snapshot :  %s" % snap)
            # 3.6+: "/" then ZxidDigest and a second seal. 3.5 files end after the "/".
            try:
                ia.read_string("path")
                digest = ZxidDigest.read(ia)
            except JuteEOFError:
                return None
            check_sum = checksum.value()
            val = ia.read_long("val")
            ia.read_string("path")
            if val != check_sum:
                raise IOError("CRC corruption")
            return digest if digest.zxid > 0 else None

    def deserialize_archive(self, dt, sessions, ia):
        """Java's deserialize(dt, sessions, ia): the FileHeader, then sessions and tree."""
        header = ia.read_record(FileHeader)
        if header.magic != SNAP_MAGIC:
            raise IOError("mismatching magic headers %d !=  %d" % (header.magic, SNAP_MAGIC))
        SerializeUtils.deserialize_snapshot(dt, ia, sessions)

    def find_most_recent_snapshot(self):
        files = self.find_n_valid_snapshots(1)
        return files[0] if files else None

    def find_n_valid_snapshots(self, n):
        """The n newest snapshots that pass Util.is_valid_snapshot (names that do not parse are skipped)."""
        files = Util.sort_data_dir(list_files(self.snap_dir), SNAPSHOT_FILE_PREFIX, False)
        result = []
        for f in files:
            # catch the exceptions from the valid snapshot and continue until we find a valid one
            try:
                if SnapStream.is_valid_snapshot(f):
                    result.append(f)
                    if len(result) == n:
                        break
            except OSError as e:
                LOG.info("invalid snapshot %s", f, exc_info=e)
        return result

    def find_n_recent_snapshots(self, n):
        """The n newest files named snapshot.<hex>, valid or not."""
        files = Util.sort_data_dir(list_files(self.snap_dir), SNAPSHOT_FILE_PREFIX, False)
        result = []
        for f in files:
            if len(result) == n:
                break
            if Util.get_zxid_from_name(os.path.basename(f), SNAPSHOT_FILE_PREFIX) != -1:
                result.append(f)
        return result

    def serialize_archive(self, dt, sessions, oa, header):
        """Java's serialize(dt, sessions, oa, header)."""
        if header is None:
            raise RuntimeError("Snapshot's not open for writing: uninitialized header")
        oa.write_record(header, "fileheader")
        SerializeUtils.serialize_snapshot(dt, oa, sessions)

    def serialize(self, dt, sessions, snap_shot, fsync=False, in_child=False):
        """Write a snapshot of dt and sessions to the file `snap_shot`.

        3.5.7 does not fsync snapshots; fsync=True is 3.6's learner sync snapshot.

        in_child=True writes it from a forked copy of the process (child_process.py), the tree
        and its ACL cache held across the fork: the child writes the tree as it stood then
        (still fuzzy in Java's sense: the name's zxid was read before). Where the fork fails,
        it is written here, as without.

        The file is written as tmp-<name>.<pid>.<random> and renamed once sealed. 3.5.7 truncates
        `snap_shot` and writes it in place, and a snapshot often has the name of the one the
        server loaded (a leader's start-up snapshot, a learner's after a DIFF with nothing
        new): a crash while writing left that file torn, the server's only snapshot when its
        data directory was restored from one. Readers never see a half-written file either.
        """
        with self._lock:
            if self.closed:
                raise IOError("FileSnap has already been closed")
            tmp = _tmp_path(snap_shot)
            f = open(tmp, "xb")

            def write():
                out = SnapStream.open_output(f)
                oa = _CheckedFileArchive(out)
                header = FileHeader(SNAP_MAGIC, VERSION, DB_ID)
                self.serialize_archive(dt, sessions, oa, header)
                _seal(f, out, oa, fsync)  # flushes f: a child leaves by os._exit, which flushes nothing

            try:
                with f:
                    if not in_child:
                        write()
                    else:
                        try:
                            pid, fork_took, took = child_process.run_in_child(
                                write, hold=(dt.lock, dt.acl_cache.lock), keep_fds=(f.fileno(),))
                            LOG.info("Snapshot written by child process %d in %.3f s (the fork: %.1f ms)",
                                     pid, took, fork_took * 1000)
                        except child_process.ChildWorkError as e:
                            raise IOError("Snapshot child process failed: %s" % e) from None
                        except child_process.CannotFork as e:
                            LOG.warning("Could not fork to write the snapshot (%s); writing it in this process", e)
                            write()
                _seal_tmp(tmp, snap_shot)
            except BaseException:
                _drop_tmp(tmp)
                raise
            self.last_snapshot_info = SnapshotInfo(
                Util.get_zxid_from_name(os.path.basename(snap_shot), SNAPSHOT_FILE_PREFIX), _mtime_seconds(snap_shot))

    def begin_received_snapshot(self, zxid):
        """A ReceivedSnapshot for the leader's SNAP stream at `zxid`."""
        with self._lock:
            if self.closed:
                raise IOError("FileSnap has already been closed")
            return ReceivedSnapshot(self, zxid)

    def close(self):
        with self._lock:
            self.closed = True


def _seal(f, out, oa, fsync):
    """End a snapshot: the Adler32 of everything written and "/", then the file's bytes."""
    oa.write_long(oa.get_checksum(), "val")
    oa.write_string("/", "path")
    oa.flush()
    if out is not f:
        out.close()  # the gzip trailer, snappy's last chunk
        f.flush()
    if fsync:
        _fdatasync(f.fileno())


class ReceivedSnapshot:
    """A learner's snapshot written from the leader's SNAP stream as it is read.

    Java's learner loads the stream into its tree and, at NEWLEADER, writes the tree out again
    (Learner.syncWithLeader). While no txn has touched the tree since the SNAP, the stream's
    bytes are that snapshot already: the learner copies them here as it reads (see
    BinaryInputArchive.tee_to) and seals the file at NEWLEADER, which spares writing the tree a
    second time. Until seal() the file is tmp-snapshot.<zxid>.<pid>.<random>, which no reader
    of the data directory (ours, Java's, zkCleanup) takes for a snapshot; discard() removes it,
    and a restore removes one whose writer ended before it could."""

    def __init__(self, file_snap, zxid):
        self.file_snap = file_snap
        self.zxid = zxid
        name = Util.make_snapshot_name(zxid)
        self.path = os.path.join(file_snap.snap_dir, name)
        self.tmp_path = _tmp_path(self.path)
        self._f = open(self.tmp_path, "wb")
        self._out = SnapStream.open_output(self._f)
        self._oa = _CheckedFileArchive(self._out)
        self._oa.write_record(FileHeader(SNAP_MAGIC, VERSION, DB_ID), "fileheader")
        self.whole = True  # False once a write failed: the learner then writes its tree out

    def write(self, data):
        """The next bytes of the SNAP stream (sessions and tree, as in a snapshot file). A failed
        write drops the copy instead of failing the sync, which does not need it."""
        if not self.whole:
            return
        try:
            self._oa.write_raw(data)
        except (IOError, OSError) as e:
            LOG.warning("Dropping the copy of the leader's snapshot stream in %s: %s", self.tmp_path, e)
            self.whole = False
            self.discard()

    def seal(self, fsync=False):
        """Finish the file as FileSnap.serialize does and give it its snapshot.<zxid> name."""
        try:
            _seal(self._f, self._out, self._oa, fsync)
        finally:
            self._f.close()
        with self.file_snap._lock:
            if self.file_snap.closed:
                raise IOError("FileSnap has already been closed")
            _seal_tmp(self.tmp_path, self.path)
            self.file_snap.last_snapshot_info = SnapshotInfo(self.zxid, _mtime_seconds(self.path))

    def discard(self):
        """Drop the copy (the tree changed after the SNAP, or the sync failed); idempotent."""
        if not self._f.closed:
            self._f.close()
        _drop_tmp(self.tmp_path)
