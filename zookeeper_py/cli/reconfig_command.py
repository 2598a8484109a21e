"""Mirror of org.apache.zookeeper.cli.ReconfigCommand."""

from zookeeper_py.admin.zookeeper_admin import ZooKeeperAdmin
from zookeeper_py.cli.cli_command import CliCommand
from zookeeper_py.cli.cli_parse_exception import CliParseException
from zookeeper_py.cli.cli_wrapper_exception import CliWrapperException
from zookeeper_py.cli.commons_cli import Options
from zookeeper_py.cli.stat_printer import StatPrinter
from zookeeper_py.common.java_properties import load_properties_file
from zookeeper_py.data import Stat
from zookeeper_py.keeper_exception import KeeperException


class ReconfigCommand(CliCommand):
    """Mirror of org.apache.zookeeper.cli.ReconfigCommand."""

    options = (Options().add_option("s", False, "stats").add_option("v", True, "required current config version")
               .add_option("file", True, "path of config file to parse for membership")
               .add_option("members", True, "comma-separated list of config strings for non-incremental reconfig")
               .add_option("add", True, "comma-separated list of config strings for new servers")
               .add_option("remove", True, "comma-separated list of server IDs to remove"))

    def __init__(self):
        super().__init__("reconfig", "[-s] [-v version] [[-file path] | "
                                     "[-members serverID=host:port1:port2;port3[,...]*]]"
                                     " | [-add serverId=host:port1:port2;port3[,...]]* [-remove serverId[,...]*]")
        self.joining = self.leaving = self.members = None
        self.version = -1

    def parse(self, cmd_args):
        self.joining = self.leaving = self.members = None
        cl = super().parse(cmd_args).cl
        if not (cl.has_option("file") or cl.has_option("members")) and not cl.has_option("add") \
                and not cl.has_option("remove"):
            raise CliParseException(self.get_usage_str())
        if cl.has_option("v"):
            try:
                self.version = int(cl.get_option_value("v"), 16)
            except ValueError:
                raise CliParseException("-v must be followed by a long (configuration version)") from None
        else:
            self.version = -1
        if (cl.has_option("file") or cl.has_option("members")) and (cl.has_option("add") or cl.has_option("remove")):
            raise CliParseException("Can't use -file or -members together with -add or -remove (mixing incremental"
                                    " and non-incremental modes is not allowed)")
        if cl.has_option("file") and cl.has_option("members"):
            raise CliParseException("Can't use -file and -members together (conflicting non-incremental modes)")
        if cl.has_option("add"):
            self.joining = cl.get_option_value("add").lower()
        if cl.has_option("remove"):
            self.leaving = cl.get_option_value("remove").lower()
        if cl.has_option("members"):
            self.members = cl.get_option_value("members").lower()
        if cl.has_option("file"):
            path = cl.get_option_value("file")
            try:
                # lazy: the server's config parser (~50 modules) only for `reconfig -file`.
                from zookeeper_py.server.quorum.quorum_peer_config import QuorumPeerConfig

                props, _ = load_properties_file(path)
                self.members = str(QuorumPeerConfig.parse_dynamic_config(props, 0, True, False))
            except Exception as e:
                raise CliParseException("Error processing " + path + str(e)) from None
        return self

    def exec(self):
        try:
            stat = Stat()
            if not isinstance(self.zk, ZooKeeperAdmin):
                return False
            cur_config = self.zk.reconfigure(self.joining, self.leaving, self.members, self.version, stat)
            self.println("Committed new configuration:\n" + cur_config.decode("utf-8", "replace"))
            if self.cl.has_option("s"):
                StatPrinter(self.out).print(stat)
        except KeeperException as ex:
            raise CliWrapperException(ex) from None
        return False
