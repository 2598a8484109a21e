"""The parts of Apache commons-cli 1.5 that zkCli's commands use: Options, OptionGroup,
DefaultParser, CommandLine, HelpFormatter and the ParseException family.

zkCli's option syntax is commons-cli's, so its quirks are kept: options may come after
the arguments, short options concatenate (`ls -sR /`), an option value may be glued on
(`-t100`), a negative number is an argument, `--` ends the options, and a failed parse
shows as the Java exception's toString(), e.g.
`org.apache.commons.cli.UnrecognizedOptionException: Unrecognized option: -x`.
"""


class ParseException(Exception):
    """org.apache.commons.cli.ParseException."""

    JAVA_NAME = "org.apache.commons.cli.ParseException"

    def __str__(self):
        """Java's Throwable.toString(): class name and message."""
        return "%s: %s" % (self.JAVA_NAME, self.args[0] if self.args else "")


class UnrecognizedOptionException(ParseException):
    JAVA_NAME = "org.apache.commons.cli.UnrecognizedOptionException"


class MissingArgumentException(ParseException):
    JAVA_NAME = "org.apache.commons.cli.MissingArgumentException"


class MissingOptionException(ParseException):
    JAVA_NAME = "org.apache.commons.cli.MissingOptionException"


class AlreadySelectedException(ParseException):
    JAVA_NAME = "org.apache.commons.cli.AlreadySelectedException"


class Option:
    """org.apache.commons.cli.Option (short options only: zkCli defines no long ones)."""

    def __init__(self, opt, has_arg=False, description=None, required=False):
        self.opt = opt
        self.has_arg = has_arg
        self.description = description
        self.required = required
        self.values = []

    def get_key(self):
        return self.opt

    def accepts_arg(self):
        """One value at most: every zkCli option takes zero or one."""
        return self.has_arg and not self.values

    def copy(self):
        return Option(self.opt, self.has_arg, self.description, self.required)


class OptionGroup:
    """org.apache.commons.cli.OptionGroup: at most one of its options per command line."""

    def __init__(self):
        self.options = []
        self.selected = None
        self.required = False

    def add_option(self, option):
        self.options.append(option)
        return self

    def set_required(self, required):
        self.required = required

    def set_selected(self, option):
        if option is None:
            self.selected = None
        elif self.selected is None or self.selected == option.get_key():
            self.selected = option.get_key()
        else:
            raise AlreadySelectedException(
                "The option '%s' was specified but an option from this group has already been selected: '%s'"
                % (option.get_key(), self.selected))

    def __str__(self):
        parts = []
        for o in self.options:
            parts.append("-" + o.opt + (" " + o.description if o.description is not None else ""))
        return "[" + ", ".join(parts) + "]"


class Options:
    """org.apache.commons.cli.Options."""

    def __init__(self):
        self.short_opts = {}
        self.groups = []
        self.option_group = {}
        self.required_opts = []

    def add_option(self, opt, has_arg=False, description=None):
        option = opt if isinstance(opt, Option) else Option(opt, has_arg, description)
        if option.required and option.opt not in self.required_opts:
            self.required_opts.append(option.opt)
        self.short_opts[option.opt] = option
        return self

    def add_option_group(self, group):
        if group.required:
            self.required_opts.append(group)
        for option in group.options:
            option.required = False
            self.add_option(option)
            self.option_group[option.opt] = group
        self.groups.append(group)
        return self

    def has_short_option(self, opt):
        return opt in self.short_opts

    def get_option(self, opt):
        return self.short_opts.get(opt)

    def get_option_group(self, option):
        return self.option_group.get(option.opt)

    def get_options(self):
        return list(self.short_opts.values())


class CommandLine:
    """org.apache.commons.cli.CommandLine."""

    def __init__(self):
        self.args = []
        self.options = []

    def has_option(self, opt):
        return any(o.opt == opt for o in self.options)

    def get_option_value(self, opt, default=None):
        for o in self.options:
            if o.opt == opt:
                return o.values[0] if o.values else default
        return default

    def get_args(self):
        return list(self.args)


def _is_negative_number(token):
    try:
        float(token)
        return True
    except ValueError:
        return False


class DefaultParser:
    """org.apache.commons.cli.DefaultParser (stopAtNonOption=false, no long options)."""

    def parse(self, options, arguments):
        self.options = options
        self.skip_parsing = False
        self.current_option = None
        self.expected_opts = list(options.required_opts)
        for group in options.groups:
            group.set_selected(None)
        self.cmd = CommandLine()
        for argument in arguments:
            self._handle_token(argument)
        self._check_required_args()
        if self.expected_opts:
            missing = [str(x) for x in self.expected_opts]
            raise MissingOptionException("Missing required option%s: %s"
                                         % ("" if len(missing) == 1 else "s", ", ".join(missing)))
        return self.cmd

    def _handle_token(self, token):
        if self.skip_parsing:
            self.cmd.args.append(token)
        elif token == "--":
            self.skip_parsing = True
        elif self.current_option is not None and self.current_option.accepts_arg() and self._is_argument(token):
            self.current_option.values.append(token)
        elif token.startswith("--"):
            self._handle_unknown_token(token)  # no long options are defined
        elif token.startswith("-") and token != "-":
            self._handle_short_option(token)
        else:
            self._handle_unknown_token(token)
        if self.current_option is not None and not self.current_option.accepts_arg():
            self.current_option = None

    def _is_argument(self, token):
        return not self._is_short_option(token) or _is_negative_number(token)

    def _is_short_option(self, token):
        if not token.startswith("-") or len(token) == 1:
            return False
        pos = token.find("=")
        name = token[1:] if pos == -1 else token[1:pos]
        if self.options.has_short_option(name):
            return True
        return len(name) > 0 and self.options.has_short_option(name[0])

    def _handle_unknown_token(self, token):
        if token.startswith("-") and len(token) > 1:
            raise UnrecognizedOptionException("Unrecognized option: " + token)
        self.cmd.args.append(token)

    def _handle_short_option(self, token):
        t = token[1:]
        pos = t.find("=")
        if len(t) == 1:
            if self.options.has_short_option(t):
                self._handle_option(self.options.get_option(t))
            else:
                self._handle_unknown_token(token)
        elif pos == -1:
            if self.options.has_short_option(t):
                self._handle_option(self.options.get_option(t))
            else:
                self._handle_concatenated_options(token)
        else:
            opt, value = t[:pos], t[pos + 1:]
            if len(opt) == 1:
                option = self.options.get_option(opt)
                if option is not None and option.has_arg:
                    self._handle_option(option)
                    self.current_option.values.append(value)
                    self.current_option = None
                    return
            self._handle_concatenated_options(token)

    def _handle_concatenated_options(self, token):
        for i in range(1, len(token)):
            ch = token[i]
            if self.options.has_short_option(ch):
                self._handle_option(self.options.get_option(ch))
                if self.current_option is not None and len(token) != i + 1:
                    # The rest of the token is the option's value.
                    self.current_option.values.append(token[i + 1:])
                    break
            else:
                self._handle_unknown_token(token)
                break

    def _handle_option(self, option):
        self._check_required_args()
        option = option.copy()
        if option.required and option.opt in self.expected_opts:
            self.expected_opts.remove(option.opt)
        group = self.options.get_option_group(option)
        if group is not None:
            if group.required and group in self.expected_opts:
                self.expected_opts.remove(group)
            group.set_selected(option)
        self.cmd.options.append(option)
        self.current_option = option if option.has_arg else None

    def _check_required_args(self):
        if self.current_option is not None and self.current_option.has_arg and not self.current_option.values:
            raise MissingArgumentException("Missing argument for option: " + self.current_option.get_key())


class HelpFormatter:
    """org.apache.commons.cli.HelpFormatter.printHelp(cmdLineSyntax, options), to `out`."""

    def print_help(self, out, cmd_line_syntax, options):
        out.write("usage: " + cmd_line_syntax + "\n")
        opts = sorted(options.get_options(), key=lambda o: o.opt.lower())
        width = max(len(o.opt) + 1 + (6 if o.has_arg else 0) for o in opts)
        for o in opts:
            left = "-" + o.opt + (" <arg>" if o.has_arg else "")
            out.write(" " + left.ljust(width) + "   " + (o.description or "") + "\n")
