"""Requests kazoo has no method for (containers, TTL nodes, 3.6+ opcodes), sent through kazoo's own
connection: kazoo frames and matches them like its built-in requests; the bodies come from
zookeeper_py's jute records, which are checked byte for byte against Java's elsewhere.

Also a watcher table that keeps persistent and recursive watches, which kazoo itself
treats as one-shot.
"""

from kazoo.protocol.states import ZnodeStat
from kazoo.security import OPEN_ACL_UNSAFE

from zookeeper_py import proto
from zookeeper_py.data import ACL, Id


def _acl(kazoo_acls):
    return [ACL(a.perms, Id(a.id.scheme, a.id.id)) for a in kazoo_acls]


def _stat(stat):
    return ZnodeStat(stat.czxid, stat.mzxid, stat.ctime, stat.mtime, stat.version, stat.cversion, stat.aversion,
                     stat.ephemeralOwner, stat.dataLength, stat.numChildren, stat.pzxid)


class _Request:
    """The kazoo request protocol: .type, .serialize(), deserialize(bytes, offset)."""

    type = None
    response = None

    def __init__(self, record):
        self.record = record

    def serialize(self):
        return self.record.to_bytes()

    @classmethod
    def deserialize(cls, data, offset):
        if cls.response is None:
            return None
        return cls.response.decode(data, offset)[0]


class CreateContainer(_Request):
    type = 19
    response = proto.Create2Response


class CreateTTL(_Request):
    type = 21
    response = proto.Create2Response


class AddWatch(_Request):
    type = 106
    response = proto.ErrorResponse


class GetEphemerals(_Request):
    type = 103
    response = proto.GetEphemeralsResponse


class GetAllChildrenNumber(_Request):
    type = 104
    response = proto.GetAllChildrenNumberResponse


class DeleteContainer(_Request):
    """opcode 20, the ContainerManager's own request; its body is the bare path."""

    type = 20

    def serialize(self):
        return self.record.encode("utf-8")


class WhoAmI(_Request):
    type = 107
    response = proto.WhoAmIResponse

    def serialize(self):
        return b""


def call(zk, request, timeout=10):
    result = zk.handler.async_result()
    zk._call(request, result)
    return result.get(timeout=timeout)


def create_container(zk, path, data=b"", acl=None):
    acl = acl or zk.default_acl or OPEN_ACL_UNSAFE
    rsp = call(zk, CreateContainer(proto.CreateRequest(path, data, _acl(acl), 4)))
    return rsp.path, _stat(rsp.stat)


def delete_container(zk, path):
    return call(zk, DeleteContainer(path))


def create_ttl(zk, path, ttl_ms, data=b"", sequential=False, acl=None):
    acl = acl or zk.default_acl or OPEN_ACL_UNSAFE
    rsp = call(zk, CreateTTL(proto.CreateTTLRequest(path, data, _acl(acl), 6 if sequential else 5, ttl_ms)))
    return rsp.path, _stat(rsp.stat)


def add_watch(zk, path, watcher, recursive=False):
    """addWatch (3.6): PERSISTENT (0) or PERSISTENT_RECURSIVE (1); events go to `watcher`."""
    table = zk._data_watchers
    watcher = _once_per_event(watcher)
    if not isinstance(table, PersistentWatchers):
        zk._data_watchers = PersistentWatchers(zk._data_watchers)
        zk._child_watchers = PersistentWatchers(zk._child_watchers)
    zk._data_watchers.persistent[path] = (watcher, recursive)
    zk._child_watchers.persistent[path] = (watcher, recursive)
    call(zk, AddWatch(proto.AddWatchRequest(path, 1 if recursive else 0)))


def _once_per_event(watcher):
    """kazoo hands a NodeDeleted event to both its watcher tables: deliver it once."""
    last = []

    def deliver(event):
        if last and last[0] is event:
            return
        last[:] = [event]
        watcher(event)

    return deliver


def get_ephemerals(zk, prefix="/"):
    return sorted(call(zk, GetEphemerals(proto.GetEphemeralsRequest(prefix))).ephemerals)


def get_all_children_number(zk, path):
    return call(zk, GetAllChildrenNumber(proto.GetAllChildrenNumberRequest(path))).totalNumber


def who_am_i(zk):
    return [(c.authScheme, c.user) for c in call(zk, WhoAmI(None)).clientInfo]


class PersistentWatchers(dict):
    """kazoo pops a path's watchers when an event arrives; persistent ones must stay.

    pop(path) also returns the persistent watcher of the path, or of an ancestor
    registered as recursive."""

    def __init__(self, original):
        super().__init__(original)
        self.persistent = {}

    def __missing__(self, path):  # kazoo's tables are defaultdict(set): a one-shot watch adds to one
        watchers = self[path] = set()
        return watchers

    def pop(self, path, default=None):
        found = list(super().pop(path, default) or [])
        for base, (watcher, recursive) in self.persistent.items():
            if path == base or (recursive and (base == "/" or path.startswith(base + "/"))):
                if watcher not in found:
                    found.append(watcher)
        return found
