"""Mirror of org.apache.zookeeper.cli.GetCommand (3.8's: errors through CliWrapperException)."""

from zookeeper_py.cli.cli_command import CliCommand
from zookeeper_py.cli.cli_wrapper_exception import CliWrapperException
from zookeeper_py.cli.commons_cli import Options
from zookeeper_py.cli.malformed_path_exception import MalformedPathException
from zookeeper_py.cli.stat_printer import StatPrinter
from zookeeper_py.data import Stat
from zookeeper_py.keeper_exception import KeeperException


class GetCommand(CliCommand):
    """Mirror of org.apache.zookeeper.cli.GetCommand: `get [-s] [-w] path`."""

    options = Options().add_option("s", False, "stats").add_option("w", False, "watch")
    min_args = 2
    deprecated = ("get path [watch]", "get [-s] [-w] path", "-w")

    def __init__(self):
        super().__init__("get", "[-s] [-w] path")

    def exec(self):
        watch = self.cl.has_option("w")
        path = self.args[1]
        stat = Stat()
        try:
            data = self.zk.get_data(path, watch, stat)
        except ValueError as ex:
            raise MalformedPathException(str(ex)) from None
        except KeeperException as ex:
            raise CliWrapperException(ex) from None
        self.println("null" if data is None else data.decode("utf-8", "replace"))
        if self.cl.has_option("s"):
            StatPrinter(self.out).print(stat)
        return watch
