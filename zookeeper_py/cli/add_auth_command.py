"""Mirror of org.apache.zookeeper.cli.AddAuthCommand."""

from zookeeper_py.cli.cli_command import CliCommand
from zookeeper_py.cli.cli_parse_exception import CliParseException
from zookeeper_py.cli.commons_cli import Options


class AddAuthCommand(CliCommand):
    """Mirror of org.apache.zookeeper.cli.AddAuthCommand: `addauth scheme auth`."""

    options = Options()

    def __init__(self):
        super().__init__("addauth", "scheme auth")
        self.args = None

    def parse(self, cmd_args):
        cl = self.parse_options(self.options, cmd_args)
        self.args = cl.get_args()
        if len(self.args) < 2:
            raise CliParseException(self.get_usage_str())
        return self

    def exec(self):
        b = self.args[2].encode("utf-8") if len(self.args) >= 3 else None
        self.zk.add_auth_info(self.args[1], b)
        return False
