"""Mirror of org.apache.zookeeper.server.DataNode."""

from zookeeper_py.data import Stat, StatPersisted
from zookeeper_py.server.ephemeral_type import EphemeralType

_EMPTY = frozenset()


class DataNode:
    """Mirror of org.apache.zookeeper.server.DataNode: one znode.

    `acl` is an index into the DataTree's ReferenceCountedACLCache; `children` holds
    child names and stays None until the first child (most nodes are leaves). The
    DataTree's lock guards changes; readers copy under it.
    """

    __slots__ = ("data", "acl", "stat", "children")

    def __init__(self, data=None, acl=None, stat=None):
        self.data = data
        self.acl = acl
        self.stat = stat
        self.children = None

    def add_child(self, child):
        if self.children is None:
            self.children = set()
        if child in self.children:
            return False
        self.children.add(child)
        return True

    def remove_child(self, child):
        if self.children is None or child not in self.children:
            return False
        self.children.discard(child)
        return True

    def set_children(self, children):
        self.children = children

    def get_children(self):
        return self.children if self.children is not None else _EMPTY

    def get_approximate_data_size(self):
        return 0 if self.data is None else len(self.data)

    def copy_stat(self, to=None):
        """Fill a Stat (a new one if none is given) the way clients see it."""
        if to is None:
            to = Stat()
        s = self.stat
        num_children = 0 if self.children is None else len(self.children)
        to.czxid = s.czxid
        to.mzxid = s.mzxid
        to.ctime = s.ctime
        to.mtime = s.mtime
        to.version = s.version
        # The stored cversion counts creates; clients see creates + deletes.
        to.cversion = s.cversion * 2 - num_children
        to.aversion = s.aversion
        owner = s.ephemeralOwner
        to.ephemeralOwner = owner if owner == 0 or EphemeralType.get(owner) is EphemeralType.NORMAL else 0
        to.dataLength = 0 if self.data is None else len(self.data)
        to.numChildren = num_children
        to.pzxid = s.pzxid
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
