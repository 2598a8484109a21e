"""Mirror of org.apache.zookeeper.cli.Ls2Command (3.5.7; removed in 3.6)."""

from zookeeper_py.cli.cli_command import CliCommand
from zookeeper_py.cli.cli_wrapper_exception import CliWrapperException
from zookeeper_py.cli.commons_cli import Options
from zookeeper_py.cli.java_text import java_list
from zookeeper_py.cli.malformed_path_exception import MalformedPathException
from zookeeper_py.cli.stat_printer import StatPrinter
from zookeeper_py.data import Stat
from zookeeper_py.keeper_exception import KeeperException


class Ls2Command(CliCommand):
    """Mirror of org.apache.zookeeper.cli.Ls2Command: `ls2 path [watch]` (children in server order)."""

    options = Options()
    min_args = 2

    def __init__(self):
        super().__init__("ls2", "path [watch]")

    def exec(self):
        self.eprintln("'ls2' has been deprecated. Please use 'ls [-s] path' instead.")
        path = self.args[1]
        watch = len(self.args) > 2
        stat = Stat()
        try:
            children = self.zk.get_children(path, watch, stat)
        except ValueError as ex:
            raise MalformedPathException(str(ex)) from None
        except KeeperException as ex:
            raise CliWrapperException(ex) from None
        self.println(java_list(children))
        StatPrinter(self.out).print(stat)
        return watch
