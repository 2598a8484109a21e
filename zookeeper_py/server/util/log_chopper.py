"""Mirror of org.apache.zookeeper.server.util.LogChopper (ZooKeeper 3.6+; 3.5.7 has none).

Copies the txns of a log up to and including a zxid into a new file: the way to cut a log
back to a known point by hand. TxnLogToolkit's chop mode (-c -z) uses it.

    python -m zookeeper_py.server.util.log_chopper zxid_to_chop_to txn_log_to_chop chopped_filename
"""

import struct
import sys
import zlib

from zookeeper_py.server.persistence.file_header import FileHeader
from zookeeper_py.server.persistence.file_txn_log import TXNLOG_MAGIC
from zookeeper_py.server.util.serialize_utils import SerializeUtils
from zookeeper_py.server.util.zxid_utils import ZxidUtils

_CRC_LEN = struct.Struct(">qi")


class ChopEOFError(EOFError):
    """java.io.EOFException inside an entry (Java's message may be null)."""


def java_long_decode(text):
    """java.lang.Long.decode: optional sign, then 0x/0X/# hex, 0 octal, or decimal."""
    s = text
    negative = s.startswith("-")
    if s[:1] in "+-":
        s = s[1:]
    if s[:2] in ("0x", "0X"):
        base, digits = 16, s[2:]
    elif s.startswith("#"):
        base, digits = 16, s[1:]
    elif s.startswith("0") and len(s) > 1:
        base, digits = 8, s[1:]
    else:
        base, digits = 10, s
    try:
        if not digits or digits[0] in "+-":
            raise ValueError
        value = int(digits, base)
    except ValueError:
        raise ValueError('For input string: "%s"' % text) from None
    value = -value if negative else value
    if not -(1 << 63) <= value < (1 << 63):
        raise ValueError('For input string: "%s"' % text)
    return value


def _read_exact(f, n):
    data = f.read(n)
    if len(data) < n:
        raise ChopEOFError()
    return data


class LogChopper:
    """Mirror of org.apache.zookeeper.server.util.LogChopper."""

    @staticmethod
    def chop(is_, os_, zxid, out=None):
        """Copy the entries of the log stream is_ up to zxid into os_; True when the log held zxid and more.

        As Java: False (nothing chopped) when zxid is the last txn, is not in the log, or the
        log ends before a later txn; a CRC mismatch raises."""
        out = out or sys.stdout
        head = _read_exact(is_, 16)
        fhdr = FileHeader.decode(head, 0)[0]
        if fhdr.magic != TXNLOG_MAGIC:
            sys.stderr.write("Invalid magic number in txn log file\n")
            return False
        out.write("ZooKeeper Transactional Log File with dbid %d txnlog format version %d\n"
                  % (fhdr.dbid, fhdr.version))
        os_.write(head)
        count = 0
        has_zxid = False
        previous_zxid = -1
        while True:
            head = is_.read(12)
            data = None
            if len(head) == 12:
                crc_value, n = _CRC_LEN.unpack(head)
                data = is_.read(n) if n >= 0 else b""
                if n < 0 or len(data) < n:
                    data = None
            if data is None:
                out.write("EOF reached after %d txns.\n" % count)
                return False  # nothing was chopped
            if not data:
                # Since we preallocate, we define EOF to be an empty transaction
                out.write("EOF reached after %d txns.\n" % count)
                return False
            crc = zlib.adler32(data)
            if crc_value != crc:
                raise IOError("CRC doesn't match %d vs %d" % (crc_value, crc))
            hdr = SerializeUtils.deserialize_txn_entry(data, close_session_txn=True)[0]
            eor = is_.read(1)
            if eor != b"B":
                out.write("Last transaction was partial.\n")
                raise ChopEOFError("Last transaction was partial.")
            txn_zxid = hdr.zxid
            if txn_zxid == zxid:
                has_zxid = True
            # logging the gap to make the inconsistency investigation easier
            if previous_zxid != -1 and txn_zxid != previous_zxid + 1:
                txn_epoch = ZxidUtils.get_epoch_from_zxid(txn_zxid)
                txn_counter = ZxidUtils.get_counter_from_zxid(txn_zxid)
                previous_epoch = ZxidUtils.get_epoch_from_zxid(previous_zxid)
                if txn_epoch == previous_epoch:
                    out.write("There is intra-epoch gap between %x and %x\n" % (previous_zxid, txn_zxid))
                elif txn_counter != 1:
                    out.write("There is inter-epoch gap between %x and %x\n" % (previous_zxid, txn_zxid))
            previous_zxid = txn_zxid
            if txn_zxid > zxid:
                if count == 0 or not has_zxid:
                    out.write("This log does not contain zxid %x\n" % (zxid & 0xFFFFFFFFFFFFFFFF))
                    return False
                out.write("Chopping at %x new log has %d records\n" % (zxid & 0xFFFFFFFFFFFFFFFF, count))
                return True
            os_.write(head + data + b"B")
            count += 1


def exception_message(e):
    """What Java's e.getMessage() gives for the errors chop can raise (null for a bare EOFException)."""
    if isinstance(e, EOFError):
        return str(e) or "null"
    if isinstance(e, FileNotFoundError):
        return "%s (No such file or directory)" % e.filename
    return str(e)


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    rc = 2  # ExitCode.INVALID_INVOCATION
    if len(argv) != 3:
        print("Usage: LogChopper zxid_to_chop_to txn_log_to_chop chopped_filename")
        print("    this program will read the txn_log_to_chop file and copy all the transactions")
        print("    from it up to (and including) the given zxid into chopped_filename.")
        sys.stdout.flush()
        return rc
    try:
        with open(argv[1], "rb") as is_, open(argv[2], "wb") as os_:
            zxid = java_long_decode(argv[0])
            if LogChopper.chop(is_, os_, zxid):
                rc = 0  # ExitCode.EXECUTION_FINISHED
    except (OSError, ValueError, EOFError) as e:
        print("Got exception: " + exception_message(e))
    sys.stdout.flush()
    return rc


if __name__ == "__main__":
    sys.exit(main())
