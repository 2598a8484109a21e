"""Mirror of org.apache.zookeeper.Op: one operation of a multi (transaction or multiRead).

Java nests the subclasses (Op.Create, Op.Delete ...); here they live at module level and
are also reachable as attributes of Op. The factory methods are Op.create(), Op.delete(),
Op.set_data(), Op.check(), Op.get_children(), Op.get_data().
"""

import enum

from zookeeper_py.common.path_utils import PathUtils
from zookeeper_py.create_mode import CreateMode
from zookeeper_py.proto import (
    CheckVersionRequest,
    CreateRequest,
    CreateTTLRequest,
    DeleteRequest,
    GetChildrenRequest,
    GetDataRequest,
    SetDataRequest,
)
from zookeeper_py.zoo_defs import OpCode


class OpKind(enum.Enum):
    """Mirror of org.apache.zookeeper.Op.OpKind."""

    TRANSACTION = 0
    READ = 1


def _validate_ttl(mode, ttl):
    """EphemeralType.validateTTL (the server module's twin, kept here to stay client-only)."""
    if mode.is_ttl():
        if ttl > 0xFFFFFFFFFF or ttl <= 0:
            raise ValueError("ttl must be positive and cannot be larger than: %d" % 0xFFFFFFFFFF)
    elif ttl >= 0:
        raise ValueError("ttl not valid for mode: %s" % mode.name)


class Op:
    """Mirror of org.apache.zookeeper.Op."""

    __slots__ = ("type", "path", "kind")

    def __init__(self, op_type, path, kind):
        self.type = op_type
        self.path = path
        self.kind = kind

    # -- factories (Op.create / Op.delete / ... in Java) --

    @staticmethod
    def create(path, data, acl, mode_or_flags, ttl=None):
        """Op.create(path, data, acl, flags|CreateMode[, ttl])."""
        if isinstance(mode_or_flags, CreateMode):
            mode = mode_or_flags
        else:
            mode = CreateMode.from_flag(mode_or_flags, CreateMode.PERSISTENT)
        if ttl is not None and mode.is_ttl():
            return CreateTTL(path, data, acl, mode.to_flag(), ttl)
        return Create(path, data, acl, mode.to_flag())

    @staticmethod
    def delete(path, version):
        return Delete(path, version)

    @staticmethod
    def set_data(path, data, version):
        return SetData(path, data, version)

    @staticmethod
    def check(path, version):
        return Check(path, version)

    @staticmethod
    def get_children(path):
        return GetChildren(path)

    @staticmethod
    def get_data(path):
        return GetData(path)

    # -- accessors --

    def get_type(self):
        return self.type

    def get_path(self):
        return self.path

    def get_kind(self):
        return self.kind

    def to_request_record(self):
        raise NotImplementedError

    def with_chroot(self, path):
        """A copy of this op on `path` (the server path, chroot prepended)."""
        raise NotImplementedError

    def validate(self):
        """Raise ValueError (Java's IllegalArgumentException) if the op is malformed."""
        PathUtils.validate_path(self.path)

    def _key(self):
        return (self.type, self.path)

    def __eq__(self, other):
        return type(other) is type(self) and self._key() == other._key()

    def __hash__(self):
        return hash(self._key())

    def __repr__(self):
        return "%s(%s)" % (type(self).__name__, ", ".join(repr(v) for v in self._key()[1:]))


class Create(Op):
    """Mirror of org.apache.zookeeper.Op.Create (create, createContainer, createTTL opcodes)."""

    __slots__ = ("data", "acl", "flags")

    def __init__(self, path, data, acl, flags):
        mode = CreateMode.from_flag(flags, CreateMode.PERSISTENT)
        if mode.is_ttl():
            op_type = OpCode.createTTL
        elif mode.is_container():
            op_type = OpCode.createContainer
        else:
            op_type = OpCode.create
        super().__init__(op_type, path, OpKind.TRANSACTION)
        self.data = data
        self.acl = list(acl) if acl is not None else None
        self.flags = flags

    def to_request_record(self):
        return CreateRequest(self.path, self.data, self.acl, self.flags)

    def with_chroot(self, path):
        return Create(path, self.data, self.acl, self.flags)

    def validate(self):
        mode = CreateMode.from_flag(self.flags)
        PathUtils.validate_path(self.path, mode.is_sequential())
        _validate_ttl(mode, -1)

    def _key(self):
        return (self.type, self.path, self.data, tuple(self.acl or ()), self.flags)


class CreateTTL(Create):
    """Mirror of org.apache.zookeeper.Op.CreateTTL."""

    __slots__ = ("ttl",)

    def __init__(self, path, data, acl, flags, ttl):
        super().__init__(path, data, acl, flags)
        self.ttl = ttl

    def to_request_record(self):
        return CreateTTLRequest(self.path, self.data, self.acl, self.flags, self.ttl)

    def with_chroot(self, path):
        return CreateTTL(path, self.data, self.acl, self.flags, self.ttl)

    def validate(self):
        mode = CreateMode.from_flag(self.flags)
        PathUtils.validate_path(self.path, mode.is_sequential())
        _validate_ttl(mode, self.ttl)

    def _key(self):
        return super()._key() + (self.ttl,)


class Delete(Op):
    """Mirror of org.apache.zookeeper.Op.Delete."""

    __slots__ = ("version",)

    def __init__(self, path, version):
        super().__init__(OpCode.delete, path, OpKind.TRANSACTION)
        self.version = version

    def to_request_record(self):
        return DeleteRequest(self.path, self.version)

    def with_chroot(self, path):
        return Delete(path, self.version)

    def _key(self):
        return (self.type, self.path, self.version)


class SetData(Op):
    """Mirror of org.apache.zookeeper.Op.SetData."""

    __slots__ = ("data", "version")

    def __init__(self, path, data, version):
        super().__init__(OpCode.setData, path, OpKind.TRANSACTION)
        self.data = data
        self.version = version

    def to_request_record(self):
        return SetDataRequest(self.path, self.data, self.version)

    def with_chroot(self, path):
        return SetData(path, self.data, self.version)

    def _key(self):
        return (self.type, self.path, self.data, self.version)


class Check(Op):
    """Mirror of org.apache.zookeeper.Op.Check."""

    __slots__ = ("version",)

    def __init__(self, path, version):
        super().__init__(OpCode.check, path, OpKind.TRANSACTION)
        self.version = version

    def to_request_record(self):
        return CheckVersionRequest(self.path, self.version)

    def with_chroot(self, path):
        return Check(path, self.version)

    def _key(self):
        return (self.type, self.path, self.version)


class GetChildren(Op):
    """Mirror of org.apache.zookeeper.Op.GetChildren (multiRead, 3.6+)."""

    __slots__ = ()

    def __init__(self, path):
        super().__init__(OpCode.getChildren, path, OpKind.READ)

    def to_request_record(self):
        return GetChildrenRequest(self.path, False)

    def with_chroot(self, path):
        return GetChildren(path)


class GetData(Op):
    """Mirror of org.apache.zookeeper.Op.GetData (multiRead, 3.6+)."""

    __slots__ = ()

    def __init__(self, path):
        super().__init__(OpCode.getData, path, OpKind.READ)

    def to_request_record(self):
        return GetDataRequest(self.path, False)

    def with_chroot(self, path):
        return GetData(path)


Op.OpKind = OpKind
Op.Create = Create
Op.CreateTTL = CreateTTL
Op.Delete = Delete
Op.SetData = SetData
Op.Check = Check
Op.GetChildren = GetChildren
Op.GetData = GetData
