"""Mirror of org.apache.zookeeper.cli.CliParseException."""

from zookeeper_py.cli.cli_exception import CliException


class CliParseException(CliException):
    """Mirror of org.apache.zookeeper.cli.CliParseException: bad options or missing arguments."""
