"""Mirror of org.apache.zookeeper.cli.CloseCommand."""

from zookeeper_py.cli.cli_command import CliCommand
from zookeeper_py.cli.cli_wrapper_exception import CliWrapperException


class CloseCommand(CliCommand):
    """Mirror of org.apache.zookeeper.cli.CloseCommand: `close`."""

    def __init__(self):
        super().__init__("close", "")

    def parse(self, cmd_args):
        return self

    def exec(self):
        try:
            self.zk.close()
        except Exception as ex:
            raise CliWrapperException(ex) from None
        return False
