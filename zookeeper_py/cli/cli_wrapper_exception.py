"""Mirror of org.apache.zookeeper.cli.CliWrapperException: friendly texts for KeeperExceptions."""

from zookeeper_py import keeper_exception as ke
from zookeeper_py.cli.cli_exception import CliException

# Java's texts, by exception class; "%s" is the path (3.8's NoAuth text: 3.5.7 said
# "Authentication is not valid : ").
_TEXTS = (
    (ke.NoNodeException, "Node does not exist: %s"),
    (ke.NoChildrenForEphemeralsException, "Ephemerals cannot have children: %s"),
    (ke.NodeExistsException, "Node already exists: %s"),
    (ke.NotEmptyException, "Node not empty: %s"),
    (ke.NotReadOnlyException, "Not a read-only call: %s"),
    (ke.InvalidACLException, "Acl is not valid : %s"),
    (ke.NoAuthException, "Insufficient permission : %s"),
    (ke.BadArgumentsException, "Arguments are not valid : %s"),
    (ke.BadVersionException, "version No is not valid : %s"),
    (ke.ReconfigInProgress, "Another reconfiguration is in progress -- concurrent reconfigs not supported (yet)"),
    (ke.NewConfigNoQuorum, "No quorum of new config is connected and up-to-date with the leader of last commmitted "
                           "config - try invoking reconfiguration after new servers are connected and synced"),
    (ke.QuotaExceededException, "Quota has exceeded : %s"),
)


def _message(cause):
    for cls, text in _TEXTS:
        if isinstance(cause, cls):
            path = cause.get_path()
            # Java's string concatenation of a null path.
            return text % ("null" if path is None else path,) if "%s" in text else text
    return str(cause)


class CliWrapperException(CliException):
    """Mirror of org.apache.zookeeper.cli.CliWrapperException."""

    def __init__(self, cause):
        super().__init__(_message(cause))
        self.cause = cause
