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

    def to_flag(self):
        return self.value[0]

    def is_ephemeral(self):
        return self.value[1]

    def is_sequential(self):
        return self.value[2]

    def is_container(self):
        return self.value[3]

    def is_ttl(self):
        return self.value[4]

    @staticmethod
    def from_flag(flag, default=None):
        mode = _BY_FLAG.get(flag)
        if mode is not None:
            return mode
        if default is not None:
            return default

        raise BadArgumentsException("Received an invalid flag value: %s to convert to a CreateMode" % flag)


_BY_FLAG = {mode.value[0]: mode for mode in CreateMode}
