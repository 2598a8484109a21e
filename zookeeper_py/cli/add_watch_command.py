"""Mirror of org.apache.zookeeper.cli.AddWatchCommand (3.6+)."""

from zookeeper_py.cli.cli_command import CliCommand
from zookeeper_py.cli.cli_parse_exception import CliParseException
from zookeeper_py.cli.cli_wrapper_exception import CliWrapperException
from zookeeper_py.cli.commons_cli import Options
from zookeeper_py.keeper_exception import KeeperException
from zookeeper_py.watcher import AddWatchMode


class AddWatchCommand(CliCommand):
    """Mirror of org.apache.zookeeper.cli.AddWatchCommand: `addWatch [-m mode] path`."""

    options = Options().add_option("m", True, "")
    DEFAULT_MODE = AddWatchMode.PERSISTENT_RECURSIVE

    def __init__(self):
        super().__init__("addWatch", "[-m mode] path # optional mode is one of [%s] - default is %s" % (
            ", ".join(m.name for m in AddWatchMode), self.DEFAULT_MODE.name))
        self.mode = self.DEFAULT_MODE

    def parse(self, cmd_args):
        super().parse(cmd_args)
        if len(self.args) != 2:
            raise CliParseException(self.get_usage_str())
        if self.cl.has_option("m"):
            try:
                self.mode = AddWatchMode[self.cl.get_option_value("m").upper()]
            except KeyError:
                raise CliParseException(self.get_usage_str()) from None
        return self

    def exec(self):
        path = self.cl.get_args()[1]
        try:
            self.zk.add_watch(path, self.mode)
        except KeeperException as ex:
            raise CliWrapperException(ex) from None
        return False
