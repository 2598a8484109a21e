"""Mirror of org.apache.zookeeper.cli.AddAuthCommand."""

from zookeeper_py.cli.cli_command import CliCommand
from zookeeper_py.cli.commons_cli import Options


class AddAuthCommand(CliCommand):
    """Mirror of org.apache.zookeeper.cli.AddAuthCommand: `addauth scheme auth`."""

    options = Options()
    min_args = 2

    def __init__(self):
        super().__init__("addauth", "scheme auth")

    def exec(self):
        b = self.args[2].encode("utf-8") if len(self.args) >= 3 else None
        self.zk.add_auth_info(self.args[1], b)
        return False
