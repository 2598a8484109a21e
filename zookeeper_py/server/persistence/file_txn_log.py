"""Mirror of org.apache.zookeeper.server.persistence.FileTxnLog: the txn log files log.<zxid>.

On disk (all big-endian):

    FileHeader  int magic "ZKLG", int version 2, long dbid 0
    entry*      long Adler32(txn bytes), int len, txn bytes (TxnHeader + record
                [+ 3.6+ TxnDigest]), byte 'B'
    zeros       preallocation (FilePadding); a reader stops at a len of 0

Writes go through one buffer (Java's 8 KiB BufferedOutputStream) with one Python
write per entry; commit() flushes and fdatasyncs. Reading takes the file in big
chunks and decodes each entry with the precompiled record codecs.
"""

import collections
import logging
import os
import struct
import threading
import time
import zlib

from zookeeper_py.common import system_properties
from zookeeper_py.jute import JuteEOFError, JuteIOError, max_length
from zookeeper_py.server.persistence.file_header import FileHeader
from zookeeper_py.server.persistence.file_padding import FilePadding
from zookeeper_py.server.persistence.txn_log import TxnIterator, TxnLog
from zookeeper_py.server.persistence.util import LOG_FILE_PREFIX, Util, list_files
from zookeeper_py.server.request import Request
from zookeeper_py.server.server_metrics import ServerMetrics
from zookeeper_py.server.util.serialize_utils import SerializeUtils
from zookeeper_py.server.util.zxid_utils import ZxidUtils
from zookeeper_py.txn import TxnHeader

LOG = logging.getLogger("FileTxnLog")

TXNLOG_MAGIC = 0x5A4B4C47  # "ZKLG"
VERSION = 2

FSYNC_WARNING_THRESHOLD_MS_PROPERTY = "fsync.warningthresholdms"
ZOOKEEPER_FSYNC_WARNING_THRESHOLD_MS_PROPERTY = "zookeeper." + FSYNC_WARNING_THRESHOLD_MS_PROPERTY

_CRC_LEN = struct.Struct(">qi")
# An entry's txn bytes start with its TxnHeader: clientId (long), cxid (int), zxid (long), ...
_ZXID_AT = struct.Struct(">q")
_TXN_ZXID_END = 8 + 4 + 8
_SKIPPED = object()
_HEADER = struct.Struct(">iiq")
_BUFFER_SIZE = 8192  # java.io.BufferedOutputStream's default
_fdatasync = getattr(os, "fdatasync", os.fsync)  # FileChannel.force(false)
_adler32 = zlib.adler32


def _txn_log_size_limit():
    """zookeeper.txnLogSizeLimitInKb (3.6+) in bytes, or -1: a commit that leaves the log file
    longer than it (its preallocated length, as Java's File.length) starts a new file."""
    size = system_properties.get_long("zookeeper.txnLogSizeLimitInKb", -1)
    if size <= 0:
        return -1
    LOG.info("zookeeper.txnLogSizeLimitInKb = %d", size)
    return size * 1024


def _fsync_warning_threshold_ms():
    value = system_properties.get_long(ZOOKEEPER_FSYNC_WARNING_THRESHOLD_MS_PROPERTY)
    if value is None:
        value = system_properties.get_long(FSYNC_WARNING_THRESHOLD_MS_PROPERTY, 1000)
    return value


class CrcCheckError(JuteIOError):
    """The IOException "CRC check failed" of FileTxnIterator.next, with where it happened."""

    def __init__(self, log_file=None, offset=None):
        super().__init__(FileTxnIterator.CRC_ERROR)
        self.log_file = log_file
        self.offset = offset


class _LogOutputStream:
    """A FileOutputStream with the BufferedOutputStream in front of it.

    `position` is the file channel's position: the bytes handed to the OS so far,
    which is what FilePadding looks at.
    """

    __slots__ = ("path", "fd", "buf", "position")

    def __init__(self, path):
        self.path = path
        self.fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        self.buf = bytearray()
        self.position = 0

    def _write_fully(self, data):
        """Write all of data; returns how many bytes went to the file, raising (OSError
        with `written` set) when the disk refuses the rest."""
        written = 0
        with memoryview(data) as view:
            try:
                while written < len(view):
                    n = os.write(self.fd, view[written:])
                    written += n
                    self.position += n
            except OSError as e:
                e.written = written
                raise
        return written

    def write(self, data):
        n = len(data)
        if n >= _BUFFER_SIZE:
            self.flush()
            self._write_fully(data)
            return
        if n > _BUFFER_SIZE - len(self.buf):
            self.flush()
        self.buf += data

    def flush(self):
        """Hand the buffer to the OS. When that fails part way (ENOSPC), what did reach
        the file leaves the buffer, so a later flush (close) never writes it twice;
        Java's BufferedOutputStream would write its whole buffer again."""
        if self.buf:
            try:
                self._write_fully(self.buf)
            except OSError as e:
                # a copy, not del buf[:n]: a memoryview of buf may still be alive (PyPy)
                self.buf = self.buf[e.written:]
                raise
            self.buf = bytearray()

    def fileno(self):
        return self.fd

    def size(self):
        return os.fstat(self.fd).st_size

    def close(self):
        if self.fd >= 0:
            try:
                self.flush()
            finally:
                os.close(self.fd)
                self.fd = -1


class FileTxnLog(TxnLog):
    """Mirror of org.apache.zookeeper.server.persistence.FileTxnLog."""

    TXNLOG_MAGIC = TXNLOG_MAGIC
    VERSION = VERSION
    LOG_FILE_PREFIX = LOG_FILE_PREFIX

    def __init__(self, log_dir):
        self.log_dir = log_dir
        self.last_zxid_seen = 0
        self.log_stream = None  # the open _LogOutputStream appends go to (Java: logStream + fos)
        self.log_file_write = None
        self.db_id = 0
        self.streams_to_flush = collections.deque()
        self.file_padding = FilePadding()
        self.server_stats = None
        self.sync_elapsed_ms = -1
        self.force_sync = system_properties.get_property("zookeeper.forceSync", "yes") != "no"
        self.fsync_warning_threshold_ms = _fsync_warning_threshold_ms()
        self.txn_log_size_limit = _txn_log_size_limit()
        self.prev_logs_running_total = 0  # the lengths of the files rolled since set_total_log_size
        self._lock = threading.RLock()  # Java's synchronized methods

    @staticmethod
    def set_prealloc_size(size):
        """Preallocation step in bytes."""
        FilePadding.set_prealloc_size(size)

    def set_server_stats(self, server_stats):
        with self._lock:
            self.server_stats = server_stats

    def roll_log(self):
        """The next append starts a new file; the current one is still fsynced by the next commit."""
        with self._lock:
            if self.log_stream is not None:
                self.log_stream.flush()
                self.prev_logs_running_total += self.get_current_log_size()
                self.log_stream = None

    def get_current_log_size(self):
        """The current file's length: its preallocated size, or what was written past it."""
        stream = self.log_stream
        return max(self.file_padding.current_size, stream.position) if stream is not None else 0

    def get_total_log_size(self):
        return self.prev_logs_running_total + self.get_current_log_size()

    def set_total_log_size(self, size):
        self.prev_logs_running_total = size

    def close(self):
        with self._lock:
            if self.log_stream is not None:
                self.log_stream.close()
            for log in self.streams_to_flush:
                log.close()

    def append(self, hdr, txn, digest=None, txn_bytes=None):
        """Append one entry: True if appended, False for a None header.

        txn_bytes, when given, are hdr + txn (+ digest) already serialized."""
        if hdr is None:
            return False
        with self._lock:
            zxid = hdr.zxid
            if zxid <= self.last_zxid_seen:
                LOG.warning("Current zxid %d is <= %d for %s", zxid, self.last_zxid_seen,
                            Request.op2_string(hdr.type))
            else:
                self.last_zxid_seen = zxid
            stream = self.log_stream
            if stream is None:
                name = Util.make_log_name(zxid)
                LOG.info("Creating new log file: %s", name)
                self.log_file_write = os.path.join(self.log_dir, name)
                stream = _LogOutputStream(self.log_file_write)
                stream.write(_HEADER.pack(TXNLOG_MAGIC, VERSION, self.db_id))
                # Make sure that the magic number is written before padding.
                stream.flush()
                self.file_padding.set_current_size(stream.position)
                self.streams_to_flush.append(stream)
                self.log_stream = stream
            self.file_padding.pad_file(stream.fd, stream.position)
            # One buffer: room for crc+len, then TxnHeader, record, digest, 'B'.
            entry = bytearray(12)
            if txn_bytes is not None:
                entry += txn_bytes
            else:
                hdr._encode(entry)
                if txn is not None:
                    txn._encode(entry)
                if digest is not None:
                    digest._encode(entry)
            n = len(entry) - 12
            _CRC_LEN.pack_into(entry, 0, _adler32(memoryview(entry)[12:]), n)
            entry.append(0x42)  # 'B'
            stream.write(entry)
            return True

    @staticmethod
    def get_log_files(log_dir_list, snapshot_zxid):
        """The log that starts at or just before `snapshot_zxid`, and every later one, ascending."""
        files = Util.sort_data_dir(log_dir_list, LOG_FILE_PREFIX, True)
        log_zxid = 0
        # the newest log that starts before or at the same time as the snapshot
        for f in files:
            fzxid = Util.get_zxid_from_name(os.path.basename(f), LOG_FILE_PREFIX)
            if fzxid > snapshot_zxid:
                continue
            if fzxid > log_zxid:
                log_zxid = fzxid
        return [f for f in files if Util.get_zxid_from_name(os.path.basename(f), LOG_FILE_PREFIX) >= log_zxid]

    def get_last_logged_zxid(self):
        """The zxid of the last txn in the logs (scanning the newest file), or -1."""
        files = FileTxnLog.get_log_files(list_files(self.log_dir), 0)
        max_log = Util.get_zxid_from_name(os.path.basename(files[-1]), LOG_FILE_PREFIX) if files else -1
        # if a log file is more recent we must scan it to find the highest zxid
        zxid = max_log
        itr = None
        try:
            itr = FileTxnLog(self.log_dir).read(max_log)
            while True:
                if not itr.next():
                    break
                zxid = itr.get_header().zxid
        except (OSError, EOFError) as e:
            LOG.warning("Unexpected exception", exc_info=e)
        finally:
            if itr is not None:
                itr.close()
        return zxid

    def commit(self):
        """Flush, then fdatasync every file written since the last commit (unless forceSync=no)."""
        with self._lock:
            if self.log_stream is not None:
                self.log_stream.flush()
            for log in self.streams_to_flush:
                log.flush()
                if self.force_sync:
                    start = time.monotonic_ns()
                    _fdatasync(log.fd)
                    self.sync_elapsed_ms = (time.monotonic_ns() - start) // 1_000_000
                    if self.sync_elapsed_ms > self.fsync_warning_threshold_ms:
                        if self.server_stats is not None:
                            self.server_stats.increment_fsync_threshold_exceed_count()
                        LOG.warning(
                            "fsync-ing the write ahead log in %s took %dms which will adversely effect "
                            "operation latency. File size is %d bytes. See the ZooKeeper troubleshooting guide",
                            threading.current_thread().name, self.sync_elapsed_ms, log.size())
                    ServerMetrics.FSYNC_TIME.add(self.sync_elapsed_ms)
            while len(self.streams_to_flush) > 1:
                self.streams_to_flush.popleft().close()
            if self.txn_log_size_limit > 0 and self.get_current_log_size() > self.txn_log_size_limit:
                LOG.debug("Log size limit reached: %d", self.get_current_log_size())
                self.roll_log()

    def get_txn_log_sync_elapsed_time(self):
        return self.sync_elapsed_ms

    def read(self, zxid, fast_forward=True):
        """An iterator from `zxid` on; without fast_forward it starts at the first txn of the
        log that holds `zxid`."""
        return FileTxnIterator(self.log_dir, zxid, fast_forward)

    def truncate(self, zxid):
        """Cut the logs right after the txn `zxid`: shorten its file, delete every later file."""
        itr = FileTxnIterator(self.log_dir, zxid)
        try:
            stream = itr.input_stream
            if stream is None:
                raise IOError(
                    "No log files found to truncate! This could happen if you still have snapshots "
                    "from an old setup or log files were deleted accidentally or dataLogDir was "
                    "changed in zoo.cfg.")
            pos = stream.get_position()
            # now, truncate at the current position
            os.truncate(itr.log_file, pos)
            for later in reversed(itr.stored_files):  # unopened: a damaged one goes too
                try:
                    os.remove(later)
                except OSError:
                    LOG.warning("Unable to truncate %s", later)
        finally:
            itr.close()
        return True

    @staticmethod
    def read_header(path):
        with open(path, "rb") as f:
            return FileHeader.decode(f.read(16), 0)[0]

    def get_db_id(self):
        itr = FileTxnIterator(self.log_dir, 0)
        try:
            if itr.log_file is None:
                raise IOError("Unsupported Format.")
            return FileTxnLog.read_header(itr.log_file).dbid
        finally:
            itr.close()

    def is_force_sync(self):
        return self.force_sync


class PositionInputStream:
    """Mirror of org.apache.zookeeper.server.persistence.FileTxnLog.PositionInputStream.

    A log file read in big chunks.

    `buf[pos:]` are bytes not consumed yet; `get_position()` is the file offset of
    the first of them (what the reader has consumed), which truncate() cuts at.
    """

    CHUNK = 1 << 19

    __slots__ = ("_f", "buf", "pos", "base")

    def __init__(self, path):
        self._f = open(path, "rb", buffering=0)
        self.buf = b""
        self.pos = 0
        self.base = 0

    def get_position(self):
        return self.base + self.pos

    def ensure(self, n):
        """Make at least n unconsumed bytes available; False if the file ends first."""
        if self.pos + n <= len(self.buf):
            return True
        if self._f.closed:
            raise IOError("Stream Closed")
        parts = [self.buf[self.pos:]]
        have = len(parts[0])
        self.base += self.pos
        self.pos = 0
        while have < n:
            chunk = self._f.read(max(n - have, self.CHUNK))
            if not chunk:
                break
            parts.append(chunk)
            have += len(chunk)
        self.buf = b"".join(parts)
        return have >= n

    def close(self):
        self._f.close()


class FileTxnIterator(TxnIterator):
    """Mirror of org.apache.zookeeper.server.persistence.FileTxnLog.FileTxnIterator.

    After construction it points at the first txn with zxid >= the one asked for (or,
    without fast_forward, the first txn of the log holding it); get_header() is None
    when there is none.
    """

    CRC_ERROR = "CRC check failed"

    def __init__(self, log_dir, zxid, fast_forward=True):
        self.log_dir = log_dir
        self.zxid = zxid
        self.hdr = None
        self.record = None
        self.digest = None
        # The current entry's bytes as logged (hdr + txn + digest); with headers_only set, entries
        # after the current one decode their header alone (get_txn() and get_digest() are None).
        self.entry_bytes = None
        self.headers_only = False
        self.last_skipped_zxid = None  # the last txn a next(skip_below) passed over
        self.log_file = None
        self.ia = None  # the open stream of log_file, or None (Java's InputArchive)
        self.input_stream = None
        self.stored_files = []
        self.init()
        if fast_forward and self.hdr is not None and self.hdr.zxid < zxid:
            self.next(skip_below=zxid)

    def init(self):
        """Collect the logs that may hold zxid and later txns, open the oldest, read one txn."""
        self.stored_files = []
        files = Util.sort_data_dir(FileTxnLog.get_log_files(list_files(self.log_dir), 0), LOG_FILE_PREFIX, False)
        for f in files:
            self.stored_files.append(f)
            # stop after the last logfile that is less than the zxid
            if Util.get_zxid_from_name(os.path.basename(f), LOG_FILE_PREFIX) < self.zxid:
                break
        self.go_to_next_log()
        self.next()

    def get_storage_size(self):
        """Bytes of the log files this iterator has not opened yet."""
        return sum(os.path.getsize(f) for f in self.stored_files)

    def go_to_next_log(self):
        while self.stored_files:
            self.log_file = self.stored_files.pop()
            try:
                self.ia = self.create_input_archive(self.log_file)
                return True
            except JuteEOFError:
                # Shorter than its 16-byte header: the server stopped (a crash, or exit 10 when a
                # snapshot failed) between creating the file and writing its header, so no txn,
                # acknowledged or not, is in it. Java fails to start here (ZOOKEEPER-1621); we
                # read it as the empty log it is and go on with the next one, unless a later log
                # of the same epoch follows: the server that crashed so wrote its next txn of that
                # epoch to a file of the same name, so this one was cut short after it was written.
                self._check_nothing_missing_after_torn_header()
                LOG.warning("%s ends inside its file header: it holds no transaction", self.log_file)
                self.ia = None
        return False

    def _check_nothing_missing_after_torn_header(self):
        if not self.stored_files:
            return
        first = Util.get_zxid_from_name(os.path.basename(self.log_file), LOG_FILE_PREFIX)
        following = self.stored_files[-1]
        following_first = Util.get_zxid_from_name(os.path.basename(following), LOG_FILE_PREFIX)
        if ZxidUtils.get_epoch_from_zxid(first) == ZxidUtils.get_epoch_from_zxid(following_first):
            raise IOError(
                "Transaction log: %s ends inside its file header, yet %s follows it in the same epoch: "
                "the transactions 0x%x to 0x%x are missing" % (self.log_file, following, first, following_first - 1))

    def in_stream_created(self, stream):
        """Read and check the FileHeader."""
        if not stream.ensure(16):
            raise JuteEOFError("Transaction log: %s ends inside its file header" % self.log_file)
        magic = _HEADER.unpack_from(stream.buf, stream.pos)[0]
        stream.pos += 16
        if magic != TXNLOG_MAGIC:
            raise IOError("Transaction log: %s has invalid magic number %d != %d"
                          % (self.log_file, magic, TXNLOG_MAGIC))

    def create_input_archive(self, log_file):
        if self.input_stream is None:
            self.input_stream = PositionInputStream(log_file)
            LOG.debug("Created new input stream %s", log_file)
            try:
                self.in_stream_created(self.input_stream)
            except BaseException:
                self.input_stream.close()
                self.input_stream = None
                raise
            LOG.debug("Created new input archive %s", log_file)
        return self.input_stream

    def next(self, skip_below=None):
        """Read the next txn into get_header()/get_txn(); False after the last one.

        `skip_below`: read on to the first txn with at least this zxid. The ones before it are
        checked (length, CRC, end marker) but not decoded: only their zxid is read, which makes
        a fast-forward through a long log some five times quicker (a follower's shutdown does
        one, and a slow one delays its next election)."""
        while True:
            stream = self.ia
            if stream is None:
                return False
            if skip_below is not None:
                self._skip_buffered_entries(stream, skip_below)
            entry = self._read_entry(stream, skip_below)
            if entry is _SKIPPED:
                continue
            if entry is not None:
                self.hdr, self.record, self.digest = entry
                return True
            # the file has ended (zero padding, EOF, a partial last entry): go to the next file
            stream.close()
            self.input_stream = None
            self.ia = None
            self.hdr = None
            if not self.go_to_next_log():
                return False

    def _skip_buffered_entries(self, stream, skip_below):
        """next(skip_below)'s fast path: pass over the entries below skip_below that are whole in
        the stream's buffer, checking their length, end marker and CRC but copying and decoding
        nothing. It stops at any other entry, which _read_entry then reads or reports."""
        buf = stream.buf
        pos = stream.pos
        limit = len(buf)
        last = None
        with memoryview(buf) as view:
            while pos + 12 <= limit:
                crc, n = _CRC_LEN.unpack_from(buf, pos)
                end = pos + 12 + n
                if n < _TXN_ZXID_END or end >= limit or buf[end] != 0x42:
                    break
                zxid = _ZXID_AT.unpack_from(buf, pos + 12 + _TXN_ZXID_END - 8)[0]
                if zxid >= skip_below or crc != _adler32(view[pos + 12:end]):
                    break
                last = zxid
                pos = end + 1
        stream.pos = pos
        if last is not None:
            self.last_skipped_zxid = last

    def _read_entry(self, stream, skip_below=None):
        """One entry as (hdr, txn, digest), None at the end of this file's data, or _SKIPPED for
        a sound entry whose zxid is below skip_below."""
        if not stream.ensure(12):
            if len(stream.buf) > stream.pos:
                self._partial(stream, "the file ends inside an entry header")
            return None
        start = stream.pos
        crc, n = _CRC_LEN.unpack_from(stream.buf, start)
        if n == 0:
            return None  # Since we preallocate, we define EOF to be an empty transaction
        if n < 0 or n > max_length():
            stream.close()
            raise JuteIOError("Unreasonable length = %d" % n)
        if not stream.ensure(13 + n):
            self._partial(stream, "the file ends inside an entry")
            return None
        buf = stream.buf
        start = stream.pos
        end = start + 12 + n
        if buf[end] != 0x42:
            LOG.error("Last transaction was partial.")
            self._partial(stream, "no end-of-record marker")
            return None
        data = buf[start + 12:end]
        stream.pos = end + 1
        if crc != _adler32(data):
            offset = stream.base + start
            LOG.error("CRC check failed in %s for the entry at offset %d (0x%x)", self.log_file, offset, offset)
            stream.close()
            raise CrcCheckError(self.log_file, offset)
        if skip_below is not None and len(data) >= _TXN_ZXID_END:
            zxid = _ZXID_AT.unpack_from(data, _TXN_ZXID_END - 8)[0]
            if zxid < skip_below:
                self.last_skipped_zxid = zxid
                return _SKIPPED
        self.entry_bytes = data
        try:
            if self.headers_only:
                return TxnHeader.from_bytes(data), None, None
            # A 3.6+ closeSession names the ephemerals it deleted: replay needs them (DataTree.kill_session).
            return SerializeUtils.deserialize_txn_entry(data, close_session_txn=True)
        except JuteEOFError:
            stream.pos = start
            self._partial(stream, "the txn record is shorter than its type needs")
            return None
        except JuteIOError:
            stream.close()
            raise

    def _partial(self, stream, why):
        # Java logs no file name here (at most "Last transaction was partial."); say where.
        LOG.warning("Transaction log %s ends with a partial entry at offset %d (%s); "
                    "it is read up to there", self.log_file, stream.get_position(), why)

    def get_header(self):
        return self.hdr

    def get_txn(self):
        return self.record

    def get_digest(self):
        return self.digest

    def close(self):
        if self.input_stream is not None:
            self.input_stream.close()
