"""Mirror of org.apache.zookeeper.cli.GetAclCommand."""

from zookeeper_py.cli.cli_command import CliCommand
from zookeeper_py.cli.cli_wrapper_exception import CliWrapperException
from zookeeper_py.cli.commons_cli import Options
from zookeeper_py.cli.malformed_path_exception import MalformedPathException
from zookeeper_py.cli.stat_printer import StatPrinter
from zookeeper_py.data import Stat
from zookeeper_py.keeper_exception import KeeperException
from zookeeper_py.zk_util import ZKUtil


class GetAclCommand(CliCommand):
    """Mirror of org.apache.zookeeper.cli.GetAclCommand: `getAcl [-s] path`.

    Each ACL prints as Id.toString() (jute's CSV form, which ends in a newline) + ": " + perms.
    """

    options = Options().add_option("s", False, "stats")
    min_args = 2

    def __init__(self):
        super().__init__("getAcl", "[-s] path")

    def exec(self):
        path = self.args[1]
        stat = Stat()
        try:
            acl = self.zk.get_acl(path, stat)
        except ValueError as ex:
            raise MalformedPathException(str(ex)) from None
        except KeeperException as ex:
            raise CliWrapperException(ex) from None
        for a in acl:
            self.println("%s: %s" % (a.id, ZKUtil.get_perm_string(a.perms)))
        if self.cl.has_option("s"):
            StatPrinter(self.out).print(stat)
        return False
