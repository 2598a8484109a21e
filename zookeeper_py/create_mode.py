"""Mirror of org.apache.zookeeper.CreateMode."""

import enum

from zookeeper_py.keeper_exception import BadArgumentsException


class CreateMode(enum.Enum):
    """Mirror of org.apache.zookeeper.CreateMode. Value = (flag, ephemeral, sequential, container, ttl)."""

    PERSISTENT = (0, False, False, False, False)
    PERSISTENT_SEQUENTIAL = (2, False, True, False, False)
    EPHEMERAL = (1, True, False, False, False)
    EPHEMERAL_SEQUENTIAL = (3, True, True, False, False)
    CONTAINER = (4, False, False, True, False)
    PERSISTENT_WITH_TTL = (5, False, False, False, True)
    PERSISTENT_SEQUENTIAL_WITH_TTL = (6, False, True, False, True)

    def __init__(self, flag, ephemeral, sequential, container, ttl):
        # Plain attributes: an Enum's .value is a descriptor call, and a create asks six times.
        self.flag = flag
        self.ephemeral = ephemeral
        self.sequential = sequential
        self.container = container
        self.ttl = ttl

    def to_flag(self):
        return self.flag

    def is_ephemeral(self):
        return self.ephemeral

    def is_sequential(self):
        return self.sequential

    def is_container(self):
        return self.container

    def is_ttl(self):
        return self.ttl

    @staticmethod
    def from_flag(flag, default=None):
        mode = _BY_FLAG.get(flag)
        if mode is not None:
            return mode
        if default is not None:
            return default

        raise BadArgumentsException("Received an invalid flag value: %s to convert to a CreateMode" % flag)


_BY_FLAG = {mode.flag: mode for mode in CreateMode}
