"""Mirror of org.apache.zookeeper.OpResult: the result of one op of a multi.

Java nests the subclasses (OpResult.CreateResult ...); here they are module-level and
also attributes of OpResult.
"""

from zookeeper_py.zoo_defs import OpCode


class OpResult:
    """Mirror of org.apache.zookeeper.OpResult."""

    __slots__ = ("type",)

    def __init__(self, op_type):
        self.type = op_type

    def get_type(self):
        return self.type

    def _key(self):
        return (self.type,)

    def __eq__(self, other):
        return type(other) is type(self) and self._key() == other._key()

    def __hash__(self):
        return hash(self._key())

    def __repr__(self):
        return "%s%r" % (type(self).__name__, self._key()[1:])


class CreateResult(OpResult):
    """Mirror of org.apache.zookeeper.OpResult.CreateResult (type create, or create2 with a Stat)."""

    __slots__ = ("path", "stat")

    def __init__(self, path, stat=None):
        # Java's constructors make only two kinds: create (no Stat) and create2 (with a
        # Stat, also for createTTL/createContainer ops); MultiResponse frames only those.
        super().__init__(OpCode.create if stat is None else OpCode.create2)
        self.path = path
        self.stat = stat

    def get_path(self):
        return self.path

    def get_stat(self):
        return self.stat

    def _key(self):
        # Java compares the stats by mzxid only.
        return (self.type, self.path, None if self.stat is None else self.stat.mzxid)


class DeleteResult(OpResult):
    """Mirror of org.apache.zookeeper.OpResult.DeleteResult."""

    __slots__ = ()

    def __init__(self):
        super().__init__(OpCode.delete)


class SetDataResult(OpResult):
    """Mirror of org.apache.zookeeper.OpResult.SetDataResult."""

    __slots__ = ("stat",)

    def __init__(self, stat):
        super().__init__(OpCode.setData)
        self.stat = stat

    def get_stat(self):
        return self.stat

    def _key(self):
        return (self.type, None if self.stat is None else self.stat.mzxid)


class CheckResult(OpResult):
    """Mirror of org.apache.zookeeper.OpResult.CheckResult."""

    __slots__ = ()

    def __init__(self):
        super().__init__(OpCode.check)


class GetChildrenResult(OpResult):
    """Mirror of org.apache.zookeeper.OpResult.GetChildrenResult (multiRead, 3.6+)."""

    __slots__ = ("children",)

    def __init__(self, children):
        super().__init__(OpCode.getChildren)
        self.children = children

    def get_children(self):
        return self.children

    def _key(self):
        return (self.type, tuple(self.children or ()))


class GetDataResult(OpResult):
    """Mirror of org.apache.zookeeper.OpResult.GetDataResult (multiRead, 3.6+)."""

    __slots__ = ("data", "stat")

    def __init__(self, data, stat):
        super().__init__(OpCode.getData)
        self.data = data
        self.stat = stat

    def get_data(self):
        return self.data

    def get_stat(self):
        return self.stat

    def _key(self):
        return (self.type, self.data, None if self.stat is None else self.stat.mzxid)


class ErrorResult(OpResult):
    """Mirror of org.apache.zookeeper.OpResult.ErrorResult (type error, -1)."""

    __slots__ = ("err",)

    def __init__(self, err):
        super().__init__(OpCode.error)
        self.err = int(err)

    def get_err(self):
        return self.err

    def _key(self):
        return (self.type, self.err)


OpResult.CreateResult = CreateResult
OpResult.DeleteResult = DeleteResult
OpResult.SetDataResult = SetDataResult
OpResult.CheckResult = CheckResult
OpResult.GetChildrenResult = GetChildrenResult
OpResult.GetDataResult = GetDataResult
OpResult.ErrorResult = ErrorResult
