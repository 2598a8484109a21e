"""ZooKeeper.States in a module of its own: ClientCnxn needs it and ZooKeeper imports ClientCnxn,
so it cannot live in zookeeper.py without an import cycle. zookeeper.py imports it back, so
zookeeper_py.zookeeper.States still names it."""

import enum


class States(enum.Enum):
    """Mirror of org.apache.zookeeper.ZooKeeper.States."""

    CONNECTING = 0
    ASSOCIATING = 1
    CONNECTED = 2
    CONNECTEDREADONLY = 3
    CLOSED = 4
    AUTH_FAILED = 5
    NOT_CONNECTED = 6

    def is_alive(self):
        return self is not States.CLOSED and self is not States.AUTH_FAILED

    def is_connected(self):
        return self is States.CONNECTED or self is States.CONNECTEDREADONLY

    def __str__(self):
        return self.name
