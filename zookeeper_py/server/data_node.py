"""Mirror of org.apache.zookeeper.server.DataNode."""

import sys

from zookeeper_py.data import Stat, StatPersisted
from zookeeper_py.server.ephemeral_type import EphemeralType

_EMPTY = frozenset()
STAT_FIELDS = tuple(name for name, _ in StatPersisted.FIELDS)
_ZERO_STAT = StatPersisted()

# What holds a node's children's paths: on CPython a dict of them to None, whose compact
# entries cost 21-38 bytes a child where a set's table cost 42-153 (5 children: 38 against
# 153; 10,000: 21 against 52); on PyPy a set, which keeps the strings unwrapped: 15-43 bytes
# a child where its dict cost 65-110. Both answer `in`, len() and iteration alike; adding and
# removing ask CHILDREN_ARE_DICT.
CHILDREN_ARE_DICT = sys.implementation.name != "pypy"
NEW_CHILDREN = dict if CHILDREN_ARE_DICT else set


class DataNode:
    """Mirror of org.apache.zookeeper.server.DataNode: one znode.

    `acl` is an index into the DataTree's ReferenceCountedACLCache. `children` holds the
    children's paths, not their names as Java's does: the very strings that key the
    DataTree's `nodes`, so that a child's name costs no string of its own (65 bytes a znode
    on CPython, and a slice per node of a snapshot load). It is a NEW_CHILDREN (a dict on
    CPython, a set on PyPy), None until the first child (most nodes are leaves). The
    DataTree's lock guards changes; readers copy under it.

    Java's node holds a StatPersisted; here its nine fields are the node's own slots
    (czxid ... pzxid): one object less per znode, which is 48 bytes of a znode's ~560 on
    CPython and a tenth of a snapshot load. `stat` reads them as a new StatPersisted and
    sets them from one; code that changes a node sets its fields.
    """

    __slots__ = ("data", "acl", "children") + STAT_FIELDS

    def __init__(self, data=None, acl=None, stat=None):
        self.data = data
        self.acl = acl
        self.children = None
        self.stat = _ZERO_STAT if stat is None else stat

    @classmethod
    def created(cls, data, acl, zxid, time, ephemeral_owner):
        """A node as a create at zxid and time makes it (versions 0)."""
        node = cls.__new__(cls)
        node.data = data
        node.acl = acl
        node.children = None
        node.czxid = node.mzxid = node.pzxid = zxid
        node.ctime = node.mtime = time
        node.version = node.cversion = node.aversion = 0
        node.ephemeralOwner = ephemeral_owner
        return node

    @property
    def stat(self):
        return StatPersisted(self.czxid, self.mzxid, self.ctime, self.mtime, self.version, self.cversion,
                             self.aversion, self.ephemeralOwner, self.pzxid)

    @stat.setter
    def stat(self, s):
        self.czxid = s.czxid
        self.mzxid = s.mzxid
        self.ctime = s.ctime
        self.mtime = s.mtime
        self.version = s.version
        self.cversion = s.cversion
        self.aversion = s.aversion
        self.ephemeralOwner = s.ephemeralOwner
        self.pzxid = s.pzxid

    def add_child(self, child_path):
        children = self.children
        if children is None:
            children = self.children = NEW_CHILDREN()
        elif child_path in children:
            return False
        if CHILDREN_ARE_DICT:
            children[child_path] = None
        else:
            children.add(child_path)
        return True

    def remove_child(self, child_path):
        children = self.children
        if children is None or child_path not in children:
            return False
        if CHILDREN_ARE_DICT:
            del children[child_path]
        else:
            children.remove(child_path)
        return True

    def get_children(self):
        """The children's names, as Java's getChildren gives them."""
        if self.children is None:
            return _EMPTY
        return {path[path.rfind("/") + 1:] for path in self.children}

    def get_approximate_data_size(self):
        return 0 if self.data is None else len(self.data)

    def copy_stat(self, to=None):
        """Fill a Stat (a new one if none is given) the way clients see it."""
        if to is None:
            to = Stat()
        num_children = 0 if self.children is None else len(self.children)
        to.czxid = self.czxid
        to.mzxid = self.mzxid
        to.ctime = self.ctime
        to.mtime = self.mtime
        to.version = self.version
        # The stored cversion counts creates; clients see creates + deletes.
        to.cversion = self.cversion * 2 - num_children
        to.aversion = self.aversion
        owner = self.ephemeralOwner
        to.ephemeralOwner = owner if owner == 0 or EphemeralType.get(owner) is EphemeralType.NORMAL else 0
        to.dataLength = 0 if self.data is None else len(self.data)
        to.numChildren = num_children
        to.pzxid = self.pzxid
        return to

    def serialize(self, archive, tag=None):
        archive.start_record(self, "node")
        archive.write_buffer(self.data, "data")
        archive.write_long(self.acl, "acl")
        archive.write_record(self.stat, "statpersisted")
        archive.end_record(self, "node")

    def deserialize(self, archive, tag=None):
        archive.start_record("node")
        self.data = archive.read_buffer("data")
        self.acl = archive.read_long("acl")
        self.stat = archive.read_record(StatPersisted, "statpersisted")
        archive.end_record("node")
