"""Mirror of org.apache.zookeeper.server.util.ConfigUtils."""

from zookeeper_py.common.java_properties import load_properties
from zookeeper_py.server.quorum.quorum_server import ConfigException, QuorumServer


class ConfigUtils:
    """Mirror of org.apache.zookeeper.server.util.ConfigUtils."""

    @staticmethod
    def get_client_config_str(config_data):
        """"<version> host:port,host:port": the client addresses of a config text (zkCli `config -c`)."""
        props, _ = load_properties(config_data)
        version = ""
        addresses = []
        for key, value in props.items():
            key = key.strip()
            value = value.strip()
            if key == "version":
                version = value
            if not key.startswith("server."):
                continue
            try:
                qs = QuorumServer(-1, value)
            except ConfigException:
                continue
            addresses.append("%s:%d" % qs.client_addr if qs.client_addr is not None else "")
        return version + " " + ",".join(addresses)

    @staticmethod
    def get_host_and_port(s):
        """Split host:port[:...] keeping an [ipv6] host whole."""
        if s.startswith("["):
            i = s.find("]:")
            if i < 0:
                raise ConfigException(s + " starts with '[' but has no matching ']:'")
            return [s[1:i]] + s[i + 2:].split(":")
        return s.split(":")
