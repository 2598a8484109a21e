"""Trees as comparable values: from our DataTree, from kazoo, from a snapshot file's bytes."""

import struct
import zlib

from zookeeper_py.data import ACL, Stat
from zookeeper_py.server.data_tree import DataTree
from zookeeper_py.server.persistence.file_txn_snap_log import FileTxnSnapLog

STAT_FIELDS = [name for name, _ in Stat.FIELDS]


def acl_tuples(acls):
    return sorted((a.perms, a.id.scheme, a.id.id) for a in acls)


def tree_state(dt):
    """path -> (data, client Stat as a tuple, ACLs, sorted children) of every node."""
    out = {}
    for path, node in list(dt.nodes.items()):
        if path == "":
            continue  # the root is also under "/"
        stat = node.copy_stat()
        out[path] = (
            node.data or b"",
            tuple(getattr(stat, f) for f in STAT_FIELDS),
            acl_tuples(dt.get_acl_for_node(node)),
            sorted(node.get_children()),
        )
    return out


def kazoo_state(nodes):
    """The same shape from kazoo's (data, ZnodeStat, ACLs, children) per path."""
    out = {}
    for path, (data, stat, acls, children) in nodes.items():
        out[path] = (
            data or b"",
            tuple(getattr(stat, f) for f in STAT_FIELDS),
            acl_tuples(acls),
            sorted(children),
        )
    return out


def diff_states(expected, actual):
    """A readable list of differences (empty when equal)."""
    lines = []
    for path in sorted(set(expected) | set(actual)):
        e, a = expected.get(path), actual.get(path)
        if e != a:
            lines.append("%s:\n  expected %r\n  actual   %r" % (path, e, a))
    return lines


def restore(data_dir, snap_dir=None, listener=None):
    """FileTxnSnapLog(data_dir, snap_dir).restore into a new DataTree: (tree, sessions, zxid, txnsnaplog)."""
    fts = FileTxnSnapLog(data_dir, snap_dir or data_dir)
    dt = DataTree()
    sessions = {}
    zxid = fts.restore(dt, sessions, listener)
    return dt, sessions, zxid, fts


def parse_snapshot(data):
    """An independent reader of the snapshot format, for byte-level checks.

    Returns dict(header, sessions {id: timeout}, acls {index: raw bytes of the ACL vector},
    nodes {path: raw bytes of the DataNode}, order [paths], crc_ok, tail bytes after the seal).
    """
    pos = 0

    def take(n):
        nonlocal pos
        b = data[pos:pos + n]
        assert len(b) == n, "snapshot ends early"
        pos += n
        return b

    def int_(): return struct.unpack(">i", take(4))[0]  # noqa: E704
    def long_(): return struct.unpack(">q", take(8))[0]  # noqa: E704

    def buffer_():
        n = int_()
        return None if n < 0 else take(n)

    header = take(16)
    sessions = {}
    for _ in range(int_()):
        sid = long_()
        sessions[sid] = int_()
    acls = {}
    for _ in range(int_()):
        index = long_()
        start = pos
        for _ in range(int_()):
            int_()
            buffer_()
            buffer_()
        acls[index] = data[start:pos]
    nodes, order = {}, []
    while True:
        path = buffer_().decode("utf-8", "surrogatepass")
        if path == "/":
            break
        start = pos
        buffer_()
        take(8 + 8 * 4 + 4 * 3 + 8 * 2)  # acl + StatPersisted
        nodes[path] = data[start:pos]
        order.append(path)
    crc_ok = long_() == zlib.adler32(data[:pos - 8])
    return dict(header=header, sessions=sessions, acls=acls, nodes=nodes, order=order, crc_ok=crc_ok,
                tail=data[pos:])


def acl_list(raw):
    """ACL records from a raw vector (for comparing caches whose indexes differ)."""
    out, pos = [], 4
    for _ in range(struct.unpack_from(">i", raw, 0)[0]):
        acl, pos = ACL.decode(raw, pos)
        out.append(acl)
    return out
