"""Mirror of org.apache.zookeeper.cli.GetConfigCommand (`config`), with ConfigUtils.getClientConfigStr."""

from zookeeper_py.cli.cli_command import CliCommand
from zookeeper_py.cli.cli_wrapper_exception import CliWrapperException
from zookeeper_py.cli.commons_cli import Options
from zookeeper_py.cli.stat_printer import StatPrinter
from zookeeper_py.common.java_properties import load_properties
from zookeeper_py.data import Stat
from zookeeper_py.keeper_exception import KeeperException
from zookeeper_py.server.quorum.quorum_server import ConfigException, QuorumServer


def _java_string_hash(s):
    """String.hashCode over UTF-16 units, as an unsigned 32-bit value."""
    b = s.encode("utf-16-be", "surrogatepass")
    h = 0
    for i in range(0, len(b), 2):
        h = (31 * h + ((b[i] << 8) | b[i + 1])) & 0xFFFFFFFF
    return h


def _properties_order(keys):
    """The order java.util.Properties (a ConcurrentHashMap of 16 bins since Java 9) iterates
    a few keys in: by bin, then in insertion order within a bin."""
    def bin_of(key):
        h = _java_string_hash(key)
        return ((h ^ (h >> 16)) & 0x7FFFFFFF) & 15
    indexed = list(enumerate(keys))
    if len(keys) > 12:  # past the first resize the emulation would be wrong: keep file order
        return list(keys)
    return [k for _, k in sorted(indexed, key=lambda ik: (bin_of(ik[1]), ik[0]))]


def get_client_config_str(config_data):
    """ConfigUtils.getClientConfigStr: "<version> host:port,host:port" (client addresses)."""
    props, _ = load_properties(config_data)
    version = ""
    addrs = []
    for key in _properties_order(list(props)):
        value = props[key].strip()
        key = key.strip()
        if key == "version":
            version = value
        if not key.startswith("server."):
            continue
        try:
            qs = QuorumServer(-1, value)
        except (ConfigException, ValueError):
            continue
        addrs.append("%s:%d" % qs.client_addr if qs.client_addr is not None else "")
    return version + " " + ",".join(addrs)


class GetConfigCommand(CliCommand):
    """Mirror of org.apache.zookeeper.cli.GetConfigCommand: `config [-c] [-w] [-s]`."""

    options = (Options().add_option("s", False, "stats").add_option("w", False, "watch")
               .add_option("c", False, "client connection string"))
    min_args = 1

    def __init__(self):
        super().__init__("config", "[-c] [-w] [-s]")

    def exec(self):
        watch = self.cl.has_option("w")
        stat = Stat()
        try:
            data = self.zk.get_config(watch, stat)
        except KeeperException as ex:
            raise CliWrapperException(ex) from None
        text = "null" if data is None else data.decode("utf-8", "replace")
        self.println(get_client_config_str(text) if self.cl.has_option("c") else text)
        if self.cl.has_option("s"):
            StatPrinter(self.out).print(stat)
        return watch
