"""Mirror of org.apache.zookeeper.ZooKeeperMain: the zkCli shell (`bin/zkCli.sh`).

    python -m zookeeper_py.zookeeper_main [-Dname=value...] [-server host:port[/chroot]] [-timeout ms] [-r]
        [-waitforconnection] [-client-configuration file] [cmd args...]

With a command it runs that command once and exits with its exit code (0, 1 for an error,
127 for an unknown command). Without one it reads commands: on a terminal through
prompt_toolkit, with the prompt `[zk: host:port(CONNECTED) N] `, Tab completion of
commands, options and live znode paths, and a history kept across runs in
~/.zookeeper_py_history ($ZOOKEEPER_PY_HISTORY overrides it; see console_reader for what it
keeps out, and how a paste of several lines is run); otherwise line by line
from stdin with no prompt, as Java does without JLine. Texts are Java 3.8's.
"""

import logging
import os
import re
import socket
import sys
import threading

from zookeeper_py.admin.zookeeper_admin import ZooKeeperAdmin
from zookeeper_py.cli.cli_exception import CliException
from zookeeper_py.cli.command_factory import CommandFactory
from zookeeper_py.cli.command_not_found_exception import CommandNotFoundException
from zookeeper_py.cli.malformed_command_exception import MalformedCommandException
from zookeeper_py.client.zk_client_config import ConfigException, ZKClientConfig
from zookeeper_py.common import system_properties
from zookeeper_py.common.java_integer import NumberFormatException, parse_int
from zookeeper_py.common.logging_setup import configure_logging
from zookeeper_py.common.x509_util import X509Exception
from zookeeper_py.watcher import EventType, KeeperState

HISTORY_ENV = "ZOOKEEPER_PY_HISTORY"
DEFAULT_HISTORY = os.path.join("~", ".zookeeper_py_history")

# ExitCode values.
EXECUTION_FINISHED = 0
UNEXPECTED_ERROR = 1
INVALID_INVOCATION = 2

command_map = {}
command_map_cli = {}


def _init_command_maps():
    command_map["connect"] = "host:port"
    command_map["history"] = ""
    command_map["redo"] = "cmdno"
    command_map["printwatches"] = "on|off"
    command_map["quit"] = ""
    for command in CommandFactory.Command:
        cli_command = CommandFactory.get_instance(command)
        cli_command.add_to_map(command_map_cli)
        command_map[cli_command.get_cmd_str()] = cli_command.get_option_str()


_init_command_maps()
_print_lock = threading.Lock()


class SystemExitRequest(Exception):
    """ServiceUtils.requestSystemExit: unwinds to main(), which exits with the code."""

    def __init__(self, code):
        super().__init__(code)
        self.code = code


def java_integer_decode(text):
    """Integer.decode: [+-] then 0x/0X/# hex, 0 octal, or decimal."""
    m = re.fullmatch(r"([+-]?)(0[xX]|#|0(?=[0-7]))?([0-9a-fA-F]+)", text or "")
    if not m:
        raise CliException('java.lang.NumberFormatException: For input string: "%s"' % text)
    radix = {None: 10, "#": 16, "0": 8}.get(m.group(2), 16)
    try:
        value = int(m.group(3), radix)
    except ValueError:
        raise CliException('java.lang.NumberFormatException: For input string: "%s"' % text) from None
    return -value if m.group(1) == "-" else value


class MyCommandOptions:
    """Mirror of org.apache.zookeeper.ZooKeeperMain.MyCommandOptions: options, then the command."""

    ARGS_PATTERN = re.compile(r"""\s*([^"']\S*|"[^"]*"|'[^']*')\s*""")
    QUOTED_PATTERN = re.compile(r"""^(['"])(.*)(\1)$""", re.S)

    def __init__(self):
        self.options = {"server": "localhost:2181", "timeout": "30000"}
        self.cmd_args = None
        self.command = None

    def get_option(self, opt):
        return self.options.get(opt)

    def get_command(self):
        return self.command

    def get_cmd_argument(self, index):
        return self.cmd_args[index]

    def get_num_arguments(self):
        return len(self.cmd_args)

    def get_arg_array(self):
        return list(self.cmd_args) if self.cmd_args is not None else []

    def parse_options(self, args):
        """The shell's own options; the first argument not starting with "-" is the command."""
        it = iter(args)
        valued = {"-server": "server", "-timeout": "timeout", "-client-configuration": "client-configuration"}
        for opt in it:
            if opt in valued:
                try:
                    self.options[valued[opt]] = next(it)
                except StopIteration:
                    sys.stderr.write("Error: no argument found for option " + opt + "\n")
                    return False
            elif opt == "-r":
                self.options["readonly"] = "true"
            elif opt == "-waitforconnection":
                self.options["waitforconnection"] = "true"
            if not opt.startswith("-"):
                self.command = opt
                self.cmd_args = [opt] + list(it)
                return True
        return True

    def parse_command(self, cmdstring):
        args = []
        for m in self.ARGS_PATTERN.finditer(cmdstring):
            value = m.group(1)
            if self.QUOTED_PATTERN.match(value):
                value = value[1:-1]
            args.append(value)
        if not args:
            return False
        self.command = args[0]
        self.cmd_args = args
        return True


class MyWatcher:
    """Mirror of org.apache.zookeeper.ZooKeeperMain.MyWatcher: prints every event."""

    def __init__(self, main):
        self.main = main

    def process(self, event):
        if self.main.get_print_watches():
            ZooKeeperMain.print_message("WATCHER::", str(event))
        latch = self.main.connect_latch
        if latch is not None and event.get_type() is EventType.None_ \
                and event.get_state() is KeeperState.SyncConnected:
            latch.set()


class ZooKeeperMain:
    """Mirror of org.apache.zookeeper.ZooKeeperMain."""

    def __init__(self, args=None, zk=None):
        self.cl = MyCommandOptions()
        self.history = {}
        self.command_count = 0
        self.print_watches = True
        self.exit_code = EXECUTION_FINISHED
        self.zk = zk
        self.host = ""
        self.connect_latch = None
        self.session = None  # the prompt_toolkit PromptSession, when at a terminal
        if zk is None:
            self.cl.parse_options(args or [])
            self.println("Connecting to " + self.cl.get_option("server"))
            self.connect_to_zk(self.cl.get_option("server"))

    def get_print_watches(self):
        return self.print_watches

    @staticmethod
    def println(text=""):
        sys.stdout.write("%s\n" % (text,))

    @staticmethod
    def usage():
        lines = ["ZooKeeper -server host:port -client-configuration properties-file cmd args"]
        lines += ["\t%s %s" % (cmd, command_map[cmd]) for cmd in sorted(command_map)]
        sys.stderr.write("\n".join(lines) + "\n")

    @staticmethod
    def print_message(*msgs):
        """printMessage: each message after an empty line (several at once stay together)."""
        with _print_lock:
            sys.stdout.write("".join("\n%s\n" % m for m in msgs))
            sys.stdout.flush()

    def add_to_history(self, i, cmd):
        self.history[i] = cmd

    @staticmethod
    def get_commands():
        return sorted(command_map)

    @staticmethod
    def get_command_options(cmd):
        """Option names of a command, for completion ("-s", "-w", ...)."""
        cli = command_map_cli.get(cmd)
        options = getattr(cli, "options", None)
        if options is None:
            return []
        return sorted("-" + o for o in options.short_opts)

    def get_prompt(self):
        return "[zk: %s(%s) %d] " % (self.host, self.zk.get_state(), self.command_count)

    def connect_to_zk(self, new_host):
        if self.zk is not None and self.zk.get_state().is_alive():
            self.zk.close()
        self.host = new_host
        read_only = self.cl.get_option("readonly") is not None
        client_config = None
        if self.cl.get_option("client-configuration") is not None:
            try:
                client_config = ZKClientConfig(self.cl.get_option("client-configuration"))
            except ConfigException as e:
                # Java prints the ConfigException's stack trace and exits.
                sys.stderr.write("org.apache.zookeeper.server.quorum.QuorumPeerConfig$ConfigException: %s\n" % e)
                if e.__cause__ is not None:
                    sys.stderr.write("Caused by: java.lang.IllegalArgumentException: %s\n" % e.__cause__)
                raise SystemExitRequest(INVALID_INVOCATION) from None
        if self.cl.get_option("waitforconnection") is not None:
            self.connect_latch = threading.Event()
        timeout = parse_int(self.cl.get_option("timeout"))
        try:
            self.zk = ZooKeeperAdmin(self.host, timeout, MyWatcher(self), read_only, client_config=client_config)
        except X509Exception as e:
            # A client asked for TLS it cannot set up stops here; it never connects in plaintext.
            sys.stderr.write("org.apache.zookeeper.common.X509Exception$%s: %s\n" % (type(e).__name__, e))
            raise SystemExitRequest(INVALID_INVOCATION) from None
        if self.connect_latch is not None:
            if not self.connect_latch.wait(timeout / 1000.0):
                self.zk.close()
                self._drain_events()
                raise IOError("org.apache.zookeeper.KeeperException$ConnectionLossException: "
                              "KeeperErrorCode = ConnectionLoss")

    # -- the loop --

    def run(self, input=None, output=None):
        """Run the command given on the command line, or read commands until EOF or quit.

        `input`/`output` are prompt_toolkit Input/Output objects (tests pass a pipe input).
        """
        try:
            if self.cl.get_command() is None:
                self.println("Welcome to ZooKeeper!")
                if input is not None or (sys.stdin.isatty() and sys.stdout.isatty()):
                    self.println("JLine support is enabled")
                    self._run_prompt(input, output)
                else:
                    self.println("JLine support is disabled")
                    for line in sys.stdin:
                        self.execute_line(line.rstrip("\r\n"))
            else:
                self.process_cmd(self.cl)
        except SystemExitRequest as e:
            self._drain_events()
            return e.code
        self._drain_events()
        return self.exit_code

    def _drain_events(self):
        """Events already queued (SyncConnected; a closed session's Closed) are printed before the
        process ends: os._exit would otherwise race the EventThread, whose lines Java's zkCli
        prints because its System.exit runs shutdown hooks first."""
        zk = self.zk
        if zk is None:
            return
        event_thread = zk.cnxn.event_thread
        if not zk.get_state().is_alive():
            event_thread.join(2.0)
        elif event_thread.is_alive():
            # The queue is FIFO: once this marker runs, every event queued before it was printed.
            printed = threading.Event()
            event_thread.queue_callback(printed.set)
            printed.wait(2.0)

    def _run_prompt(self, input, output):
        # lazy: prompt_toolkit takes ~0.5 s to import; `zkCli.sh cmd args` and scripts never prompt.
        from prompt_toolkit.application import create_app_session

        from zookeeper_py.console_reader import ConsoleReader
        from zookeeper_py.j_line_z_node_completer import JLineZNodeCompleter

        history_path = os.path.expanduser(os.environ.get(HISTORY_ENV) or DEFAULT_HISTORY)
        with create_app_session(input=input, output=output):
            reader = ConsoleReader(history_path, JLineZNodeCompleter(self), self.get_prompt)
            self.session = reader.session
            while True:
                try:
                    line = reader.read_line()
                except KeyboardInterrupt:
                    continue  # Ctrl-C drops the line being typed
                except EOFError:
                    break
                self.execute_line(line)

    def execute_line(self, line):
        if line != "":
            self.cl.parse_command(line)
            self.add_to_history(self.command_count, line)
            try:
                self.process_cmd(self.cl)
            except KeyboardInterrupt:
                sys.stderr.write("Interrupted\n")  # Ctrl-C while a request waits
            self.command_count += 1

    def process_cmd(self, co):
        watch = False
        try:
            watch = self.process_zk_cmd(co)
            self.exit_code = EXECUTION_FINISHED
        except CliException as ex:
            self.exit_code = ex.get_exit_code()
            sys.stderr.write("%s\n" % ex.get_message())
        except (SystemExitRequest, KeyboardInterrupt):
            raise
        except Exception as ex:
            # Java would die with a stack trace here; the shell goes on.
            self.exit_code = UNEXPECTED_ERROR
            sys.stderr.write("%s: %s\n" % (type(ex).__name__, ex))
        sys.stdout.flush()
        return watch

    def process_zk_cmd(self, co):
        args = co.get_arg_array()
        cmd = co.get_command()
        if len(args) < 1:
            self.usage()
            raise MalformedCommandException("No command entered")
        if cmd not in command_map:
            self.usage()
            raise CommandNotFoundException("Command not found " + cmd)
        watch = False
        if cmd == "quit":
            self.zk.close()
            raise SystemExitRequest(self.exit_code)
        elif cmd == "redo" and len(args) >= 2:
            i = java_integer_decode(args[1])
            if self.command_count <= i or i < 0:  # don't allow redoing this redo
                raise MalformedCommandException("Command index out of range")
            self.cl.parse_command(self.history[i])
            if self.cl.get_command() == "redo":
                raise MalformedCommandException("No redoing redos")
            self.history[self.command_count] = self.history[i]
            self.process_cmd(self.cl)
        elif cmd == "history":
            for i in range(self.command_count - 10, self.command_count + 1):
                if i < 0:
                    continue
                cmd_line = self.history.get(i)
                self.println("%d - %s" % (i, "null" if cmd_line is None else cmd_line))
        elif cmd == "printwatches":
            if len(args) == 1:
                self.println("printwatches is " + ("on" if self.print_watches else "off"))
            else:
                self.print_watches = args[1] == "on"
        elif cmd == "connect":
            self.connect_to_zk(args[1] if len(args) >= 2 else self.host)
        if self.zk is None or not self.zk.get_state().is_alive():
            self.println("Not connected")
            return False
        cli_cmd = command_map_cli.get(cmd)
        if cli_cmd is not None:
            cli_cmd.set_zk(self.zk)
            cli_cmd.set_out(sys.stdout)
            cli_cmd.set_err(sys.stderr)
            watch = cli_cmd.parse(args).exec()
        return watch


def _configure_logging():
    """Log to $ZOO_LOG_DIR/zookeeper-$USER-cli-$HOSTNAME.log as zkCli.sh does, else not at all:
    the terminal is for the shell (state changes show as WATCHER:: lines)."""
    log_dir = system_properties.get_property("zookeeper.log.dir") or os.environ.get("ZOO_LOG_DIR")
    if not log_dir:
        logging.getLogger().addHandler(logging.NullHandler())
        logging.getLogger().setLevel(logging.CRITICAL + 1)
        return
    if system_properties.get_property("zookeeper.log.file") is None:
        system_properties.set_property("zookeeper.log.file", "zookeeper-%s-cli-%s.log" % (
            os.environ.get("USER", "user"), socket.gethostname()))
    system_properties.set_property("zookeeper.log.dir", log_dir)
    if system_properties.get_property("zookeeper.root.logger") is None:
        system_properties.set_property("zookeeper.root.logger", "INFO,ROLLINGFILE")
    try:
        os.makedirs(log_dir, exist_ok=True)

        configure_logging()
    except Exception:
        logging.getLogger().addHandler(logging.NullHandler())
        logging.getLogger().setLevel(logging.CRITICAL + 1)


def split_system_properties(argv):
    """-Dname=value flags before the command are system properties (Java takes them from
    the JVM command line); CLIENT_JVMFLAGS and JVMFLAGS are read first. The rest of argv,
    the command and its arguments included, is left as it is."""
    system_properties.load_from_environment(("CLIENT_JVMFLAGS", "JVMFLAGS"))
    args = []
    it = iter(argv)
    for arg in it:
        if arg.startswith("-D") and len(arg) > 2:
            system_properties.parse_jvm_flags([arg])
            continue
        args.append(arg)
        if arg in ("-server", "-timeout", "-client-configuration"):
            value = next(it, None)
            if value is not None:
                args.append(value)
        elif not arg.startswith("-"):
            args.extend(it)  # the command: everything after it is its arguments
    return args


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    args = split_system_properties(argv)
    try:
        sys.stdout.reconfigure(line_buffering=True)
    except (AttributeError, ValueError):
        pass
    _configure_logging()
    try:
        main_ = ZooKeeperMain(args)
        code = main_.run()
    except SystemExitRequest as e:
        code = e.code
    except (IOError, ValueError) as e:
        # Java's uncaught exception in main: its first line, exit code 1.
        if isinstance(e, IOError):
            java_class = "java.io.IOException"
        elif isinstance(e, NumberFormatException):
            java_class = "java.lang.NumberFormatException"
        else:
            java_class = "java.lang.IllegalArgumentException"
        sys.stderr.write('Exception in thread "main" %s: %s\n' % (java_class, e))
        code = UNEXPECTED_ERROR
    except KeyboardInterrupt:
        code = 130
    sys.stdout.flush()
    sys.stderr.flush()
    # System.exit: the client threads are daemons and the session is left to expire, as in Java.
    os._exit(code)


if __name__ == "__main__":
    main()
