"""Mirror of org.apache.zookeeper.txn: the transaction records of zookeeper.jute."""

from zookeeper_py.data import ACL
from zookeeper_py.jute import Record, Vector


class TxnDigest(Record):
    """Mirror of org.apache.zookeeper.txn.TxnDigest (3.6+, follows the txn when digests are on)."""

    FIELDS = (("version", "int"), ("treeDigest", "long"))


class TxnHeader(Record):
    """Mirror of org.apache.zookeeper.txn.TxnHeader."""

    FIELDS = (("clientId", "long"), ("cxid", "int"), ("zxid", "long"), ("time", "long"), ("type", "int"))


class CreateTxnV0(Record):
    """Mirror of org.apache.zookeeper.txn.CreateTxnV0."""

    FIELDS = (("path", "ustring"), ("data", "buffer"), ("acl", Vector(ACL)), ("ephemeral", "boolean"))


class CreateTxn(Record):
    """Mirror of org.apache.zookeeper.txn.CreateTxn."""

    FIELDS = (
        ("path", "ustring"),
        ("data", "buffer"),
        ("acl", Vector(ACL)),
        ("ephemeral", "boolean"),
        ("parentCVersion", "int"),
    )


class CreateTTLTxn(Record):
    """Mirror of org.apache.zookeeper.txn.CreateTTLTxn."""

    FIELDS = (
        ("path", "ustring"),
        ("data", "buffer"),
        ("acl", Vector(ACL)),
        ("parentCVersion", "int"),
        ("ttl", "long"),
    )


class CreateContainerTxn(Record):
    """Mirror of org.apache.zookeeper.txn.CreateContainerTxn."""

    FIELDS = (("path", "ustring"), ("data", "buffer"), ("acl", Vector(ACL)), ("parentCVersion", "int"))


class DeleteTxn(Record):
    """Mirror of org.apache.zookeeper.txn.DeleteTxn."""

    FIELDS = (("path", "ustring"),)


class SetDataTxn(Record):
    """Mirror of org.apache.zookeeper.txn.SetDataTxn."""

    FIELDS = (("path", "ustring"), ("data", "buffer"), ("version", "int"))


class CheckVersionTxn(Record):
    """Mirror of org.apache.zookeeper.txn.CheckVersionTxn."""

    FIELDS = (("path", "ustring"), ("version", "int"))


class SetACLTxn(Record):
    """Mirror of org.apache.zookeeper.txn.SetACLTxn."""

    FIELDS = (("path", "ustring"), ("acl", Vector(ACL)), ("version", "int"))


class SetMaxChildrenTxn(Record):
    """Mirror of org.apache.zookeeper.txn.SetMaxChildrenTxn."""

    FIELDS = (("path", "ustring"), ("max", "int"))


class CreateSessionTxn(Record):
    """Mirror of org.apache.zookeeper.txn.CreateSessionTxn."""

    FIELDS = (("timeOut", "int"),)


class CloseSessionTxn(Record):
    """Mirror of org.apache.zookeeper.txn.CloseSessionTxn (3.6+)."""

    FIELDS = (("paths2Delete", Vector("ustring")),)


class ErrorTxn(Record):
    """Mirror of org.apache.zookeeper.txn.ErrorTxn."""

    FIELDS = (("err", "int"),)


class Txn(Record):
    """Mirror of org.apache.zookeeper.txn.Txn."""

    FIELDS = (("type", "int"), ("data", "buffer"))


class MultiTxn(Record):
    """Mirror of org.apache.zookeeper.txn.MultiTxn."""

    FIELDS = (("txns", Vector(Txn)),)
