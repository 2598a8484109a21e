"""Mirror of org.apache.zookeeper.cli.StatCommand."""

from zookeeper_py.cli.cli_command import CliCommand
from zookeeper_py.cli.cli_parse_exception import CliParseException
from zookeeper_py.cli.cli_wrapper_exception import CliWrapperException
from zookeeper_py.cli.commons_cli import Options
from zookeeper_py.cli.malformed_path_exception import MalformedPathException
from zookeeper_py.cli.stat_printer import StatPrinter
from zookeeper_py.keeper_exception import KeeperException, NoNodeException


class StatCommand(CliCommand):
    """Mirror of org.apache.zookeeper.cli.StatCommand: `stat [-w] path`."""

    options = Options().add_option("w", False, "watch")

    def __init__(self):
        super().__init__("stat", "[-w] path")
        self.args = None
        self.cl = None

    def parse(self, cmd_args):
        self.cl = self.parse_options(self.options, cmd_args)
        self.args = self.cl.get_args()
        if len(self.args) < 2:
            raise CliParseException(self.get_usage_str())
        self.retain_compatibility(cmd_args)
        return self

    def retain_compatibility(self, cmd_args):
        if len(self.args) > 2:
            cmd_args = list(cmd_args)
            cmd_args[2] = "-w"
            self.eprintln("'stat path [watch]' has been deprecated. Please use 'stat [-w] path' instead.")
            self.cl = self.parse_options(self.options, cmd_args)
            self.args = self.cl.get_args()

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
