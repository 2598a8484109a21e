"""Mirror of org.apache.zookeeper.cli.MalformedPathException."""

from zookeeper_py.cli.cli_exception import CliException


class MalformedPathException(CliException):
    """Mirror of org.apache.zookeeper.cli.MalformedPathException: a PathUtils message."""
