"""Mirror of org.apache.zookeeper.cli.DeleteCommand."""

from zookeeper_py.cli.cli_command import CliCommand
from zookeeper_py.cli.cli_wrapper_exception import CliWrapperException
from zookeeper_py.cli.commons_cli import Options
from zookeeper_py.cli.java_text import parse_int
from zookeeper_py.cli.malformed_path_exception import MalformedPathException
from zookeeper_py.keeper_exception import KeeperException


class DeleteCommand(CliCommand):
    """Mirror of org.apache.zookeeper.cli.DeleteCommand: `delete [-v version] path`."""

    options = Options().add_option("v", True, "version")
    min_args = 2
    deprecated = ("delete path [version]", "delete [-v version] path", None)

    def __init__(self):
        super().__init__("delete", "[-v version] path")

    def exec(self):
        path = self.args[1]
        version = parse_int(self.cl.get_option_value("v")) if self.cl.has_option("v") else -1
        try:
            self.zk.delete(path, version)
        except ValueError as ex:
            raise MalformedPathException(str(ex)) from None
        except KeeperException as ex:
            raise CliWrapperException(ex) from None
        return False
