"""Mirror of org.apache.zookeeper.cli.GetAllChildrenNumberCommand (3.6+)."""

from zookeeper_py.cli.cli_command import CliCommand
from zookeeper_py.cli.cli_wrapper_exception import CliWrapperException
from zookeeper_py.cli.commons_cli import Options
from zookeeper_py.cli.malformed_command_exception import MalformedCommandException
from zookeeper_py.cli.malformed_path_exception import MalformedPathException
from zookeeper_py.keeper_exception import KeeperException


class GetAllChildrenNumberCommand(CliCommand):
    """Mirror of org.apache.zookeeper.cli.GetAllChildrenNumberCommand: `getAllChildrenNumber path`."""

    options = Options()

    def __init__(self):
        super().__init__("getAllChildrenNumber", "path")

    def exec(self):
        if len(self.args) < 2:
            raise MalformedCommandException(self.get_usage_str())
        try:
            self.println(self.zk.get_all_children_number(self.args[1]))
        except ValueError as ex:
            raise MalformedPathException(str(ex)) from None
        except KeeperException as ex:
            raise CliWrapperException(ex) from None
        return False
