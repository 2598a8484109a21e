"""Mirror of org.apache.zookeeper.server.SnapshotFormatter (3.8; bin/zkSnapShotToolkit.sh).

Prints every znode of a snapshot file with its stat (and with -d its data in
base64), then the sessions; -json prints the ncdu-style JSON of 3.8.

    python -m zookeeper_py.server.snapshot_formatter [-d|-json] snapshot_file

Java walks children and sessions in HashSet/HashMap iteration order; this prints
them in that same order (zookeeper_py.common.java_hash_order), so the output can be
compared with Java's line for line.
"""

import base64
import os
import sys
import time

import click

from zookeeper_py.common.java_hash_order import java_hash_order, long_hash_code, string_hash_code
from zookeeper_py.jute import BinaryInputArchive
from zookeeper_py.server.data_tree import DataTree
from zookeeper_py.server.persistence.file_snap import FileSnap
from zookeeper_py.server.persistence.snap_stream import SnapStream
from zookeeper_py.server.persistence.util import SNAPSHOT_FILE_PREFIX, Util
from zookeeper_py.server.util.closed_pipe import stdout_reader_may_leave
from zookeeper_py.zk_util import ZKUtil

_U64 = 0xFFFFFFFFFFFFFFFF


def _children_in_insertion_order(data_tree):
    """parent path -> child names in the order the snapshot listed them."""
    order = {}
    for path in data_tree.nodes:
        if path in ("", "/"):
            continue
        i = path.rfind("/")
        order.setdefault(path[:i] or "/", []).append(path[i + 1:])
    return order


# -- formatting helpers ------------------------------------------------------------

def _hex16(value):
    """String.format("%#016x", long)."""
    return "%#016x" % (value & _U64)


def java_date(ms):
    """java.util.Date.toString: Thu Jan 01 00:00:00 UTC 1970."""
    tm = time.localtime(ms / 1000.0)
    return time.strftime("%a %b %d %H:%M:%S ", tm) + time.strftime("%Z", tm) + time.strftime(" %Y", tm)


_JSON_SHORT = {'"': '\\"', "\\": "\\\\", "\b": "\\b", "\t": "\\t", "\n": "\\n", "\f": "\\f", "\r": "\\r"}


def quote_as_string(s):
    """Jackson's JsonStringEncoder.quoteAsString."""
    out = []
    for ch in s:
        if ch in _JSON_SHORT:
            out.append(_JSON_SHORT[ch])
        elif ord(ch) < 0x20:
            out.append("\\u%04X" % ord(ch))
        else:
            out.append(ch)
    return "".join(out)


class SnapshotFormatter:
    """Mirror of org.apache.zookeeper.server.SnapshotFormatter."""

    # per-znode counter so ncdu treats each as a unique object
    INODE_IDX = 1000

    def __init__(self, out=None):
        self.out = out or sys.stdout
        self._children = {}

    def _println(self, s=""):
        self.out.write(s + "\n")

    def run(self, snapshot_file_name, dump_data, dump_json):
        """Read the snapshot (header, sessions, tree; no checksum check, as Java) and print it."""
        buf = SnapStream.read_all(snapshot_file_name)  # plain, .gz or .snappy by its extension, as 3.8
        ia = BinaryInputArchive(buf, 0)
        file_snap = FileSnap(None)
        data_tree = DataTree()
        sessions = {}
        file_snap.deserialize_archive(data_tree, sessions, ia)
        file_name_zxid = Util.get_zxid_from_name(os.path.basename(snapshot_file_name), SNAPSHOT_FILE_PREFIX)
        self._children = _children_in_insertion_order(data_tree)
        if dump_json:
            self.print_snapshot_json(data_tree)
        else:
            self.print_details(data_tree, sessions, dump_data, file_name_zxid)

    def _ordered_children(self, path):
        return java_hash_order(self._children.get(path, ()), string_hash_code, 8)

    def print_details(self, data_tree, sessions, dump_data, file_name_zxid):
        dt_zxid = self.print_znode_details(data_tree, dump_data)
        self.print_session_details(data_tree, sessions)
        self._println("----")
        self._println("Last zxid: 0x%x" % (max(file_name_zxid, dt_zxid) & _U64))

    def print_znode_details(self, data_tree, dump_data):
        self._println("ZNode Details (count=%d):" % data_tree.get_node_count())
        zxid = self.print_znode(data_tree, "/", dump_data)
        self._println("----")
        return zxid

    def print_znode(self, data_tree, name, dump_data):
        """Print one znode and, depth first, its children; the highest zxid seen."""
        # iterative pre-order, as deep trees would overflow Python's recursion limit
        zxid = 0
        stack = [name]
        while stack:
            path = stack.pop()
            self._println("----")
            n = data_tree.get_node(path)
            self._println(path)
            self.print_stat(n.stat)
            zxid = max(zxid, n.mzxid, n.pzxid)
            if dump_data:
                self._println("  data = " + ("" if n.data is None else base64.b64encode(n.data).decode("ascii")))
            else:
                self._println("  dataLength = %d" % (0 if n.data is None else len(n.data)))
            prefix = path + ("" if path == "/" else "/")
            stack.extend(prefix + c for c in reversed(self._ordered_children(path)))
        return zxid

    def print_session_details(self, data_tree, sessions):
        self._println("Session Details (sid, timeout, ephemeralCount):")
        for sid in java_hash_order(sessions, long_hash_code, 16):
            self._println("%s, %d, %d" % (_hex16(sid), sessions[sid], len(data_tree.get_ephemerals(sid))))

    def print_stat(self, stat):
        self.print_hex("cZxid", stat.czxid)
        self._println("  ctime = " + java_date(stat.ctime))
        self.print_hex("mZxid", stat.mzxid)
        self._println("  mtime = " + java_date(stat.mtime))
        self.print_hex("pZxid", stat.pzxid)
        self._println("  cversion = %d" % stat.cversion)
        self._println("  dataVersion = %d" % stat.version)
        self._println("  aclVersion = %d" % stat.aversion)
        self.print_hex("ephemeralOwner", stat.ephemeralOwner)

    def print_hex(self, prefix, value):
        self._println("  %s = %s" % (prefix, _hex16(value)))

    def print_snapshot_json(self, data_tree):
        self.out.write('[1,0,{"progname":"SnapshotFormatter.java","progver":"0.01","timestamp":%d}'
                       % int(time.time() * 1000))
        self.print_znode_json(data_tree, "/")
        self.out.write("]")

    def print_znode_json(self, data_tree, full_path):
        n = data_tree.get_node(full_path)
        if n is None:
            sys.stderr.write("DataTree Node for %s doesn't exist\n" % full_path)
            return
        name = full_path if full_path == "/" else full_path[full_path.rfind("/") + 1:]
        self.out.write(",")
        data_len = 0 if n.data is None else len(n.data)
        SnapshotFormatter.INODE_IDX += 1
        node_sb = '{"name":"%s","asize":%d,"dsize":%d,"dev":0,"ino":%d}' % (
            quote_as_string(name), data_len, data_len, SnapshotFormatter.INODE_IDX)
        children = self._ordered_children(full_path)
        if children:
            self.out.write("[" + node_sb)
            for child in children:
                self.print_znode_json(data_tree, full_path + ("" if full_path == "/" else "/") + child)
            self.out.write("]")
        else:
            self.out.write(node_sb)


def _usage_and_exit():
    sys.stderr.write("USAGE: SnapshotFormatter [-d|-json] snapshot_file\n")
    sys.stderr.write("       -d dump the data for each znode\n")
    sys.stderr.write("       -json dump znode info in json format\n")
    sys.exit(2)  # ExitCode.INVALID_INVOCATION


def main_args(args):
    snapshot_file = None
    dump_data = dump_json = False
    i = 0
    while i < len(args):
        if args[i] == "-d":
            dump_data = True
        elif args[i] == "-json":
            dump_json = True
        else:
            snapshot_file = args[i]
            i += 1
            break
        i += 1
    if len(args) != i or snapshot_file is None:
        _usage_and_exit()
    error = ZKUtil.validate_file_input(snapshot_file)
    if error is not None:
        sys.stderr.write(error + "\n")
        sys.exit(2)
    if dump_data and dump_json:
        sys.stderr.write("Cannot specify both data dump (-d) and json mode (-json) in same call\n")
        sys.exit(2)
    with stdout_reader_may_leave():
        try:
            SnapshotFormatter().run(snapshot_file, dump_data, dump_json)
        except EOFError:
            # Not left to click, which takes an EOFError for a user's Ctrl-D and prints "Aborted!".
            sys.stdout.flush()
            sys.stderr.write("%s ends before the snapshot does (truncated or empty)\n" % snapshot_file)
            sys.exit(1)


# Java parses "-d" and "-json" by hand (a single-dash long option), so click passes them through.
@click.command(context_settings={"ignore_unknown_options": True, "help_option_names": []})
@click.argument("args", nargs=-1, type=click.UNPROCESSED)
def _command(args):
    main_args(list(args))


def main(argv=None):
    _command.main(list(sys.argv[1:] if argv is None else argv), prog_name="SnapshotFormatter",
                  standalone_mode=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
