"""Mirror of org.apache.zookeeper.cli.VersionCommand (3.6+)."""

from zookeeper_py.cli.cli_command import CliCommand
from zookeeper_py.cli.cli_parse_exception import CliParseException
from zookeeper_py.cli.commons_cli import Options
from zookeeper_py.version import Version


class VersionCommand(CliCommand):
    """Mirror of org.apache.zookeeper.cli.VersionCommand: `version`."""

    options = Options()

    def __init__(self):
        super().__init__("version", "")

    def parse(self, cmd_args):
        if len(super().parse(cmd_args).args) > 1:
            raise CliParseException(self.get_usage_str())
        return self

    def exec(self):
        self.println("ZooKeeper CLI version: " + Version.get_full_version())
        return False
