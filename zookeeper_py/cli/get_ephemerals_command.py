"""Mirror of org.apache.zookeeper.cli.GetEphemeralsCommand (3.6+)."""

from zookeeper_py.cli.cli_command import CliCommand
from zookeeper_py.cli.cli_wrapper_exception import CliWrapperException
from zookeeper_py.cli.commons_cli import Options
from zookeeper_py.cli.java_text import java_list
from zookeeper_py.cli.malformed_path_exception import MalformedPathException
from zookeeper_py.keeper_exception import KeeperException


class GetEphemeralsCommand(CliCommand):
    """Mirror of org.apache.zookeeper.cli.GetEphemeralsCommand: `getEphemerals [path]`."""

    options = Options()

    def __init__(self):
        super().__init__("getEphemerals", "path")

    def exec(self):
        try:
            if len(self.args) < 2:
                ephemerals = self.zk.get_ephemerals()
            else:
                ephemerals = self.zk.get_ephemerals(self.args[1])
        except ValueError as ex:
            raise MalformedPathException(str(ex)) from None
        except KeeperException as ex:
            raise CliWrapperException(ex) from None
        self.println(java_list(ephemerals))
        return False
