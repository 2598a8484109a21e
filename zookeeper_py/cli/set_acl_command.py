"""Mirror of org.apache.zookeeper.cli.SetAclCommand."""

from zookeeper_py.cli.acl_parser import AclParser
from zookeeper_py.cli.cli_command import CliCommand
from zookeeper_py.cli.cli_wrapper_exception import CliWrapperException
from zookeeper_py.cli.commons_cli import Options
from zookeeper_py.cli.java_text import parse_int
from zookeeper_py.cli.malformed_path_exception import MalformedPathException
from zookeeper_py.cli.stat_printer import StatPrinter
from zookeeper_py.keeper_exception import KeeperException
from zookeeper_py.zk_util import ZKUtil


class SetAclCommand(CliCommand):
    """Mirror of org.apache.zookeeper.cli.SetAclCommand: `setAcl [-s] [-v version] [-R] path acl`."""

    options = (Options().add_option("s", False, "stats").add_option("v", True, "version")
               .add_option("R", False, "recursive"))
    min_args = 3

    def __init__(self):
        super().__init__("setAcl", "[-s] [-v version] [-R] path acl")

    def exec(self):
        path = self.args[1]
        acl = AclParser.parse(self.args[2], self.err)
        version = parse_int(self.cl.get_option_value("v")) if self.cl.has_option("v") else -1
        try:
            if self.cl.has_option("R"):
                def set_one(rc, p, ctx, name):
                    try:
                        self.zk.set_acl(p, acl, version)
                    except KeeperException as e:
                        self.out.write(str(e))  # Java prints the message with no newline
                ZKUtil.visit_sub_tree_dfs(self.zk, path, False, set_one)
            else:
                stat = self.zk.set_acl(path, acl, version)
                if self.cl.has_option("s"):
                    StatPrinter(self.out).print(stat)
        except ValueError as ex:
            raise MalformedPathException(str(ex)) from None
        except KeeperException as ex:
            raise CliWrapperException(ex) from None
        return False
