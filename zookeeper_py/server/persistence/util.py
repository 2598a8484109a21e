"""Mirror of org.apache.zookeeper.server.persistence.Util: file names and txn-entry framing.

Files are plain path strings (Java's java.io.File). A directory listing is
`list_files(dir)`: full paths, or None when the directory cannot be read, as
File.listFiles() returns null.
"""

import logging
import os
import struct

from zookeeper_py.common import java_integer
from zookeeper_py.common.string_utils import java_split
from zookeeper_py.jute import JuteEOFError

LOG = logging.getLogger("Util")

SNAP_DIR = "snapDir"
LOG_DIR = "logDir"
DB_FORMAT_CONV = "dbFormatConversion"

LOG_FILE_PREFIX = "log"  # FileTxnLog.LOG_FILE_PREFIX
SNAPSHOT_FILE_PREFIX = "snapshot"  # FileSnap.SNAPSHOT_FILE_PREFIX

_U64 = 0xFFFFFFFFFFFFFFFF
_INT = struct.Struct(">i")
_CRC_LEN = struct.Struct(">qi")
_EOR = b"B"
_SEAL = b"\x00\x00\x00\x01/"  # ustring "/" that ends every snapshot


def to_hex_string(value):
    """Long.toHexString: lowercase, no leading zeros, two's complement for negatives."""
    return "%x" % (value & _U64)


def list_files(directory):
    """File.listFiles(): full paths of the entries, or None if `directory` is unreadable."""
    try:
        names = os.listdir(directory)
    except OSError:
        return None
    return [os.path.join(directory, n) for n in names]


class Util:
    """Mirror of org.apache.zookeeper.server.persistence.Util."""

    @staticmethod
    def make_uri_string(data_dir, data_log_dir, conv_policy=None):
        uri = "file:" + SNAP_DIR + "=" + data_dir + ";" + LOG_DIR + "=" + data_log_dir
        if conv_policy is not None:
            uri += ";" + DB_FORMAT_CONV + "=" + conv_policy
        return uri.replace("\\", "/")

    @staticmethod
    def make_log_name(zxid):
        """log.<hex zxid>, the name of a txn log whose first txn is `zxid`."""
        return LOG_FILE_PREFIX + "." + to_hex_string(zxid)

    @staticmethod
    def make_snapshot_name(zxid):
        """snapshot.<hex zxid>, plus .gz or .snappy when zookeeper.snapshot.compression.method says (3.6+)."""
        # cycle: util -> snap_stream -> util
        from zookeeper_py.server.persistence.snap_stream import SnapStream

        return SNAPSHOT_FILE_PREFIX + "." + to_hex_string(zxid) + SnapStream.get_stream_mode().get_file_extension()

    @staticmethod
    def get_zxid_from_name(name, prefix):
        """The zxid in `<prefix>.<hex>`, or -1 when the name is anything else.

        3.6+ snapshots may end in .gz or .snappy (SnapStream); Java 3.8 takes any further
        part, we only these, so log.1.fixed or log.1.chopped5 is still no log file."""
        parts = java_split(name, ".")
        if (len(parts) == 2 or (len(parts) == 3 and prefix == SNAPSHOT_FILE_PREFIX
                                and parts[2] in ("gz", "snappy"))) and parts[0] == prefix:
            try:
                return java_integer.parse_long(parts[1], 16)
            except ValueError:
                pass
        return -1

    @staticmethod
    def is_valid_snapshot(f):
        """Cheap validity test: the name parses, and the file ends with the "/" seal.

        Raises OSError when the file cannot be opened, as Java's RandomAccessFile does.
        """
        if f is None or Util.get_zxid_from_name(os.path.basename(f), SNAPSHOT_FILE_PREFIX) == -1:
            return False
        with open(f, "rb") as raf:
            length = os.fstat(raf.fileno()).st_size
            # including the header and the last / bytes the snapshot should be at least 10 bytes
            if length < 10:
                return False
            raf.seek(length - 5)
            tail = raf.read(5)
            if len(tail) != 5:
                LOG.info("Invalid snapshot %s too short, len = %d", f, len(tail))
                return False
            if tail != _SEAL:
                (n,) = _INT.unpack_from(tail)
                LOG.info("Invalid snapshot %s len = %d byte = %d", f, n, tail[4])
                return False
        return True

    @staticmethod
    def read_txn_bytes(ia):
        """One entry's txn bytes from `ia` (after its checksum); None at EOF or a partial entry.

        An empty result means zero padding: the end of the data in a preallocated file.
        """
        try:
            data = ia.read_buffer("txtEntry")
            # Since we preallocate, we define EOF to be an empty transaction
            if data is None or len(data) == 0:
                return data
            if ia.read_byte("EOF") != 0x42:
                LOG.error("Last transaction was partial.")
                return None
            return data
        except (JuteEOFError, EOFError):
            return None

    @staticmethod
    def marshall_txn_entry(hdr, txn=None, digest=None):
        """TxnHeader + txn record (+ the 3.6+ TxnDigest when given), serialized."""
        out = bytearray()
        hdr._encode(out)
        if txn is not None:
            txn._encode(out)
        if digest is not None:
            digest._encode(out)
        return bytes(out)

    @staticmethod
    def write_txn_bytes(oa, data):
        oa.write_buffer(data, "txnEntry")
        oa.write_byte(0x42, "EOR")  # 'B'

    @staticmethod
    def txn_entry(crc, data):
        """The bytes of one whole log entry: checksum, length, txn bytes, 'B' (one write)."""
        return b"".join((_CRC_LEN.pack(crc, len(data)), data, _EOR))

    @staticmethod
    def sort_data_dir(files, prefix, ascending):
        """Sort paths by the zxid in their names (stable; names that do not parse count as -1)."""
        if files is None:
            return []
        # sorted() is stable also with reverse=True, as Collections.sort is.
        return sorted(
            files,
            key=lambda f: Util.get_zxid_from_name(os.path.basename(f), prefix),
            reverse=not ascending,
        )

    @staticmethod
    def is_log_file_name(file_name):
        return file_name.startswith(LOG_FILE_PREFIX + ".")

    @staticmethod
    def is_snapshot_file_name(file_name):
        return file_name.startswith(SNAPSHOT_FILE_PREFIX + ".")

