"""Mirror of org.apache.zookeeper.cli.CliCommand: the base of every zkCli command."""

import sys

from zookeeper_py.cli.cli_parse_exception import CliParseException
from zookeeper_py.cli.commons_cli import DefaultParser, Options, ParseException


class CliCommand:
    """Mirror of org.apache.zookeeper.cli.CliCommand.

    parse(args) checks the arguments (args[0] is the command name) and returns self;
    exec() runs the command and returns True if it set a watch.

    Java's parse is abstract and every command repeats the same few lines; here the
    common parse reads each command's table: `options`, `min_args` and `deprecated`.
    """

    # The command's options (commons-cli); parse() leaves the result in self.cl.
    options = Options()
    # Fewer arguments than this (the command name included) is a usage error.
    min_args = 0
    # (old usage, new usage, token) for Java's retainCompatibility: `cmd path x` is
    # warned about, its third raw token replaced by `token` (when not None) and parsed again.
    deprecated = None

    def __init__(self, cmd_str, option_str):
        self.out = sys.stdout
        self.err = sys.stderr
        self.zk = None
        self.cmd_str = cmd_str
        self.option_str = option_str
        self.cl = None
        self.args = None

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
        self.cl = self.parse_options(self.options, cmd_args)
        self.args = self.cl.get_args()
        if len(self.args) < self.min_args:
            raise CliParseException(self.get_usage_str())
        self.retain_compatibility(cmd_args)
        return self

    def retain_compatibility(self, cmd_args):
        if self.deprecated is None or len(self.args) <= 2:
            return
        old_usage, new_usage, token = self.deprecated
        if token is not None:
            cmd_args = list(cmd_args)
            cmd_args[2] = token
        self.eprintln("'%s' has been deprecated. Please use '%s' instead." % (old_usage, new_usage))
        self.cl = self.parse_options(self.options, cmd_args)
        self.args = self.cl.get_args()

    def exec(self):
        raise NotImplementedError
