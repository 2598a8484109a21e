"""Mirror of org.apache.zookeeper.cli.StatCommand."""

from zookeeper_py.cli.cli_command import CliCommand
from zookeeper_py.cli.cli_wrapper_exception import CliWrapperException
from zookeeper_py.cli.commons_cli import Options
from zookeeper_py.cli.malformed_path_exception import MalformedPathException
from zookeeper_py.cli.stat_printer import StatPrinter
from zookeeper_py.keeper_exception import KeeperException, NoNodeException


class StatCommand(CliCommand):
    """Mirror of org.apache.zookeeper.cli.StatCommand: `stat [-w] path`."""

    options = Options().add_option("w", False, "watch")
    min_args = 2
    deprecated = ("stat path [watch]", "stat [-w] path", "-w")

    def __init__(self):
        super().__init__("stat", "[-w] path")

    def exec(self):
        path = self.args[1]
        watch = self.cl.has_option("w")
        try:
            stat = self.zk.exists(path, watch)
        except ValueError as ex:
            raise MalformedPathException(str(ex)) from None
        except KeeperException as ex:
            raise CliWrapperException(ex) from None
        if stat is None:
            raise CliWrapperException(NoNodeException(path))
        StatPrinter(self.out).print(stat)
        return watch
