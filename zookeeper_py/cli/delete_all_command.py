"""Mirror of org.apache.zookeeper.cli.DeleteAllCommand (also the deprecated `rmr`)."""

from zookeeper_py.cli.cli_command import CliCommand
from zookeeper_py.cli.cli_wrapper_exception import CliWrapperException
from zookeeper_py.cli.commons_cli import Option, Options
from zookeeper_py.cli.malformed_command_exception import MalformedCommandException
from zookeeper_py.cli.malformed_path_exception import MalformedPathException
from zookeeper_py.keeper_exception import KeeperException
from zookeeper_py.zk_util import ZKUtil


class DeleteAllCommand(CliCommand):
    """Mirror of org.apache.zookeeper.cli.DeleteAllCommand: `deleteall path [-b batch size]`."""

    options = Options().add_option(Option("b", True, "batch size"))
    min_args = 2

    def __init__(self, cmd_str="deleteall"):
        super().__init__(cmd_str, "path [-b batch size]")

    def exec(self):
        if self.cmd_str == "rmr":
            # 3.5.7 still had rmr; it said this first.
            self.eprintln("The command 'rmr' has been deprecated. Please use 'deleteall' instead.")
        try:
            batch_size = int(self.cl.get_option_value("b")) if self.cl.has_option("b") else 1000
        except ValueError:
            raise MalformedCommandException("-b argument must be an int value") from None
        path = self.args[1]
        try:
            if not ZKUtil.delete_recursive(self.zk, path, batch_size):
                self.eprintln("Failed to delete some node(s) in the subtree!")
        except ValueError as ex:
            raise MalformedPathException(str(ex)) from None
        except KeeperException as ex:
            raise CliWrapperException(ex) from None
        return False
