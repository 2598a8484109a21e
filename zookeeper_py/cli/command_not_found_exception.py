"""Mirror of org.apache.zookeeper.cli.CommandNotFoundException."""

from zookeeper_py.cli.cli_exception import CliException


class CommandNotFoundException(CliException):
    """Mirror of org.apache.zookeeper.cli.CommandNotFoundException (exit code 127).

    ZooKeeperMain passes "Command not found <cmd>", so the text says it twice, as Java's does.
    """

    def __init__(self, command):
        super().__init__("Command not found: " + command, 127)
