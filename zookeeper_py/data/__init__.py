"""Mirror of org.apache.zookeeper.data: the records of module data in zookeeper.jute."""

from zookeeper_py.jute import Record, Vector  # noqa: F401  (Vector for users declaring records)


class Id(Record):
    """Mirror of org.apache.zookeeper.data.Id."""

    FIELDS = (("scheme", "ustring"), ("id", "ustring"))


class ACL(Record):
    """Mirror of org.apache.zookeeper.data.ACL."""

    FIELDS = (("perms", "int"), ("id", Id))


class Stat(Record):
    """Mirror of org.apache.zookeeper.data.Stat."""

    FIELDS = (
        ("czxid", "long"),
        ("mzxid", "long"),
        ("ctime", "long"),
        ("mtime", "long"),
        ("version", "int"),
        ("cversion", "int"),
        ("aversion", "int"),
        ("ephemeralOwner", "long"),
        ("dataLength", "int"),
        ("numChildren", "int"),
        ("pzxid", "long"),
    )


class StatPersisted(Record):
    """Mirror of org.apache.zookeeper.data.StatPersisted."""

    FIELDS = (
        ("czxid", "long"),
        ("mzxid", "long"),
        ("ctime", "long"),
        ("mtime", "long"),
        ("version", "int"),
        ("cversion", "int"),
        ("aversion", "int"),
        ("ephemeralOwner", "long"),
        ("pzxid", "long"),
    )


class ClientInfo(Record):
    """Mirror of org.apache.zookeeper.data.ClientInfo (3.7+)."""

    FIELDS = (("authScheme", "ustring"), ("user", "ustring"))
