"""Mirror of org.apache.zookeeper.server.persistence.TxnLogToolkit (bin/zkTxnLogToolkit.sh).

Dumps a txn log one txn per line, or (-r) writes <log>.fixed with the CRC of damaged
entries recomputed, asking for each (or not, with -y), or (-c -z zxid, 3.6+) writes
<log>.chopped<zxid> with the txns up to that zxid (LogChopper). The line format is 3.8's,
which is 3.5.7's plus readable multi txns and no crash on null data.

    python -m zookeeper_py.server.persistence.txn_log_toolkit [-dhrvyc] <txn_log_file_name> (-z <zxid>)
"""

import os
import struct
import sys
import time
import zlib

import click

from zookeeper_py.jute import JuteIOError
from zookeeper_py.server.persistence.file_header import FileHeader
from zookeeper_py.server.persistence.file_padding import FilePadding
from zookeeper_py.server.persistence.file_txn_log import TXNLOG_MAGIC
from zookeeper_py.server.request import Request
from zookeeper_py.server.util.closed_pipe import stdout_reader_may_leave
from zookeeper_py.server.util.log_chopper import LogChopper, exception_message, java_long_decode
from zookeeper_py.server.util.serialize_utils import SerializeUtils
from zookeeper_py.txn import CreateContainerTxn, CreateTTLTxn, CreateTxn, MultiTxn, SetDataTxn

_CRC_LEN = struct.Struct(">qi")
_LONG = struct.Struct(">q")

USAGE = "TxnLogToolkit [-dhrvc] <txn_log_file_name> (-z <zxid>)"
# (short, long, description) in commons-cli's help order (sorted by option name)
OPTIONS = (
    ("c", "chop", "Chop mode. Chop txn file to a zxid."),
    ("d", "dump", "Dump mode. Dump all entries of the log file with printing the content of a nodepath (default)"),
    ("h", "help", "Print help message"),
    ("r", "recover", "Recovery mode. Re-calculate CRC for broken entries."),
    ("v", "verbose", "Be verbose in recovery mode: print all entries, not just fixed ones."),
    ("y", "yes", "Non-interactive mode: repair all CRC errors without asking"),
    ("z", "zxid <arg>", "Used with chop. Zxid to which to chop."),
)


class TxnLogToolkitException(Exception):
    """Mirror of org.apache.zookeeper.server.persistence.TxnLogToolkit.TxnLogToolkitException."""

    def __init__(self, exit_code, message, *params):
        super().__init__(message % params if params else message)
        self.exit_code = exit_code


class TxnLogToolkitParseException(TxnLogToolkitException):
    """Mirror of org.apache.zookeeper.server.persistence.TxnLogToolkit.TxnLogToolkitParseException."""


def format_date_time(ms):
    """DateFormat.getDateTimeInstance(SHORT, LONG) in en_US: 11/28/26, 6:24:18 PM UTC."""
    tm = time.localtime(ms / 1000.0)
    hour = tm.tm_hour % 12 or 12
    return "%d/%d/%02d, %d:%02d:%02d %s %s" % (
        tm.tm_mon, tm.tm_mday, tm.tm_year % 100, hour, tm.tm_min, tm.tm_sec,
        "AM" if tm.tm_hour < 12 else "PM", time.strftime("%Z", tm))


def _hex(value):
    """Long.toHexString (an int cxid is widened to long first, so -1 is ffffffffffffffff)."""
    return "%x" % (value & 0xFFFFFFFFFFFFFFFF)


def _str(data):
    """checkNullToEmpty: new String(data, UTF_8), "" for null."""
    if not data:
        return ""
    return bytes(data).decode("utf-8", "replace")


def _java_bool(b):
    return "true" if b else "false"


def _acl_list(acl):
    """java.util.List.toString of the ACL records."""
    if acl is None:
        return "null"
    return "[" + ", ".join(str(a) for a in acl) + "]"


def get_formatted_txn_str(txn):
    if txn is None:
        return ""
    if isinstance(txn, CreateTxn):
        return "%s,%s,%s,%s,%d" % (txn.path, _str(txn.data), _acl_list(txn.acl), _java_bool(txn.ephemeral),
                                   txn.parentCVersion)
    if isinstance(txn, SetDataTxn):
        return "%s,%s,%d" % (txn.path, _str(txn.data), txn.version)
    if isinstance(txn, CreateContainerTxn):
        return "%s,%s,%s,%d" % (txn.path, _str(txn.data), _acl_list(txn.acl), txn.parentCVersion)
    if isinstance(txn, CreateTTLTxn):
        return "%s,%s,%s,%d,%d" % (txn.path, _str(txn.data), _acl_list(txn.acl), txn.parentCVersion, txn.ttl)
    if isinstance(txn, MultiTxn):
        return ";".join("%s:%s" % (Request.op2_string(t.type), _str(t.data)) for t in (txn.txns or ()))
    return str(txn)


def format_txn(data):
    """One txn as TxnLogToolkit prints it, ending in a newline."""
    hdr, txn, _ = SerializeUtils.deserialize_txn_entry(data, close_session_txn=True)
    line = "%s session 0x%s cxid 0x%s zxid 0x%s %s %s" % (
        format_date_time(hdr.time), _hex(hdr.clientId), _hex(hdr.cxid), _hex(hdr.zxid),
        Request.op2_string(hdr.type), get_formatted_txn_str(txn))
    return line if line.endswith("\n") else line + "\n"


class TxnLogToolkit:
    """Mirror of org.apache.zookeeper.server.persistence.TxnLogToolkit."""

    def __init__(self, recovery_mode, verbose, txn_log_file_name, force, out=None, zxid=None):
        self.zxid = -1  # chop mode when >= 0
        if zxid is not None:
            # Java's second constructor: chop mode opens nothing yet.
            self.recovery_mode = self.verbose = self.force = False
            self.out = out or sys.stdout
            self.txn_fis = self.recovery_fos = None
            self.txn_log_file = txn_log_file_name
            if not os.path.isfile(txn_log_file_name) or not os.access(txn_log_file_name, os.R_OK):
                raise TxnLogToolkitException(1, "File doesn't exist or not readable: %s", txn_log_file_name)
            self.zxid = java_long_decode(zxid)
            return
        self.recovery_mode = recovery_mode
        self.verbose = verbose
        self.force = force
        self.out = out or sys.stdout
        self.crc_fixed = 0
        self.txn_log_file = txn_log_file_name
        self.recovery_log_file = None
        self.recovery_fos = None
        self.file_padding = FilePadding()
        self.txn_fis = None
        if not os.path.isfile(txn_log_file_name) or not os.access(txn_log_file_name, os.R_OK):
            raise TxnLogToolkitException(1, "File doesn't exist or not readable: %s", txn_log_file_name)
        if recovery_mode:
            self.recovery_log_file = txn_log_file_name + ".fixed"
            if os.path.exists(self.recovery_log_file):
                raise TxnLogToolkitException(1, "Recovery file %s already exists or not writable",
                                             self.recovery_log_file)
        self.open_txn_log_file()
        if recovery_mode:
            self.open_recovery_file()

    def _print(self, text):
        self.out.write(text)

    def dump(self, scanner=None):
        """Print (or in recovery mode copy) every entry; `scanner` yields the answers to prompts."""
        self.crc_fixed = 0
        scanner = scanner if scanner is not None else _tokens(sys.stdin)
        f = self.txn_fis
        head = f.read(16)
        if len(head) < 16:
            raise TxnLogToolkitException(1, "java.io.EOFException")
        fhdr = FileHeader.decode(head, 0)[0]
        if fhdr.magic != TXNLOG_MAGIC:
            raise TxnLogToolkitException(2, "Invalid magic number for %s", os.path.basename(self.txn_log_file))
        self._print("ZooKeeper Transactional Log File with dbid %d txnlog format version %d\n"
                    % (fhdr.dbid, fhdr.version))
        if self.recovery_mode:
            self.recovery_fos.write(fhdr.to_bytes())
            self.recovery_fos.flush()
            self.file_padding.set_current_size(self.recovery_fos.tell())
        count = 0
        while True:
            head = f.read(12)
            if len(head) < 12:
                self._print("EOF reached after %d txns.\n" % count)
                return
            crc_value, n = _CRC_LEN.unpack(head)
            if n < 0:
                raise JuteIOError("Unreasonable length = %d" % n)
            data = f.read(n)
            if len(data) < n:
                self._print("EOF reached after %d txns.\n" % count)
                return
            if n == 0:
                # Since we preallocate, we define EOF to be an empty transaction
                self._print("EOF reached after %d txns.\n" % count)
                return
            crc = zlib.adler32(data)
            if crc_value != crc:
                if self.recovery_mode:
                    if not self.force:
                        self.print_txn(data, "CRC ERROR")
                        if self.ask_for_fix(scanner):
                            crc_value = crc
                            self.crc_fixed += 1
                    else:
                        crc_value = crc
                        self.print_txn(data, "CRC FIXED")
                        self.crc_fixed += 1
                else:
                    self.print_txn(data, "CRC ERROR")
            if not self.recovery_mode or self.verbose:
                self.print_txn(data)
            eor = f.read(1)
            if not eor:
                raise TxnLogToolkitException(1, "java.io.EOFException")
            if eor != b"B":
                raise TxnLogToolkitException(1, "Last transaction was partial.")
            if self.recovery_mode:
                self.file_padding.pad_file(self.recovery_fos.fileno(), self.recovery_fos.tell())
                self.recovery_fos.write(_LONG.pack(crc_value) + head[8:] + data + b"B")
            count += 1

    def chop(self):
        """Write <log>.chopped<zxid> with the txns up to zxid; any failure is printed, not raised (as Java)."""
        target_file = self.txn_log_file + ".chopped%d" % self.zxid
        try:
            with open(self.txn_log_file, "rb") as is_, open(target_file, "wb") as os_:
                if not LogChopper.chop(is_, os_, self.zxid, self.out):
                    raise TxnLogToolkitException(2, "Failed to chop %s", os.path.basename(self.txn_log_file))
        except (TxnLogToolkitException, OSError, ValueError, EOFError) as e:
            self._print("Got exception: %s\n" % exception_message(e))

    def is_dump_mode(self):
        return self.zxid < 0

    def ask_for_fix(self, scanner):
        while True:
            self._print("Would you like to fix it (Yes/No/Abort) ? ")
            self.out.flush()
            try:
                token = next(scanner)
            except StopIteration:
                raise TxnLogToolkitException(1, "java.util.NoSuchElementException") from None
            answer = token[0].upper()
            if answer == "Y":
                return True
            if answer == "N":
                return False
            if answer == "A":
                raise TxnLogToolkitException(0, "Recovery aborted.")

    def print_txn(self, data, prefix=""):
        txns = format_txn(data)
        if prefix is not None and prefix.strip() != "":
            self._print(prefix + " - ")
        self._print(txns)

    def open_txn_log_file(self):
        self.txn_fis = open(self.txn_log_file, "rb")

    def close_txn_log_file(self):
        if self.txn_fis is not None:
            self.txn_fis.close()

    def open_recovery_file(self):
        # unbuffered, as Java's FileOutputStream: tell() is the channel position
        self.recovery_fos = open(self.recovery_log_file, "wb", buffering=0)

    def close_recovery_file(self):
        if self.recovery_fos is not None:
            self.recovery_fos.close()

    def print_stat(self):
        if self.recovery_mode:
            self._print("Recovery file %s has been written with %d fixed CRC error(s)\n"
                        % (self.recovery_log_file, self.crc_fixed))

    def close(self):
        if self.recovery_mode:
            self.close_recovery_file()
        self.close_txn_log_file()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def _tokens(stream):
    """java.util.Scanner.next(): whitespace-separated tokens."""
    for line in stream:
        yield from line.split()


def help_text():
    """HelpFormatter.printHelp(120, ...) of Java's options."""
    names = ["-%s,--%s" % (s, name) for s, name, _ in OPTIONS]
    width = max(len(n) for n in names)
    lines = ["usage: " + USAGE]
    for n, (_, _, desc) in zip(names, OPTIONS):
        lines.append(" " + n.ljust(width) + "   " + desc)
    return "\n".join(lines) + "\n"


def print_help_and_exit(exit_code):
    sys.stdout.write(help_text())
    sys.stdout.flush()
    sys.exit(exit_code)


@click.command(context_settings={"help_option_names": []}, add_help_option=False)
@click.option("-h", "--help", "show_help", is_flag=True)
@click.option("-r", "--recover", is_flag=True)
@click.option("-v", "--verbose", is_flag=True)
@click.option("-d", "--dump", is_flag=True)
@click.option("-y", "--yes", is_flag=True)
@click.option("-c", "--chop", is_flag=True)
@click.option("-z", "--zxid")
@click.argument("args", nargs=-1)
def _command(show_help, recover, verbose, dump, yes, chop, zxid, args):
    if show_help:
        print_help_and_exit(0)
    if len(args) < 1:
        print_help_and_exit(1)
    if chop and zxid is not None:
        try:
            return TxnLogToolkit(False, False, args[0], False, zxid=zxid)
        except ValueError as e:
            # Java: Long.decode's NumberFormatException leaves main uncaught (exit 1).
            raise TxnLogToolkitException(1, "java.lang.NumberFormatException: %s" % e) from None
    return TxnLogToolkit(recover, verbose, args[0], yes)


def parse_command_line(args):
    try:
        return _command.main(list(args), prog_name="TxnLogToolkit", standalone_mode=False)
    except click.NoSuchOption as e:
        raise TxnLogToolkitParseException(1, "Unrecognized option: %s" % e.option_name) from None
    except click.UsageError as e:
        raise TxnLogToolkitParseException(1, e.format_message()) from None


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    try:
        lt = parse_command_line(argv)
        with lt, stdout_reader_may_leave():
            if lt.is_dump_mode():
                lt.dump()
                lt.print_stat()
            else:
                lt.chop()
    except TxnLogToolkitParseException as e:
        sys.stderr.write(str(e) + "\n\n")
        print_help_and_exit(e.exit_code)
    except TxnLogToolkitException as e:
        sys.stdout.flush()
        sys.stderr.write(str(e) + "\n")
        sys.exit(e.exit_code)
    sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
