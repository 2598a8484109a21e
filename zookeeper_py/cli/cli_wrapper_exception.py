"""Mirror of org.apache.zookeeper.cli.CliWrapperException: friendly texts for KeeperExceptions."""

from zookeeper_py import keeper_exception as ke
from zookeeper_py.cli.cli_exception import CliException


def _message(cause):
    if isinstance(cause, ke.KeeperException):
        path = cause.get_path()
        if path is None:
            path = "null"  # Java's string concatenation of a null
        if isinstance(cause, ke.NoNodeException):
            return "Node does not exist: %s" % path
        if isinstance(cause, ke.NoChildrenForEphemeralsException):
            return "Ephemerals cannot have children: %s" % path
        if isinstance(cause, ke.NodeExistsException):
            return "Node already exists: %s" % path
        if isinstance(cause, ke.NotEmptyException):
            return "Node not empty: %s" % path
        if isinstance(cause, ke.NotReadOnlyException):
            return "Not a read-only call: %s" % path
        if isinstance(cause, ke.InvalidACLException):
            return "Acl is not valid : %s" % path
        if isinstance(cause, ke.NoAuthException):
            # 3.8's text (3.5.7 said "Authentication is not valid : ").
            return "Insufficient permission : %s" % path
        if isinstance(cause, ke.BadArgumentsException):
            return "Arguments are not valid : %s" % path
        if isinstance(cause, ke.BadVersionException):
            return "version No is not valid : %s" % path
        if isinstance(cause, ke.ReconfigInProgress):
            return "Another reconfiguration is in progress -- concurrent reconfigs not supported (yet)"
        if isinstance(cause, ke.NewConfigNoQuorum):
            return ("No quorum of new config is connected and up-to-date with the leader of last commmitted "
                    "config - try invoking reconfiguration after new servers are connected and synced")
        if isinstance(cause, ke.QuotaExceededException):
            return "Quota has exceeded : %s" % path
    return str(cause)


class CliWrapperException(CliException):
    """Mirror of org.apache.zookeeper.cli.CliWrapperException."""

    def __init__(self, cause):
        super().__init__(_message(cause))
        self.cause = cause
