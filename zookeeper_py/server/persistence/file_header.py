"""Mirror of org.apache.zookeeper.server.persistence.FileHeader (a zookeeper.jute record)."""

from zookeeper_py.jute import Record


class FileHeader(Record):
    """Mirror of org.apache.zookeeper.server.persistence.FileHeader."""

    FIELDS = (("magic", "int"), ("version", "int"), ("dbid", "long"))
