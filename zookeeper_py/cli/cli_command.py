"""Mirror of org.apache.zookeeper.cli.CliCommand: the base of every zkCli command."""

import sys

from zookeeper_py.cli.cli_parse_exception import CliParseException
from zookeeper_py.cli.commons_cli import DefaultParser, ParseException


class CliCommand:
    """Mirror of org.apache.zookeeper.cli.CliCommand.

    parse(args) checks the arguments (args[0] is the command name) and returns self;
    exec() runs the command and returns True if it set a watch.
    """

    def __init__(self, cmd_str, option_str):
        self.out = sys.stdout
        self.err = sys.stderr
        self.zk = None
        self.cmd_str = cmd_str
        self.option_str = option_str

    def set_out(self, out):
        self.out = out

    def set_err(self, err):
        self.err = err

    def set_zk(self, zk):
        self.zk = zk

    def get_cmd_str(self):
        return self.cmd_str

    def get_option_str(self):
        return self.option_str

    def get_usage_str(self):
        return self.cmd_str + " " + self.option_str

    def add_to_map(self, cmd_map):
        cmd_map[self.cmd_str] = self

    def println(self, text=""):
        self.out.write("%s\n" % (text,))

    def eprintln(self, text=""):
        self.err.write("%s\n" % (text,))

    @staticmethod
    def parse_options(options, cmd_args):
        """DefaultParser().parse(options, cmdArgs), a ParseException becoming CliParseException."""
        try:
            return DefaultParser().parse(options, cmd_args)
        except ParseException as ex:
            raise CliParseException(ex) from None

    def parse(self, cmd_args):
        raise NotImplementedError

    def exec(self):
        raise NotImplementedError
