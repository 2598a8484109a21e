"""Mirror of the records of module org.apache.zookeeper.server.quorum in zookeeper.jute."""

from zookeeper_py.data import Id
from zookeeper_py.jute import Record, Vector


class LearnerInfo(Record):
    """Mirror of org.apache.zookeeper.server.quorum.LearnerInfo."""

    FIELDS = (("serverid", "long"), ("protocolVersion", "int"), ("configVersion", "long"))


class QuorumPacket(Record):
    """Mirror of org.apache.zookeeper.server.quorum.QuorumPacket."""

    FIELDS = (("type", "int"), ("zxid", "long"), ("data", "buffer"), ("authinfo", Vector(Id)))


class QuorumAuthPacket(Record):
    """Mirror of org.apache.zookeeper.server.quorum.QuorumAuthPacket."""

    FIELDS = (("magic", "long"), ("status", "int"), ("token", "buffer"))
