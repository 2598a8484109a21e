"""Mirror of org.apache.zookeeper.cli.SetCommand."""

from zookeeper_py.cli.cli_command import CliCommand
from zookeeper_py.cli.cli_wrapper_exception import CliWrapperException
from zookeeper_py.cli.commons_cli import Options
from zookeeper_py.cli.java_text import parse_int
from zookeeper_py.cli.malformed_path_exception import MalformedPathException
from zookeeper_py.cli.stat_printer import StatPrinter
from zookeeper_py.keeper_exception import KeeperException


class SetCommand(CliCommand):
    """Mirror of org.apache.zookeeper.cli.SetCommand: `set [-s] [-v version] path data`."""

    options = Options().add_option("s", False, "stats").add_option("v", True, "version")
    min_args = 3

    def __init__(self):
        super().__init__("set", "[-s] [-v version] path data")

    def exec(self):
        path = self.args[1]
        data = self.args[2].encode("utf-8")
        version = parse_int(self.cl.get_option_value("v")) if self.cl.has_option("v") else -1
        try:
            stat = self.zk.set_data(path, data, version)
            if self.cl.has_option("s"):
                StatPrinter(self.out).print(stat)
        except ValueError as ex:
            raise MalformedPathException(str(ex)) from None
        except KeeperException as ex:
            raise CliWrapperException(ex) from None
        return False
