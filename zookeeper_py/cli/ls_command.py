"""Mirror of org.apache.zookeeper.cli.LsCommand (3.8's `ls -s` layout: list, newline, stat)."""

from zookeeper_py.cli.cli_command import CliCommand
from zookeeper_py.cli.cli_wrapper_exception import CliWrapperException
from zookeeper_py.cli.commons_cli import HelpFormatter, Options
from zookeeper_py.cli.malformed_command_exception import MalformedCommandException
from zookeeper_py.cli.malformed_path_exception import MalformedPathException
from zookeeper_py.cli.stat_printer import StatPrinter
from zookeeper_py.data import Stat
from zookeeper_py.keeper_exception import KeeperException
from zookeeper_py.zk_util import ZKUtil


class LsCommand(CliCommand):
    """Mirror of org.apache.zookeeper.cli.LsCommand: `ls [-s] [-w] [-R] path`."""

    options = (Options().add_option("?", False, "help").add_option("s", False, "stat")
               .add_option("w", False, "watch").add_option("R", False, "recurse"))
    deprecated = ("ls path [watch]", "ls [-w] path", "-w")

    def __init__(self):
        super().__init__("ls", "[-s] [-w] [-R] path")

    def print_help(self):
        HelpFormatter().print_help(self.out, "ls [options] path", self.options)

    def parse(self, cmd_args):
        # Java prints the help between parsing and retainCompatibility.
        self.cl = self.parse_options(self.options, cmd_args)
        self.args = self.cl.get_args()
        if self.cl.has_option("?"):
            self.print_help()
        self.retain_compatibility(cmd_args)
        return self

    def exec(self):
        if len(self.args) < 2:
            raise MalformedCommandException(self.get_usage_str())
        path = self.args[1]
        watch = self.cl.has_option("w")
        with_stat = self.cl.has_option("s")
        try:
            if self.cl.has_option("R"):
                ZKUtil.visit_sub_tree_dfs(self.zk, path, watch, lambda rc, p, ctx, name: self.println(p))
            else:
                stat = Stat() if with_stat else None
                children = self.zk.get_children(path, watch, stat)
                self.print_children(children, stat)
        except ValueError as ex:
            raise MalformedPathException(str(ex)) from None
        except KeeperException as ex:
            raise CliWrapperException(ex) from None
        return watch

    def print_children(self, children, stat):
        self.out.write("[" + ", ".join(sorted(children)) + "]\n")
        if stat is not None:
            StatPrinter(self.out).print(stat)
