"""Mirror of org.apache.zookeeper.cli.RemoveWatchesCommand."""

from zookeeper_py.cli.cli_command import CliCommand
from zookeeper_py.cli.cli_wrapper_exception import CliWrapperException
from zookeeper_py.cli.commons_cli import Options
from zookeeper_py.cli.malformed_path_exception import MalformedPathException
from zookeeper_py.keeper_exception import KeeperException
from zookeeper_py.watcher import WatcherType


class RemoveWatchesCommand(CliCommand):
    """Mirror of org.apache.zookeeper.cli.RemoveWatchesCommand: `removewatches path [-c|-d|-a] [-l]`."""

    options = (Options().add_option("c", False, "child watcher type").add_option("d", False, "data watcher type")
               .add_option("a", False, "any watcher type")
               .add_option("l", False, "remove locally when there is no server connection"))
    min_args = 2

    def __init__(self):
        super().__init__("removewatches", "path [-c|-d|-a] [-l]")

    def exec(self):
        path = self.args[1]
        wtype = WatcherType.Any
        if self.cl.has_option("c"):
            wtype = WatcherType.Children
        elif self.cl.has_option("d"):
            wtype = WatcherType.Data
        local = self.cl.has_option("l")
        try:
            self.zk.remove_all_watches(path, wtype, local)
        except ValueError as ex:
            raise MalformedPathException(str(ex)) from None
        except KeeperException as ex:
            raise CliWrapperException(ex) from None
        return True
