"""Mirror of org.apache.zookeeper.cli.MalformedCommandException."""

from zookeeper_py.cli.cli_exception import CliException


class MalformedCommandException(CliException):
    """Mirror of org.apache.zookeeper.cli.MalformedCommandException."""
