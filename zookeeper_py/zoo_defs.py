"""Mirror of org.apache.zookeeper.ZooDefs: opcodes, permissions and well-known ids."""

from zookeeper_py.data import ACL, Id


class ZooDefs:
    """Mirror of org.apache.zookeeper.ZooDefs."""

    CONFIG_NODE = "/zookeeper/config"
    ZOOKEEPER_NODE_SUBTREE = "/zookeeper/"

    class OpCode:
        """Mirror of org.apache.zookeeper.ZooDefs.OpCode."""

        notification = 0
        create = 1
        delete = 2
        exists = 3
        getData = 4
        setData = 5
        getACL = 6
        setACL = 7
        getChildren = 8
        sync = 9
        ping = 11
        getChildren2 = 12
        check = 13
        multi = 14
        create2 = 15
        reconfig = 16
        checkWatches = 17
        removeWatches = 18
        createContainer = 19
        deleteContainer = 20
        createTTL = 21
        multiRead = 22
        auth = 100
        setWatches = 101
        sasl = 102
        getEphemerals = 103
        getAllChildrenNumber = 104
        setWatches2 = 105
        addWatch = 106
        whoAmI = 107
        createSession = -10
        closeSession = -11
        error = -1

    class Perms:
        """Mirror of org.apache.zookeeper.ZooDefs.Perms."""

        READ = 1 << 0
        WRITE = 1 << 1
        CREATE = 1 << 2
        DELETE = 1 << 3
        ADMIN = 1 << 4
        ALL = READ | WRITE | CREATE | DELETE | ADMIN

    class Ids:
        """Mirror of org.apache.zookeeper.ZooDefs.Ids.

        The ACL lists are tuples so that nobody changes the shared constants by accident;
        records compare equal to lists element by element.
        """

        ANYONE_ID_UNSAFE = Id("world", "anyone")
        AUTH_IDS = Id("auth", "")
        OPEN_ACL_UNSAFE = (ACL(31, Id("world", "anyone")),)
        CREATOR_ALL_ACL = (ACL(31, Id("auth", "")),)
        READ_ACL_UNSAFE = (ACL(1, Id("world", "anyone")),)

    class AddWatchModes:
        """Mirror of org.apache.zookeeper.ZooDefs.AddWatchModes (3.6+)."""

        persistent = 0
        persistentRecursive = 1

    opNames = (
        "notification", "create", "delete", "exists", "getData", "setData", "getACL", "setACL",
        "getChildren", "getChildren2", "getMaxChildren", "setMaxChildren", "ping", "reconfig", "getConfig",
    )


OpCode = ZooDefs.OpCode
Perms = ZooDefs.Perms
Ids = ZooDefs.Ids

_OP_NAMES = {v: k for k, v in vars(OpCode).items() if not k.startswith("_")}


def op_name(op):
    """The opcode's name as Java's Request.op2String prints it (unknown -> "unknown <op>")."""
    return _OP_NAMES.get(op, "unknown " + str(op))
